//! The name of a directory entry, as a directory's index keeps it.
//!
//! A `Box<[u8]>` key costs 16 bytes in the index plus a heap block of at
//! least 32 for the bytes. Most names are short, so a name of up to 14
//! bytes is kept inside the 16-byte key itself and only longer ones go to
//! the heap.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Longest name kept inline.
const INLINE_MAX: usize = 14;

#[derive(Clone)]
pub enum EntryName {
    Inline {
        len: u8,
        bytes: [u8; INLINE_MAX],
    },
    /// Boxed twice so that the key stays 16 bytes (a thin pointer).
    Long(Box<Box<[u8]>>),
}

impl From<&[u8]> for EntryName {
    fn from(name: &[u8]) -> Self {
        if name.len() <= INLINE_MAX {
            let mut bytes = [0; INLINE_MAX];
            bytes[..name.len()].copy_from_slice(name);
            EntryName::Inline {
                len: name.len() as u8,
                bytes,
            }
        } else {
            EntryName::Long(Box::new(name.into()))
        }
    }
}

impl Deref for EntryName {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            EntryName::Inline { len, bytes } => &bytes[..usize::from(*len)],
            EntryName::Long(name) => name,
        }
    }
}

impl Borrow<[u8]> for EntryName {
    fn borrow(&self) -> &[u8] {
        self
    }
}

impl PartialEq for EntryName {
    fn eq(&self, other: &Self) -> bool {
        self[..] == other[..]
    }
}

impl Eq for EntryName {}

impl PartialOrd for EntryName {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Byte order, the order of the `Box<[u8]>` keys it replaced.
impl Ord for EntryName {
    fn cmp(&self, other: &Self) -> Ordering {
        self[..].cmp(&other[..])
    }
}

impl Hash for EntryName {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self[..].hash(state);
    }
}

impl fmt::Debug for EntryName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self[..].fmt(f)
    }
}

/// Written as the byte list snapshots have always held.
impl Serialize for EntryName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self[..].serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for EntryName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Box::<[u8]>::deserialize(deserializer).map(|name| EntryName::from(&name[..]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_sixteen_bytes() {
        assert_eq!(std::mem::size_of::<EntryName>(), 16);
    }

    #[test]
    fn sorts_and_encodes_as_the_bytes() {
        let names: [&[u8]; 5] = [b"", b"a", b"abcdefghijklmn", b"abcdefghijklmno", b"b"];
        for a in names {
            let name = EntryName::from(a);
            assert_eq!(&name[..], a);
            let bytes = postcard::to_stdvec(&name).unwrap();
            assert_eq!(bytes, postcard::to_stdvec(&Box::<[u8]>::from(a)).unwrap());
            assert_eq!(postcard::from_bytes::<EntryName>(&bytes).unwrap(), name);
            for b in names {
                assert_eq!(name.cmp(&EntryName::from(b)), a.cmp(b));
            }
        }
    }
}
