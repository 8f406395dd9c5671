//! The session with the master.

mod link;
pub mod register;

pub use link::Master;
pub use register::{Registered, SessionConfig};
