//! The one error FUSE understands: an errno.

use mooseng_wire::Status;

/// An errno to hand back to the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Errno(pub i32);

impl Errno {
    pub const EIO: Errno = Errno(libc::EIO);
    pub const EINVAL: Errno = Errno(libc::EINVAL);
    pub const ENOENT: Errno = Errno(libc::ENOENT);
    pub const ERANGE: Errno = Errno(libc::ERANGE);
    pub const ENODATA: Errno = Errno(libc::ENODATA);
    pub const EBADF: Errno = Errno(libc::EBADF);
}

/// A status from the master or a chunkserver becomes the errno mfsmount
/// gives for it.
impl From<Status> for Errno {
    fn from(status: Status) -> Self {
        Errno(status.errno())
    }
}

/// Result of a file-system operation.
pub type FsResult<T> = Result<T, Errno>;

impl From<Errno> for fuser::Errno {
    fn from(errno: Errno) -> Self {
        fuser::Errno::from_i32(errno.0)
    }
}
