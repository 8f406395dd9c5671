//! Extended attributes, with MooseFS 3.0.117's rules: names up to 255
//! bytes without NUL, values up to 64 KiB, at most 64 KiB of names
//! (each counted with its terminating NUL) per node. Listing shows the
//! newest name first, as MooseFS's per-node list does; replacing a value
//! keeps the name where it is.
//!
//! Permissions: reading needs read access unless the caller has the file
//! open; writing needs write access unless open, and the node must not be
//! immutable. Only root may touch `trusted.*` (and write `security.*`),
//! and only the owner or root may write `system.*`.

use mooseng_wire::Status;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::access::{Caller, EATTR_IMMUTABLE, MAY_READ, MAY_WRITE};
use super::mutation::Outcome;
use super::node::{Inode, NameBytes, Node};
use super::Namespace;

/// The `mode` of a SETXATTR request (`MFS_XATTR_*`).
pub mod xattr_mode {
    pub const CREATE_OR_REPLACE: u8 = 0;
    pub const CREATE_ONLY: u8 = 1;
    pub const REPLACE_ONLY: u8 = 2;
    pub const REMOVE: u8 = 3;
}

/// `MFS_XATTR_NAME_MAX`.
pub const XATTR_NAME_MAX: usize = 255;
/// `MFS_XATTR_SIZE_MAX`: the longest value.
pub const XATTR_SIZE_MAX: usize = 65536;
/// `MFS_XATTR_LIST_MAX`: the longest list of NUL-terminated names.
pub const XATTR_LIST_MAX: usize = 65536;

/// One name and its value.
type Xattr = (NameBytes, Box<[u8]>);

/// One node's extended attributes, newest first, kept with its ACLs
/// behind the node's one pointer for extras (`Extras`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Xattrs(Vec<Xattr>);

/// Written as the plain list snapshots have always held.
impl Serialize for Xattrs {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct("Xattrs", self.all())
    }
}

impl<'de> Deserialize<'de> for Xattrs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename = "Xattrs")]
        struct Listed(Vec<Xattr>);
        let Listed(all) = Listed::deserialize(deserializer)?;
        Ok(Xattrs(all))
    }
}

impl Xattrs {
    pub const fn new() -> Xattrs {
        Xattrs(Vec::new())
    }

    fn all(&self) -> &[Xattr] {
        &self.0
    }

    fn all_mut(&mut self) -> &mut Vec<Xattr> {
        &mut self.0
    }

    pub fn is_empty(&self) -> bool {
        self.all().is_empty()
    }

    pub fn get(&self, name: &[u8]) -> Option<&[u8]> {
        self.all()
            .iter()
            .find(|(n, _)| &n[..] == name)
            .map(|(_, value)| &value[..])
    }

    /// Bytes of the name list: every name followed by a NUL.
    pub fn list_len(&self) -> usize {
        self.all().iter().map(|(name, _)| name.len() + 1).sum()
    }

    /// The name list as LISTXATTR returns it.
    pub fn list(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.list_len());
        for (name, _) in self.all() {
            out.extend_from_slice(name);
            out.push(0);
        }
        out
    }

    pub(super) fn set(&mut self, name: &[u8], value: &[u8], mode: u8) -> Result<(), Status> {
        use xattr_mode::*;
        let found = self.all().iter().position(|(n, _)| &n[..] == name);
        match (found, mode) {
            (Some(_), CREATE_ONLY) => Err(Status::EEXIST),
            (Some(at), REMOVE) => {
                self.all_mut().remove(at);
                Ok(())
            }
            (Some(at), CREATE_OR_REPLACE | REPLACE_ONLY) => {
                self.all_mut()[at].1 = value.into();
                Ok(())
            }
            (None, REPLACE_ONLY | REMOVE) => Err(Status::ENOATTR),
            (None, CREATE_OR_REPLACE | CREATE_ONLY) => {
                if self.list_len() + name.len() + 1 > XATTR_LIST_MAX {
                    return Err(Status::ERANGE);
                }
                self.all_mut().insert(0, (name.into(), value.into()));
                Ok(())
            }
            _ => Err(Status::EINVAL),
        }
    }
}

impl Namespace {
    /// GETXATTR of one name.
    pub fn get_xattr(
        &self,
        caller: &Caller,
        inode: Inode,
        name: &[u8],
        opened: bool,
    ) -> Result<&[u8], Status> {
        let node = self.get(inode).ok_or(Status::ENOENT)?;
        if !caller.is_root() && name.starts_with(b"trusted.") {
            return Err(Status::EPERM);
        }
        check_readable(caller, node, opened)?;
        check_xattr_name(name)?;
        node.extras.xattrs().get(name).ok_or(Status::ENOATTR)
    }

    /// GETXATTR with an empty name: the attributes to list.
    pub fn list_xattrs(
        &self,
        caller: &Caller,
        inode: Inode,
        opened: bool,
    ) -> Result<&Xattrs, Status> {
        let node = self.get(inode).ok_or(Status::ENOENT)?;
        check_readable(caller, node, opened)?;
        if node.extras.xattrs().list_len() > XATTR_LIST_MAX {
            return Err(Status::ERANGE);
        }
        Ok(node.extras.xattrs())
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn set_xattr(
        &mut self,
        ts: u32,
        caller: &Caller,
        inode: Inode,
        name: &[u8],
        value: &[u8],
        mode: u8,
        opened: bool,
    ) -> Result<Outcome, Status> {
        let node = self.get(inode).ok_or(Status::ENOENT)?;
        if !caller.is_root() && (name.starts_with(b"trusted.") || name.starts_with(b"security.")) {
            return Err(Status::EPERM);
        }
        if !caller.owns(node) && !caller.is_root() && name.starts_with(b"system.") {
            return Err(Status::EPERM);
        }
        if node.eattr & EATTR_IMMUTABLE != 0 {
            return Err(Status::EPERM);
        }
        if !opened && !caller.may(node, MAY_WRITE) {
            return Err(Status::EACCES);
        }
        check_xattr_name(name)?;
        if name.is_empty() || mode > xattr_mode::REMOVE {
            return Err(Status::EINVAL);
        }
        if value.len() > XATTR_SIZE_MAX {
            return Err(Status::ERANGE);
        }
        let node = self.node_mut(inode);
        node.extras
            .change_xattrs(|xattrs| xattrs.set(name, value, mode))?;
        node.ctime = ts;
        Ok(Outcome::Node(inode))
    }
}

fn check_readable(caller: &Caller, node: &Node, opened: bool) -> Result<(), Status> {
    if opened || caller.may(node, MAY_READ) {
        Ok(())
    } else {
        Err(Status::EACCES)
    }
}

/// Names may hold any byte but NUL (`xattr_namecheck`).
fn check_xattr_name(name: &[u8]) -> Result<(), Status> {
    if name.len() > XATTR_NAME_MAX || name.contains(&0) {
        Err(Status::EINVAL)
    } else {
        Ok(())
    }
}
