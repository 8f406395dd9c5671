//! The many shapes of `CSTOMA_REGISTER`.
//!
//! Chunkservers before 1.5 sent no version byte at all; the master spots
//! them by an even payload length, since every later form starts with an
//! `rver:8` that makes the length odd. Versions 5 and 6 split registration
//! into BEGIN, any number of CHUNKS packets and END, and version 6 adds a
//! graceful DISCONNECT. A 3.0.117 chunkserver sends the version-6 forms, or
//! the version-5 BEGIN when it does not yet know the master's version.

use std::net::Ipv4Addr;

use bytes::BytesMut;

use crate::codec::{malformed, Ctx, Parsed, Rest, Wire};
use crate::cstoma::space::DiskUsage;
use crate::records;
use crate::version::Version;

records! {
    /// `chunkid:64 version:32`
    ChunkVersion { chunkid: u64, version: u32 }

    /// `myip:32 myport:16 usedspace:64 totalspace:64 N*[ chunkid:64 version:32 ]`
    RegisterV0 {
        ip: Ipv4Addr,
        port: u16,
        used: u64,
        total: u64,
        chunks: Rest<ChunkVersion>,
    }

    /// `myip:32 myport:16 usedspace:64 totalspace:64 tdusedspace:64
    /// tdtotalspace:64 N*[ chunkid:64 version:32 ]` — the header also lists a
    /// `tdchunks:32`, but the master reads `39+N*12` bytes without it.
    RegisterV1 {
        ip: Ipv4Addr,
        port: u16,
        used: u64,
        total: u64,
        todel_used: u64,
        todel_total: u64,
        chunks: Rest<ChunkVersion>,
    }

    /// `myip:32 myport:16 usedspace:64 totalspace:64 chunks:32 tdusedspace:64
    /// tdtotalspace:64 tdchunks:32 N*[ chunkid:64 version:32 ]`
    RegisterV2 {
        ip: Ipv4Addr,
        port: u16,
        usage: DiskUsage,
        chunks: Rest<ChunkVersion>,
    }

    /// `myip:32 myport:16 tcptimeout:16 usedspace:64 totalspace:64 chunks:32
    /// tdusedspace:64 tdtotalspace:64 tdchunks:32 N*[ chunkid:64 version:32 ]`
    RegisterV3 {
        ip: Ipv4Addr,
        port: u16,
        timeout: u16,
        usage: DiskUsage,
        chunks: Rest<ChunkVersion>,
    }

    /// `version:32 myip:32 myport:16 tcptimeout:16 usedspace:64 ... tdchunks:32
    /// N*[ chunkid:64 version:32 ]`
    RegisterV4 {
        version: Version,
        ip: Ipv4Addr,
        port: u16,
        timeout: u16,
        usage: DiskUsage,
        chunks: Rest<ChunkVersion>,
    }

    /// `version:32 myip:32 myport:16 tcptimeout:16`
    RegisterBegin5 {
        version: Version,
        ip: Ipv4Addr,
        port: u16,
        timeout: u16,
    }

    /// `version:32 myip:32 myport:16 tcptimeout:16 csid:16 usedspace:64 ...
    /// tdchunks:32` (after the optional passcode)
    RegisterBegin6 {
        version: Version,
        ip: Ipv4Addr,
        port: u16,
        /// Zero asks the master to use its own default.
        timeout: u16,
        /// The id the master gave this chunkserver last time, or zero.
        csid: u16,
        usage: DiskUsage,
    }
}

/// Payload bytes of a version-6 BEGIN after `rver`, with and without the
/// 16-byte passcode; the master tells them apart by exactly these lengths.
const BEGIN6_LEN: usize = 54;
const BEGIN6_WITH_PASSCODE_LEN: usize = BEGIN6_LEN + 16;

