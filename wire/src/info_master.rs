//! Bodies of the master's status answers whose layout is chosen by their
//! size: `MATOCL_INFO`, `MATOCL_FSTEST_INFO`, `MATOCL_CHUNKS_MATRIX`,
//! `MATOCL_MISSING_CHUNKS`, `MATOCL_CSERV_LIST`.

use std::net::Ipv4Addr;

use bytes::BytesMut;

use crate::codec::{malformed, Bytes32, Ctx, Parsed, Rest, Wire};
use crate::records;
use crate::variants::{optional, words};
use crate::version::Version;

records! {
    /// `usec_local_time:64 last_changelog_time:32` — the master's clock, only
    /// in the 149-byte `MATOCL_INFO`.
    InfoClock { usec_local_time: u64, last_changelog_time: u32 }

    /// `flags:8 version:24 ip:32 port:16 csid:16 used:64 total:64 chunks:32
    /// tdused:64 tdtotal:64 tdchunks:32 errorcount:32 load:32 gracetime:32
    /// labelmask:32 mfrstatus:8` — one 69-byte chunkserver record.
    CservEntry {
        /// Bit 0: disconnected, bit 1: marked for maintenance, ...
        flags: u8,
        major: u8,
        mid: u8,
        minor: u8,
        ip: Ipv4Addr,
        port: u16,
        csid: u16,
        used: u64,
        total: u64,
        chunks: u32,
        tdused: u64,
        tdtotal: u64,
        tdchunks: u32,
        errorcount: u32,
        load: u32,
        /// Seconds of heavy-load grace, or 0x80000000 (rebalance) / 0xC0000000 (overloaded).
        gracetime: u32,
        labelmask: u32,
        mfrstatus: u8,
    }

    /// `chunkid:64 inode:32 indx:32` — a missing chunk (mode 0).
    MissingChunk { chunkid: u64, inode: u32, indx: u32 }

    /// `chunkid:64 inode:32 indx:32 type:8` — a missing chunk (mode 1).
    TypedMissingChunk { chunkid: u64, inode: u32, indx: u32, kind: u8 }
}

/// First master version whose chunkserver records are 69 bytes long.
const CSERV_69_SINCE: Version = Version::new(3, 0, 38);

/// `N*[ cserv record ]` as a master >= 3.0.38 sends it; mfscli reads the
/// records only when the peer is that new and the length is a multiple of
/// 69, and so does this decoder.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct CservTable(pub Rest<CservEntry>);

impl Wire for CservTable {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        if ctx.peer_version < CSERV_69_SINCE || !input.len().is_multiple_of(69) {
            return Err(malformed(input));
        }
        let (rest, entries) = Rest::decode(input, ctx)?;
        Ok((rest, CservTable(entries)))
    }
    fn encode(&self, out: &mut BytesMut) {
        self.0.encode(out);
    }
}

/// The master status answer of masters >= 2.0 (121, 129, 137 or 149 bytes;
/// 3.0.117 always sends 149). The optional groups are the ones the size
/// adds: 129 adds `exports_checksum`, 137 also `freespace`, 149 also `clock`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MasterInfo {
    pub version: Version,
    pub memusage: u64,
    pub syscpu: u64,
    pub usercpu: u64,
    pub totalspace: u64,
    pub availspace: u64,
    pub freespace: Option<u64>,
    pub trashspace: u64,
    pub trashnodes: u32,
    pub sustainedspace: u64,
    pub sustainednodes: u32,
    pub allnodes: u32,
    pub dirnodes: u32,
    pub filenodes: u32,
    pub chunks: u32,
    pub chunkcopies: u32,
    pub tdcopies: u32,
    pub laststore_ts: u32,
    pub laststore_duration: u32,
    pub laststore_status: u8,
    /// `state:8 nstate:8 stable:8 sync:8`: all 0xFF in the open-source master.
    pub state: [u8; 4],
    pub leaderip: Ipv4Addr,
    pub state_chg_time: u32,
    pub meta_version: u64,
    pub exports_checksum: Option<u64>,
    pub clock: Option<InfoClock>,
}

