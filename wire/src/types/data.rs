//! Checksummed data blocks: `size:32 crc:32 data:sizeB`.
//!
//! Chunk reads, chunk writes and metadata downloads all carry their bytes
//! this way. The size is implied by the data, so it is not stored twice; the
//! CRC is kept as sent, because checking it is the receiver's business (a
//! chunkserver answers a bad CRC with a status, the wire does not).

use bytes::{BufMut, Bytes, BytesMut};
use nom::bytes::complete::take;

use crate::codec::{Ctx, Parsed, Wire};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CrcData {
    /// CRC-32 of `data` as the sender computed it, unchecked.
    pub crc: u32,
    pub data: Bytes,
}

impl CrcData {
    pub fn new(crc: u32, data: impl Into<Bytes>) -> Self {
        CrcData {
            crc,
            data: data.into(),
        }
    }
}

impl Wire for CrcData {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        let (input, size) = u32::decode(input, ctx)?;
        let (input, crc) = u32::decode(input, ctx)?;
        let (rest, data) = take(size as usize)(input)?;
        Ok((rest, CrcData::new(crc, Bytes::copy_from_slice(data))))
    }

    fn encode(&self, out: &mut BytesMut) {
        // A payload is at most a few MB (MooseFS caps every packet far below
        // 4 GiB), so the length always fits the 32-bit size field.
        out.put_u32(self.data.len() as u32);
        out.put_u32(self.crc);
        out.put_slice(&self.data);
    }
}

#[cfg(test)]
mod arbitrary {
    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::CrcData;

    impl Arbitrary for CrcData {
        type Parameters = ();
        type Strategy = BoxedStrategy<Self>;
        fn arbitrary_with(_: ()) -> Self::Strategy {
            (any::<u32>(), vec(any::<u8>(), 0..=96))
                .prop_map(|(crc, data)| CrcData::new(crc, data))
                .boxed()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_comes_before_crc_and_counts_the_data() {
        let block = CrcData::new(0xAABB_CCDD, &b"xyz"[..]);
        let mut out = BytesMut::new();
        block.encode(&mut out);
        assert_eq!(&out[..], b"\0\0\0\x03\xAA\xBB\xCC\xDDxyz");
        let (rest, back) = CrcData::decode(&out, Ctx::default()).unwrap();
        assert!(rest.is_empty());
        assert_eq!(back, block);
    }

    #[test]
    fn a_size_beyond_the_payload_is_rejected() {
        let bytes = b"\0\0\0\x09\0\0\0\0abc";
        assert!(CrcData::decode(bytes, Ctx::default()).is_err());
    }
}
