//! `MATOCS_MASTER_ACK`: the master's answer to a registering chunkserver.
//!
//! A 3.0.117 chunkserver understands four `atype`s, and only at these
//! lengths (any other combination makes it drop the connection):
//!
//! * 0 — accepted. Bare (1 byte) after each CHUNKS packet asks for the next
//!   one; with the master's version (5 bytes) it answers a version-5 BEGIN;
//!   with timeout and csid (9 bytes) and the metadata id (17 bytes) it
//!   answers a version-6 BEGIN and lets the chunkserver check that it joined
//!   the right cluster.
//! * 1 — "I am not the leader" (5 bytes): a non-zero IP sends the
//!   chunkserver to that leader; zero means the follower does not know the
//!   leader, so the chunkserver forgets this address and reconnects.
//! * 2 — wait (7 or 15 bytes): the master knows the chunkserver but is not
//!   ready; the chunkserver stops sending chunks and waits.
//! * 3 — authentication challenge (33 bytes): 32 random bytes the
//!   chunkserver hashes with its `AUTH_CODE` into a new version-6 BEGIN.
//!
//! MooseNG's masters use atype 1 for leader redirects, so a stock
//! chunkserver follows a leader change without knowing about Raft.

use std::net::Ipv4Addr;

use bytes::BytesMut;

use crate::codec::{malformed, Ctx, Parsed, Wire};
use crate::records;
use crate::version::Version;

records! {
    /// `master_version:32 tcptimeout:16 csid:16`
    AckRegistered {
        master_version: Version,
        /// The connection timeout the master settled on, in seconds.
        timeout: u16,
        /// The id the master assigned to this chunkserver.
        csid: u16,
    }

    /// `master_version:32 tcptimeout:16`
    AckWait { master_version: Version, timeout: u16 }
}

/// One `MATOCS_MASTER_ACK`, by `atype` and length.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum AckKind {
    /// `0:8` — send the next CHUNKS packet.
    Continue,
    /// `0:8 master_version:32` — answer to a version-5 BEGIN.
    Version(Version),
    /// `0:8 master_version:32 tcptimeout:16 csid:16 [ metadataid:64 ]` —
    /// answer to a version-6 BEGIN; the metadata id is sent to chunkservers
    /// of version 2.0.33 and later.
    Registered {
        info: AckRegistered,
        metaid: Option<u64>,
    },
    /// `1:8 leaderip:32` with a non-zero IP — reconnect to the leader.
    Redirect(#[cfg_attr(test, proptest(strategy = "leader_ip()"))] Ipv4Addr),
    /// `1:8 0:32` — the leader is unknown; try another master.
    LeaderUnknown,
    /// `2:8 master_version:32 tcptimeout:16 [ metadataid:64 ]` — wait.
    Wait { info: AckWait, metaid: Option<u64> },
    /// `3:8 rnd:32B` — prove knowledge of the shared password.
    AuthChallenge([u8; 32]),
}

#[cfg(test)]
fn leader_ip() -> impl proptest::strategy::Strategy<Value = Ipv4Addr> {
    use proptest::prelude::*;
    (1u32..).prop_map(Ipv4Addr::from)
}

impl AckKind {
    pub fn atype(&self) -> u8 {
        match self {
            AckKind::Continue | AckKind::Version(_) | AckKind::Registered { .. } => 0,
            AckKind::Redirect(_) | AckKind::LeaderUnknown => 1,
            AckKind::Wait { .. } => 2,
            AckKind::AuthChallenge(_) => 3,
        }
    }
}

impl Wire for AckKind {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        let (body, atype) = u8::decode(input, ctx)?;
        match (atype, body.len()) {
            (0, 0) => Ok((body, AckKind::Continue)),
            (0, 4) => Version::decode(body, ctx).map(|(r, v)| (r, AckKind::Version(v))),
            (0, 8 | 16) => {
                let (rest, info) = AckRegistered::decode(body, ctx)?;
                let (rest, metaid) = Option::<u64>::decode(rest, ctx)?;
                Ok((rest, AckKind::Registered { info, metaid }))
            }
            (1, 4) => {
                let (rest, ip) = Ipv4Addr::decode(body, ctx)?;
                let kind = if ip.is_unspecified() {
                    AckKind::LeaderUnknown
                } else {
                    AckKind::Redirect(ip)
                };
                Ok((rest, kind))
            }
            (2, 6 | 14) => {
                let (rest, info) = AckWait::decode(body, ctx)?;
                let (rest, metaid) = Option::<u64>::decode(rest, ctx)?;
                Ok((rest, AckKind::Wait { info, metaid }))
            }
            (3, 32) => <[u8; 32]>::decode(body, ctx).map(|(r, v)| (r, AckKind::AuthChallenge(v))),
            _ => Err(malformed(input)),
        }
    }

    fn encode(&self, out: &mut BytesMut) {
        self.atype().encode(out);
        match self {
            AckKind::Continue => {}
            AckKind::LeaderUnknown => Ipv4Addr::UNSPECIFIED.encode(out),
            AckKind::Version(version) => version.encode(out),
            AckKind::Registered { info, metaid } => {
                info.encode(out);
                metaid.encode(out);
            }
            AckKind::Redirect(leader) => leader.encode(out),
            AckKind::Wait { info, metaid } => {
                info.encode(out);
                metaid.encode(out);
            }
            AckKind::AuthChallenge(random) => random.encode(out),
        }
    }
}
