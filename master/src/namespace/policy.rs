//! The per-node policies the `mfs*` tools read and change, one node or a
//! whole subtree at a time: storage class (goal) and trash time.
//!
//! As in MooseFS, only files and directories take part (symlinks and
//! devices are skipped without being counted), a node owned by someone
//! else or immutable counts as "not permitted", and a non-recursive change
//! refused on its only node is an EPERM for the whole request.

use std::collections::BTreeMap;

use mooseng_wire::Status;
use serde::{Deserialize, Serialize};

use super::access::{EATTR_IMMUTABLE, EATTR_NOOWNER};
use super::mutation::{ClassChange, Counts, Outcome};
use super::node::{Inode, Node, NodeData};
use super::remove::chunk_refs;
use super::sclass::FIRST_CUSTOM_CLASS;
use super::Namespace;

/// How a SET request treats the current value (`SMODE_*`), and whether it
/// descends into directories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetMode {
    pub kind: SetKind,
    pub recursive: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SetKind {
    Set,
    /// Only raise lower values.
    Increase,
    /// Only lower higher values.
    Decrease,
    /// Replace one value by another (storage classes only).
    Exchange,
}

impl SetMode {
    /// `smode:8` of a request: the type in the low two bits, recursion in
    /// bit 2, nothing else (`SMODE_ISVALID`).
    pub fn from_wire(smode: u8) -> Option<Self> {
        if smode & !0x07 != 0 {
            return None;
        }
        let kind = match smode & 0x03 {
            0 => SetKind::Set,
            1 => SetKind::Increase,
            2 => SetKind::Decrease,
            _ => SetKind::Exchange,
        };
        Some(SetMode {
            kind,
            recursive: smode & 0x04 != 0,
        })
    }

    /// Whether a node holding `current` takes `target` (`exchanged` is
    /// the value an exchange replaces).
    fn applies<T: Ord>(self, current: T, target: T, exchanged: T) -> bool {
        match self.kind {
            SetKind::Set => current != target,
            SetKind::Increase => current < target,
            SetKind::Decrease => current > target,
            SetKind::Exchange => current == exchanged,
        }
    }
}

/// How many files and directories hold each value, for the GET answers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally<T> {
    pub files: BTreeMap<T, u32>,
    pub dirs: BTreeMap<T, u32>,
}

impl Namespace {
    /// Storage classes below (or only of) `inode`, by class id.
    pub fn sclass_tally(&self, inode: Inode, recursive: bool) -> Result<Tally<u8>, Status> {
        self.tally(inode, recursive, |node| node.sclass)
    }

    /// Trash times below (or only of) `inode`, in seconds as the tools
    /// show them.
    pub fn trashtime_tally(&self, inode: Inode, recursive: bool) -> Result<Tally<u32>, Status> {
        self.tally(inode, recursive, |node| node.trashtime.saturating_mul(3600))
    }

    fn tally<T: Ord>(
        &self,
        inode: Inode,
        recursive: bool,
        value: impl Fn(&Node) -> T,
    ) -> Result<Tally<T>, Status> {
        let node = self.get(inode).ok_or(Status::ENOENT)?;
        if !takes_policy(node) {
            return Err(Status::EPERM);
        }
        let mut tally = Tally {
            files: BTreeMap::new(),
            dirs: BTreeMap::new(),
        };
        let mut pending = vec![inode];
        while let Some(current) = pending.pop() {
            let Some(node) = self.get(current) else {
                continue;
            };
            match &node.data {
                NodeData::File(_) => *tally.files.entry(value(node)).or_default() += 1,
                NodeData::Directory(dir) => {
                    *tally.dirs.entry(value(node)).or_default() += 1;
                    if recursive {
                        pending.extend(dir.entries.values().copied());
                    }
                }
                _ => {}
            }
        }
        Ok(tally)
    }

