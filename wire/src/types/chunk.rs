//! Where a chunk lives: the chunkserver lists the master hands to clients.
//!
//! Three record shapes exist, told apart by a `protocolid:8` in front of
//! the chunk header (absent for the oldest shape): `ip:32 port:16`,
//! `ip:32 port:16 cs_ver:32` (protocolid 1) and `ip:32 port:16 cs_ver:32
//! labelmask:32` (protocolid 2, what 3.0.117 sends to 3.0.117 clients).

use std::net::Ipv4Addr;

use bytes::BytesMut;

use crate::codec::{malformed, Ctx, Parsed, Rest, Wire};
use crate::records;

records! {
    /// `ip:32 port:16` — chunkserver address, protocol 0.
    Server { ip: Ipv4Addr, port: u16 }

    /// `ip:32 port:16 cs_ver:32` — protocol 1.
    VersionedServer { ip: Ipv4Addr, port: u16, version: u32 }

    /// `ip:32 port:16 cs_ver:32 labelmask:32` — protocol 2.
    LabeledServer { ip: Ipv4Addr, port: u16, version: u32, labelmask: u32 }
}

/// A chunkserver list in one of the three record shapes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum Servers {
    V0(Vec<Server>),
    V1(Vec<VersionedServer>),
    V2(Vec<LabeledServer>),
}

impl Servers {
    /// The `protocolid` announcing this shape; `None` for the unmarked one.
    pub fn protocol_id(&self) -> Option<u8> {
        match self {
            Servers::V0(_) => None,
            Servers::V1(_) => Some(1),
            Servers::V2(_) => Some(2),
        }
    }

    /// Reads records of the shape `protocol_id` names up to the end.
    pub fn decode_as(protocol_id: Option<u8>, input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        match protocol_id {
            None => Rest::decode(input, ctx).map(|(r, v)| (r, Servers::V0(v.0))),
            Some(1) => Rest::decode(input, ctx).map(|(r, v)| (r, Servers::V1(v.0))),
            Some(2) => Rest::decode(input, ctx).map(|(r, v)| (r, Servers::V2(v.0))),
            Some(_) => Err(malformed(input)),
        }
    }

    /// Writes the records, without the protocolid.
    pub fn encode_records(&self, out: &mut BytesMut) {
        match self {
            Servers::V0(list) => list.iter().for_each(|s| s.encode(out)),
            Servers::V1(list) => list.iter().for_each(|s| s.encode(out)),
            Servers::V2(list) => list.iter().for_each(|s| s.encode(out)),
        }
    }

    /// Address and port of every server, whatever the shape.
    pub fn addresses(&self) -> Vec<(Ipv4Addr, u16)> {
        match self {
            Servers::V0(list) => list.iter().map(|s| (s.ip, s.port)).collect(),
            Servers::V1(list) => list.iter().map(|s| (s.ip, s.port)).collect(),
            Servers::V2(list) => list.iter().map(|s| (s.ip, s.port)).collect(),
        }
    }
}

/// A chunk and its copies as READ_CHUNK and WRITE_CHUNK return them:
/// `[ protocolid:8 ] length:64 chunkid:64 version:32 N * [ server ]`.
///
/// `mfsmount` spots the protocolid by parity: the unmarked form is 20 + 6N
/// bytes (even), the marked ones 21 + 10N or 21 + 14N (odd).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct ChunkLocation {
    /// File length as the master knows it.
    pub file_length: u64,
    pub chunkid: u64,
    pub version: u32,
    pub servers: Servers,
}

impl Wire for ChunkLocation {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        let (input, protocol_id) = if input.len() % 2 == 1 {
            let (input, id) = u8::decode(input, ctx)?;
            (input, Some(id))
        } else {
            (input, None)
        };
        let (input, file_length) = u64::decode(input, ctx)?;
        let (input, chunkid) = u64::decode(input, ctx)?;
        let (input, version) = u32::decode(input, ctx)?;
        let (input, servers) = Servers::decode_as(protocol_id, input, ctx)?;
        Ok((
            input,
            ChunkLocation {
                file_length,
                chunkid,
                version,
                servers,
            },
        ))
    }

    fn encode(&self, out: &mut BytesMut) {
        self.servers.protocol_id().encode(out);
        self.file_length.encode(out);
        self.chunkid.encode(out);
        self.version.encode(out);
        self.servers.encode_records(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(location: &ChunkLocation) -> Vec<u8> {
        let mut out = BytesMut::new();
        location.encode(&mut out);
        out.to_vec()
    }

    #[test]
    fn parity_selects_the_record_shape() {
        let server = LabeledServer {
            ip: Ipv4Addr::new(10, 0, 0, 1),
            port: 9422,
            version: 0x0003_0075,
            labelmask: 1,
        };
        let marked = ChunkLocation {
            file_length: 5,
            chunkid: 6,
            version: 1,
            servers: Servers::V2(vec![server.clone(), server]),
        };
        let bytes = encode(&marked);
        assert_eq!(bytes.len(), 21 + 2 * 14);
        assert_eq!(bytes[0], 2);
        assert_eq!(
            ChunkLocation::decode(&bytes, Ctx::default()).unwrap().1,
            marked
        );

        let unmarked = ChunkLocation {
            servers: Servers::V0(vec![Server {
                ip: Ipv4Addr::new(10, 0, 0, 2),
                port: 9422,
            }]),
            ..marked
        };
        let bytes = encode(&unmarked);
        assert_eq!(bytes.len(), 26);
        assert_eq!(&bytes[..8], &5u64.to_be_bytes());
        assert_eq!(
            ChunkLocation::decode(&bytes, Ctx::default()).unwrap().1,
            unmarked
        );
    }

    #[test]
    fn unknown_protocol_ids_are_refused() {
        let mut bytes = vec![3];
        bytes.extend_from_slice(&[0; 20]);
        assert!(ChunkLocation::decode(&bytes, Ctx::default()).is_err());
    }
}
