//! The session and export tables of `MATOCL_SESSION_LIST` and
//! `MATOCL_EXPORTS_INFO`, whose records grow with the request's `vmode`.
//!
//! The bytes alone cannot tell the modes apart, so a table is decoded for the
//! mode mfscli 3.0.117 asks a 3.0.117 master for (sessions: 4, exports: 3);
//! [`SessionTable::parse`] and [`ExportsTable::parse`] read any other mode.

use std::net::Ipv4Addr;

use bytes::BytesMut;

use crate::codec::{Bytes32, Ctx, Parsed, Wire};
use crate::records;
use crate::variants::{optional, words};
use crate::version::Version;

/// The session vmode mfscli 3.0.117 sends to masters with export "disables".
pub const SESSION_VMODE_CURRENT: u8 = 4;
/// The exports vmode mfscli 3.0.117 sends to masters with export "disables".
pub const EXPORTS_VMODE_CURRENT: u8 = 3;

records! {
    /// `openfiles:32 nsocks:8 expire:32` — sessions at vmode >= 2; `expire`
    /// is 0xFFFFFFFF while the session has a connection.
    SessionConnection { openfiles: u32, nsocks: u8, expire: u32 }

    /// `mingoal:8 maxgoal:8 mintrashtime:32 maxtrashtime:32` — vmode >= 1.
    ExportLimits { mingoal: u8, maxgoal: u8, mintrashtime: u32, maxtrashtime: u32 }
}

/// One session: `sessionid:32 ip:32 version:32 [ openfiles:32 nsocks:8
/// expire:32 ] ileng:32 info:ilengB pleng:32 path:plengB sesflags:8
/// [ umask:16 ] rootuid:32 rootgid:32 mapalluid:32 mapallgid:32 [ mingoal:8
/// maxgoal:8 mintrashtime:32 maxtrashtime:32 ] [ disables:32 ] stats *
/// [ current_statdata:32 ] stats * [ last_statdata:32 ]`; the bracketed
/// groups exist from vmode 2, 3, 1 and 4 on, respectively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub sessionid: u32,
    pub ip: Ipv4Addr,
    pub version: Version,
    pub connection: Option<SessionConnection>,
    pub info: Bytes32,
    /// The exported path, or `.` for a meta session.
    pub path: Bytes32,
    pub sesflags: u8,
    pub umask: Option<u16>,
    pub rootuid: u32,
    pub rootgid: u32,
    pub mapalluid: u32,
    pub mapallgid: u32,
    pub limits: Option<ExportLimits>,
    pub disables: Option<u32>,
    /// Operation counters of the current hour, `stats` of them.
    pub current_stats: Vec<u32>,
    /// Operation counters of the last full hour, `stats` of them.
    pub last_hour_stats: Vec<u32>,
}

impl Session {
    fn parse(input: &[u8], vmode: u8, stats: usize, ctx: Ctx) -> Parsed<'_, Self> {
        let (input, sessionid) = u32::decode(input, ctx)?;
        let (input, ip) = Ipv4Addr::decode(input, ctx)?;
        let (input, version) = Version::decode(input, ctx)?;
        let (input, connection) = optional(vmode >= 2, input, ctx)?;
        let (input, info) = Bytes32::decode(input, ctx)?;
        let (input, path) = Bytes32::decode(input, ctx)?;
        let (input, sesflags) = u8::decode(input, ctx)?;
        let (input, umask) = optional(vmode >= 3, input, ctx)?;
        let (input, rootuid) = u32::decode(input, ctx)?;
        let (input, rootgid) = u32::decode(input, ctx)?;
        let (input, mapalluid) = u32::decode(input, ctx)?;
        let (input, mapallgid) = u32::decode(input, ctx)?;
        let (input, limits) = optional(vmode >= 1, input, ctx)?;
        let (input, disables) = optional(vmode >= 4, input, ctx)?;
        let (input, current_stats) = words(input, stats, ctx)?;
        let (input, last_hour_stats) = words(input, stats, ctx)?;
        let session = Session {
            sessionid,
            ip,
            version,
            connection,
            info,
            path,
            sesflags,
            umask,
            rootuid,
            rootgid,
            mapalluid,
            mapallgid,
            limits,
            disables,
            current_stats,
            last_hour_stats,
        };
        Ok((input, session))
    }

    fn encode(&self, out: &mut BytesMut) {
        self.sessionid.encode(out);
        self.ip.encode(out);
        self.version.encode(out);
        self.connection.encode(out);
        self.info.encode(out);
        self.path.encode(out);
        self.sesflags.encode(out);
        self.umask.encode(out);
        self.rootuid.encode(out);
        self.rootgid.encode(out);
        self.mapalluid.encode(out);
        self.mapallgid.encode(out);
        self.limits.encode(out);
        self.disables.encode(out);
        for word in self.current_stats.iter().chain(&self.last_hour_stats) {
            word.encode(out);
        }
    }
}

