//! Which files' chunks are archived: the namespace side of ARCHCTL
//! (`mfschkarchive`, `mfssetarchive`, `mfsclrarchive`) and of the archive
//! delay. The flags themselves live on the chunks, in the chunk table.
//!
//! Rules of 3.0.117's `fs_archget` and `fs_univ_archchg`: the node must be
//! a file or a directory (a directory stands for every file below it);
//! trash and sustained files count as files; only the owner (or root, or
//! anyone on a `noowner` file) may change a file, never an immutable one;
//! a single file that may not be changed answers EPERM. Clearing the
//! flags stamps the files' ctime, so the archive delay starts again.

use mooseng_wire::Status;

use super::access::{Caller, EATTR_IMMUTABLE, EATTR_NOOWNER};
use super::mutation::Outcome;
use super::node::{Inode, NodeData};
use super::Namespace;
use crate::chunks::ChunkId;

/// Archive delays above this many days overflow MooseFS's 32-bit
/// seconds, and it treats them as no delay at all.
const MAX_ARCH_DELAY_DAYS: u16 = 49_710;
const DAY: u32 = 86_400;

impl Namespace {
    /// The chunk ids of every file at or below `inode`, one list a file.
    pub fn archive_files(&self, inode: Inode) -> Result<Vec<Vec<ChunkId>>, Status> {
        self.archive_target(inode)?;
        let mut files = Vec::new();
        let mut pending = vec![inode];
        while let Some(current) = pending.pop() {
            match self.get(current).map(|node| &node.data) {
                Some(NodeData::File(file)) => {
                    files.push(file.chunks.iter().copied().filter(|c| *c != 0).collect())
                }
                Some(NodeData::Directory(dir)) => pending.extend(dir.entries.values().copied()),
                _ => {}
            }
        }
        Ok(files)
    }

    /// ARCHCTL SET or CLR: the chunks of the files at or below `inode`
    /// that `caller` may change ([`Outcome::Archive`]); clearing stamps
    /// those files' ctime with `ts`.
    pub(super) fn archive_control(
        &mut self,
        ts: u32,
        caller: &Caller,
        inode: Inode,
        archived: bool,
    ) -> Result<Outcome, Status> {
        let single_file = !self.archive_target(inode)?;
        let mut chunks = Vec::new();
        let mut not_permitted = 0;
        let mut pending = vec![inode];
        while let Some(current) = pending.pop() {
            let Some(node) = self.nodes.get_mut(current) else {
                continue;
            };
            let may_change =
                (node.eattr & EATTR_NOOWNER != 0 || caller.is_root() || node.uid == caller.uid)
                    && node.eattr & EATTR_IMMUTABLE == 0;
            match &node.data {
                NodeData::File(_) if !may_change => not_permitted += 1,
                NodeData::File(file) => {
                    chunks.extend(file.chunks.iter().copied().filter(|c| *c != 0));
                    if !archived {
                        node.ctime = ts;
                    }
                }
                NodeData::Directory(dir) => pending.extend(dir.entries.values().copied()),
                _ => {}
            }
        }
        if single_file && not_permitted > 0 {
            return Err(Status::EPERM);
        }
        Ok(Outcome::Archive {
            inode,
            chunks,
            not_permitted,
        })
    }

    /// The chunks of files whose class archives after a delay and whose
    /// ctime is more than that delay before `now`.
    pub fn due_for_archive(&self, now: u32) -> Vec<ChunkId> {
        let delays: Vec<(u8, u32)> = self
            .classes()
            .iter()
            .filter(|(_, class)| (1..=MAX_ARCH_DELAY_DAYS).contains(&class.def.arch_delay))
            .map(|(id, class)| (id, u32::from(class.def.arch_delay) * DAY))
            .collect();
        if delays.is_empty() {
            return Vec::new();
        }
        let mut due = Vec::new();
        for node in self.nodes.values() {
            let NodeData::File(file) = &node.data else {
                continue;
            };
            let Some((_, delay)) = delays.iter().find(|(id, _)| *id == node.sclass) else {
                continue;
            };
            if node.ctime.checked_add(*delay).is_some_and(|at| at < now) {
                due.extend(file.chunks.iter().copied().filter(|c| *c != 0));
            }
        }
        due
    }

    /// Whether `inode` is a directory; files are the other node kind
    /// ARCHCTL takes.
    fn archive_target(&self, inode: Inode) -> Result<bool, Status> {
        match self.get(inode).ok_or(Status::ENOENT)?.data {
            NodeData::Directory(_) => Ok(true),
            NodeData::File(_) => Ok(false),
            _ => Err(Status::EPERM),
        }
    }
}
