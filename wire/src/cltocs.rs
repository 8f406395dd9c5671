//! Client (or chunkserver) to chunkserver, port 9422 (`CLTOCS_*`): reading
//! and writing chunk data. A chunkserver in a write chain forwards the same
//! packets to the next one, minus itself.

use std::net::Ipv4Addr;

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::codec::{Ctx, Parsed, Rest, Wire};
use crate::frame::HEADER_LEN;
use crate::message::{decode_payload, DecodeError};
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

/// Bytes of a `WRITE_DATA` payload before its data.
const WRITE_DATA_HEAD: usize = 8 + 4 + 2 + 2 + 4 + 4;

impl WriteData {
    /// Decodes a `CLTOCS_WRITE_DATA` payload whose data is kept as a slice
    /// of `payload`, not copied: a chunkserver takes every block a client
    /// writes this way, and copying 64 KiB per block out of the frame cost
    /// it more than checking the block's CRC (4% of its CPU under a
    /// sequential write). A payload of the wrong shape gets the error
    /// [`decode_payload`] gives it.
    pub fn decode_shared(payload: &Bytes) -> Result<WriteData, DecodeError> {
        let head = payload.get(..WRITE_DATA_HEAD).map(|mut head| {
            // Six fields filling the head exactly, read in wire order.
            (
                head.get_u64(),
                head.get_u32(),
                head.get_u16(),
                head.get_u16(),
                head.get_u32(),
                head.get_u32(),
            )
        });
        let data_len = payload.len().saturating_sub(WRITE_DATA_HEAD);
        match head {
            Some((chunkid, writeid, blocknum, offset, size, crc)) if size as usize == data_len => {
                Ok(WriteData {
                    chunkid,
                    writeid,
                    blocknum,
                    offset,
                    block: CrcData::new(crc, payload.slice(WRITE_DATA_HEAD..)),
                })
            }
            _ => decode_payload::<WriteData>(payload, Ctx::default()),
        }
    }

    /// Appends the frame header and the fields before the data of a
    /// `CLTOCS_WRITE_DATA` frame whose `size` data bytes the caller sends
    /// right after it. A client sends its write buffer this way, in a
    /// vectored write, instead of copying every block into a [`CrcData`]
    /// and then a frame buffer.
    pub fn encode_frame_head(
        chunkid: u64,
        writeid: u32,
        blocknum: u16,
        offset: u16,
        size: u32,
        crc: u32,
        out: &mut BytesMut,
    ) {
        out.reserve(HEADER_LEN + WRITE_DATA_HEAD);
        out.put_u32(Self::CODE);
        // A WRITE_DATA carries at most one 64 KiB block, so the sum of its
        // head and data lengths cannot overflow.
        out.put_u32(WRITE_DATA_HEAD as u32 + size);
        out.put_u64(chunkid);
        out.put_u32(writeid);
        out.put_u16(blocknum);
        out.put_u16(offset);
        out.put_u32(size);
        out.put_u32(crc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{decode_payload, DecodeError};
    use crate::testing::decode_exact;

    /// `chunkid:64 version:32` of chunk 0x1234 in version 2.
    const CHUNK: [u8; 12] = [0, 0, 0, 0, 0, 0, 0x12, 0x34, 0, 0, 0, 2];

    #[test]
    fn read_has_a_protocolid_only_at_21_bytes() {
        let mut old = CHUNK.to_vec();
        old.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0x10, 0]); // offset 65536, size 4096
        let read = decode_exact::<Read>(&old);
        assert_eq!(read.protocolid, ProtocolId(None));
        assert_eq!((read.chunkid, read.version), (0x1234, 2));
        assert_eq!((read.offset, read.size), (65536, 4096));

        let mut new = vec![1];
        new.extend_from_slice(&old);
        let read = decode_exact::<Read>(&new);
        assert_eq!(read.protocolid, ProtocolId::CURRENT);
        assert_eq!(read.size, 4096);
    }

