//! Answers whose layout depends on their request, read with that request,
//! and answers whose entries mean something by their position, named.
//!
//! The wire crate keeps the first kind as raw bytes (READDIR's entries are
//! plain or with attributes as the request's flags ask) because the
//! answer alone cannot tell; the replayer has the request, so it reads
//! them into typed values before comparing. Otherwise inode numbers and
//! times inside a directory listing would be compared as opaque bytes.
//! MEMORY_INFO's pools are a plain list on the wire; named, a rule can
//! free the use of the chunk pools and still compare every other pool.

use std::fmt::Debug;

use mooseng_wire::cltoma::getdir_flag;
use mooseng_wire::direction::{ClientToMaster as C, MasterToClient as M};
use mooseng_wire::info_lists::MemoryUsage;
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

/// MEMORY_INFO's answer with its pools named.
#[derive(Debug)]
pub struct MemoryInfo {
    pub pools: MemoryPools,
}

/// The eleven memory pools of a 3.0.117 master, in wire order, named as
/// mfscli labels them.
#[derive(Debug)]
pub struct MemoryPools {
    pub chunk_hash: MemoryUsage,
    pub chunks: MemoryUsage,
    /// The lists of each chunk's copies.
    pub cs_lists: MemoryUsage,
    pub edge_hash: MemoryUsage,
    pub edges: MemoryUsage,
    pub node_hash: MemoryUsage,
    pub nodes: MemoryUsage,
    pub deleted_nodes: MemoryUsage,
    pub chunk_tabs: MemoryUsage,
    pub symlinks: MemoryUsage,
    pub quota: MemoryUsage,
}

impl MemoryPools {
    /// The pools of `list`, when it has the eleven of 3.0.117.
    fn named(list: &[MemoryUsage]) -> Option<MemoryPools> {
        let [chunk_hash, chunks, cs_lists, edge_hash, edges, node_hash, nodes, deleted_nodes, chunk_tabs, symlinks, quota] =
            list
        else {
            return None;
        };
        Some(MemoryPools {
            chunk_hash: chunk_hash.clone(),
            chunks: chunks.clone(),
            cs_lists: cs_lists.clone(),
            edge_hash: edge_hash.clone(),
            edges: edges.clone(),
            node_hash: node_hash.clone(),
            nodes: nodes.clone(),
            deleted_nodes: deleted_nodes.clone(),
            chunk_tabs: chunk_tabs.clone(),
            symlinks: symlinks.clone(),
            quota: quota.clone(),
        })
    }
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
        (C::MemoryInfo(_), M::MemoryInfo(a)) => Box::new(MemoryInfo {
            pools: MemoryPools::named(&a.pools.0)?,
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
    fn memory_pools_are_named_when_all_eleven_are_there() {
        let pools: Vec<MemoryUsage> = (0..11)
            .map(|i| MemoryUsage {
                allocated: 100 + i,
                used: i,
            })
            .collect();
        let request = C::MemoryInfo(mooseng_wire::cltoma_info::MemoryInfo {});
        let answer = |pools: Vec<MemoryUsage>| {
            M::MemoryInfo(mooseng_wire::matocl_info::MemoryInfo {
                pools: mooseng_wire::Rest(pools),
            })
        };
        let full = answer(pools.clone());
        let tree = unwrapped(&*view(&request, &full, Ctx::default())).unwrap();
        let named = tree.field("pools").unwrap();
        assert_eq!(
            named.field("cs_lists").and_then(|p| p.field("used")),
            Some(&Value::Leaf("2".into()))
        );
        assert_eq!(
            named.field("quota").and_then(|p| p.field("allocated")),
            Some(&Value::Leaf("110".into()))
        );
        // Another count of pools is compared as the list it is.
        let short = answer(pools[..10].to_vec());
        let tree = unwrapped(&*view(&request, &short, Ctx::default())).unwrap();
        assert!(matches!(tree.field("pools"), Some(Value::Tuple(name, _)) if name == "Rest"));
    }

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
