//! The property every decoder target checks, shared so that each
//! direction gets its own libFuzzer target (and its own corpus) without
//! repeating it.

use bytes::BytesMut;
use mooseng_wire::{Ctx, Direction, Version};

/// Input layout: a message selector byte, four bytes of the peer's
/// version (layouts of several messages depend on it), then the payload.
/// Decoding must not panic, and a payload that decodes must re-encode to
/// the same bytes.
pub fn decode_in(direction: Direction, data: &[u8]) {
    let Some((&[index, v0, v1, v2, v3], payload)) = data.split_first_chunk::<5>() else {
        return;
    };
    let ctx = Ctx {
        peer_version: Version(u32::from_be_bytes([v0, v1, v2, v3])),
    };
    let messages = direction.messages();
    let code = messages[usize::from(index) % messages.len()].code;
    if let Ok(message) = direction.decode(code, payload, ctx) {
        let mut out = BytesMut::new();
        message.encode_payload(&mut out);
        assert_eq!(
            &out[..],
            payload,
            "{} re-encoded differently",
            message.name()
        );
    }
}

/// A payload that decodes as `CSTOCL_READ_DATA` has a head, read alone,
/// with the same fields and the size of the data that follows it.
pub fn read_data_head_agrees(payload: &[u8]) {
    use mooseng_wire::cstocl::{ReadData, ReadDataHead};
    let Some(head) = payload.first_chunk::<{ ReadDataHead::LEN }>() else {
        return;
    };
    let head = ReadDataHead::decode(head);
    if let Ok(read) = mooseng_wire::message::decode_payload::<ReadData>(payload, Ctx::default()) {
        assert_eq!(
            (head.chunkid, head.blocknum, head.offset, head.crc),
            (read.chunkid, read.blocknum, read.offset, read.block.crc)
        );
        assert_eq!(head.size as usize, read.block.data.len());
    }
}

/// Any payload decodes as `CLTOCS_WRITE_DATA` with its block shared with
/// the payload exactly as it decodes with the block copied: the same
/// message, or the same error.
pub fn shared_write_data_agrees(payload: &[u8]) {
    use mooseng_wire::cltocs::WriteData;
    let shared = bytes::Bytes::copy_from_slice(payload);
    assert_eq!(
        WriteData::decode_shared(&shared),
        mooseng_wire::message::decode_payload::<WriteData>(payload, Ctx::default())
    );
}