    #[test]
    fn write_has_a_protocolid_when_its_length_is_odd() {
        let link = [10, 0, 0, 3, 0x24, 0xce];
        let mut old = CHUNK.to_vec();
        old.extend_from_slice(&link);
        let write = decode_exact::<Write>(&old);
        assert_eq!(write.protocolid, ProtocolId(None));
        let next = ChainLink {
            ip: Ipv4Addr::new(10, 0, 0, 3),
            port: 9422,
        };
        assert_eq!(write.chain.0, vec![next]);

        let mut new = vec![1];
        new.extend_from_slice(&CHUNK);
        let last = decode_exact::<Write>(&new);
        assert_eq!(last.protocolid, ProtocolId::CURRENT);
        assert!(last.chain.0.is_empty());

        new.extend_from_slice(&link[..4]);
        assert!(decode_payload::<Write>(&new, Ctx::default()).is_err());
    }

    #[test]
    fn write_data_size_must_match_the_data() {
        let mut bytes = vec![0, 0, 0, 0, 0, 0, 0x12, 0x34]; // chunkid
        bytes.extend_from_slice(&[0, 0, 0, 5]); // writeid 5
        bytes.extend_from_slice(&[0, 3, 0x01, 0x00]); // block 3, offset 256
        bytes.extend_from_slice(&[0, 0, 0, 4]); // size 4
        bytes.extend_from_slice(&[0xDE, 0xAD, 0xBE, 0xEF]); // crc
        bytes.extend_from_slice(b"data");
        let write = decode_exact::<WriteData>(&bytes);
        assert_eq!((write.writeid, write.blocknum, write.offset), (5, 3, 256));
        assert_eq!(write.block.crc, 0xDEAD_BEEF);
        assert_eq!(&write.block.data[..], b"data");

        let mut short = bytes.clone();
        short.pop();
        assert!(matches!(
            decode_payload::<WriteData>(&short, Ctx::default()),
            Err(DecodeError::Malformed { .. })
        ));
        bytes.push(b'!');
        assert!(matches!(
            decode_payload::<WriteData>(&bytes, Ctx::default()),
            Err(DecodeError::Trailing { extra: 1, .. })
        ));
    }

    proptest::proptest! {
        #[test]
        fn the_shared_decoder_agrees_with_the_copying_one(
            payload in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
            size_matches: bool,
        ) {
            let mut payload = payload;
            // Half the cases get a `size` (after chunkid, writeid, blocknum
            // and offset) that matches the data, so both decoders succeed.
            if size_matches && payload.len() >= WRITE_DATA_HEAD {
                let size = (payload.len() - WRITE_DATA_HEAD) as u32;
                payload[16..20].copy_from_slice(&size.to_be_bytes());
            }
            let payload = Bytes::from(payload);
            let shared = WriteData::decode_shared(&payload);
            let copied = decode_payload::<WriteData>(&payload, Ctx::default());
            proptest::prop_assert_eq!(&shared, &copied);
            if let Ok(write) = shared {
                proptest::prop_assert_eq!(
                    write.block.data.as_ptr(),
                    payload[WRITE_DATA_HEAD..].as_ptr(),
                    "the data is the payload's own bytes"
                );
            }
        }

        #[test]
        fn a_frame_head_and_its_data_are_the_write_data_frame(
            chunkid: u64,
            writeid: u32,
            blocknum: u16,
            offset: u16,
            crc: u32,
            data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
        ) {
            let mut sent = BytesMut::new();
            WriteData::encode_frame_head(chunkid, writeid, blocknum, offset, data.len() as u32, crc, &mut sent);
            sent.extend_from_slice(&data);
            let message = WriteData { chunkid, writeid, blocknum, offset, block: CrcData::new(crc, data) };
            let mut framed = BytesMut::new();
            crate::Message::to_frame(&message).write_to(&mut framed);
            proptest::prop_assert_eq!(sent, framed);
        }
    }
}
