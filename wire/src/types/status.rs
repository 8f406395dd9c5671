//! MooseFS status codes (`MFS_STATUS_OK`, `MFS_ERROR_*`).
//!
//! A status is data in a reply, not a Rust error: it is kept as the raw byte
//! so an unknown code from a newer peer survives decode and re-encode.

use bytes::BytesMut;

use crate::codec::{Ctx, Parsed, Wire};

#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Status(pub u8);

macro_rules! statuses {
    ($($name:ident = $code:literal, $errno:expr, $text:literal;)*) => {
        impl Status {
            $(pub const $name: Status = Status($code);)*

            /// The message `mfsmount` and the tools print for this status.
            pub fn message(self) -> &'static str {
                match self.0 {
                    $($code => $text,)*
                    _ => "Unknown MFS error",
                }
            }

            /// The Linux errno `mfsmount` 3.0.117 turns this status into.
            pub fn errno(self) -> i32 {
                match self.0 {
                    $($code => $errno,)*
                    _ => errno::EINVAL,
                }
            }

            /// The constant's name without the `MFS_ERROR_` prefix.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($code => Some(stringify!($name)),)*
                    _ => None,
                }
            }
        }
    };
}

/// Linux errno values, so the wire crate needs no libc binding.
pub mod errno {
    pub const EPERM: i32 = 1;
    pub const ENOENT: i32 = 2;
    pub const EINTR: i32 = 4;
    pub const EIO: i32 = 5;
    pub const ENXIO: i32 = 6;
    pub const EBADF: i32 = 9;
    pub const EAGAIN: i32 = 11;
    pub const EACCES: i32 = 13;
    pub const EEXIST: i32 = 17;
    pub const ENOTDIR: i32 = 20;
    pub const EINVAL: i32 = 22;
    pub const EFBIG: i32 = 27;
    pub const ENOSPC: i32 = 28;
    pub const EROFS: i32 = 30;
    pub const ERANGE: i32 = 34;
    pub const ENOTEMPTY: i32 = 39;
    /// `ENOATTR` is `ENODATA` on Linux.
    pub const ENODATA: i32 = 61;
    pub const ENOTSUP: i32 = 95;
    pub const EDQUOT: i32 = 122;
    pub const ECANCELED: i32 = 125;
}

use errno::*;

statuses! {
    OK = 0, 0, "OK";
    EPERM = 1, EPERM, "Operation not permitted";
    ENOTDIR = 2, ENOTDIR, "Not a directory";
    ENOENT = 3, ENOENT, "No such file or directory";
    EACCES = 4, EACCES, "Permission denied";
    EEXIST = 5, EEXIST, "File exists";
    EINVAL = 6, EINVAL, "Invalid argument";
    ENOTEMPTY = 7, ENOTEMPTY, "Directory not empty";
    CHUNKLOST = 8, ENXIO, "Chunk lost";
    OUTOFMEMORY = 9, EINVAL, "Out of memory";
    INDEXTOOBIG = 10, EFBIG, "Index too big";
    LOCKED = 11, EINVAL, "Chunk locked";
    NOCHUNKSERVERS = 12, ENOSPC, "No chunk servers";
    NOCHUNK = 13, EINVAL, "No such chunk";
    CHUNKBUSY = 14, EINVAL, "Chunk is busy";
    REGISTER = 15, EINVAL, "Incorrect register BLOB";
    NOTDONE = 16, EINVAL, "Operation not completed";
    NOTOPENED = 17, EBADF, "File not opened";
    NOTSTARTED = 18, EINVAL, "Write not started";
    WRONGVERSION = 19, EINVAL, "Wrong chunk version";
    CHUNKEXIST = 20, EINVAL, "Chunk already exists";
    NOSPACE = 21, ENOSPC, "No space left";
    IO = 22, EIO, "IO error";
    BNUMTOOBIG = 23, EINVAL, "Incorrect block number";
    WRONGSIZE = 24, EINVAL, "Incorrect size";
    WRONGOFFSET = 25, EINVAL, "Incorrect offset";
    CANTCONNECT = 26, EINVAL, "Can't connect";
    WRONGCHUNKID = 27, EINVAL, "Incorrect chunk id";
    DISCONNECTED = 28, EINVAL, "Disconnected";
    CRC = 29, EINVAL, "CRC error";
    DELAYED = 30, EINVAL, "Operation delayed";
    CANTCREATEPATH = 31, EINVAL, "Can't create path";
    MISMATCH = 32, EINVAL, "Data mismatch";
    EROFS = 33, EROFS, "Read-only file system";
    QUOTA = 34, EDQUOT, "Quota exceeded";
    BADSESSIONID = 35, EINVAL, "Bad session id";
    NOPASSWORD = 36, EINVAL, "Password is needed";
    BADPASSWORD = 37, EINVAL, "Incorrect password";
    ENOATTR = 38, ENODATA, "Attribute not found";
    ENOTSUP = 39, ENOTSUP, "Operation not supported";
    ERANGE = 40, ERANGE, "Result too large";
    NOTFOUND = 41, EINVAL, "Entity not found";
    ACTIVE = 42, EINVAL, "Entity is active";
    CSNOTPRESENT = 43, ENXIO, "Chunkserver not present";
    WAITING = 44, EINVAL, "Waiting on lock";
    EAGAIN = 45, EAGAIN, "Resource temporarily unavailable";
    EINTR = 46, EINTR, "Interrupted system call";
    ECANCELED = 47, ECANCELED, "Operation canceled";
    ENOENT_NOCACHE = 48, EINVAL, "No such file or directory (not cacheable)";
    EPERM_NOTADMIN = 49, EINVAL, "Operation not permitted (mfs admin only)";
    CLASSEXISTS = 50, EINVAL, "Class name already in use";
    CLASSLIMITREACH = 51, EINVAL, "Maximum number of classes reached";
    NOSUCHCLASS = 52, EINVAL, "No such class";
    CLASSINUSE = 53, EINVAL, "Class in use";
}

impl Status {
    pub fn is_ok(self) -> bool {
        self == Status::OK
    }
}

impl std::fmt::Debug for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name}"),
            None => write!(f, "Status({})", self.0),
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

impl Wire for Status {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        let (rest, raw) = u8::decode(input, ctx)?;
        Ok((rest, Status(raw)))
    }
    fn encode(&self, out: &mut BytesMut) {
        self.0.encode(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_mapping_follows_mfsmount() {
        assert_eq!(Status::OK.errno(), 0);
        assert_eq!(Status::ENOENT.errno(), ENOENT);
        assert_eq!(Status::QUOTA.errno(), EDQUOT);
        assert_eq!(Status::ENOATTR.errno(), ENODATA);
        assert_eq!(Status::NOCHUNKSERVERS.errno(), ENOSPC);
        assert_eq!(Status::CHUNKLOST.errno(), ENXIO);
        assert_eq!(Status::CRC.errno(), EINVAL);
        assert_eq!(Status(200).errno(), EINVAL);
    }

    #[test]
    fn unknown_codes_keep_their_value() {
        assert_eq!(format!("{:?}", Status(99)), "Status(99)");
        assert_eq!(Status(99).message(), "Unknown MFS error");
        assert_eq!(Status::CLASSINUSE.message(), "Class in use");
    }
}
