//! Reading and writing whole frames on a stream, for the exchanges that are
//! strictly request then answer (registration, chunkserver transfers), and
//! sending data in pieces without gathering it into one buffer first.

use std::io::IoSlice;

use bytes::{Bytes, BytesMut};
use mooseng_wire::frame::{peek_header, HEADER_LEN};
use mooseng_wire::{Ctx, Frame, Message};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Sends one message.
pub async fn send<W: AsyncWrite + Unpin, M: Message>(
    out: &mut W,
    message: &M,
) -> std::io::Result<()> {
    let mut buf = BytesMut::new();
    message.to_frame().write_to(&mut buf);
    out.write_all(&buf).await
}

/// Sends `parts` one after another in as few vectored writes as the
/// stream takes them in, so large data leaves without being copied into
/// one buffer first.
pub async fn write_parts<W: AsyncWrite + Unpin>(
    out: &mut W,
    parts: &[Bytes],
) -> std::io::Result<()> {
    let mut slices: Vec<IoSlice<'_>> = parts.iter().map(|part| IoSlice::new(part)).collect();
    let mut rest = &mut slices[..];
    while !rest.is_empty() {
        let written = out.write_vectored(rest).await?;
        if written == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        IoSlice::advance_slices(&mut rest, written);
    }
    Ok(())
}

/// Reads one frame whose payload is at most `max_payload` bytes.
pub async fn read_frame<R: AsyncRead + Unpin>(
    input: &mut R,
    max_payload: u32,
) -> std::io::Result<Frame> {
    let (kind, len) = read_header(input, max_payload).await?;
    read_payload(input, kind, len).await
}

/// Reads a frame's header: its kind and the length of the payload that
/// follows, at most `max_payload` bytes.
pub async fn read_header<R: AsyncRead + Unpin>(
    input: &mut R,
    max_payload: u32,
) -> std::io::Result<(u32, u32)> {
    let mut header = [0u8; HEADER_LEN];
    input.read_exact(&mut header).await?;
    peek_header(&header, max_payload)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))?
        .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::UnexpectedEof))
}

/// Reads the `len` bytes of payload of a frame of `kind` whose header was
/// read by [`read_header`].
pub async fn read_payload<R: AsyncRead + Unpin>(
    input: &mut R,
    kind: u32,
    len: u32,
) -> std::io::Result<Frame> {
    let mut payload = vec![0u8; len as usize];
    input.read_exact(&mut payload).await?;
    Ok(Frame::new(kind, payload))
}

/// Decodes `frame` as `M`, refusing a frame of another kind.
pub fn decode<M: Message>(frame: &Frame, ctx: Ctx) -> std::io::Result<M> {
    if frame.kind != M::CODE {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "expected {} ({}), got message {}",
                M::NAME,
                M::CODE,
                frame.kind
            ),
        ));
    }
    mooseng_wire::message::decode_payload(&frame.payload, ctx)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))
}
