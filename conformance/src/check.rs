//! The conformance check proper: a captured payload must decode and must
//! re-encode to exactly the bytes MooseFS sent.

use bytes::BytesMut;
use mooseng_wire::{Ctx, DecodeError, Direction};

/// How one frame fared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Decoded, and re-encoded to the same bytes.
    Identical,
    /// Decoded, but re-encoding gave other bytes.
    Different(Mismatch),
    /// Did not decode; includes types the direction does not know.
    Undecodable(DecodeError),
}

impl Verdict {
    pub fn decoded(&self) -> bool {
        !matches!(self, Verdict::Undecodable(_))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mismatch {
    /// First byte where the re-encoded payload differs (or ends).
    pub at: usize,
    pub reencoded_len: usize,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Verdict::Identical => f.write_str("re-encoded identically"),
            Verdict::Different(m) => write!(
                f,
                "re-encoded payload differs from byte {} on ({} bytes re-encoded)",
                m.at, m.reencoded_len
            ),
            Verdict::Undecodable(e) => write!(f, "{e}"),
        }
    }
}

/// Decodes `payload` as message `code` of `direction` with the default
/// context (peer version 3.0.117) and re-encodes it.
pub fn check(direction: Direction, code: u32, payload: &[u8]) -> Verdict {
    let message = match direction.decode(code, payload, Ctx::default()) {
        Ok(message) => message,
        Err(e) => return Verdict::Undecodable(e),
    };
    let mut out = BytesMut::with_capacity(payload.len());
    message.encode_payload(&mut out);
    if out[..] == *payload {
        return Verdict::Identical;
    }
    let at = out
        .iter()
        .zip(payload)
        .position(|(a, b)| a != b)
        .unwrap_or(out.len().min(payload.len()));
    Verdict::Different(Mismatch {
        at,
        reencoded_len: out.len(),
    })
}