    /// SETSCLASS: `exchanged` is the class an exchange replaces; `admin`
    /// whether the session may use admin-only classes.
    pub(super) fn set_sclass(
        &mut self,
        ts: u32,
        target: PolicyTarget,
        class: u8,
        exchanged: u8,
        admin: bool,
    ) -> Result<Outcome, Status> {
        let PolicyTarget { inode, uid, mode } = target;
        let increases = matches!(mode.kind, SetKind::Increase | SetKind::Decrease);
        if class == 0 || exchanged == 0 || (increases && class >= FIRST_CUSTOM_CLASS) {
            return Err(Status::EINVAL);
        }
        let target_admin_only = self.classes.is_admin_only(class);
        let mut moved = Vec::new();
        let counts = self.set_policy(inode, uid, mode, |ns, inode| {
            let from = ns.node_mut(inode).sclass;
            if !admin && (target_admin_only || ns.classes.is_admin_only(from)) {
                return Change::Refused;
            }
            if !mode.applies(from, class, exchanged) {
                return Change::Kept;
            }
            let node = ns.node_mut(inode);
            node.sclass = class;
            node.ctime = ts;
            if let NodeData::File(file) = &node.data {
                if from != class {
                    let refs = chunk_refs(&file.chunks, from);
                    moved.extend(refs.iter().map(|r| ClassChange {
                        chunk: r.chunk,
                        from,
                        to: class,
                    }));
                }
            }
            Change::Done
        })?;
        Ok(Outcome::Changed {
            inode,
            counts,
            classes: moved,
        })
    }

    /// SETTRASHTIME with `seconds` rounded up to whole hours, as MooseFS
    /// keeps trash times.
    pub(super) fn set_trashtime(
        &mut self,
        ts: u32,
        target: PolicyTarget,
        seconds: u32,
    ) -> Result<Outcome, Status> {
        let hours = seconds.div_ceil(3600);
        let PolicyTarget { inode, uid, mode } = target;
        let counts = self.set_policy(inode, uid, mode, |ns, inode| {
            let node = ns.node_mut(inode);
            let exchange = mode.kind == SetKind::Exchange;
            if exchange || !mode.applies(node.trashtime, hours, 0) {
                return Change::Kept;
            }
            node.trashtime = hours;
            node.ctime = ts;
            Change::Done
        })?;
        Ok(Outcome::Changed {
            inode,
            counts,
            classes: Vec::new(),
        })
    }

    /// Walks the subtree MooseFS's recursive setters walk, applying `set`
    /// to every file and directory `uid` may change.
    fn set_policy(
        &mut self,
        inode: Inode,
        uid: u32,
        mode: SetMode,
        mut set: impl FnMut(&mut Namespace, Inode) -> Change,
    ) -> Result<Counts, Status> {
        let node = self.get(inode).ok_or(Status::ENOENT)?;
        if !takes_policy(node) {
            return Err(Status::EPERM);
        }
        let mut counts = Counts::default();
        let mut pending = vec![inode];
        while let Some(current) = pending.pop() {
            let Some(node) = self.get(current) else {
                continue;
            };
            if !takes_policy(node) {
                continue;
            }
            if mode.recursive {
                if let Some(dir) = node.dir() {
                    pending.extend(dir.entries.values().rev().copied());
                }
            }
            let foreign = node.eattr & EATTR_NOOWNER == 0 && uid != 0 && node.uid != uid;
            let change = if foreign || node.eattr & EATTR_IMMUTABLE != 0 {
                Change::Refused
            } else {
                set(self, current)
            };
            match change {
                Change::Done => counts.changed += 1,
                Change::Kept => counts.not_changed += 1,
                Change::Refused => counts.not_permitted += 1,
            }
        }
        if !mode.recursive && counts.not_permitted > 0 && counts.changed == 0 {
            return Err(Status::EPERM);
        }
        Ok(counts)
    }
}

/// The node a SET request starts at, who asks, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyTarget {
    pub inode: Inode,
    /// The caller after the export's uid mapping.
    pub uid: u32,
    pub mode: SetMode,
}

/// What a setter did to one node.
enum Change {
    Done,
    Kept,
    Refused,
}

/// Files (also in the trash) and directories have a class and trash time.
fn takes_policy(node: &Node) -> bool {
    matches!(node.data, NodeData::File(_) | NodeData::Directory(_))
}
