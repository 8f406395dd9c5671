//! Storage-class administration answers (`MATOCL_SCLASS_*`, 351-361).

use bytes::BytesMut;

use crate::codec::Ctx;
use crate::codec::{Name, Tail, Wire};
use crate::message::{decode_named, DecodeError};
use crate::messages;
use crate::records;
use crate::types::{Reply, SclassDef, Status};

records! {
    /// `fver:8` then the definition — a class as SCLASS_CHANGE reports it.
    SclassState { fver: u8, def: SclassDef }

    /// `storage_class_name:NAME admin_only:8 mode:8 arch_delay:16 ...` — one entry of a long list.
    SclassEntry { name: Name, def: SclassDef }
}

/// The entries of SCLASS_LIST, whose shape the request's `fver` chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SclassEntries {
    /// `fver == 0`: `N * [ storage_class_name:NAME ]`
    Names(Vec<Name>),
    /// `fver != 0`: names with definitions.
    Defined(Vec<SclassEntry>),
}

messages! {
    /// `msgid:32 status:8`
    SclassCreateReply = 351 MATOCL_SCLASS_CREATE { msgid: u32, status: Status }

    /// `msgid:32 status:8`
    /// `msgid:32 fver:8 admin_only:8 mode:8 arch_delay:16 create_labelscnt:8 keep_labelscnt:8 arch_labelscnt:8 create_labelscnt * [ MASKORGROUP * [ labelmask:32 ] ] keep_labelscnt * [ MASKORGROUP * [ labelmask:32 ] ] arch_labelscnt * [ MASKORGROUP * [ labelmask:32 ] ]`
    SclassChangeReply = 353 MATOCL_SCLASS_CHANGE { msgid: u32, reply: Reply<SclassState> }

    /// `msgid:32 status:8`
    SclassDeleteReply = 355 MATOCL_SCLASS_DELETE { msgid: u32, status: Status }

    /// `msgid:32 status:8`
    SclassDuplicateReply = 357 MATOCL_SCLASS_DUPLICATE { msgid: u32, status: Status }

    /// `msgid:32 status:8`
    SclassRenameReply = 359 MATOCL_SCLASS_RENAME { msgid: u32, status: Status }

    /// `msgid:32 N * [ storage_class_name:NAME ]` (request fver==0)
    /// `msgid:32 N * [ storage_class_name:NAME admin_only:8 mode:8 arch_delay:16 create_labelscnt:8 keep_labelscnt:8 arch_labelscnt:8 create_labelscnt * [ MASKORGROUP * [ labelmask:32 ] ] keep_labelscnt * [ MASKORGROUP * [ labelmask:32 ] ] arch_labelscnt * [ MASKORGROUP * [ labelmask:32 ] ] ]` (request fver!=0)
    SclassListReply = 361 MATOCL_SCLASS_LIST { msgid: u32, entries: Tail }
}

impl SclassListReply {
    /// Builds the answer; the shape follows the variant of `entries`.
    pub fn new(msgid: u32, entries: &SclassEntries) -> Self {
        let mut out = BytesMut::new();
        match entries {
            SclassEntries::Names(names) => names.iter().for_each(|n| n.encode(&mut out)),
            SclassEntries::Defined(list) => list.iter().for_each(|e| e.encode(&mut out)),
        }
        SclassListReply {
            msgid,
            entries: Tail(out.freeze()),
        }
    }

    /// Reads the entries; `long` is whether the request's `fver` was non-zero.
    pub fn parse(&self, long: bool, ctx: Ctx) -> Result<SclassEntries, DecodeError> {
        let name = "MATOCL_SCLASS_LIST";
        if long {
            decode_named::<crate::codec::Rest<SclassEntry>>(name, &self.entries.0, ctx)
                .map(|list| SclassEntries::Defined(list.0))
        } else {
            decode_named::<crate::codec::Rest<Name>>(name, &self.entries.0, ctx)
                .map(|list| SclassEntries::Names(list.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_is_read_in_the_shape_the_request_chose() {
        let entries = SclassEntries::Defined(vec![SclassEntry {
            name: Name::new(&b"ssd"[..]),
            def: SclassDef::default(),
        }]);
        let reply = SclassListReply::new(7, &entries);
        assert_ne!(reply.parse(false, Ctx::default()), Ok(entries.clone()));
        assert_eq!(reply.parse(true, Ctx::default()), Ok(entries));

        let names = SclassEntries::Names(vec![Name::new(&b"1"[..]), Name::new(&b"2"[..])]);
        let reply = SclassListReply::new(7, &names);
        assert_eq!(&reply.entries.0[..], b"\x011\x012");
        assert_eq!(reply.parse(false, Ctx::default()), Ok(names));
    }
}
