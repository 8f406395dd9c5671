//! Which per-session counter (`mfscli -SMO`) a request adds to, as
//! mfsmaster counts them. Chunk reads and writes are counted by their
//! handlers, and only when granted, as mfsmaster does.

use mooseng_wire::direction::ClientToMaster;

use crate::session::Op;

pub(super) fn counted_as(message: &ClientToMaster) -> &'static [Op] {
    use ClientToMaster as M;
    match message {
        M::FuseStatfs(_) => &[Op::Statfs],
        M::FuseGetattr(_) => &[Op::Getattr],
        M::FuseSetattr(_) | M::FuseTruncate(_) => &[Op::Setattr],
        M::FuseLookup(_) => &[Op::Lookup],
        M::FuseMkdir(_) => &[Op::Mkdir],
        M::FuseRmdir(_) => &[Op::Rmdir],
        M::FuseSymlink(_) => &[Op::Symlink],
        M::FuseReadlink(_) => &[Op::Readlink],
        M::FuseMknod(_) => &[Op::Mknod],
        M::FuseCreate(_) => &[Op::Mknod, Op::Open],
        M::FuseUnlink(_) => &[Op::Unlink],
        M::FuseRename(_) => &[Op::Rename],
        M::FuseLink(_) => &[Op::Link],
        M::FuseReaddir(_) => &[Op::Readdir],
        M::FuseOpen(_) => &[Op::Open],
        _ => &[],
    }
}
