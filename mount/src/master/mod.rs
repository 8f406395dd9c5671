//! The session with the master, and the proxy MooseFS's tools reach it by.

mod link;
mod notices;
pub mod proxy;
pub mod register;

pub use link::Master;
pub use notices::Notice;
pub use proxy::ToolsProxy;
pub use register::{Registered, SessionConfig};
