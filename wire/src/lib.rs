//! Every message of the MooseFS 3.0.117 protocol, with the framing around it.
//!
//! One module per direction of each channel (`cltoma` is client to master,
//! `matocl` master to client, ...), one struct per message, and one enum per
//! direction in [`direction`] for dispatch.

pub mod antoan;
pub mod antocl;
pub mod antocs;
pub mod antoma;
pub mod cltoan;
pub mod cltocs;
pub mod cltoma;
pub mod cltoma_info;
pub mod codec;
pub mod cs_info;
pub mod cstoan;
pub mod cstocl;
pub mod cstoma;
pub mod direction;
pub mod frame;
pub mod info_lists;
pub mod info_master;
pub mod info_sessions;
pub mod matoan;
pub mod matocl;
pub mod matocl_info;
pub mod matocs;
pub mod message;
pub mod types;
pub mod variants;
pub mod version;

#[cfg(test)]
mod testing;

#[cfg(test)]
mod golden_admin;

pub use codec::{Bytes32, Counted, Ctx, Gids, LenBytes, Name, Rest, Tail, Wire};
pub use direction::{AnyMessage, Direction};
pub use frame::{Frame, FrameCodec, FrameError};
pub use message::{DecodeError, Message, MessageInfo};
pub use types::{Attr, CrcData, Reply, Status};
pub use version::Version;
