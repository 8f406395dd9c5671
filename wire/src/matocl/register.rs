//! `MATOCL_FUSE_REGISTER`: the answer to every register request.
//!
//! There is no msgid and no discriminator; `mfsmount` 3.0.117 tells the
//! forms apart by payload length alone (`fs_connect`, `fs_reconnect` in
//! mastercomm.c), and so do we: 1 status, 4 leader redirect, 5 version and
//! status, 32 random bytes, 19/27 meta session, 35/43/45/49 session.

use std::net::Ipv4Addr;

use bytes::BytesMut;

use crate::codec::{malformed, Ctx, Parsed, Wire};
use crate::messages;
use crate::types::Status;
use crate::version::Version;

/// A granted file-system session, in the shape the client's version expects.
///
/// `version:32 sessionid:32 [ metaid:64 ] sesflags:8 [ umask:16 ] rootuid:32
/// rootgid:32 mapalluid:32 mapallgid:32 mingoal:8 maxgoal:8 mintrashtime:32
/// maxtrashtime:32 [ disables:32 ]`; `umask` needs `metaid` and `disables`
/// needs `umask` (use [`Session::for_client`] to get that right).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Session {
    /// The master's version.
    pub version: Version,
    pub sessionid: u32,
    /// Since 3.0.11.
    pub metaid: Option<u64>,
    /// `SESFLAG_*`
    pub sesflags: u8,
    /// Since 3.0.72.
    pub umask: Option<u16>,
    pub rootuid: u32,
    pub rootgid: u32,
    pub mapalluid: u32,
    pub mapallgid: u32,
    pub mingoal: u8,
    pub maxgoal: u8,
    pub mintrashtime: u32,
    pub maxtrashtime: u32,
    /// `DISABLE_*` bits, since 3.0.112.
    pub disables: Option<u32>,
}

impl Session {
    /// Drops the fields a client of `client` version does not expect, as
    /// the master does when it answers.
    pub fn for_client(mut self, client: Version) -> Self {
        if client < Version::new(3, 0, 11) {
            self.metaid = None;
        }
        if client < Version::new(3, 0, 72) {
            self.umask = None;
        }
        if client < Version::new(3, 0, 112) {
            self.disables = None;
        }
        self
    }

    fn encoded_len(&self) -> usize {
        35 + self.metaid.map_or(0, |_| 8)
            + self.umask.map_or(0, |_| 2)
            + self.disables.map_or(0, |_| 4)
    }
}

/// A granted meta session: `version:32 sessionid:32 [ metaid:64 ] sesflags:8
/// mingoal:8 maxgoal:8 mintrashtime:32 maxtrashtime:32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct MetaSession {
    pub version: Version,
    pub sessionid: u32,
    pub metaid: Option<u64>,
    pub sesflags: u8,
    pub mingoal: u8,
    pub maxgoal: u8,
    pub mintrashtime: u32,
    pub maxtrashtime: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum RegisterReply {
    /// `status:8` — refusal, or the outcome of RECONNECT, TOOLS and CLOSESESSION.
    Status(Status),
    /// `leaderip:32` — "not the leader, ask this one"; 0 means an election
    /// is in progress. Understood by `mfsmount` for NEWSESSION and RECONNECT.
    Redirect(Ipv4Addr),
    /// `version:32 status:8` — RECONNECT answer to clients >= 3.0.95.
    Reconnected {
        version: Version,
        status: Status,
    },
    /// `randomblob:32B` — answer to GETRANDOM.
    Random([u8; 32]),
    Session(Session),
    MetaSession(MetaSession),
}

impl RegisterReply {
    /// What a follower answers: the leader's address.
    pub fn redirect_to(leader: Ipv4Addr) -> Self {
        RegisterReply::Redirect(leader)
    }

    /// What a follower answers while no leader is known.
    pub fn election_in_progress() -> Self {
        RegisterReply::Redirect(Ipv4Addr::UNSPECIFIED)
    }

    /// The leader to reconnect to, if this is a redirect naming one.
    pub fn leader(&self) -> Option<Ipv4Addr> {
        match self {
            RegisterReply::Redirect(ip) if !ip.is_unspecified() => Some(*ip),
            _ => None,
        }
    }

    /// True for a redirect without a leader (0.0.0.0).
    pub fn is_election_in_progress(&self) -> bool {
        matches!(self, RegisterReply::Redirect(ip) if ip.is_unspecified())
    }

    /// The status the client sees: OK for any granted session or random
    /// blob, `None` for a redirect.
    pub fn status(&self) -> Option<Status> {
        match self {
            RegisterReply::Status(status) | RegisterReply::Reconnected { status, .. } => {
                Some(*status)
            }
            RegisterReply::Redirect(_) => None,
            _ => Some(Status::OK),
        }
    }
}

