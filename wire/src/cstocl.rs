//! Chunkserver to client (or to the previous chunkserver of a write chain),
//! port 9422 (`CSTOCL_*`): read data and the status of reads and writes.

use bytes::{Buf, BufMut, BytesMut};

use crate::frame::HEADER_LEN;
use crate::messages;
use crate::types::{CrcData, Status};

messages! {
    /// `chunkid:64 status:8` — ends a read, successful or not.
    ReadStatus = 201 CSTOCL_READ_STATUS { chunkid: u64, status: Status }

    /// `chunkid:64 blocknum:16 offset:16 size:32 crc:32 size*[ databyte:8 ]`
    ReadData = 202 CSTOCL_READ_DATA {
        chunkid: u64,
        blocknum: u16,
        /// Offset inside the 64 KiB block.
        offset: u16,
        block: CrcData,
    }

    /// `chunkid:64 writeid:32 status:8` — writeid 0 acknowledges the WRITE
    /// itself (the chain is connected), others a `CLTOCS_WRITE_DATA`.
    WriteStatus = 211 CSTOCL_WRITE_STATUS { chunkid: u64, writeid: u32, status: Status }
}

/// The fields of a `CSTOCL_READ_DATA` payload before its data. A client
/// reads them alone, then the data straight into its own buffer, instead of
/// copying every block out of a frame and a [`CrcData`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadDataHead {
    pub chunkid: u64,
    pub blocknum: u16,
    /// Offset inside the 64 KiB block.
    pub offset: u16,
    /// Data bytes that follow the head.
    pub size: u32,
    pub crc: u32,
}

impl ReadDataHead {
    /// Bytes of a `READ_DATA` payload before its data.
    pub const LEN: usize = READ_DATA_HEAD;

    /// Reads the head from the first [`Self::LEN`] bytes of a payload; any
    /// bytes are a head, whether its `size` matches the frame is for the
    /// caller to check.
    pub fn decode(bytes: &[u8; READ_DATA_HEAD]) -> Self {
        // The array holds every field, so no `get_*` below runs short;
        // fields are read in the order they are written here.
        let mut buf = &bytes[..];
        ReadDataHead {
            chunkid: buf.get_u64(),
            blocknum: buf.get_u16(),
            offset: buf.get_u16(),
            size: buf.get_u32(),
            crc: buf.get_u32(),
        }
    }
}

/// Bytes of a `READ_DATA` payload before its data.
const READ_DATA_HEAD: usize = 8 + 2 + 2 + 4 + 4;

impl ReadData {
    /// Appends the frame header and the fields before the data of a
    /// `CSTOCL_READ_DATA` frame whose `size` data bytes the caller sends
    /// right after it. A server sends block data this way, from its own
    /// read buffer in a vectored write, instead of copying every block into
    /// a [`CrcData`] or a frame buffer.
    pub fn encode_frame_head(
        chunkid: u64,
        blocknum: u16,
        offset: u16,
        size: u32,
        crc: u32,
        out: &mut BytesMut,
    ) {
        out.reserve(HEADER_LEN + READ_DATA_HEAD);
        out.put_u32(Self::CODE);
        // The size comes from a 32-bit field, and a READ_DATA of MooseFS
        // carries at most one 64 KiB block, so the sum cannot overflow.
        out.put_u32(READ_DATA_HEAD as u32 + size);
        out.put_u64(chunkid);
        out.put_u16(blocknum);
        out.put_u16(offset);
        out.put_u32(size);
        out.put_u32(crc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Message;
    use crate::testing::decode_exact;

    #[test]
    fn read_data_head_and_data_make_the_encoded_message() {
        let mut out = BytesMut::from(&b"before"[..]);
        ReadData::encode_frame_head(7, 2, 10, 3, 0x0102_0304, &mut out);
        out.extend_from_slice(b"abc");
        let message = ReadData {
            chunkid: 7,
            blocknum: 2,
            offset: 10,
            block: CrcData::new(0x0102_0304, &b"abc"[..]),
        };
        let mut expected = BytesMut::from(&b"before"[..]);
        message.to_frame().write_to(&mut expected);
        assert_eq!(out, expected);
    }

    #[test]
    fn the_head_decoder_reads_what_the_head_encoder_wrote() {
        let mut out = BytesMut::new();
        ReadData::encode_frame_head(
            0x0102_0304_0506_0708,
            1023,
            65535,
            65536,
            0xDEAD_BEEF,
            &mut out,
        );
        let head: &[u8; ReadDataHead::LEN] = out[HEADER_LEN..].try_into().unwrap();
        assert_eq!(
            ReadDataHead::decode(head),
            ReadDataHead {
                chunkid: 0x0102_0304_0506_0708,
                blocknum: 1023,
                offset: 65535,
                size: 65536,
                crc: 0xDEAD_BEEF,
            }
        );
    }

    proptest::proptest! {
        #[test]
        fn any_read_data_has_a_head_with_its_fields(
            chunkid: u64,
            blocknum: u16,
            offset: u16,
            crc: u32,
            data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
        ) {
            let message = ReadData { chunkid, blocknum, offset, block: CrcData::new(crc, data.clone()) };
            let mut payload = BytesMut::new();
            crate::codec::Wire::encode(&message, &mut payload);
            let head: &[u8; ReadDataHead::LEN] = payload[..ReadDataHead::LEN].try_into().unwrap();
            let size = data.len() as u32;
            proptest::prop_assert_eq!(
                ReadDataHead::decode(head),
                ReadDataHead { chunkid, blocknum, offset, size, crc }
            );
        }
    }

    #[test]
    fn read_data_keeps_its_crc_unchecked() {
        let mut bytes = vec![0, 0, 0, 0, 0, 0, 0, 0x07]; // chunkid
        bytes.extend_from_slice(&[0, 1, 0, 0]); // block 1, offset 0
        bytes.extend_from_slice(&[0, 0, 0, 3]); // size 3
        bytes.extend_from_slice(&[0, 0, 0, 0]); // crc 0, which "abc" does not have
        bytes.extend_from_slice(b"abc");
        let read = decode_exact::<ReadData>(&bytes);
        assert_eq!((read.chunkid, read.blocknum, read.offset), (7, 1, 0));
        assert_eq!(read.block, CrcData::new(0, &b"abc"[..]));
    }

    #[test]
    fn write_status_names_the_write() {
        let bytes = [0, 0, 0, 0, 0, 0, 0, 0x07, 0, 0, 0, 2, 0];
        let status = decode_exact::<WriteStatus>(&bytes);
        assert_eq!((status.writeid, status.status), (2, Status::OK));
    }
}