/// One `CSTOMA_REGISTER` packet, by its `rver`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum RegisterForm {
    /// No `rver` (even payload length): chunkservers before 1.5.
    V0(RegisterV0),
    /// `rver` 1.
    V1(RegisterV1),
    /// `rver` 2.
    V2(RegisterV2),
    /// `rver` 3.
    V3(RegisterV3),
    /// `rver` 4: the last single-packet form.
    V4(RegisterV4),
    /// `rver` 50: version 5 BEGIN.
    Begin5(RegisterBegin5),
    /// `rver` 51: version 5 CHUNKS.
    Chunks5(Rest<ChunkVersion>),
    /// `rver` 52: version 5 END, with the space figures.
    End5(DiskUsage),
    /// `rver` 60: version 6 BEGIN. The passcode is
    /// `md5(rnd[0..16] ++ AUTH_CODE ++ rnd[16..32])` over the master's
    /// challenge, present only when answering one.
    Begin6 {
        passcode: Option<[u8; 16]>,
        info: RegisterBegin6,
    },
    /// `rver` 61: version 6 CHUNKS.
    Chunks6(Rest<ChunkVersion>),
    /// `rver` 62: version 6 END.
    End6,
    /// `rver` 63: the chunkserver is shutting down on purpose; the master
    /// puts it in temporary maintenance instead of replicating its chunks.
    Disconnect,
}

impl RegisterForm {
    /// The `rver` byte, or `None` for the version-0 form that has none.
    pub fn rver(&self) -> Option<u8> {
        Some(match self {
            RegisterForm::V0(_) => return None,
            RegisterForm::V1(_) => 1,
            RegisterForm::V2(_) => 2,
            RegisterForm::V3(_) => 3,
            RegisterForm::V4(_) => 4,
            RegisterForm::Begin5(_) => 50,
            RegisterForm::Chunks5(_) => 51,
            RegisterForm::End5(_) => 52,
            RegisterForm::Begin6 { .. } => 60,
            RegisterForm::Chunks6(_) => 61,
            RegisterForm::End6 => 62,
            RegisterForm::Disconnect => 63,
        })
    }
}

fn wrap<'a, T, U>(parsed: Parsed<'a, T>, variant: impl FnOnce(T) -> U) -> Parsed<'a, U> {
    parsed.map(|(rest, value)| (rest, variant(value)))
}

impl Wire for RegisterForm {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        if input.len() & 1 == 0 {
            return wrap(RegisterV0::decode(input, ctx), RegisterForm::V0);
        }
        let (body, rver) = u8::decode(input, ctx)?;
        match rver {
            1 => wrap(RegisterV1::decode(body, ctx), RegisterForm::V1),
            2 => wrap(RegisterV2::decode(body, ctx), RegisterForm::V2),
            3 => wrap(RegisterV3::decode(body, ctx), RegisterForm::V3),
            4 => wrap(RegisterV4::decode(body, ctx), RegisterForm::V4),
            50 => wrap(RegisterBegin5::decode(body, ctx), RegisterForm::Begin5),
            51 => wrap(Rest::decode(body, ctx), RegisterForm::Chunks5),
            52 => wrap(DiskUsage::decode(body, ctx), RegisterForm::End5),
            60 => {
                let (body, passcode) = match body.len() {
                    BEGIN6_LEN => (body, None),
                    BEGIN6_WITH_PASSCODE_LEN => {
                        let (body, code) = <[u8; 16]>::decode(body, ctx)?;
                        (body, Some(code))
                    }
                    _ => return Err(malformed(body)),
                };
                wrap(RegisterBegin6::decode(body, ctx), |info| {
                    RegisterForm::Begin6 { passcode, info }
                })
            }
            61 => wrap(Rest::decode(body, ctx), RegisterForm::Chunks6),
            62 => Ok((body, RegisterForm::End6)),
            63 => Ok((body, RegisterForm::Disconnect)),
            _ => Err(malformed(input)),
        }
    }

    fn encode(&self, out: &mut BytesMut) {
        if let Some(rver) = self.rver() {
            rver.encode(out);
        }
        match self {
            RegisterForm::V0(form) => form.encode(out),
            RegisterForm::V1(form) => form.encode(out),
            RegisterForm::V2(form) => form.encode(out),
            RegisterForm::V3(form) => form.encode(out),
            RegisterForm::V4(form) => form.encode(out),
            RegisterForm::Begin5(form) => form.encode(out),
            RegisterForm::Chunks5(chunks) | RegisterForm::Chunks6(chunks) => chunks.encode(out),
            RegisterForm::End5(usage) => usage.encode(out),
            RegisterForm::Begin6 { passcode, info } => {
                passcode.encode(out);
                info.encode(out);
            }
            RegisterForm::End6 | RegisterForm::Disconnect => {}
        }
    }
}
