//! Building blocks that messages of several channels share.

pub mod acl;
pub mod attr;
pub mod chunk;
pub mod data;
pub mod groups;
pub mod quota;
pub mod reply;
pub mod sclass;
pub mod status;
pub mod tally;

pub use acl::{Acl, AclEntry};
pub use attr::{node_type, Attr};
pub use chunk::{ChunkLocation, Servers};
pub use data::CrcData;
pub use groups::Groups;
pub use reply::Reply;
pub use sclass::SclassDef;
pub use status::Status;
pub use tally::Tally;
