//! Client to master, port 9421: what `mfsmount`, the `mfs*` tools and the
//! meta mount send for file-system work.

pub mod chunk;
pub mod node;
pub mod register;
pub mod sclass;
pub mod tools;

pub use chunk::*;
pub use node::*;
pub use register::{FuseRegister, NewSession, PreviousSession, RegisterRequest};
pub use sclass::*;
pub use tools::*;
