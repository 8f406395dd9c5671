//! Every message of the MooseFS 3.0.117 protocol, with the framing around it.
//!
//! One module per direction of each channel (`cltoma` is client to master,
//! `matocl` master to client, ...), one struct per message, and one enum per
//! direction in [`direction`] for dispatch.

pub mod antoan;
pub mod antocs;
pub mod antoma;
pub mod cltocs;
pub mod cltoma;
pub mod codec;
pub mod cstoan;
pub mod cstocl;
pub mod cstoma;
pub mod direction;
pub mod frame;
pub mod matoan;
pub mod matocl;
pub mod matocs;
pub mod message;
pub mod types;
pub mod version;

#[cfg(test)]
mod testing;

pub use codec::{Bytes32, Counted, Ctx, Gids, LenBytes, Name, Rest, Tail, Wire};
pub use direction::{AnyMessage, Direction};
pub use frame::{Frame, FrameCodec, FrameError};
pub use message::{DecodeError, Message, MessageInfo};
pub use types::{Attr, CrcData, Reply, Status};
pub use version::Version;