/// `stats:16 N*[ session ]` — the body of `MATOCL_SESSION_LIST` (3.0.117
/// always sends the `stats` count, whatever the vmode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionTable {
    /// How many counters each session carries per period (16 in 3.0.117).
    pub stats: u16,
    pub sessions: Vec<Session>,
}

impl SessionTable {
    /// Reads the table of an answer to a request with `vmode` (absent = 0).
    pub fn parse(input: &[u8], vmode: u8, ctx: Ctx) -> Parsed<'_, Self> {
        let (mut input, stats) = u16::decode(input, ctx)?;
        let mut sessions = Vec::new();
        while !input.is_empty() {
            let (rest, session) = Session::parse(input, vmode, stats.into(), ctx)?;
            sessions.push(session);
            input = rest;
        }
        Ok((input, SessionTable { stats, sessions }))
    }
}

impl Wire for SessionTable {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        SessionTable::parse(input, SESSION_VMODE_CURRENT, ctx)
    }
    fn encode(&self, out: &mut BytesMut) {
        self.stats.encode(out);
        for session in &self.sessions {
            session.encode(out);
        }
    }
}

/// One export rule: `fromip:32 toip:32 pleng:32 path:plengB version:32
/// extraflags:8 sesflags:8 [ umask:16 ] rootuid:32 rootgid:32 mapalluid:32
/// mapallgid:32 [ mingoal:8 maxgoal:8 mintrashtime:32 maxtrashtime:32 ]
/// [ disables:32 ]`; the bracketed groups exist from vmode 2, 1 and 3 on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportEntry {
    pub fromip: Ipv4Addr,
    pub toip: Ipv4Addr,
    /// `/`-prefixed exported path, or `.` for the meta export.
    pub path: Bytes32,
    /// Lowest client version the rule admits.
    pub minversion: Version,
    /// Bit 0: alldirs, bit 1: needs a password.
    pub extraflags: u8,
    pub sesflags: u8,
    pub umask: Option<u16>,
    pub rootuid: u32,
    pub rootgid: u32,
    pub mapalluid: u32,
    pub mapallgid: u32,
    pub limits: Option<ExportLimits>,
    pub disables: Option<u32>,
}

