//! What the meta file system asks the master about detached files (those
//! in the trash and the sustained ones), over the mount's meta session.

use fuser::{FileAttr, FileType};
use mooseng_wire::cltoma::node::FuseStatfs;
use mooseng_wire::cltoma::tools::{
    FuseGetdetachedattr, FuseGetsustained, FuseGettrash, FuseGettrashpath, FusePurge,
    FuseSettrashpath, FuseUndel,
};
use mooseng_wire::matocl::node::{FuseStatfsReply, StatfsReply};
use mooseng_wire::matocl::tools::{
    DetachedEntry, FuseGetdetachedattrReply, FuseGetsustainedReply, FuseGettrashReply,
    FuseGettrashpathReply, FusePurgeReply, FuseSettrashpathReply, FuseUndelReply,
};
use mooseng_wire::{Bytes32, Reply, Status};

use crate::convert::file_attr;
use crate::error::{Errno, FsResult};
use crate::master::Master;

/// GETTRASH's bucket number for "every bucket" (a flat listing).
const ALL_BUCKETS: u32 = u32::MAX;

/// The errno mfsmount's meta mount gives for a status: a few are mapped,
/// everything else is EINVAL.
pub fn errno(status: Status) -> Errno {
    let mapped = [
        Status::EPERM,
        Status::ENOTDIR,
        Status::ENOENT,
        Status::EACCES,
        Status::EEXIST,
        Status::EINVAL,
        Status::ENOTEMPTY,
        Status::IO,
        Status::EROFS,
        Status::QUOTA,
    ];
    if mapped.contains(&status) {
        Errno(status.errno())
    } else {
        Errno::EINVAL
    }
}

fn ok<T>(reply: Reply<T>) -> FsResult<T> {
    match reply {
        Reply::Ok(value) => Ok(value),
        Reply::Status(status) => Err(errno(status)),
    }
}

fn done(status: Status) -> FsResult<()> {
    if status.is_ok() {
        Ok(())
    } else {
        Err(errno(status))
    }
}

/// The two space figures the meta mount's `statfs` shows, in bytes.
#[derive(Debug, Clone, Copy)]
pub struct DetachedSpace {
    pub trash: u64,
    pub sustained: u64,
}

/// The meta session's requests.
#[derive(Debug, Clone)]
pub struct Detached {
    pub master: Master,
}

impl Detached {
    /// The deleted files of one bucket, or of all with `None`.
    pub async fn trash(&self, bucket: Option<u32>) -> FsResult<Vec<DetachedEntry>> {
        let version = self.master.session().master_version;
        let trash_id =
            (version.0 >= super::inodes::BUCKETED_SINCE.0).then_some(bucket.unwrap_or(ALL_BUCKETS));
        let reply: FuseGettrashReply = self
            .master
            .call(|msgid| FuseGettrash { msgid, trash_id })
            .await?;
        ok(reply.reply).map(|rest| rest.0)
    }

    /// Deleted files some client still has open.
    pub async fn sustained(&self) -> FsResult<Vec<DetachedEntry>> {
        let reply: FuseGetsustainedReply =
            self.master.call(|msgid| FuseGetsustained { msgid }).await?;
        ok(reply.reply).map(|rest| rest.0)
    }

    /// `stat` of a detached file: always a regular file, as mfsmount shows it.
    pub async fn attr(&self, inode: u64) -> FsResult<FileAttr> {
        let inode32 = u32::try_from(inode).map_err(|_| Errno::ENOENT)?;
        let reply: FuseGetdetachedattrReply = self
            .master
            .call(|msgid| FuseGetdetachedattr {
                msgid,
                inode: inode32,
                dtype: None,
            })
            .await?;
        let attr = ok(reply.reply)?;
        Ok(FileAttr {
            kind: FileType::RegularFile,
            ..file_attr(inode, &attr, attr.length)
        })
    }

    /// The path a deleted file will be restored to, without the master's NUL.
    pub async fn path(&self, inode: u64) -> FsResult<Vec<u8>> {
        let inode = u32::try_from(inode).map_err(|_| Errno::ENOENT)?;
        let reply: FuseGettrashpathReply = self
            .master
            .call(|msgid| FuseGettrashpath { msgid, inode })
            .await?;
        let path = ok(reply.reply)?.bytes;
        let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
        Ok(path[..end].to_vec())
    }

    /// Changes where a deleted file will be restored to.
    pub async fn set_path(&self, inode: u64, path: &[u8]) -> FsResult<()> {
        let inode = u32::try_from(inode).map_err(|_| Errno::ENOENT)?;
        let mut sent = path.to_vec();
        sent.push(0);
        let path = Bytes32::new(sent);
        let reply: FuseSettrashpathReply = self
            .master
            .call(|msgid| FuseSettrashpath {
                msgid,
                inode,
                path: path.clone(),
            })
            .await?;
        done(reply.status)
    }

    /// Restores a deleted file to its path.
    pub async fn undelete(&self, inode: u32) -> FsResult<()> {
        let reply: FuseUndelReply = self.master.call(|msgid| FuseUndel { msgid, inode }).await?;
        done(reply.status)
    }

    /// Removes a deleted file for good.
    pub async fn purge(&self, inode: u32) -> FsResult<()> {
        let reply: FusePurgeReply = self.master.call(|msgid| FusePurge { msgid, inode }).await?;
        done(reply.status)
    }

    pub async fn space(&self) -> FsResult<DetachedSpace> {
        let reply: FuseStatfsReply = self.master.call(|msgid| FuseStatfs { msgid }).await?;
        Ok(match ok(reply.reply)? {
            StatfsReply::Current(s) => DetachedSpace {
                trash: s.trash,
                sustained: s.sustained,
            },
            StatfsReply::Old(s) => DetachedSpace {
                trash: s.trash,
                sustained: s.sustained,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_as_in_mfsmounts_meta_mount() {
        assert_eq!(errno(Status::ENOENT), Errno::ENOENT);
        assert_eq!(errno(Status::EACCES), Errno(libc::EACCES));
        assert_eq!(errno(Status::QUOTA), Errno(libc::EDQUOT));
        assert_eq!(errno(Status::ENOATTR), Errno::EINVAL);
        assert_eq!(errno(Status::NOCHUNKSERVERS), Errno::EINVAL);
    }
}
