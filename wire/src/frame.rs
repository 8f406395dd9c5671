//! Framing shared by every MooseFS channel: `type:32 length:32 payload`, big-endian.
//!
//! The codec first checks that a whole frame is buffered (no allocation), then
//! splits it off. The declared length is checked against the channel's limit
//! before anything is reserved, so a peer cannot make us hold more than that.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

/// Size of the `type:32 length:32` header in front of every payload.
pub const HEADER_LEN: usize = 8;

/// The most the codec reserves ahead of bytes that have actually arrived:
/// a peer that declares a huge frame and sends nothing more costs us this
/// much, not the declared length.
const MAX_RESERVE_AHEAD: usize = 1 << 20;

/// One packet as it travels on the wire, before its payload is interpreted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The message code (`CLTOMA_FUSE_LOOKUP` = 406, ...).
    pub kind: u32,
    pub payload: Bytes,
}

impl Frame {
    pub fn new(kind: u32, payload: impl Into<Bytes>) -> Self {
        Frame {
            kind,
            payload: payload.into(),
        }
    }

    /// Appends the header and payload to `out`.
    pub fn write_to(&self, out: &mut BytesMut) {
        out.reserve(HEADER_LEN + self.payload.len());
        out.put_u32(self.kind);
        out.put_u32(self.payload.len() as u32);
        out.put_slice(&self.payload);
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error(
        "frame of type {kind} declares {len} payload bytes, more than the channel limit of {max}"
    )]
    TooLarge { kind: u32, len: u32, max: u32 },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Looks at the header at the start of `buf` without consuming anything.
///
/// Returns `Ok(None)` when fewer than a whole header is buffered.
pub fn peek_header(buf: &[u8], max_payload: u32) -> Result<Option<(u32, u32)>, FrameError> {
    let Some(header) = buf.get(..HEADER_LEN) else {
        return Ok(None);
    };
    let kind = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
    let len = u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
    if len > max_payload {
        return Err(FrameError::TooLarge {
            kind,
            len,
            max: max_payload,
        });
    }
    Ok(Some((kind, len)))
}

/// A tokio-util codec for one direction of one channel.
#[derive(Debug, Clone, Copy)]
pub struct FrameCodec {
    max_payload: u32,
}

impl FrameCodec {
    /// `max_payload` is the largest payload this side accepts; see
    /// [`crate::Direction::max_payload`] for the limits MooseFS uses.
    pub fn new(max_payload: u32) -> Self {
        FrameCodec { max_payload }
    }
}

impl Decoder for FrameCodec {
    type Item = Frame;
    type Error = FrameError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, FrameError> {
        let Some((kind, len)) = peek_header(src, self.max_payload)? else {
            return Ok(None);
        };
        let total = HEADER_LEN + len as usize;
        if src.len() < total {
            src.reserve((total - src.len()).min(MAX_RESERVE_AHEAD));
            return Ok(None);
        }
        src.advance(HEADER_LEN);
        let payload = src.split_to(len as usize).freeze();
        Ok(Some(Frame { kind, payload }))
    }
}

impl Encoder<Frame> for FrameCodec {
    type Error = FrameError;

    fn encode(&mut self, frame: Frame, dst: &mut BytesMut) -> Result<(), FrameError> {
        frame.write_to(dst);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incomplete_header_and_payload_need_more_bytes() {
        let mut codec = FrameCodec::new(100);
        let mut buf = BytesMut::from(&[0, 0, 1, 0x96, 0, 0][..]);
        assert!(codec.decode(&mut buf).unwrap().is_none());
        buf.extend_from_slice(&[0, 3, 1, 2]);
        assert!(codec.decode(&mut buf).unwrap().is_none());
        buf.extend_from_slice(&[3, 9]);
        let frame = codec.decode(&mut buf).unwrap().unwrap();
        assert_eq!(frame, Frame::new(406, vec![1, 2, 3]));
        assert_eq!(&buf[..], &[9]);
    }

    #[test]
    fn oversized_frame_is_refused_before_reserving() {
        let mut codec = FrameCodec::new(10);
        let mut buf = BytesMut::from(&[0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff][..]);
        let capacity = buf.capacity();
        let err = codec.decode(&mut buf).unwrap_err();
        assert!(matches!(
            err,
            FrameError::TooLarge {
                kind: 1,
                len: u32::MAX,
                max: 10
            }
        ));
        assert_eq!(buf.capacity(), capacity);
    }

    #[test]
    fn a_declared_length_does_not_reserve_more_than_a_mebibyte_ahead() {
        let mut codec = FrameCodec::new(500_000_000);
        let mut buf = BytesMut::from(&[0, 0, 0, 100, 0x1d, 0xcd, 0x65, 0x00][..]);
        assert!(codec.decode(&mut buf).unwrap().is_none());
        assert!(buf.capacity() <= HEADER_LEN + MAX_RESERVE_AHEAD + 64);
    }

    #[test]
    fn encode_then_decode_gives_the_same_frame() {
        let mut codec = FrameCodec::new(1 << 20);
        let frame = Frame::new(0x1234, vec![7u8; 300]);
        let mut buf = BytesMut::new();
        codec.encode(frame.clone(), &mut buf).unwrap();
        assert_eq!(buf.len(), 308);
        assert_eq!(codec.decode(&mut buf).unwrap(), Some(frame));
        assert!(buf.is_empty());
    }
}
