//! Building blocks that messages of several channels share.

pub mod attr;
pub mod reply;
pub mod status;

pub use attr::{node_type, Attr};
pub use reply::Reply;
pub use status::Status;