impl MasterInfo {
    /// The sizes mfscli 3.0.117 reads as a >= 2.0 master, with the groups
    /// each one has: (size, freespace, exports_checksum, clock).
    const FORMS: [(usize, bool, bool, bool); 4] = [
        (121, false, false, false),
        (129, false, true, false),
        (137, true, true, false),
        (149, true, true, true),
    ];
}

impl Wire for MasterInfo {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        let Some(&(_, free, checksum, clock)) =
            Self::FORMS.iter().find(|form| form.0 == input.len())
        else {
            return Err(malformed(input));
        };
        let (input, version) = Version::decode(input, ctx)?;
        let (input, [memusage, syscpu, usercpu, totalspace, availspace]) =
            <[u64; 5]>::decode_words(input)?;
        let (input, freespace) = optional(free, input, ctx)?;
        let (input, trashspace) = u64::decode(input, ctx)?;
        let (input, trashnodes) = u32::decode(input, ctx)?;
        let (input, sustainedspace) = u64::decode(input, ctx)?;
        let (input, counts) = words(input, 9, ctx)?;
        let (input, laststore_status) = u8::decode(input, ctx)?;
        let (input, state) = <[u8; 4]>::decode(input, ctx)?;
        let (input, leaderip) = Ipv4Addr::decode(input, ctx)?;
        let (input, state_chg_time) = u32::decode(input, ctx)?;
        let (input, meta_version) = u64::decode(input, ctx)?;
        let (input, exports_checksum) = optional(checksum, input, ctx)?;
        let (input, clock) = optional(clock, input, ctx)?;
        let info = MasterInfo {
            version,
            memusage,
            syscpu,
            usercpu,
            totalspace,
            availspace,
            freespace,
            trashspace,
            trashnodes,
            sustainedspace,
            sustainednodes: counts[0],
            allnodes: counts[1],
            dirnodes: counts[2],
            filenodes: counts[3],
            chunks: counts[4],
            chunkcopies: counts[5],
            tdcopies: counts[6],
            laststore_ts: counts[7],
            laststore_duration: counts[8],
            laststore_status,
            state,
            leaderip,
            state_chg_time,
            meta_version,
            exports_checksum,
            clock,
        };
        Ok((input, info))
    }

    fn encode(&self, out: &mut BytesMut) {
        self.version.encode(out);
        for value in [
            self.memusage,
            self.syscpu,
            self.usercpu,
            self.totalspace,
            self.availspace,
        ] {
            value.encode(out);
        }
        self.freespace.encode(out);
        self.trashspace.encode(out);
        self.trashnodes.encode(out);
        self.sustainedspace.encode(out);
        for value in [
            self.sustainednodes,
            self.allnodes,
            self.dirnodes,
            self.filenodes,
            self.chunks,
            self.chunkcopies,
            self.tdcopies,
            self.laststore_ts,
            self.laststore_duration,
        ] {
            value.encode(out);
        }
        self.laststore_status.encode(out);
        self.state.encode(out);
        self.leaderip.encode(out);
        self.state_chg_time.encode(out);
        self.meta_version.encode(out);
        self.exports_checksum.encode(out);
        self.clock.encode(out);
    }
}

/// Fixed runs of big-endian u64 counters.
trait DecodeWords: Sized {
    fn decode_words(input: &[u8]) -> Parsed<'_, Self>;
}

impl<const N: usize> DecodeWords for [u64; N] {
    fn decode_words(mut input: &[u8]) -> Parsed<'_, Self> {
        let mut out = [0u64; N];
        for slot in &mut out {
            let (rest, value) = u64::decode(input, Ctx::default())?;
            *slot = value;
            input = rest;
        }
        Ok((input, out))
    }
}

/// `MATOCL_FSTEST_INFO`: `loopstart:32 loopend:32 files:32 ugfiles:32
/// mfiles:32 [ mtfiles:32 msfiles:32 ] chunks:32 ugchunks:32 mchunks:32
/// msgleng:32 msgleng*[ char:8 ]`. The bracketed pair is there when the
/// request had its byte; the answer shows it only through where `msgleng`
/// sits. The 44-byte header (what mfscli 3.0.117 asks for) wins when both
/// readings fit.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FstestReport {
    pub loopstart: u32,
    pub loopend: u32,
    pub files: u32,
    pub ugfiles: u32,
    pub mfiles: u32,
    /// `(mtfiles, msfiles)`: missing trash and missing sustained files.
    pub missing_trash_sustained: Option<(u32, u32)>,
    pub chunks: u32,
    pub ugchunks: u32,
    pub mchunks: u32,
    pub message: Bytes32,
}

