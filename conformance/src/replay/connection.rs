//! One replayed client connection: frames out, the awaited answer back.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use mooseng_wire::frame::{peek_header, HEADER_LEN};
use mooseng_wire::Direction;

/// `ANTOAN_NOP`: keep-alives either side may send at any time.
const NOP: u32 = 0;

#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    #[error("connecting to {0}: {1}")]
    Connect(SocketAddr, std::io::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("no answer of type {code} within {timeout:?}")]
    Timeout { code: u32, timeout: Duration },
    #[error("the server sent a malformed frame header")]
    BadHeader,
}

/// A frame as it came off the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub code: u32,
    pub payload: Vec<u8>,
}

#[derive(Debug)]
pub struct Connection {
    stream: TcpStream,
    last_sent: Instant,
    /// Frames that were neither NOPs nor the awaited answer.
    pub unawaited: usize,
}

impl Connection {
    pub fn open(target: SocketAddr, timeout: Duration) -> Result<Self, ConnectionError> {
        let stream = TcpStream::connect_timeout(&target, timeout)
            .map_err(|e| ConnectionError::Connect(target, e))?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            stream,
            last_sent: Instant::now(),
            unawaited: 0,
        })
    }

    pub fn send(&mut self, code: u32, payload: &[u8]) -> Result<(), ConnectionError> {
        let mut frame = BytesMut::with_capacity(HEADER_LEN + payload.len());
        mooseng_wire::Frame::new(code, payload.to_vec()).write_to(&mut frame);
        self.stream.write_all(&frame)?;
        self.last_sent = Instant::now();
        Ok(())
    }

    /// Sends a NOP if nothing was sent for `idle`: a master drops client
    /// connections that stay silent for several seconds, and a captured
    /// client sent NOPs to stay connected while the replay of other
    /// conversations keeps this one waiting.
    pub fn keep_alive(&mut self, idle: Duration) -> Result<(), ConnectionError> {
        if self.last_sent.elapsed() >= idle {
            self.send(NOP, &[])?;
        }
        Ok(())
    }

    /// Reads frames until one of type `code` arrives whose payload starts
    /// with `msgid` (when given). NOPs and other frames the server pushes
    /// meanwhile are passed over and counted.
    pub fn await_answer(
        &mut self,
        code: u32,
        msgid: Option<u32>,
        timeout: Duration,
    ) -> Result<Received, ConnectionError> {
        let deadline = Instant::now() + timeout;
        loop {
            let frame = self.receive(deadline, code, timeout)?;
            let msgid_matches =
                msgid.is_none_or(|id| frame.payload.get(..4) == Some(&id.to_be_bytes()[..]));
            if frame.code == code && msgid_matches {
                return Ok(frame);
            }
            if frame.code != NOP {
                self.unawaited += 1;
            }
        }
    }

    fn receive(
        &mut self,
        deadline: Instant,
        code: u32,
        timeout: Duration,
    ) -> Result<Received, ConnectionError> {
        let mut header = [0u8; HEADER_LEN];
        self.read_exact_by(&mut header, deadline, code, timeout)?;
        let max = Direction::MasterToClient.max_payload();
        let (kind, len) = peek_header(&header, max)
            .ok()
            .flatten()
            .ok_or(ConnectionError::BadHeader)?;
        let mut payload = vec![0u8; len as usize];
        self.read_exact_by(&mut payload, deadline, code, timeout)?;
        Ok(Received {
            code: kind,
            payload,
        })
    }

    fn read_exact_by(
        &mut self,
        buf: &mut [u8],
        deadline: Instant,
        code: u32,
        timeout: Duration,
    ) -> Result<(), ConnectionError> {
        let mut filled = 0;
        while filled < buf.len() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(ConnectionError::Timeout { code, timeout });
            }
            self.stream.set_read_timeout(Some(left))?;
            match self.stream.read(&mut buf[filled..]) {
                Ok(0) => return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof).into()),
                Ok(n) => filled += n,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return Err(ConnectionError::Timeout { code, timeout })
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}
