//! Paths and parents of nodes: MASS_RESOLVE_PATHS, which `mfscli` asks
//! for to name the files in its lists (missing chunks, open files, locks),
//! answered in any registration state for the whole file system; and a
//! mount's PATHS (`mfsfilepaths`) and PARENTS, within its session's root.

use mooseng_wire::cltoma::{FuseParents, FusePaths};
use mooseng_wire::cltoma_info::MassResolvePaths;
use mooseng_wire::codec::{Bytes32, Rest};
use mooseng_wire::info_lists::{InodePaths, PathSet};
use mooseng_wire::matocl::{FuseParentsReply, FusePathsReply};
use mooseng_wire::{matocl_info, Status};

use super::node::into_reply;
use super::reply::reply;
use super::{Action, Master, Request};
use crate::namespace::{Inode, Namespace, Whereabouts, ROOT};
use crate::view::View;

/// One path set per inode asked for, in the order asked; inode 0 is
/// skipped. The texts are MooseFS's: `/` for the root, `./TRASH (path)`
/// and `./SUSTAINED (path)` for unlinked files, `(deleted)` for an inode
/// that does not exist.
pub(super) async fn mass_resolve_paths(master: &Master, m: MassResolvePaths) -> Action {
    let ns = master.store.read().await;
    let inodes = m
        .inodes
        .0
        .into_iter()
        .filter(|inode| *inode != 0)
        .map(|inode| {
            let paths = texts(ns.whereabouts(inode));
            InodePaths {
                inode,
                paths: PathSet(Rest(paths.into_iter().map(Bytes32::new).collect())),
            }
        })
        .collect();
    reply(matocl_info::MassResolvePaths {
        inodes: Rest(inodes),
    })
}

/// The path texts MooseFS gives for where a node is.
fn texts(whereabouts: Whereabouts<'_>) -> Vec<Vec<u8>> {
    match whereabouts {
        Whereabouts::Unknown => vec![b"(deleted)".to_vec()],
        Whereabouts::Root => vec![b"/".to_vec()],
        Whereabouts::Trash(path) => vec![wrapped(b"./TRASH (", path)],
        Whereabouts::Sustained(path) => vec![wrapped(b"./SUSTAINED (", path)],
        Whereabouts::Linked(paths) => paths,
    }
}

impl Request<'_> {
    /// PATHS: every path of a node below the session's root, relative to
    /// it; `/` for the root itself.
    pub(super) async fn paths(self, m: FusePaths) -> Action {
        let result = {
            let ns = self.master.store.read().await;
            let root = self.session.grant.root;
            View::new(&ns, self.session, self.version)
                .resolve(m.inode)
                .map(|inode| paths_below(&ns, root, inode))
        };
        let result = result.map(|paths| Rest(paths.into_iter().map(Bytes32::new).collect()));
        reply(FusePathsReply {
            msgid: m.msgid,
            reply: into_reply(result),
        })
    }

    /// PARENTS: the directories linking to a node below the session's
    /// root, the newest link first, the root itself as inode 1.
    pub(super) async fn parents(self, m: FuseParents) -> Action {
        let result: Result<Vec<u32>, Status> = {
            let ns = self.master.store.read().await;
            let root = self.session.grant.root;
            View::new(&ns, self.session, self.version)
                .node(m.inode)
                .map(|(inode, node)| {
                    let within = |parent: &Inode| ns.is_within(*parent, root);
                    match inode == root || ns.detached(inode).is_some() {
                        true => Vec::new(),
                        false => node
                            .parents
                            .iter()
                            .rev()
                            .filter(|p| within(p))
                            .map(|p| self.session.to_client(*p))
                            .collect(),
                    }
                })
        };
        reply(FuseParentsReply {
            msgid: m.msgid,
            reply: into_reply(result.map(Rest)),
        })
    }
}

/// The paths of `inode` as a session rooted at `root` sees them.
fn paths_below(ns: &Namespace, root: Inode, inode: Inode) -> Vec<Vec<u8>> {
    if inode == root {
        return vec![b"/".to_vec()];
    }
    let whereabouts = ns.whereabouts(inode);
    let Whereabouts::Linked(paths) = whereabouts else {
        return texts(whereabouts);
    };
    if root == ROOT {
        return paths;
    }
    let Whereabouts::Linked(tops) = ns.whereabouts(root) else {
        return Vec::new();
    };
    let top = [tops.first().map_or(&[][..], |t| &t[..]), b"/"].concat();
    paths
        .into_iter()
        .filter_map(|path| path.strip_prefix(&top[..]).map(<[u8]>::to_vec))
        .collect()
}

/// `head` + `path` + `)`.
fn wrapped(head: &[u8], path: &[u8]) -> Vec<u8> {
    [head, path, b")"].concat()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::namespace::{Caller, Entry, Mutation, NewNode};

    fn make(ns: &mut Namespace, parent: Inode, name: &str, node: NewNode) -> Inode {
        let entry = Entry {
            ts: 1,
            caller: Caller::root(),
            mutation: Mutation::plain_create(parent, name, node),
        };
        ns.apply(&entry).unwrap().inode()
    }

    #[test]
    fn a_subfolder_session_sees_the_paths_below_its_root_only() {
        let mut ns = Namespace::new(1);
        let sub = make(&mut ns, ROOT, "sub", NewNode::Directory);
        let a = make(&mut ns, sub, "a", NewNode::Directory);
        let file = make(&mut ns, a, "f", NewNode::File);
        let link = Mutation::Link {
            inode: file,
            parent: ROOT,
            name: b"outside".as_slice().into(),
        };
        let entry = Entry {
            ts: 2,
            caller: Caller::root(),
            mutation: link,
        };
        ns.apply(&entry).unwrap();
        let mut everywhere = paths_below(&ns, ROOT, file);
        everywhere.sort();
        assert_eq!(everywhere, [b"outside".to_vec(), b"sub/a/f".to_vec()]);
        assert_eq!(paths_below(&ns, sub, file), [b"a/f".to_vec()]);
        assert_eq!(paths_below(&ns, sub, sub), [b"/".to_vec()]);
    }
}
