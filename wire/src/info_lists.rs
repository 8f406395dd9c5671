//! Record lists of the master's admin answers: storage classes, quotas,
//! resolved paths, open files and locks.

use bytes::{BufMut, BytesMut};
use nom::bytes::complete::take;

use crate::codec::{malformed, Bytes32, Ctx, Name, Parsed, Rest, Wire};
use crate::records;

records! {
    /// `MASKORGROUP * [ labelmask:32 ] matchingservers:16` — one label
    /// expression (up to four OR-ed masks) and how many servers match it.
    LabelExpr { masks: LabelMasks, matching_servers: u16 }

    /// `inodes:32 length:64 size:64 realsize:64` — one line of a quota.
    QuotaValues { inodes: u32, length: u64, size: u64, realsize: u64 }

    /// `inode:32 pleng:32 path:plengB graceperiod:32 exceeded:8 qflags:8
    /// timetoblock:32 soft hard current` — one quota as 3.0.117 sends it
    /// (MFSCommunication.h still shows the older form with a leading
    /// `quota_time_limit:32` and no grace period per entry).
    QuotaEntry {
        inode: u32,
        path: Bytes32,
        graceperiod: u32,
        exceeded: u8,
        qflags: u8,
        /// Seconds until the soft limit blocks; 0xFFFFFFFF when not exceeded.
        timetoblock: u32,
        soft: QuotaValues,
        hard: QuotaValues,
        current: QuotaValues,
    }

    /// `inode:32 pathssize:32 M*[ pathleng:32 path:pathlengB ]`
    InodePaths { inode: u32, paths: PathSet }

    /// `version:32 ip:32` — a connected metalogger.
    Metalogger { version: crate::version::Version, ip: std::net::Ipv4Addr }

    /// `allocated:64 used:64` — one of the master's memory pools.
    MemoryUsage { allocated: u64, used: u64 }

    /// `sessionid:32 inode:32`
    OpenFile { sessionid: u32, inode: u32 }

    /// `sessionid:32 owner:64 pid:32 start:64 end:64 ctype:8` — pid, start
    /// and end are 0 for a flock.
    Lock { sessionid: u32, owner: u64, pid: u32, start: u64, end: u64, ctype: u8 }

    /// `inode:32 sessionid:32 owner:64 pid:32 start:64 end:64 ctype:8`
    InodeLock { inode: u32, lock: Lock }
}

/// `MASKORGROUP * [ labelmask:32 ]` with MASKORGROUP = 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct LabelMasks(pub [u32; 4]);

impl Wire for LabelMasks {
    fn decode(mut input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        let mut masks = [0u32; 4];
        for mask in &mut masks {
            let (rest, value) = u32::decode(input, ctx)?;
            *mask = value;
            input = rest;
        }
        Ok((input, LabelMasks(masks)))
    }
    fn encode(&self, out: &mut BytesMut) {
        self.0.iter().for_each(|m| m.encode(out));
    }
}

/// `pathssize:32 M*[ pathleng:32 path:pathlengB ]`: all paths of one inode,
/// framed by their total size (0 for an inode only reachable from META).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct PathSet(pub Rest<Bytes32>);

impl Wire for PathSet {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        let (input, size) = u32::decode(input, ctx)?;
        let (rest, block) = take(size)(input)?;
        let (_, paths) = Rest::decode(block, ctx)?;
        Ok((rest, PathSet(paths)))
    }
    fn encode(&self, out: &mut BytesMut) {
        let mut block = BytesMut::new();
        self.0.encode(&mut block);
        // Paths of one inode, each well under the 50 MB packet limit.
        out.put_u32(block.len() as u32);
        out.put_slice(&block);
    }
}

/// One of a storage class's three label sets (create, keep, archive).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct LabelSet {
    /// 0: cannot, 1: only with overloaded servers, 2/3: can be fulfilled.
    pub can_be_fulfilled: u8,
    #[cfg_attr(
        test,
        proptest(
            strategy = "proptest::collection::vec(proptest::prelude::any::<LabelExpr>(), 0..3)"
        )
    )]
    pub labels: Vec<LabelExpr>,
}

/// One storage class: `sclassid:8 sclassname:NAME files:32 dirs:32 3 * [
/// stdchunks:64 archchunks:64 ] admin_only:8 mode:8 arch_delay:16 3 * [
/// canbefulfilled:8 labelscnt:8 ] 3 * [ labelscnt * [ MASKORGROUP * [
/// labelmask:32 ] matchingservers:16 ] ]` — chunk counters are under-goal,
/// exact and over-goal; label sets are create, keep, archive.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct SclassEntry {
    pub id: u8,
    pub name: Name,
    pub files: u32,
    pub dirs: u32,
    /// `[std_under, arch_under, std_exact, arch_exact, std_over, arch_over]`.
    pub chunks: [u64; 6],
    pub admin_only: u8,
    pub mode: u8,
    pub arch_delay: u16,
    pub sets: [LabelSet; 3],
}

