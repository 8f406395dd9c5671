//! The little HTTP/1.x the endpoint needs: read one request head within a
//! size cap, parse its request line, write one answer and close.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

/// Bounds on what a peer can make the endpoint do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest request head (request line and headers) read; a longer one
    /// gets `431` and the connection is closed.
    pub max_head: usize,
    /// Deadline for one connection, from accept to the last byte written.
    pub timeout: Duration,
    /// Connections served at once; further ones are closed unanswered.
    pub max_connections: usize,
}

impl Default for Limits {
    /// 8 KiB heads, 5 seconds per connection, 16 connections: plenty for
    /// a Prometheus server and a few humans, little for anyone else.
    fn default() -> Self {
        Limits {
            max_head: 8 * 1024,
            timeout: Duration::from_secs(5),
            max_connections: 16,
        }
    }
}

/// The request line of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Request {
    pub method: String,
    pub target: String,
}

impl Request {
    /// The target without its query string.
    pub fn path(&self) -> &str {
        self.target
            .split_once('?')
            .map_or(self.target.as_str(), |(path, _)| path)
    }

    /// Parses `METHOD SP TARGET SP HTTP/1.x` from a request head.
    pub fn parse(head: &[u8]) -> Option<Request> {
        let line = head.split(|&b| b == b'\n').next()?;
        let line = std::str::from_utf8(line).ok()?.trim_end_matches('\r');
        let mut parts = line.split(' ');
        let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some()
            || method.is_empty()
            || !target.starts_with('/')
            || !version.starts_with("HTTP/1.")
        {
            return None;
        }
        Some(Request {
            method: method.to_owned(),
            target: target.to_owned(),
        })
    }
}

/// An answer, always sent with `Connection: close`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Response {
    pub status: u16,
    pub reason: &'static str,
    pub content_type: &'static str,
    /// Methods for the `Allow` header of a `405`.
    pub allow: Option<&'static str>,
    pub body: Vec<u8>,
}

impl Response {
    /// Status line, headers and body.
    pub fn encode(&self) -> Vec<u8> {
        let mut head = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n",
            self.status,
            self.reason,
            self.content_type,
            self.body.len()
        );
        if let Some(allow) = self.allow {
            head.push_str(&format!("Allow: {allow}\r\n"));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }

    /// A plain-text answer.
    pub fn text(status: u16, reason: &'static str, body: &str) -> Self {
        Response {
            status,
            reason,
            content_type: "text/plain; charset=utf-8",
            allow: None,
            body: body.as_bytes().to_vec(),
        }
    }

    /// Adds the `Allow` header of a `405`.
    pub fn allowing(mut self, methods: &'static str) -> Self {
        self.allow = Some(methods);
        self
    }
}

/// Bytes read from the socket at a time.
const READ_SIZE: usize = 1024;

/// What reading a request head gave.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Head {
    /// The bytes up to and including the blank line.
    Complete(Vec<u8>),
    /// `max` bytes came without a blank line.
    TooLarge,
    /// The peer closed the connection first.
    Closed,
}

/// Reads until the blank line that ends a request head, at most `max`
/// bytes. Bytes after the blank line (a body) are never looked at.
pub(crate) async fn read_head(
    stream: &mut (impl AsyncRead + Unpin),
    max: usize,
) -> std::io::Result<Head> {
    let mut head = Vec::with_capacity(max.min(READ_SIZE));
    let mut chunk = [0u8; READ_SIZE];
    loop {
        let room = max - head.len();
        if room == 0 {
            return Ok(Head::TooLarge);
        }
        let n = stream.read(&mut chunk[..room.min(READ_SIZE)]).await?;
        if n == 0 {
            return Ok(Head::Closed);
        }
        let scan_from = head.len().saturating_sub(3);
        head.extend_from_slice(&chunk[..n]);
        if let Some(end) = find_blank_line(&head[scan_from..]) {
            head.truncate(scan_from + end);
            return Ok(Head::Complete(head));
        }
    }
}

/// The end of the first `\r\n\r\n` (or bare `\n\n`) in `bytes`.
fn find_blank_line(bytes: &[u8]) -> Option<usize> {
    let crlf = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4);
    let lf = bytes.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_lines() {
        let request = Request::parse(b"GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
        assert_eq!(request.method, "GET");
        assert_eq!(request.path(), "/metrics");
        assert!(Request::parse(b"GET /metrics\r\n\r\n").is_none());
        assert!(Request::parse(b"GET metrics HTTP/1.1\r\n\r\n").is_none());
        assert!(Request::parse(b"GET / HTTP/2\r\n\r\n").is_none());
        assert!(Request::parse(b"GET  / HTTP/1.1\r\n\r\n").is_none());
    }

    #[tokio::test]
    async fn heads_end_at_the_blank_line_and_are_capped() {
        let mut input: &[u8] = b"GET / HTTP/1.0\r\n\r\nBODY";
        assert_eq!(
            read_head(&mut input, 100).await.unwrap(),
            Head::Complete(b"GET / HTTP/1.0\r\n\r\n".to_vec())
        );
        let mut input: &[u8] = b"GET / HTTP/1.0\r\nX: yyyyyyyyyyyyyyyy\r\n\r\n";
        assert_eq!(read_head(&mut input, 20).await.unwrap(), Head::TooLarge);
        let mut input: &[u8] = b"GET / HTTP/1.0\r\n";
        assert_eq!(read_head(&mut input, 100).await.unwrap(), Head::Closed);
    }

    #[test]
    fn answers_close_and_give_their_length() {
        let text =
            String::from_utf8(Response::text(404, "Not Found", "not found\n").encode()).unwrap();
        assert_eq!(
            text,
            "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\n\
             Content-Length: 10\r\nConnection: close\r\n\r\nnot found\n"
        );
    }
}