fn decode_session(input: &[u8], ctx: Ctx) -> Parsed<'_, Session> {
    let len = input.len();
    let (input, version) = Version::decode(input, ctx)?;
    let (input, sessionid) = u32::decode(input, ctx)?;
    let (input, metaid) = if len >= 43 {
        let (input, metaid) = u64::decode(input, ctx)?;
        (input, Some(metaid))
    } else {
        (input, None)
    };
    let (input, sesflags) = u8::decode(input, ctx)?;
    let (input, umask) = if len >= 45 {
        let (input, umask) = u16::decode(input, ctx)?;
        (input, Some(umask))
    } else {
        (input, None)
    };
    let (input, [rootuid, rootgid, mapalluid, mapallgid]) = <[u32; 4]>::decode(input, ctx)?;
    let (input, mingoal) = u8::decode(input, ctx)?;
    let (input, maxgoal) = u8::decode(input, ctx)?;
    let (input, mintrashtime) = u32::decode(input, ctx)?;
    let (input, maxtrashtime) = u32::decode(input, ctx)?;
    let (input, disables) = Option::<u32>::decode(input, ctx)?;
    let session = Session {
        version,
        sessionid,
        metaid,
        sesflags,
        umask,
        rootuid,
        rootgid,
        mapalluid,
        mapallgid,
        mingoal,
        maxgoal,
        mintrashtime,
        maxtrashtime,
        disables,
    };
    Ok((input, session))
}

fn decode_meta_session(input: &[u8], ctx: Ctx) -> Parsed<'_, MetaSession> {
    let len = input.len();
    let (input, version) = Version::decode(input, ctx)?;
    let (input, sessionid) = u32::decode(input, ctx)?;
    let (input, metaid) = if len == 27 {
        let (input, metaid) = u64::decode(input, ctx)?;
        (input, Some(metaid))
    } else {
        (input, None)
    };
    let (input, sesflags) = u8::decode(input, ctx)?;
    let (input, mingoal) = u8::decode(input, ctx)?;
    let (input, maxgoal) = u8::decode(input, ctx)?;
    let (input, mintrashtime) = u32::decode(input, ctx)?;
    let (input, maxtrashtime) = u32::decode(input, ctx)?;
    let session = MetaSession {
        version,
        sessionid,
        metaid,
        sesflags,
        mingoal,
        maxgoal,
        mintrashtime,
        maxtrashtime,
    };
    Ok((input, session))
}

impl Wire for RegisterReply {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        match input.len() {
            1 => Status::decode(input, ctx).map(|(r, s)| (r, RegisterReply::Status(s))),
            4 => Ipv4Addr::decode(input, ctx).map(|(r, ip)| (r, RegisterReply::Redirect(ip))),
            5 => {
                let (input, version) = Version::decode(input, ctx)?;
                let (input, status) = Status::decode(input, ctx)?;
                Ok((input, RegisterReply::Reconnected { version, status }))
            }
            32 => <[u8; 32]>::decode(input, ctx).map(|(r, b)| (r, RegisterReply::Random(b))),
            19 | 27 => {
                decode_meta_session(input, ctx).map(|(r, s)| (r, RegisterReply::MetaSession(s)))
            }
            35 | 43 | 45 | 49 => {
                decode_session(input, ctx).map(|(r, s)| (r, RegisterReply::Session(s)))
            }
            _ => Err(malformed(input)),
        }
    }

    fn encode(&self, out: &mut BytesMut) {
        match self {
            RegisterReply::Status(status) => status.encode(out),
            RegisterReply::Redirect(ip) => ip.encode(out),
            RegisterReply::Reconnected { version, status } => {
                version.encode(out);
                status.encode(out);
            }
            RegisterReply::Random(bytes) => bytes.encode(out),
            RegisterReply::Session(s) => {
                out.reserve(s.encoded_len());
                s.version.encode(out);
                s.sessionid.encode(out);
                s.metaid.encode(out);
                s.sesflags.encode(out);
                s.umask.encode(out);
                for id in [s.rootuid, s.rootgid, s.mapalluid, s.mapallgid] {
                    id.encode(out);
                }
                s.mingoal.encode(out);
                s.maxgoal.encode(out);
                s.mintrashtime.encode(out);
                s.maxtrashtime.encode(out);
                s.disables.encode(out);
            }
            RegisterReply::MetaSession(s) => {
                s.version.encode(out);
                s.sessionid.encode(out);
                s.metaid.encode(out);
                s.sesflags.encode(out);
                s.mingoal.encode(out);
                s.maxgoal.encode(out);
                s.mintrashtime.encode(out);
                s.maxtrashtime.encode(out);
            }
        }
    }
}

#[cfg(test)]
mod arbitrary {
    use super::*;
    use proptest::prelude::*;