impl Wire for SclassEntry {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        let (input, id) = u8::decode(input, ctx)?;
        let (input, name) = Name::decode(input, ctx)?;
        let (input, files) = u32::decode(input, ctx)?;
        let (input, dirs) = u32::decode(input, ctx)?;
        let mut input = input;
        let mut chunks = [0u64; 6];
        for slot in &mut chunks {
            let (rest, value) = u64::decode(input, ctx)?;
            *slot = value;
            input = rest;
        }
        let (input, admin_only) = u8::decode(input, ctx)?;
        let (input, mode) = u8::decode(input, ctx)?;
        let (mut input, arch_delay) = u16::decode(input, ctx)?;
        let mut heads = [(0u8, 0u8); 3];
        for head in &mut heads {
            let (rest, pair) = <[u8; 2]>::decode(input, ctx)?;
            *head = (pair[0], pair[1]);
            input = rest;
        }
        let mut sets: [LabelSet; 3] = Default::default();
        for (set, (can_be_fulfilled, count)) in sets.iter_mut().zip(heads) {
            let mut labels = Vec::with_capacity(count.into());
            for _ in 0..count {
                let (rest, label) = LabelExpr::decode(input, ctx)?;
                labels.push(label);
                input = rest;
            }
            *set = LabelSet {
                can_be_fulfilled,
                labels,
            };
        }
        let entry = SclassEntry {
            id,
            name,
            files,
            dirs,
            chunks,
            admin_only,
            mode,
            arch_delay,
            sets,
        };
        Ok((input, entry))
    }

    fn encode(&self, out: &mut BytesMut) {
        self.id.encode(out);
        self.name.encode(out);
        self.files.encode(out);
        self.dirs.encode(out);
        self.chunks.iter().for_each(|c| c.encode(out));
        self.admin_only.encode(out);
        self.mode.encode(out);
        self.arch_delay.encode(out);
        for set in &self.sets {
            set.can_be_fulfilled.encode(out);
            // Label sets hold at most 9 expressions in MooseFS.
            (set.labels.len() as u8).encode(out);
        }
        for set in &self.sets {
            set.labels.iter().for_each(|l| l.encode(out));
        }
    }
}

/// `MATOCL_LIST_OPEN_FILES` read for a request: `[ msgid:32 ]` when the
/// request had one, then pairs when it asked for every session (0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenFiles {
    /// `N*[ sessionid:32 inode:32 ]`
    AllSessions(Vec<OpenFile>),
    /// `N*[ inode:32 ]`
    OneSession(Vec<u32>),
}

/// `MATOCL_LIST_ACQUIRED_LOCKS` read for a request: records carry the
/// inode when the request asked for every inode (0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Locks {
    /// `N*[ inode:32 sessionid:32 owner:64 pid:32 start:64 end:64 ctype:8 ]`
    AllInodes(Vec<InodeLock>),
    /// `N*[ sessionid:32 owner:64 pid:32 start:64 end:64 ctype:8 ]`
    OneInode(Vec<Lock>),
}

/// Splits off the msgid the request asked for, then reads the records.
pub(crate) fn with_msgid<T: Wire>(
    input: &[u8],
    msgid: bool,
    ctx: Ctx,
) -> Parsed<'_, (Option<u32>, Vec<T>)> {
    let (input, msgid) = if msgid {
        let (input, id) = u32::decode(input, ctx)?;
        (input, Some(id))
    } else {
        (input, None)
    };
    let (input, Rest(items)) = Rest::decode(input, ctx)?;
    if !input.is_empty() {
        return Err(malformed(input));
    }
    Ok((input, (msgid, items)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_set_is_framed_by_its_size() {
        let bytes = [0, 0, 0, 10, 0, 0, 0, 2, b'/', b'a', 0, 0, 0, 0, 0xee];
        let (rest, set) = PathSet::decode(&bytes, Ctx::default()).unwrap();
        assert_eq!(rest, &[0xee]);
        assert_eq!(set.0 .0.len(), 2);
        assert_eq!(set.0 .0[0].as_bytes(), b"/a");
        let mut out = BytesMut::new();
        set.encode(&mut out);
        assert_eq!(&out[..], &bytes[..14]);
    }

    #[test]
    fn sclass_label_lists_follow_the_header_counts() {
        let mut bytes = vec![1, 1, b'A']; // id 1, name "A"
        bytes.extend_from_slice(&[0; 8]); // files dirs
        bytes.extend_from_slice(&[0; 48]); // six chunk counters
        bytes.extend_from_slice(&[0, 1, 0, 0]); // admin_only mode arch_delay
        bytes.extend_from_slice(&[3, 1, 3, 0, 3, 2]); // create 1, keep 0, archive 2 labels
        for servers in [4u8, 5, 6] {
            bytes.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            bytes.extend_from_slice(&[0, servers]);
        }
        let (rest, entry) = SclassEntry::decode(&bytes, Ctx::default()).unwrap();
        assert!(rest.is_empty());
        assert_eq!(entry.sets[0].labels[0].matching_servers, 4);
        assert!(entry.sets[1].labels.is_empty());
        assert_eq!(entry.sets[2].labels[1].matching_servers, 6);
        let mut out = BytesMut::new();
        entry.encode(&mut out);
        assert_eq!(&out[..], &bytes[..]);
    }
}
