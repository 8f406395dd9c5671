//! MooseFS extra attributes (`mfsseteattr` / `mfsgeteattr`), single nodes
//! or whole subtrees, with the changed / not changed / not permitted counts
//! the tools print.
//!
//! Rules of 3.0.117's `fs_seteattr`: only the owner (or root, or anyone on
//! a `noowner` node) may change a node; nobody may add `noowner` to an
//! immutable node; `noecache` is dropped from everything but directories;
//! a single node that may not be changed answers EPERM. Whether the
//! session may set undeletable, appendonly or immutable (admin only) is
//! decided by the client layer. Every bit of the byte is a defined extra
//! attribute, so no value is refused; `SMODE_EXCHANGE` changes nothing.

use std::collections::BTreeMap;

use mooseng_wire::Status;

use super::access::{Caller, EATTR_IMMUTABLE, EATTR_NOECACHE, EATTR_NOOWNER};
use super::mutation::{Counts, Outcome};
use super::node::{Inode, Node};
use super::Namespace;

/// `SMODE_*`: how the given bits combine with a node's own.
pub mod smode {
    pub const SET: u8 = 0;
    pub const INCREASE: u8 = 1;
    pub const DECREASE: u8 = 2;
    pub const TYPE_MASK: u8 = 3;
    pub const RECURSIVE: u8 = 4;
}

/// `GMODE_RECURSIVE`: count the whole subtree.
const GMODE_RECURSIVE: u8 = 1;

/// Per-value counts of files and of directories (GETEATTR's answer).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EattrTally {
    pub files: BTreeMap<u8, u32>,
    pub dirs: BTreeMap<u8, u32>,
}

impl Namespace {
    /// GETEATTR: the node's value, or with `gmode` 1 every value in the
    /// subtree. Files do not count `noecache` (which they cannot hold).
    pub fn eattr_tally(&self, inode: Inode, gmode: u8) -> Result<EattrTally, Status> {
        if gmode > GMODE_RECURSIVE {
            return Err(Status::EINVAL);
        }
        self.get(inode).ok_or(Status::ENOENT)?;
        let mut tally = EattrTally::default();
        let mut pending = vec![inode];
        while let Some(current) = pending.pop() {
            let Some(node) = self.get(current) else {
                continue;
            };
            match node.dir() {
                None => *tally.files.entry(node.eattr & !EATTR_NOECACHE).or_default() += 1,
                Some(dir) => {
                    *tally.dirs.entry(node.eattr).or_default() += 1;
                    if gmode == GMODE_RECURSIVE {
                        pending.extend(dir.entries.values().copied());
                    }
                }
            }
        }
        Ok(tally)
    }

    /// SETEATTR (`fs_seteattr`), recursive with `smode::RECURSIVE`.
    pub(super) fn set_eattr(
        &mut self,
        ts: u32,
        caller: &Caller,
        inode: Inode,
        eattr: u8,
        mode: u8,
    ) -> Result<Outcome, Status> {
        if mode > smode::TYPE_MASK | smode::RECURSIVE {
            return Err(Status::EINVAL);
        }
        self.get(inode).ok_or(Status::ENOENT)?;
        let mut counts = Counts::default();
        let mut pending = vec![inode];
        while let Some(current) = pending.pop() {
            let Some(node) = self.nodes.get_mut(current) else {
                continue;
            };
            change_one(node, ts, caller, eattr, mode, &mut counts);
            if mode & smode::RECURSIVE != 0 {
                if let Some(dir) = node.dir() {
                    pending.extend(dir.entries.values().copied());
                }
            }
        }
        if mode & smode::RECURSIVE == 0
            && counts.not_permitted > 0
            && counts.changed == 0
            && counts.not_changed == 0
        {
            return Err(Status::EPERM);
        }
        Ok(Outcome::Changed {
            inode,
            counts,
            classes: Vec::new(),
        })
    }
}

fn change_one(node: &mut Node, ts: u32, caller: &Caller, eattr: u8, mode: u8, counts: &mut Counts) {
    let owner = node.eattr & EATTR_NOOWNER != 0 || caller.is_root() || node.uid == caller.uid;
    if !owner || (node.eattr & EATTR_IMMUTABLE != 0 && eattr & EATTR_NOOWNER != 0) {
        counts.not_permitted += 1;
        return;
    }
    let mut given = eattr;
    if !node.is_dir() {
        node.eattr &= !EATTR_NOECACHE;
        given &= !EATTR_NOECACHE;
    }
    let new = match mode & smode::TYPE_MASK {
        smode::SET => given,
        smode::INCREASE => node.eattr | given,
        smode::DECREASE => node.eattr & !given,
        _ => node.eattr,
    };
    if new == node.eattr {
        counts.not_changed += 1;
    } else {
        node.eattr = new;
        node.ctime = ts;
        counts.changed += 1;
    }
}