impl FstestReport {
    /// Whether a header of `header` bytes puts a `msgleng` that matches the
    /// payload length.
    fn fits(input: &[u8], header: usize) -> bool {
        input.len() >= header
            && input[header - 4..header]
                .try_into()
                .map(u32::from_be_bytes)
                .is_ok_and(|len| len as usize == input.len() - header)
    }
}

impl Wire for FstestReport {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        let long = if Self::fits(input, 44) {
            true
        } else if Self::fits(input, 36) {
            false
        } else {
            return Err(malformed(input));
        };
        let (input, head) = words(input, 5, ctx)?;
        let (input, missing_trash_sustained) = if long {
            let (input, pair) = words(input, 2, ctx)?;
            (input, Some((pair[0], pair[1])))
        } else {
            (input, None)
        };
        let (input, tail) = words(input, 3, ctx)?;
        let (input, message) = Bytes32::decode(input, ctx)?;
        let report = FstestReport {
            loopstart: head[0],
            loopend: head[1],
            files: head[2],
            ugfiles: head[3],
            mfiles: head[4],
            missing_trash_sustained,
            chunks: tail[0],
            ugchunks: tail[1],
            mchunks: tail[2],
            message,
        };
        Ok((input, report))
    }

    fn encode(&self, out: &mut BytesMut) {
        for value in [
            self.loopstart,
            self.loopend,
            self.files,
            self.ugfiles,
            self.mfiles,
        ] {
            value.encode(out);
        }
        if let Some((mtfiles, msfiles)) = self.missing_trash_sustained {
            mtfiles.encode(out);
            msfiles.encode(out);
        }
        for value in [self.chunks, self.ugchunks, self.mchunks] {
            value.encode(out);
        }
        self.message.encode(out);
    }
}

/// An 11x11 table of chunk counts, goal (row) by valid copies (column);
/// index 10 means "10 or more". Boxed: two of them would bloat every
/// message enum.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct ChunkMatrix(pub Box<[[u32; 11]; 11]>);

impl Wire for ChunkMatrix {
    fn decode(mut input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        let mut matrix = Box::new([[0u32; 11]; 11]);
        for row in matrix.iter_mut() {
            let (rest, values) = words(input, 11, ctx)?;
            row.copy_from_slice(&values);
            input = rest;
        }
        Ok((input, ChunkMatrix(matrix)))
    }
    fn encode(&self, out: &mut BytesMut) {
        for value in self.0.iter().flatten() {
            value.encode(out);
        }
    }
}

/// `MATOCL_CHUNKS_MATRIX`, by size: 969 bytes (request without a byte, as
/// mfscli 3.0.117 sends it) is `progress:8 11*[11* count:32] 11*[11* count:32]`
/// (all chunks, then regular-goal ones); 484 bytes is the one matrix asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum ChunkMatrices {
    /// `progress` is nonzero while the counters are being rebuilt after
    /// chunkserver (dis)connections.
    Both {
        progress: u8,
        matrices: [ChunkMatrix; 2],
    },
    One(ChunkMatrix),
}

impl Wire for ChunkMatrices {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        match input.len() {
            969 => {
                let (input, progress) = u8::decode(input, ctx)?;
                let (input, first) = ChunkMatrix::decode(input, ctx)?;
                let (input, second) = ChunkMatrix::decode(input, ctx)?;
                let matrices = [first, second];
                Ok((input, ChunkMatrices::Both { progress, matrices }))
            }
            484 => ChunkMatrix::decode(input, ctx).map(|(rest, m)| (rest, ChunkMatrices::One(m))),
            _ => Err(malformed(input)),
        }
    }
    fn encode(&self, out: &mut BytesMut) {
        match self {
            ChunkMatrices::Both { progress, matrices } => {
                progress.encode(out);
                matrices[0].encode(out);
                matrices[1].encode(out);
            }
            ChunkMatrices::One(matrix) => matrix.encode(out),
        }
    }
}

