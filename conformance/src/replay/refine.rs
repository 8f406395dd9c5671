//! Answers whose layout depends on their request, read with that request.
//!
//! The wire crate keeps such answers as raw bytes (READDIR's entries are
//! plain or with attributes as the request's flags ask) because the
//! answer alone cannot tell; the replayer has the request, so it reads
//! them into typed values before comparing. Otherwise inode numbers and
//! times inside a directory listing would be compared as opaque bytes.

use std::fmt::Debug;

use mooseng_wire::cltoma::getdir_flag;
use mooseng_wire::direction::{ClientToMaster as C, MasterToClient as M};
use mooseng_wire::Ctx;

use super::tree::{ParseError, Value};

/// `answer`, read with `request` where its layout needs it. When that
/// reading fails the raw form is compared instead, which still shows any
/// difference.
pub fn view<'a>(request: &C, answer: &'a M, ctx: Ctx) -> Box<dyn Debug + 'a> {
    refined(request, answer, ctx).unwrap_or_else(|| Box::new(answer))
}

/// The tree of a message (or of a [`view`]) without the direction enum's
/// wrapper, which is not part of field paths.
pub fn unwrapped(message: &dyn Debug) -> Result<Value, ParseError> {
    Ok(match Value::of(message)? {
        Value::Tuple(_, mut items) if items.len() == 1 => items.remove(0),
        other => other,
    })
}

/// READDIR's answer with its entries read; named and laid out like the
/// answer it refines, so paths keep the answer's field names.
#[derive(Debug)]
pub struct FuseReaddirReply<T> {
    pub msgid: u32,
    pub reply: T,
}

/// SCLASS_LIST's answer with its entries read.
#[derive(Debug)]
pub struct SclassListReply<T> {
    pub msgid: u32,
    pub entries: T,
}

/// An mfscli table read with the request's mode.
#[derive(Debug)]
pub struct Table<T> {
    pub table: T,
}

fn refined(request: &C, answer: &M, ctx: Ctx) -> Option<Box<dyn Debug>> {
    Some(match (request, answer) {
        (C::FuseReaddir(q), M::FuseReaddirReply(a)) => {
            let with_attr = q.flags & getdir_flag::WITHATTR != 0;
            Box::new(FuseReaddirReply {
                msgid: a.msgid,
                reply: a.parse(with_attr, true, ctx).ok()?,
            })
        }
        (C::SclassList(q), M::SclassListReply(a)) => Box::new(SclassListReply {
            msgid: a.msgid,
            entries: a.parse(q.fver != 0, ctx).ok()?,
        }),
        (C::SessionList(q), M::SessionList(a)) => Box::new(Table {
            table: a.parse_for(q, ctx).ok()?,
        }),
        (C::ExportsInfo(q), M::ExportsInfo(a)) => Box::new(Table {
            table: a.parse_for(q, ctx).ok()?,
        }),
        (C::ListOpenFiles(q), M::ListOpenFiles(a)) => Box::new(Table {
            table: a.parse_for(q, ctx).ok()?,
        }),
        (C::ListAcquiredLocks(q), M::ListAcquiredLocks(a)) => Box::new(Table {
            table: a.parse_for(q, ctx).ok()?,
        }),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mooseng_wire::cltoma::FuseReaddir;
    use mooseng_wire::matocl::{DirEntries, DirEntry, Directory};
    use mooseng_wire::Name;

    #[test]
    fn directory_entries_are_read_as_the_request_asked() {
        let request = C::FuseReaddir(FuseReaddir {
            msgid: 4,
            inode: 1,
            uid: 0,
            gids: mooseng_wire::types::groups::Groups::Single(0),
            flags: 0,
            max_entries: 100,
            next_edge: 0,
        });
        let directory = Directory {
            next_edge: Some(0),
            entries: DirEntries::Plain(vec![DirEntry {
                name: Name::new(&b"d1"[..]),
                inode: 2,
                kind: 2,
            }]),
        };
        let answer =
            M::FuseReaddirReply(mooseng_wire::matocl::FuseReaddirReply::new(4, &directory));
        let tree = unwrapped(&*view(&request, &answer, Ctx::default())).unwrap();
        let Some(Value::Tuple(_, ok)) = tree.field("reply") else {
            panic!("{tree:?}");
        };
        let Some(Value::Tuple(variant, lists)) = ok[0].field("entries") else {
            panic!("{tree:?}");
        };
        assert_eq!(variant, "Plain");
        let Value::List(entries) = &lists[0] else {
            panic!("{tree:?}");
        };
        assert_eq!(entries[0].field("inode"), Some(&Value::Leaf("2".into())));
    }
}
