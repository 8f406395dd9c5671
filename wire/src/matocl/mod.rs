//! Master to client, port 9421: answers to `mfsmount` and the tools, and
//! the notices the master pushes to mounts.

pub mod chunk;
pub mod node;
pub mod register;
pub mod sclass;
pub mod tools;

pub use chunk::*;
pub use node::*;
pub use register::{FuseRegisterReply, MetaSession, RegisterReply, Session};
pub use sclass::*;
pub use tools::*;