/// `MATOCL_MISSING_CHUNKS` records: 17 bytes (with the type) when the
/// request had mode 1, 16 without. mfscli 3.0.117 sends mode 1, so a length
/// that divides by 17 is read with types, else one dividing by 16 without.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MissingChunkList {
    Typed(Vec<TypedMissingChunk>),
    Plain(Vec<MissingChunk>),
}

impl Wire for MissingChunkList {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        if input.len().is_multiple_of(17) {
            let (rest, list) = Rest::decode(input, ctx)?;
            Ok((rest, MissingChunkList::Typed(list.0)))
        } else if input.len().is_multiple_of(16) {
            let (rest, list) = Rest::decode(input, ctx)?;
            Ok((rest, MissingChunkList::Plain(list.0)))
        } else {
            Err(malformed(input))
        }
    }
    fn encode(&self, out: &mut BytesMut) {
        match self {
            MissingChunkList::Typed(list) => list.iter().for_each(|c| c.encode(out)),
            MissingChunkList::Plain(list) => list.iter().for_each(|c| c.encode(out)),
        }
    }
}

#[cfg(test)]
mod arbitrary {
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;

    impl Arbitrary for MasterInfo {
        type Parameters = ();
        type Strategy = BoxedStrategy<Self>;
        fn arbitrary_with(_: ()) -> Self::Strategy {
            (
                0..MasterInfo::FORMS.len(),
                any::<[u64; 8]>(),
                any::<[u32; 12]>(),
                (any::<u8>(), any::<[u8; 4]>(), any::<Ipv4Addr>()),
                any::<InfoClock>(),
            )
                .prop_map(|(form, big, small, (status, state, leaderip), clock)| {
                    let (_, free, checksum, has_clock) = MasterInfo::FORMS[form];
                    MasterInfo {
                        version: Version(small[0]),
                        memusage: big[0],
                        syscpu: big[1],
                        usercpu: big[2],
                        totalspace: big[3],
                        availspace: big[4],
                        freespace: free.then_some(big[5]),
                        trashspace: big[6],
                        trashnodes: small[1],
                        sustainedspace: big[7],
                        sustainednodes: small[2],
                        allnodes: small[3],
                        dirnodes: small[4],
                        filenodes: small[5],
                        chunks: small[6],
                        chunkcopies: small[7],
                        tdcopies: small[8],
                        laststore_ts: small[9],
                        laststore_duration: small[10],
                        laststore_status: status,
                        state,
                        leaderip,
                        state_chg_time: small[11],
                        meta_version: big[0] ^ big[7],
                        exports_checksum: checksum.then_some(big[1] ^ big[6]),
                        clock: has_clock.then_some(clock),
                    }
                })
                .boxed()
        }
    }

    impl Arbitrary for FstestReport {
        type Parameters = ();
        type Strategy = BoxedStrategy<Self>;
        fn arbitrary_with(_: ()) -> Self::Strategy {
            (
                any::<[u32; 8]>(),
                any::<Option<(u32, u32)>>(),
                any::<Bytes32>(),
            )
                .prop_map(|(w, missing_trash_sustained, message)| FstestReport {
                    loopstart: w[0],
                    loopend: w[1],
                    files: w[2],
                    ugfiles: w[3],
                    mfiles: w[4],
                    missing_trash_sustained,
                    chunks: w[5],
                    ugchunks: w[6],
                    mchunks: w[7],
                    message,
                })
                // A short report whose text happens to look like a long
                // header cannot be told apart on the wire.
                .prop_filter("reads as the long form", |report| {
                    let mut out = BytesMut::new();
                    report.encode(&mut out);
                    report.missing_trash_sustained.is_some() || !FstestReport::fits(&out, 44)
                })
                .boxed()
        }
    }