impl ExportEntry {
    fn parse(input: &[u8], vmode: u8, ctx: Ctx) -> Parsed<'_, Self> {
        let (input, fromip) = Ipv4Addr::decode(input, ctx)?;
        let (input, toip) = Ipv4Addr::decode(input, ctx)?;
        let (input, path) = Bytes32::decode(input, ctx)?;
        let (input, minversion) = Version::decode(input, ctx)?;
        let (input, extraflags) = u8::decode(input, ctx)?;
        let (input, sesflags) = u8::decode(input, ctx)?;
        let (input, umask) = optional(vmode >= 2, input, ctx)?;
        let (input, rootuid) = u32::decode(input, ctx)?;
        let (input, rootgid) = u32::decode(input, ctx)?;
        let (input, mapalluid) = u32::decode(input, ctx)?;
        let (input, mapallgid) = u32::decode(input, ctx)?;
        let (input, limits) = optional(vmode >= 1, input, ctx)?;
        let (input, disables) = optional(vmode >= 3, input, ctx)?;
        let entry = ExportEntry {
            fromip,
            toip,
            path,
            minversion,
            extraflags,
            sesflags,
            umask,
            rootuid,
            rootgid,
            mapalluid,
            mapallgid,
            limits,
            disables,
        };
        Ok((input, entry))
    }

    fn encode(&self, out: &mut BytesMut) {
        self.fromip.encode(out);
        self.toip.encode(out);
        self.path.encode(out);
        self.minversion.encode(out);
        self.extraflags.encode(out);
        self.sesflags.encode(out);
        self.umask.encode(out);
        self.rootuid.encode(out);
        self.rootgid.encode(out);
        self.mapalluid.encode(out);
        self.mapallgid.encode(out);
        self.limits.encode(out);
        self.disables.encode(out);
    }
}

/// `N*[ export ]` — the body of `MATOCL_EXPORTS_INFO`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExportsTable(pub Vec<ExportEntry>);

impl ExportsTable {
    /// Reads the table of an answer to a request with `vmode` (absent = 0).
    pub fn parse(mut input: &[u8], vmode: u8, ctx: Ctx) -> Parsed<'_, Self> {
        let mut entries = Vec::new();
        while !input.is_empty() {
            let (rest, entry) = ExportEntry::parse(input, vmode, ctx)?;
            entries.push(entry);
            input = rest;
        }
        Ok((input, ExportsTable(entries)))
    }
}

impl Wire for ExportsTable {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        ExportsTable::parse(input, EXPORTS_VMODE_CURRENT, ctx)
    }
    fn encode(&self, out: &mut BytesMut) {
        for entry in &self.0 {
            entry.encode(out);
        }
    }
}

#[cfg(test)]
mod arbitrary {
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;

    fn current_session(stats: usize) -> impl Strategy<Value = Session> {
        (
            (any::<u32>(), any::<Ipv4Addr>(), any::<Version>()),
            any::<SessionConnection>(),
            (
                any::<Bytes32>(),
                any::<Bytes32>(),
                any::<u8>(),
                any::<u16>(),
            ),
            any::<[u32; 4]>(),
            (any::<ExportLimits>(), any::<u32>()),
            (vec(any::<u32>(), stats), vec(any::<u32>(), stats)),
        )
            .prop_map(
                |(
                    (sessionid, ip, version),
                    connection,
                    (info, path, sesflags, umask),
                    [rootuid, rootgid, mapalluid, mapallgid],
                    (limits, disables),
                    (current_stats, last_hour_stats),
                )| Session {
                    sessionid,
                    ip,
                    version,
                    connection: Some(connection),
                    info,
                    path,
                    sesflags,
                    umask: Some(umask),
                    rootuid,
                    rootgid,
                    mapalluid,
                    mapallgid,
                    limits: Some(limits),
                    disables: Some(disables),
                    current_stats,
                    last_hour_stats,
                },
            )
    }

    impl Arbitrary for SessionTable {
        type Parameters = ();
        type Strategy = BoxedStrategy<Self>;
        fn arbitrary_with(_: ()) -> Self::Strategy {
            (0u16..20)
                .prop_flat_map(|stats| {
                    vec(current_session(stats.into()), 0..4)
                        .prop_map(move |sessions| SessionTable { stats, sessions })
                })
                .boxed()
        }
    }

