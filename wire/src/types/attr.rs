//! The file attribute record every metadata reply carries.
//!
//! `flags:8 type:4 mode:12 uid:32 gid:32 atime:32 mtime:32 ctime:32 nlink:32
//! [ length:64 | major:16 minor:16 empty:32 ] winattr:8`: 36 bytes since
//! 3.0.93, 35 bytes (no `winattr`) before.

use bytes::BytesMut;

use crate::codec::{Ctx, Parsed, Wire};
use crate::version::Version;

/// Node types as the attribute record's 4-bit `type` field gives them.
pub mod node_type {
    pub const FILE: u8 = 1;
    pub const DIRECTORY: u8 = 2;
    pub const SYMLINK: u8 = 3;
    pub const FIFO: u8 = 4;
    pub const BLOCKDEV: u8 = 5;
    pub const CHARDEV: u8 = 6;
    pub const SOCKET: u8 = 7;
    pub const TRASH: u8 = 8;
    pub const SUSTAINED: u8 = 9;
}

/// First version whose attribute record ends with `winattr:8`.
const WINATTR_SINCE: Version = Version::new(3, 0, 93);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Attr {
    /// `MATTR_*` cache and xattr hints.
    pub flags: u8,
    /// One of [`node_type`]; four bits on the wire.
    pub kind: u8,
    /// Permission bits including setuid/setgid/sticky; twelve bits on the wire.
    pub mode: u16,
    pub uid: u32,
    pub gid: u32,
    pub atime: u32,
    pub mtime: u32,
    pub ctime: u32,
    pub nlink: u32,
    /// File length, or `major:16 minor:16 0:32` for block and character devices.
    pub length: u64,
    /// Windows attribute bits; absent in the 35-byte record of older peers.
    pub winattr: Option<u8>,
}

impl Attr {
    /// Size of the record a peer of `version` sends.
    pub fn record_size(version: Version) -> usize {
        if version >= WINATTR_SINCE {
            36
        } else {
            35
        }
    }

    pub fn is_device(&self) -> bool {
        matches!(self.kind, node_type::BLOCKDEV | node_type::CHARDEV)
    }

    /// Device numbers of a block or character device node.
    pub fn rdev(&self) -> (u16, u16) {
        ((self.length >> 48) as u16, (self.length >> 32) as u16)
    }

    pub fn set_rdev(&mut self, major: u16, minor: u16) {
        self.length = ((major as u64) << 48) | ((minor as u64) << 32);
    }
}

impl Wire for Attr {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        let (input, flags) = u8::decode(input, ctx)?;
        let (input, type_mode) = u16::decode(input, ctx)?;
        let (input, uid) = u32::decode(input, ctx)?;
        let (input, gid) = u32::decode(input, ctx)?;
        let (input, atime) = u32::decode(input, ctx)?;
        let (input, mtime) = u32::decode(input, ctx)?;
        let (input, ctime) = u32::decode(input, ctx)?;
        let (input, nlink) = u32::decode(input, ctx)?;
        let (input, length) = u64::decode(input, ctx)?;
        let (input, winattr) = if ctx.peer_version >= WINATTR_SINCE {
            let (input, winattr) = u8::decode(input, ctx)?;
            (input, Some(winattr))
        } else {
            (input, None)
        };
        let attr = Attr {
            flags,
            kind: (type_mode >> 12) as u8,
            mode: type_mode & 0x0fff,
            uid,
            gid,
            atime,
            mtime,
            ctime,
            nlink,
            length,
            winattr,
        };
        Ok((input, attr))
    }

    fn encode(&self, out: &mut BytesMut) {
        self.flags.encode(out);
        ((u16::from(self.kind & 0x0f) << 12) | (self.mode & 0x0fff)).encode(out);
        self.uid.encode(out);
        self.gid.encode(out);
        self.atime.encode(out);
        self.mtime.encode(out);
        self.ctime.encode(out);
        self.nlink.encode(out);
        self.length.encode(out);
        self.winattr.encode(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory record laid out as MFSCommunication.h describes it
    /// (mode 0777, uid/gid 0, nlink 2, length 0, winattr 0).
    const ROOT: [u8; 36] = [
        0x00, // flags
        0x21, 0xff, // type 2 (directory), mode 0777
        0, 0, 0, 0, // uid
        0, 0, 0, 0, // gid
        0x65, 0x00, 0x00, 0x01, // atime
        0x65, 0x00, 0x00, 0x02, // mtime
        0x65, 0x00, 0x00, 0x03, // ctime
        0, 0, 0, 2, // nlink
        0, 0, 0, 0, 0, 0, 0, 0, // length
        0, // winattr
    ];

    #[test]
    fn decodes_type_and_mode_from_the_shared_16_bits() {
        let (rest, attr) = Attr::decode(&ROOT, Ctx::default()).unwrap();
        assert!(rest.is_empty());
        assert_eq!(attr.kind, node_type::DIRECTORY);
        assert_eq!(attr.mode, 0o777);
        assert_eq!(attr.nlink, 2);
        assert_eq!(attr.winattr, Some(0));
        let mut out = BytesMut::new();
        attr.encode(&mut out);
        assert_eq!(&out[..], &ROOT[..]);
    }

    #[test]
    fn older_peers_send_35_bytes() {
        let ctx = Ctx {
            peer_version: Version::new(3, 0, 90),
        };
        let (rest, attr) = Attr::decode(&ROOT, ctx).unwrap();
        assert_eq!(rest.len(), 1);
        assert_eq!(attr.winattr, None);
    }

    #[test]
    fn device_numbers_live_in_the_length_field() {
        let mut attr = Attr {
            kind: node_type::CHARDEV,
            ..Attr::default()
        };
        attr.set_rdev(1, 3);
        assert_eq!(attr.rdev(), (1, 3));
        assert!(attr.is_device());
    }
}
