//! The first 20 bytes of a chunk file.
//!
//! `signature:8B chunkid:64 version:32`, integers big-endian, the rest of
//! the header zero. The signature is `MFSC 1.0` or `MFSC 1.1`; see
//! [`Format`].

use super::name::ChunkName;

/// Bytes of the header that carry information.
pub const HEADER_USED: usize = 20;

/// File offset of the version field, rewritten on a version change.
pub const VERSION_OFFSET: u64 = 16;

/// The part of the signature both formats share.
const SIGNATURE_STEM: &[u8; 7] = b"MFSC 1.";

/// Chunk file format revision, the last signature byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `MFSC 1.0`: what MooseFS 3.0.117 writes. The CRC entries of blocks
    /// past the end may hold anything (MooseFS creates them as zero and
    /// later writes the empty-block CRC into some of them).
    V1_0,
    /// `MFSC 1.1`: accepted by MooseFS 3.0.117 but never written by it;
    /// promises that every CRC entry past the end is either zero or the
    /// CRC of an all-zero block, which checkers then enforce.
    V1_1,
}

impl Format {
    fn signature_byte(self) -> u8 {
        match self {
            Format::V1_0 => b'0',
            Format::V1_1 => b'1',
        }
    }
}

/// Decoded header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Format revision from the signature.
    pub format: Format,
    /// Chunk id and version recorded inside the file.
    pub name: ChunkName,
}

/// Why a header did not decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// Fewer than the 20 bytes a header uses.
    #[error("shorter than the {HEADER_USED}-byte header")]
    Short,
    /// The first 8 bytes are not a known signature.
    #[error("signature {0:02X?} is neither \"MFSC 1.0\" nor \"MFSC 1.1\"")]
    Signature([u8; 8]),
}

impl Header {
    /// Encodes the used part of the header.
    pub fn encode(&self) -> [u8; HEADER_USED] {
        let mut out = [0u8; HEADER_USED];
        out[..7].copy_from_slice(SIGNATURE_STEM);
        out[7] = self.format.signature_byte();
        out[8..16].copy_from_slice(&self.name.id.to_be_bytes());
        out[16..20].copy_from_slice(&self.name.version.to_be_bytes());
        out
    }

    /// Decodes the header from the start of a chunk file; like MooseFS,
    /// ignores everything after the first 20 bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, HeaderError> {
        let used: &[u8; HEADER_USED] = bytes
            .get(..HEADER_USED)
            .and_then(|b| b.try_into().ok())
            .ok_or(HeaderError::Short)?;
        let (signature, rest) = used.split_at(8);
        let format = match signature.split_at(7) {
            (stem, [b'0']) if stem == SIGNATURE_STEM => Format::V1_0,
            (stem, [b'1']) if stem == SIGNATURE_STEM => Format::V1_1,
            _ => {
                let mut bad = [0u8; 8];
                bad.copy_from_slice(signature);
                return Err(HeaderError::Signature(bad));
            }
        };
        let mut id = [0u8; 8];
        id.copy_from_slice(&rest[..8]);
        let mut version = [0u8; 4];
        version.copy_from_slice(&rest[8..]);
        Ok(Self {
            format,
            name: ChunkName {
                id: u64::from_be_bytes(id),
                version: u32::from_be_bytes(version),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_moosefs() {
        let header = Header {
            format: Format::V1_0,
            name: ChunkName::new(0x0102_0304_0506_0708, 0x0A0B_0C0D),
        };
        let bytes = header.encode();
        assert_eq!(&bytes[..8], b"MFSC 1.0");
        assert_eq!(&bytes[8..16], &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(&bytes[16..20], &[0x0A, 0x0B, 0x0C, 0x0D]);
        assert_eq!(VERSION_OFFSET, 16);
        assert_eq!(Header::decode(&bytes), Ok(header));
    }

    #[test]
    fn accepts_format_1_1() {
        let mut bytes = [0u8; 4096];
        bytes[..8].copy_from_slice(b"MFSC 1.1");
        bytes[15] = 9;
        bytes[19] = 2;
        let header = Header::decode(&bytes).unwrap();
        assert_eq!(header.format, Format::V1_1);
        assert_eq!(header.name, ChunkName::new(9, 2));
        assert_eq!(header.encode()[..], bytes[..HEADER_USED]);
    }

    #[test]
    fn rejects_other_signatures() {
        for signature in [b"MFSC 1.2", b"MFSC 2.0", b"LFSC 1.0", b"mfsc 1.0"] {
            let mut bytes = [0u8; HEADER_USED];
            bytes[..8].copy_from_slice(signature);
            assert_eq!(
                Header::decode(&bytes),
                Err(HeaderError::Signature(*signature))
            );
        }
        assert_eq!(Header::decode(&[0u8; 19]), Err(HeaderError::Short));
    }
}
