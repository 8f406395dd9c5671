//! Framed TCP I/O shared by both ports: whole `type:32 length:32 payload`
//! frames in and out.

use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::{BufMut, BytesMut};
use mooseng_wire::frame::{peek_header, HEADER_LEN};
use mooseng_wire::{Frame, FrameCodec, FrameError, Message};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio_util::codec::Decoder;

/// Reads frames from one socket. [`FrameReader::next`] may be cancelled
/// (in a `select!`) without losing bytes: they stay in the buffer.
#[derive(Debug)]
pub struct FrameReader {
    half: OwnedReadHalf,
    buf: BytesMut,
    codec: FrameCodec,
    max_payload: u32,
    /// Where the bytes received are added up, for the charts.
    received: Option<Arc<AtomicU64>>,
}

impl FrameReader {
    pub fn new(half: OwnedReadHalf, max_payload: u32) -> Self {
        FrameReader {
            half,
            buf: BytesMut::with_capacity(8192),
            codec: FrameCodec::new(max_payload),
            max_payload,
            received: None,
        }
    }

    /// Adds every byte received from now on to `received`.
    pub fn counting(mut self, received: Arc<AtomicU64>) -> Self {
        self.received = Some(received);
        self
    }

    /// The next frame if it is of type `kind` and already wholly received;
    /// never waits for the socket. A server takes the requests of one kind
    /// that queued up behind the one it is serving this way, to serve them
    /// all in one go.
    pub fn next_buffered(&mut self, kind: u32) -> Result<Option<Frame>, FrameError> {
        match peek_header(&self.buf, self.max_payload)? {
            Some((next, _)) if next == kind => self.codec.decode(&mut self.buf),
            _ => Ok(None),
        }
    }

    /// The next frame, or `None` when the peer closed the connection
    /// between frames.
    pub async fn next(&mut self) -> Result<Option<Frame>, FrameError> {
        loop {
            if let Some(frame) = self.codec.decode(&mut self.buf)? {
                return Ok(Some(frame));
            }
            let read = self.half.read_buf(&mut self.buf).await?;
            if read == 0 {
                if self.buf.is_empty() {
                    return Ok(None);
                }
                return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into());
            }
            if let Some(received) = &self.received {
                received.fetch_add(read as u64, Ordering::Relaxed);
            }
        }
    }

    /// [`FrameReader::next`] with a deadline; running out of time is an error.
    pub async fn next_within(&mut self, limit: Duration) -> Result<Option<Frame>, FrameError> {
        match tokio::time::timeout(limit, self.next()).await {
            Ok(result) => result,
            Err(_) => Err(io::Error::from(io::ErrorKind::TimedOut).into()),
        }
    }
}

/// Writes frames to one socket.
#[derive(Debug)]
pub struct FrameWriter {
    half: OwnedWriteHalf,
    buf: BytesMut,
    /// Where the bytes sent are added up, for the charts.
    sent: Option<Arc<AtomicU64>>,
}

impl FrameWriter {
    pub fn new(half: OwnedWriteHalf) -> Self {
        FrameWriter {
            half,
            buf: BytesMut::new(),
            sent: None,
        }
    }

    /// Adds every byte sent from now on to `sent`.
    pub fn counting(mut self, sent: Arc<AtomicU64>) -> Self {
        self.sent = Some(sent);
        self
    }

    fn count(&self, bytes: usize) {
        if let Some(sent) = &self.sent {
            sent.fetch_add(bytes as u64, Ordering::Relaxed);
        }
    }

    pub async fn send_frame(&mut self, frame: &Frame) -> io::Result<()> {
        self.send_frames(std::slice::from_ref(frame)).await
    }

    /// Sends frames as they are in one vectored write, without copying
    /// their payloads (a write chain forwards 64 KiB blocks this way).
    pub async fn send_frames(&mut self, frames: &[Frame]) -> io::Result<()> {
        let headers: Vec<[u8; HEADER_LEN]> = frames.iter().map(header).collect();
        let mut slices: Vec<IoSlice<'_>> = headers
            .iter()
            .zip(frames)
            .flat_map(|(head, frame)| [IoSlice::new(head), IoSlice::new(&frame.payload)])
            .collect();
        self.send_slices(&mut slices).await
    }

    /// Sends `slices` one after another, in as few vectored writes as the
    /// socket takes them in.
    pub async fn send_slices(&mut self, slices: &mut [IoSlice<'_>]) -> io::Result<()> {
        let mut rest = slices;
        while !rest.is_empty() {
            let written = self.half.write_vectored(rest).await?;
            if written == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            self.count(written);
            IoSlice::advance_slices(&mut rest, written);
        }
        Ok(())
    }

    pub async fn send<M: Message>(&mut self, message: &M) -> io::Result<()> {
        self.buf.clear();
        encode_frame(message, &mut self.buf);
        self.half.write_all(&self.buf).await?;
        self.count(self.buf.len());
        Ok(())
    }

    /// Sends frames already encoded with [`encode_frame`], all in one write.
    pub async fn send_encoded(&mut self, frames: &[u8]) -> io::Result<()> {
        self.half.write_all(frames).await?;
        self.count(frames.len());
        Ok(())
    }

    /// Closes our side of the connection.
    pub async fn shutdown(&mut self) {
        let _ = self.half.shutdown().await;
    }
}

/// The header of `frame` as it goes on the wire.
fn header(frame: &Frame) -> [u8; HEADER_LEN] {
    let mut head = [0u8; HEADER_LEN];
    head[..4].copy_from_slice(&frame.kind.to_be_bytes());
    // Payloads are bounded far below 4 GiB by every channel's limit.
    head[4..].copy_from_slice(&(frame.payload.len() as u32).to_be_bytes());
    head
}

/// Appends `message` to `out` as a whole frame, header included, so
/// several frames can leave in one write.
pub fn encode_frame<M: Message>(message: &M, out: &mut BytesMut) {
    let start = out.len();
    out.put_u32(M::CODE);
    out.put_u32(0);
    message.encode(out);
    // Payloads are bounded far below 4 GiB by every channel's limit.
    let len = (out.len() - start - HEADER_LEN) as u32;
    out[start + 4..start + HEADER_LEN].copy_from_slice(&len.to_be_bytes());
}

/// Connects with a deadline and no Nagle delay, and splits the stream.
pub async fn connect(
    addr: SocketAddr,
    limit: Duration,
    max_payload: u32,
) -> io::Result<(FrameReader, FrameWriter)> {
    let stream = tokio::time::timeout(limit, TcpStream::connect(addr))
        .await
        .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??;
    Ok(split(stream, max_payload))
}

/// Splits an accepted or connected stream into framed halves.
pub fn split(stream: TcpStream, max_payload: u32) -> (FrameReader, FrameWriter) {
    let _ = stream.set_nodelay(true);
    let (read, write) = stream.into_split();
    (FrameReader::new(read, max_payload), FrameWriter::new(write))
}
