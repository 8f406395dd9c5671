//! Record framing inside a log segment: `length:32 crc:32 payload`, both
//! integers little-endian, the CRC-32 (crc32fast) taken over the four
//! length bytes and the payload, so a damaged length is caught too.
//!
//! Telling a torn tail from damage: a crash can only leave the last
//! group-commit write incomplete, so damage is taken for a torn tail when
//! it lies within `tail_allowance` bytes of the end *and* no intact record
//! can be found after it by following the lengths. Anything else was
//! acknowledged before and is reported as corruption.

pub const RECORD_HEADER: usize = 8;
/// Longest payload accepted: far above any entry, small enough that a
/// garbage length cannot look plausible.
pub const MAX_RECORD: usize = 1 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a log record of {0} bytes exceeds the {MAX_RECORD}-byte limit")]
pub struct TooLarge(pub usize);

/// Appends one framed record to `out`.
pub fn push(out: &mut Vec<u8>, payload: &[u8]) -> Result<(), TooLarge> {
    if payload.len() > MAX_RECORD {
        return Err(TooLarge(payload.len()));
    }
    let length = (payload.len() as u32).to_le_bytes();
    let mut crc = crc32fast::Hasher::new();
    crc.update(&length);
    crc.update(payload);
    out.extend_from_slice(&length);
    out.extend_from_slice(&crc.finalize().to_le_bytes());
    out.extend_from_slice(payload);
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Damage {
    /// An incomplete last write: everything from `at` on is dropped.
    Torn { at: usize },
    /// Damage with acknowledged data after it.
    Corrupt { at: usize },
}

#[derive(Debug)]
pub struct Scan<'a> {
    /// Payloads of the intact records before any damage, in order.
    pub records: Vec<&'a [u8]>,
    /// Bytes up to the end of the last intact record.
    pub valid_len: usize,
    pub damage: Option<Damage>,
}

/// Splits `bytes` into records, stopping at the first damage.
pub fn scan(bytes: &[u8], tail_allowance: usize) -> Scan<'_> {
    let mut records = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let next = match parse(bytes, at) {
            Parsed::Record { payload, next } => {
                records.push(payload);
                at = next;
                continue;
            }
            Parsed::Short => None,
            Parsed::Bad { next } => next,
        };
        return Scan {
            records,
            valid_len: at,
            damage: Some(classify(bytes, at, next, tail_allowance)),
        };
    }
    Scan {
        records,
        valid_len: at,
        damage: None,
    }
}

fn classify(bytes: &[u8], at: usize, next: Option<usize>, tail_allowance: usize) -> Damage {
    let near_end = bytes.len() - at <= tail_allowance;
    if near_end && !next.is_some_and(|next| intact_record_from(bytes, next)) {
        Damage::Torn { at }
    } else {
        Damage::Corrupt { at }
    }
}

/// Whether following lengths from `at` reaches an intact record.
fn intact_record_from(bytes: &[u8], mut at: usize) -> bool {
    while at < bytes.len() {
        match parse(bytes, at) {
            Parsed::Record { .. } => return true,
            Parsed::Bad { next: Some(next) } => at = next,
            Parsed::Short | Parsed::Bad { next: None } => return false,
        }
    }
    false
}

enum Parsed<'a> {
    Record {
        payload: &'a [u8],
        next: usize,
    },
    /// The record runs past the end of the bytes.
    Short,
    /// A checksum mismatch (`next` is where its length says the following
    /// record starts) or an impossible length (`None`).
    Bad {
        next: Option<usize>,
    },
}

fn parse(bytes: &[u8], at: usize) -> Parsed<'_> {
    let Some(header) = bytes.get(at..at + RECORD_HEADER) else {
        return Parsed::Short;
    };
    let length = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
    let crc = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
    if length > MAX_RECORD {
        return Parsed::Bad { next: None };
    }
    let start = at + RECORD_HEADER;
    let Some(payload) = bytes.get(start..start + length) else {
        return Parsed::Short;
    };
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&header[..4]);
    hasher.update(payload);
    let next = start + length;
    if hasher.finalize() == crc {
        Parsed::Record { payload, next }
    } else {
        Parsed::Bad { next: Some(next) }
    }
}