    impl Arbitrary for MissingChunkList {
        type Parameters = ();
        type Strategy = BoxedStrategy<Self>;
        fn arbitrary_with(_: ()) -> Self::Strategy {
            prop_oneof![
                vec(any::<TypedMissingChunk>(), 0..6).prop_map(MissingChunkList::Typed),
                // 17 plain records would read as 16 typed ones.
                vec(any::<MissingChunk>(), 1..6).prop_map(MissingChunkList::Plain),
            ]
            .boxed()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode<T: Wire>(value: &T) -> Vec<u8> {
        let mut out = BytesMut::new();
        value.encode(&mut out);
        out.to_vec()
    }

    #[test]
    fn info_groups_follow_the_size() {
        for (size, free, checksum, clock) in MasterInfo::FORMS {
            let bytes = vec![0u8; size];
            let (_, info) = MasterInfo::decode(&bytes, Ctx::default()).unwrap();
            assert_eq!(info.freespace.is_some(), free, "size {size}");
            assert_eq!(info.exports_checksum.is_some(), checksum, "size {size}");
            assert_eq!(info.clock.is_some(), clock, "size {size}");
            assert_eq!(encode(&info), bytes);
        }
        assert!(MasterInfo::decode(&[0u8; 101], Ctx::default()).is_err());
    }

    #[test]
    fn info_places_freespace_after_availspace() {
        let mut bytes = vec![0u8; 149];
        bytes[44..52].copy_from_slice(&7u64.to_be_bytes()); // freespace
        bytes[52..60].copy_from_slice(&9u64.to_be_bytes()); // trashspace
        let (_, info) = MasterInfo::decode(&bytes, Ctx::default()).unwrap();
        assert_eq!((info.freespace, info.trashspace), (Some(7), 9));
    }

    #[test]
    fn fstest_header_size_follows_msgleng() {
        let mut long = vec![0u8; 44];
        long[43] = 2;
        long.extend_from_slice(b"ok");
        let (_, report) = FstestReport::decode(&long, Ctx::default()).unwrap();
        assert_eq!(report.missing_trash_sustained, Some((0, 0)));
        assert_eq!(report.message.as_bytes(), b"ok");
        let mut short = vec![0u8; 36];
        short[35] = 1;
        short.push(b'x');
        let (_, report) = FstestReport::decode(&short, Ctx::default()).unwrap();
        assert_eq!(report.missing_trash_sustained, None);
        assert_eq!(encode(&report), short);
        assert!(FstestReport::decode(&[0u8; 40], Ctx::default()).is_err());
    }

    #[test]
    fn chunk_matrices_follow_the_size() {
        let mut both = vec![1u8];
        both.extend_from_slice(&[0u8; 968]);
        both[1 + 484 + 3] = 5; // second matrix, row 0, column 0
        let (_, matrices) = ChunkMatrices::decode(&both, Ctx::default()).unwrap();
        let ChunkMatrices::Both { progress, matrices } = matrices else {
            panic!("969 bytes carry both matrices");
        };
        assert_eq!((progress, matrices[1].0[0][0]), (1, 5));
        let (_, one) = ChunkMatrices::decode(&[0u8; 484], Ctx::default()).unwrap();
        assert!(matches!(one, ChunkMatrices::One(_)));
        assert!(ChunkMatrices::decode(&[0u8; 485], Ctx::default()).is_err());
    }

    #[test]
    fn missing_chunks_prefer_the_typed_records() {
        let (_, typed) = MissingChunkList::decode(&[0u8; 34], Ctx::default()).unwrap();
        assert!(matches!(typed, MissingChunkList::Typed(ref l) if l.len() == 2));
        let (_, plain) = MissingChunkList::decode(&[0u8; 32], Ctx::default()).unwrap();
        assert!(matches!(plain, MissingChunkList::Plain(ref l) if l.len() == 2));
        let (_, both) = MissingChunkList::decode(&[0u8; 272], Ctx::default()).unwrap();
        assert!(matches!(both, MissingChunkList::Typed(ref l) if l.len() == 16));
        assert!(MissingChunkList::decode(&[0u8; 15], Ctx::default()).is_err());
    }

    #[test]
    fn cserv_records_need_a_new_enough_peer() {
        let bytes = [0u8; 69];
        assert!(CservTable::decode(&bytes, Ctx::default()).is_ok());
        let old = Ctx {
            peer_version: Version::new(3, 0, 37),
        };
        assert!(CservTable::decode(&bytes, old).is_err());
        assert!(CservTable::decode(&[0u8; 68], Ctx::default()).is_err());
    }
}
