//! Client (or chunkserver) to chunkserver, port 9422 (`CLTOCS_*`): reading
//! and writing chunk data. A chunkserver in a write chain forwards the same
//! packets to the next one, minus itself.

use std::net::Ipv4Addr;

use bytes::BytesMut;

use crate::codec::{Ctx, Parsed, Rest, Wire};
use crate::messages;
use crate::records;
use crate::types::CrcData;

/// The `protocolid:8` that peers of 1.7.32 and later put in front of READ
/// and WRITE. It cannot be told from the bytes it precedes, but both
/// messages have an even length without it and an odd one with it, which
/// is how the chunkserver decides; so this field must come first.
///
/// Protocol 1 (what 3.0.117 clients send) lets a chunkserver interleave
/// `ANTOAN_NOP` packets with a slow read so the client does not time out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct ProtocolId(pub Option<u8>);

impl ProtocolId {
    /// What 3.0.117 clients and chunkservers send.
    pub const CURRENT: ProtocolId = ProtocolId(Some(1));
}

impl Wire for ProtocolId {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        if input.len() & 1 == 0 {
            return Ok((input, ProtocolId(None)));
        }
        let (rest, id) = u8::decode(input, ctx)?;
        Ok((rest, ProtocolId(Some(id))))
    }

    fn encode(&self, out: &mut BytesMut) {
        self.0.encode(out);
    }
}

records! {
    /// `ip:32 port:16` — the next chunkserver of a write chain.
    ChainLink { ip: Ipv4Addr, port: u16 }
}

messages! {
    /// `chunkid:64 version:32 offset:32 size:32`
    /// `protocolid:8 chunkid:64 version:32 offset:32 size:32` (both versions >= 1.7.32)
    Read = 200 CLTOCS_READ {
        protocolid: ProtocolId,
        chunkid: u64,
        version: u32,
        offset: u32,
        size: u32,
    }

    /// `chunkid:64 version:32 N*[ ip:32 port:16 ]`
    /// `protocolid:8 chunkid:64 version:32 N*[ ip:32 port:16 ]` (both versions >= 1.7.32)
    Write = 210 CLTOCS_WRITE {
        protocolid: ProtocolId,
        chunkid: u64,
        version: u32,
        /// The chunkservers this one must forward the write to, in order.
        chain: Rest<ChainLink>,
    }

    /// `chunkid:64 writeid:32 blocknum:16 offset:16 size:32 crc:32 size*[ databyte:8 ]`
    WriteData = 212 CLTOCS_WRITE_DATA {
        chunkid: u64,
        /// Echoed in the matching `CSTOCL_WRITE_STATUS`.
        writeid: u32,
        blocknum: u16,
        /// Offset inside the 64 KiB block.
        offset: u16,
        block: CrcData,
    }

    /// `chunkid:64 version:32`
    WriteFinish = 213 CLTOCS_WRITE_FINISH { chunkid: u64, version: u32 }
}