    impl Arbitrary for Session {
        type Parameters = ();
        type Strategy = BoxedStrategy<Self>;
        fn arbitrary_with(_: ()) -> Self::Strategy {
            (
                any::<(Version, u32, u64, u8, u16, u32)>(),
                any::<[u32; 4]>(),
                any::<(u8, u8, u32, u32)>(),
                0u8..4,
            )
                .prop_map(|(head, ids, goals, level)| {
                    let (version, sessionid, metaid, sesflags, umask, disables) = head;
                    let (mingoal, maxgoal, mintrashtime, maxtrashtime) = goals;
                    Session {
                        version,
                        sessionid,
                        metaid: (level >= 1).then_some(metaid),
                        sesflags,
                        umask: (level >= 2).then_some(umask),
                        rootuid: ids[0],
                        rootgid: ids[1],
                        mapalluid: ids[2],
                        mapallgid: ids[3],
                        mingoal,
                        maxgoal,
                        mintrashtime,
                        maxtrashtime,
                        disables: (level >= 3).then_some(disables),
                    }
                })
                .boxed()
        }
    }
}

messages! {
    /// `status:8`
    /// `leaderip:32` (MooseNG follower: ask the leader; 0 = election in progress)
    /// `version:32 status:8` (REGISTER_RECONNECT, client >= 3.0.95)
    /// `randomblob:32B` (REGISTER_GETRANDOM)
    /// `version:32 sessionid:32 sesflags:8 rootuid:32 rootgid:32 mapalluid:32 mapallgid:32 mingoal:8 maxgoal:8 mintrashtime:32 maxtrashtime:32` (REGISTER_NEWSESSION, client < 3.0.11)
    /// `version:32 sessionid:32 metaid:64 sesflags:8 rootuid:32 rootgid:32 mapalluid:32 mapallgid:32 mingoal:8 maxgoal:8 mintrashtime:32 maxtrashtime:32` (client >= 3.0.11)
    /// `version:32 sessionid:32 metaid:64 sesflags:8 umask:16 rootuid:32 rootgid:32 mapalluid:32 mapallgid:32 mingoal:8 maxgoal:8 mintrashtime:32 maxtrashtime:32` (client >= 3.0.72)
    /// `version:32 sessionid:32 metaid:64 sesflags:8 umask:16 rootuid:32 rootgid:32 mapalluid:32 mapallgid:32 mingoal:8 maxgoal:8 mintrashtime:32 maxtrashtime:32 disables:32` (client >= 3.0.112)
    /// `version:32 sessionid:32 [ metaid:64 ] sesflags:8 mingoal:8 maxgoal:8 mintrashtime:32 maxtrashtime:32` (REGISTER_NEWMETASESSION; metaid for client >= 3.0.11)
    FuseRegisterReply = 401 MATOCL_FUSE_REGISTER { reply: RegisterReply }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{decode_payload, Message};

    #[test]
    fn four_bytes_are_a_leader_redirect() {
        let ip = Ipv4Addr::new(192, 168, 1, 2);
        let reply: FuseRegisterReply = decode_payload(&ip.octets(), Ctx::default()).unwrap();
        assert_eq!(reply.reply.leader(), Some(ip));
        let election = FuseRegisterReply {
            reply: RegisterReply::election_in_progress(),
        };
        assert_eq!(&election.to_frame().payload[..], &[0, 0, 0, 0]);
        assert!(election.reply.is_election_in_progress());
        assert_eq!(election.reply.leader(), None);
        assert_eq!(RegisterReply::redirect_to(ip).leader(), Some(ip));
    }

    #[test]
    fn session_shape_follows_the_client_version() {
        let full = Session {
            metaid: Some(1),
            umask: Some(0o022),
            disables: Some(0),
            ..Session::default()
        };
        for (client, len) in [
            ((3, 0, 117), 49),
            ((3, 0, 100), 45),
            ((3, 0, 50), 43),
            ((3, 0, 5), 35),
        ] {
            let client = Version::new(client.0, client.1, client.2);
            let reply = FuseRegisterReply {
                reply: RegisterReply::Session(full.for_client(client)),
            };
            let payload = reply.to_frame().payload;
            assert_eq!(payload.len(), len, "client {client}");
            assert_eq!(
                decode_payload::<FuseRegisterReply>(&payload, Ctx::default()).unwrap(),
                reply
            );
        }
    }

    #[test]
    fn short_forms_are_status_and_reconnect() {
        let status: FuseRegisterReply = decode_payload(&[15], Ctx::default()).unwrap();
        assert_eq!(status.reply.status(), Some(Status::REGISTER));
        let reconnect: FuseRegisterReply =
            decode_payload(&[0, 3, 0, 0xea, 0], Ctx::default()).unwrap();
        assert_eq!(
            reconnect.reply,
            RegisterReply::Reconnected {
                version: Version::MOOSEFS_3_0_117,
                status: Status::OK
            }
        );
        assert!(decode_payload::<FuseRegisterReply>(&[0; 7], Ctx::default()).is_err());
        assert_eq!(FuseRegisterReply::NAME, "MATOCL_FUSE_REGISTER");
    }
}
