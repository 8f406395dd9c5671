//! Where a `MATOCS_REPLICATE` takes its data from: one chunkserver holding
//! a copy, or several holding parts to be XOR-ed together. The chunkserver
//! tells them apart by length (18 bytes in all for the simple form), and so
//! do we.

use std::net::Ipv4Addr;

use bytes::BytesMut;

use crate::codec::{Ctx, Parsed, Rest, Wire};
use crate::records;

records! {
    /// `ip:32 port:16`
    SimpleSource { ip: Ipv4Addr, port: u16 }

    /// `srcchunkid:64 srcversion:32 ip:32 port:16`
    XorSource { chunkid: u64, version: u32, ip: Ipv4Addr, port: u16 }

    /// `xormask:4*32 N*[ srcchunkid:64 srcversion:32 ip:32 port:16 ]`
    XorReplication { masks: XorMasks, sources: Rest<XorSource> }
}

/// Four 32-bit masks saying which blocks each part contributes to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct XorMasks(pub [u32; 4]);

impl Wire for XorMasks {
    fn decode(mut input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        let mut masks = [0u32; 4];
        for mask in &mut masks {
            let (rest, value) = u32::decode(input, ctx)?;
            *mask = value;
            input = rest;
        }
        Ok((input, XorMasks(masks)))
    }

    fn encode(&self, out: &mut BytesMut) {
        for mask in self.0 {
            mask.encode(out);
        }
    }
}

/// The byte count of [`SimpleSource`], which decides the form.
const SIMPLE_LEN: usize = 6;

#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum ReplicateSource {
    /// Copy the chunk from the chunkserver at `ip:port`.
    Simple(SimpleSource),
    /// Rebuild the chunk from parts on several chunkservers.
    Xor(XorReplication),
}

impl Wire for ReplicateSource {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        if input.len() == SIMPLE_LEN {
            let (rest, source) = SimpleSource::decode(input, ctx)?;
            return Ok((rest, ReplicateSource::Simple(source)));
        }
        let (rest, xor) = XorReplication::decode(input, ctx)?;
        Ok((rest, ReplicateSource::Xor(xor)))
    }

    fn encode(&self, out: &mut BytesMut) {
        match self {
            ReplicateSource::Simple(source) => source.encode(out),
            ReplicateSource::Xor(xor) => xor.encode(out),
        }
    }
}
