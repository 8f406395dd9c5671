//! MASS_RESOLVE_PATHS: the paths of a list of inodes, which `mfscli` asks
//! for to name the files in its lists (missing chunks, open files, locks).
//! Answered in any registration state, for the whole file system.

use mooseng_wire::cltoma_info::MassResolvePaths;
use mooseng_wire::codec::{Bytes32, Rest};
use mooseng_wire::info_lists::{InodePaths, PathSet};
use mooseng_wire::matocl_info;

use super::reply::reply;
use super::{Action, Master};
use crate::namespace::Whereabouts;

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
            let paths = match ns.whereabouts(inode) {
                Whereabouts::Unknown => vec![b"(deleted)".to_vec()],
                Whereabouts::Root => vec![b"/".to_vec()],
                Whereabouts::Trash(path) => vec![wrapped(b"./TRASH (", path)],
                Whereabouts::Sustained(path) => vec![wrapped(b"./SUSTAINED (", path)],
                Whereabouts::Linked(paths) => paths,
            };
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

/// `head` + `path` + `)`.
fn wrapped(head: &[u8], path: &[u8]) -> Vec<u8> {
    [head, path, b")"].concat()
}
