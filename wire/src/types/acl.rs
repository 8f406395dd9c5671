//! POSIX ACLs as GETFACL answers and SETFACL carries them:
//! `userperm:16 groupperm:16 otherperm:16 mask:16 namedusers:16
//! namedgroups:16 namedusers * [ id:32 perm:16 ] namedgroups * [ id:32 perm:16 ]`.

use bytes::BytesMut;

use crate::codec::{malformed, Ctx, Parsed, Wire};
use crate::records;

/// Which ACL of a node (`POSIX_ACL_*`).
pub mod acl_type {
    pub const ACCESS: u8 = 1;
    pub const DEFAULT: u8 = 2;
}

records! {
    /// `id:32 perm:16` — a named user or group entry.
    AclEntry { id: u32, perm: u16 }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct Acl {
    pub user: u16,
    pub group: u16,
    pub other: u16,
    pub mask: u16,
    #[cfg_attr(
        test,
        proptest(
            strategy = "proptest::collection::vec(proptest::prelude::any::<AclEntry>(), 0..4)"
        )
    )]
    pub named_users: Vec<AclEntry>,
    #[cfg_attr(
        test,
        proptest(
            strategy = "proptest::collection::vec(proptest::prelude::any::<AclEntry>(), 0..4)"
        )
    )]
    pub named_groups: Vec<AclEntry>,
}

fn decode_entries(mut input: &[u8], count: u16, ctx: Ctx) -> Parsed<'_, Vec<AclEntry>> {
    if usize::from(count) * 6 > input.len() {
        return Err(malformed(input));
    }
    let mut entries = Vec::with_capacity(count.into());
    for _ in 0..count {
        let (rest, entry) = AclEntry::decode(input, ctx)?;
        entries.push(entry);
        input = rest;
    }
    Ok((input, entries))
}

impl Wire for Acl {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        let (input, user) = u16::decode(input, ctx)?;
        let (input, group) = u16::decode(input, ctx)?;
        let (input, other) = u16::decode(input, ctx)?;
        let (input, mask) = u16::decode(input, ctx)?;
        let (input, users) = u16::decode(input, ctx)?;
        let (input, groups) = u16::decode(input, ctx)?;
        let (input, named_users) = decode_entries(input, users, ctx)?;
        let (input, named_groups) = decode_entries(input, groups, ctx)?;
        let acl = Acl {
            user,
            group,
            other,
            mask,
            named_users,
            named_groups,
        };
        Ok((input, acl))
    }

    fn encode(&self, out: &mut BytesMut) {
        for value in [self.user, self.group, self.other, self.mask] {
            value.encode(out);
        }
        (self.named_users.len() as u16).encode(out);
        (self.named_groups.len() as u16).encode(out);
        self.named_users.iter().for_each(|e| e.encode(out));
        self.named_groups.iter().for_each(|e| e.encode(out));
    }
}