    fn current_export() -> impl Strategy<Value = ExportEntry> {
        (
            (any::<Ipv4Addr>(), any::<Ipv4Addr>(), any::<Bytes32>()),
            (any::<Version>(), any::<u8>(), any::<u8>(), any::<u16>()),
            any::<[u32; 4]>(),
            (any::<ExportLimits>(), any::<u32>()),
        )
            .prop_map(
                |(
                    (fromip, toip, path),
                    (minversion, extraflags, sesflags, umask),
                    [rootuid, rootgid, mapalluid, mapallgid],
                    (limits, disables),
                )| ExportEntry {
                    fromip,
                    toip,
                    path,
                    minversion,
                    extraflags,
                    sesflags,
                    umask: Some(umask),
                    rootuid,
                    rootgid,
                    mapalluid,
                    mapallgid,
                    limits: Some(limits),
                    disables: Some(disables),
                },
            )
    }

    impl Arbitrary for ExportsTable {
        type Parameters = ();
        type Strategy = BoxedStrategy<Self>;
        fn arbitrary_with(_: ()) -> Self::Strategy {
            vec(current_export(), 0..4).prop_map(ExportsTable).boxed()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One vmode-0 session with 2 counters: id 7 from 10.0.0.2, info "m",
    /// path "/", no optional groups.
    fn vmode0_table() -> Vec<u8> {
        let mut bytes = vec![0, 2]; // stats
        bytes.extend_from_slice(&[0, 0, 0, 7]); // sessionid
        bytes.extend_from_slice(&[10, 0, 0, 2]); // ip
        bytes.extend_from_slice(&[0, 3, 0, 117]); // version
        bytes.extend_from_slice(&[0, 0, 0, 1, b'm']); // info
        bytes.extend_from_slice(&[0, 0, 0, 1, b'/']); // path
        bytes.push(0); // sesflags
        bytes.extend_from_slice(&[0; 16]); // rootuid rootgid mapalluid mapallgid
        bytes.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 2]); // current stats
        bytes.extend_from_slice(&[0, 0, 0, 3, 0, 0, 0, 4]); // last hour stats
        bytes
    }

    #[test]
    fn session_groups_follow_the_vmode() {
        let bytes = vmode0_table();
        let (rest, table) = SessionTable::parse(&bytes, 0, Ctx::default()).unwrap();
        assert!(rest.is_empty());
        let session = &table.sessions[0];
        assert_eq!(session.sessionid, 7);
        assert_eq!((&session.connection, session.umask), (&None, None));
        assert_eq!(session.last_hour_stats, vec![3, 4]);
        let mut out = BytesMut::new();
        table.encode(&mut out);
        assert_eq!(&out[..], &bytes[..]);
        // The same bytes do not have the shape of a vmode-4 answer.
        assert!(!matches!(
            SessionTable::decode(&bytes, Ctx::default()),
            Ok(([], _))
        ));
    }

    #[test]
    fn export_groups_follow_the_vmode() {
        let mut bytes = vec![0, 0, 0, 0, 255, 255, 255, 255]; // fromip toip
        bytes.extend_from_slice(&[0, 0, 0, 1, b'/']); // path
        bytes.extend_from_slice(&[0, 1, 6, 0]); // minversion 1.6.0
        bytes.extend_from_slice(&[1, 0]); // extraflags sesflags
        bytes.extend_from_slice(&[0, 0o22]); // umask (vmode >= 2)
        bytes.extend_from_slice(&[0; 16]); // root and mapall ids
        bytes.extend_from_slice(&[1, 9, 0, 0, 0, 0, 255, 255, 255, 255]); // limits
        let (rest, table) = ExportsTable::parse(&bytes, 2, Ctx::default()).unwrap();
        assert!(rest.is_empty());
        assert_eq!(table.0[0].umask, Some(0o22));
        assert_eq!(table.0[0].disables, None);
        assert_eq!(table.0[0].limits.as_ref().unwrap().maxgoal, 9);
        assert!(ExportsTable::parse(&bytes, 3, Ctx::default()).is_err());
    }
}
