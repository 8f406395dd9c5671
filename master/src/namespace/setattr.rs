//! chmod, chown, utimes and the Windows attribute byte (a new length is
//! [`super::truncate`]'s).
//!
//! Permission rules as MooseFS 3.0.117 applies them: only root or the owner
//! may change mode, owner or explicit times; anyone with write access may
//! set times to "now"; only root may give a file away; the owner may
//! change the group only to one of their own groups.

use mooseng_wire::Status;

use super::access::{Caller, EATTR_IMMUTABLE, MAY_WRITE};
use super::mutation::{AttrChange, Outcome, SugidClear, TimeChange};
use super::node::{Inode, Node};
use super::Namespace;

const SETUID_SETGID: u16 = 0o6000;
const SETGID: u16 = 0o2000;
const GROUP_EXEC: u16 = 0o010;

impl Namespace {
    pub(super) fn set_attr(
        &mut self,
        ts: u32,
        caller: &Caller,
        inode: Inode,
        change: &AttrChange,
    ) -> Result<Outcome, Status> {
        let node = self.get(inode).ok_or(Status::ENOENT)?;
        if node.eattr & EATTR_IMMUTABLE != 0 {
            return Err(Status::EPERM);
        }
        if !is_kernel_sugid_clear(caller, node, change) {
            check_setattr_rights(caller, node, change)?;
        }
        let node = self.node_mut(inode);
        let mut new_mode = change.mode.map(|m| m & 0o7777);
        let chown = change.uid.is_some() || change.gid.is_some();
        if chown && new_mode.is_some() {
            // The kernel's own setuid/setgid clearing on chown is ignored;
            // the policy below decides instead.
            new_mode = new_mode.map(|m| m | (node.mode & SETUID_SETGID));
        }
        if chown && node.mode & SETUID_SETGID != 0 {
            let keep = kept_sugid_bits(caller, node, change);
            node.mode &= keep;
            new_mode = new_mode.map(|m| m & keep);
        }
        if let Some(uid) = change.uid {
            node.uid = uid;
        }
        if let Some(gid) = change.gid {
            node.gid = gid;
        }
        if let Some(mut mode) = new_mode {
            if !caller.is_root() && mode & SETGID != 0 && !caller.in_group(node.gid) {
                mode &= !SETGID;
            }
            node.apply_mode(mode);
        }
        if let Some(atime) = change.atime {
            node.atime = resolve(atime, ts);
        }
        if let Some(mtime) = change.mtime {
            node.mtime = resolve(mtime, ts);
        }
        if let Some(winattr) = change.winattr {
            node.winattr = winattr;
        }
        node.ctime = ts;
        Ok(Outcome::Node(inode))
    }
}

/// A write by a non-owner makes the kernel send "chmod to the same mode
/// without setuid/setgid"; MooseFS lets that through without the owner check.
fn is_kernel_sugid_clear(caller: &Caller, node: &Node, change: &AttrChange) -> bool {
    let only_mode = change.uid.is_none()
        && change.gid.is_none()
        && change.atime.is_none()
        && change.mtime.is_none()
        && change.winattr.is_none();
    !caller.is_root()
        && only_mode
        && change.mode == Some(node.mode & 0o1777)
        && node.mode & SETUID_SETGID != 0
}

fn check_setattr_rights(caller: &Caller, node: &Node, change: &AttrChange) -> Result<(), Status> {
    if caller.is_root() {
        return Ok(());
    }
    let explicit_times = matches!(change.atime, Some(TimeChange::At(_)))
        || matches!(change.mtime, Some(TimeChange::At(_)));
    let now_times = matches!(change.atime, Some(TimeChange::Now))
        || matches!(change.mtime, Some(TimeChange::Now));
    if !caller.owns(node) {
        if change.mode.is_some() || change.uid.is_some() || change.gid.is_some() || explicit_times {
            return Err(Status::EPERM);
        }
        if now_times && !caller.may(node, MAY_WRITE) {
            return Err(Status::EACCES);
        }
    }
    if change.uid.is_some_and(|uid| uid != caller.uid) {
        return Err(Status::EPERM);
    }
    if change.gid.is_some_and(|gid| !caller.in_group(gid)) {
        return Err(Status::EPERM);
    }
    Ok(())
}

/// The mode mask a chown leaves, per the client's setuid/setgid policy.
fn kept_sugid_bits(caller: &Caller, node: &Node, change: &AttrChange) -> u16 {
    const CLEAR_BOTH: u16 = 0o1777;
    const CLEAR_SETUID: u16 = 0o3777;
    const KEEP: u16 = 0o7777;
    let ext_rule = || {
        if node.mode & GROUP_EXEC != 0 {
            CLEAR_BOTH
        } else {
            CLEAR_SETUID
        }
    };
    match change.sugid_clear {
        SugidClear::Never => KEEP,
        SugidClear::Always => CLEAR_BOTH,
        SugidClear::Osx if !caller.is_root() => CLEAR_BOTH,
        SugidClear::Osx => KEEP,
        SugidClear::Bsd if !caller.is_root() && change.gid.is_some_and(|gid| gid != node.gid) => {
            CLEAR_BOTH
        }
        SugidClear::Bsd => KEEP,
        SugidClear::Ext if node.is_dir() => KEEP,
        SugidClear::Ext => ext_rule(),
        SugidClear::Xfs if !node.is_dir() => ext_rule(),
        SugidClear::Xfs if !caller.is_root() => CLEAR_BOTH,
        SugidClear::Xfs => KEEP,
    }
}

fn resolve(time: TimeChange, now: u32) -> u32 {
    match time {
        TimeChange::Now => now,
        TimeChange::At(at) => at,
    }
}
