//! Checks `mooseng-wire` against real MooseFS traffic.
//!
//! A capture (pcap or pcapng, from tcpdump, dumpcap or Wireshark) is read
//! packet by packet ([`capture`]), each packet is cut down to its TCP
//! segment ([`packet`]), segments are put back into per-direction byte
//! streams ([`reassembly`]), streams are told apart by port ([`classify`])
//! and cut into MooseFS frames ([`framing`]), and every frame must decode
//! and re-encode to the same bytes ([`check`]). [`decode`] runs the whole
//! pipeline and [`report`] holds what it found; [`unsent`] says which
//! messages no MooseFS 3.0.117 program sends, so none can be captured.

pub mod capture;
pub mod check;
pub mod classify;
pub mod decode;
pub mod framing;
pub mod hexdump;
pub mod matrix;
pub mod packet;
pub mod pjdfstest;
pub mod protocol_doc;
pub mod reassembly;
pub mod replay;
pub mod report;
mod text;
pub mod unsent;

pub use classify::{PortRole, Role};
pub use decode::{decode_files, Decoder, Options};
pub use report::Report;
