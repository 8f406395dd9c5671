//! The file check `mfscli -SIN` reports under "check loop" and "missing
//! files" (`MATOCL_FSTEST_INFO`, `MATOCL_MISSING_CHUNKS`).
//!
//! MooseFS walks its files slowly in the background (an hour per round,
//! starting a quarter of an hour after the master starts) and answers with
//! the figures of the last finished round. MooseNG has no such loop: it
//! walks the namespace when asked, against the chunks' health at that
//! moment, so the answer describes the present rather than a round that
//! ended up to an hour ago. The figures themselves are counted as MooseFS
//! counts them (`fs_test_files`).

use std::collections::HashMap;

use crate::chunks::{ChunkHealth, ChunkId, MissingKind};
use crate::namespace::{DetachedKind, Inode, Namespace};

/// Most missing chunks listed (MooseFS's default `MISSING_LOG_CAPACITY`).
pub const MISSING_LIST_MAX: usize = 100_000;
/// Most bytes of messages sent (MooseFS's `MSGBUFFSIZE`; `mfscli` says
/// "first 100k" when the text has exactly this length).
pub const MESSAGE_MAX: usize = 100_000;

/// A chunk of a file without a usable copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingChunk {
    pub chunk: ChunkId,
    pub inode: Inode,
    pub index: u32,
    pub kind: MissingKind,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileCheck {
    /// Files, trash and sustained ones included.
    pub files: u32,
    /// Files whose chunks all have a copy, some fewer than their goal.
    pub undergoal_files: u32,
    /// Links of files with a missing chunk (a file with two names counts
    /// twice, as in MooseFS).
    pub missing_files: u32,
    pub missing_trash_files: u32,
    pub missing_sustained_files: u32,
    /// Chunk references of all files (holes are not chunks).
    pub chunks: u32,
    pub undergoal_chunks: u32,
    /// Chunk references without a usable copy or without a chunk.
    pub missing_chunks: u32,
    /// The missing chunks, up to [`MISSING_LIST_MAX`].
    pub missing: Vec<MissingChunk>,
    /// What MooseFS calls important messages: references to chunks the
    /// table does not have, one line each, then their count.
    pub message: Vec<u8>,
}

/// Checks every file of `ns` against `health` (see
/// [`crate::chunks::ChunkState::health`]).
pub fn check_files(ns: &Namespace, health: &HashMap<ChunkId, ChunkHealth>) -> FileCheck {
    let mut check = FileCheck::default();
    let mut unknown = 0u32;
    for (inode, node, file) in ns.files() {
        let mut missing = false;
        let mut undergoal = false;
        for (index, &chunk) in (0u32..).zip(&file.chunks) {
            if chunk == 0 {
                continue;
            }
            check.chunks += 1;
            match health.get(&chunk).copied().unwrap_or(ChunkHealth::Unknown) {
                ChunkHealth::Unknown => {
                    missing = true;
                    check.missing_chunks += 1;
                    unknown += 1;
                    check.note(&format!(
                        "structure error - chunk {chunk:016X} not found \
                         (inode: {inode} ; index: {index})\n"
                    ));
                }
                ChunkHealth::Missing(kind) => {
                    missing = true;
                    check.missing_chunks += 1;
                    if check.missing.len() < MISSING_LIST_MAX {
                        check.missing.push(MissingChunk {
                            chunk,
                            inode,
                            index,
                            kind,
                        });
                    }
                }
                ChunkHealth::Undergoal => {
                    undergoal = true;
                    check.undergoal_chunks += 1;
                }
                ChunkHealth::Enough => {}
            }
        }
        check.files += 1;
        if missing {
            match ns.detached(inode).map(|d| d.kind) {
                Some(DetachedKind::Trash) => check.missing_trash_files += 1,
                Some(DetachedKind::Sustained) => check.missing_sustained_files += 1,
                None => check.missing_files += node.parents.len() as u32,
            }
        } else if undergoal {
            check.undergoal_files += 1;
        }
    }
    if unknown > 0 {
        check.note(&format!("unknown chunks: {unknown}\n"));
    }
    check.message.truncate(MESSAGE_MAX);
    check
}

impl FileCheck {
    /// Adds a line to the messages while there is room.
    fn note(&mut self, line: &str) {
        if self.message.len() < MESSAGE_MAX {
            self.message.extend_from_slice(line.as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::namespace::{
        Caller, Entry, Mutation, NewNode, Outcome, PolicyTarget, SetMode, ROOT,
    };

    fn run(ns: &mut Namespace, mutation: Mutation) -> Outcome {
        let entry = Entry {
            ts: 1_700_000_000,
            caller: Caller::root(),
            mutation,
        };
        ns.apply(&entry).unwrap()
    }

    fn make(ns: &mut Namespace, parent: Inode, name: &str, node: NewNode) -> Inode {
        let create = Mutation::plain_create(parent, name, node);
        match run(ns, create) {
            Outcome::Node(inode) => inode,
            other => panic!("create {name}: {other:?}"),
        }
    }

    /// A file in `parent` whose slots hold `chunks` (0 a hole).
    fn file(ns: &mut Namespace, parent: Inode, name: &str, chunks: &[u64]) -> Inode {
        let inode = make(ns, parent, name, NewNode::File);
        for (index, &chunk) in (0u32..).zip(chunks).filter(|(_, c)| **c != 0) {
            let set = Mutation::SetChunk {
                inode,
                index,
                expect: 0,
                chunk,
            };
            run(ns, set);
        }
        inode
    }

    fn unlink(ns: &mut Namespace, parent: Inode, name: &str) {
        let name = name.as_bytes().into();
        run(ns, Mutation::Unlink { parent, name });
    }

    #[test]
    fn counts_files_and_chunks_as_moosefs_does() {
        let mut ns = Namespace::new(1_700_000_000);
        let dir = make(&mut ns, ROOT, "d", NewNode::Directory);
        // Two names, a missing and an under-goal chunk, and a hole.
        let linked = file(&mut ns, dir, "linked", &[10, 0, 11]);
        let link = Mutation::Link {
            inode: linked,
            parent: ROOT,
            name: b"again"[..].into(),
        };
        run(&mut ns, link);
        let undergoal = file(&mut ns, dir, "undergoal", &[11]);
        let trashed = file(&mut ns, dir, "trashed", &[12]);
        unlink(&mut ns, dir, "trashed");
        // Without trash time and held open, an unlinked file is sustained.
        let open = make(&mut ns, ROOT, "open", NewNode::Directory);
        let target = PolicyTarget {
            inode: open,
            uid: 0,
            mode: SetMode::from_wire(0).unwrap(),
        };
        run(&mut ns, Mutation::SetTrashtime { target, seconds: 0 });
        let sustained = file(&mut ns, open, "s", &[13]);
        let session = 1;
        run(
            &mut ns,
            Mutation::Acquire {
                inode: sustained,
                session,
            },
        );
        unlink(&mut ns, open, "s");
        let lost = file(&mut ns, ROOT, "lost", &[0x63]);
        file(&mut ns, ROOT, "fine", &[14]);
        let health = HashMap::from([
            (10, ChunkHealth::Missing(MissingKind::NoCopy)),
            (11, ChunkHealth::Undergoal),
            (12, ChunkHealth::Missing(MissingKind::WrongVersion)),
            (13, ChunkHealth::Missing(MissingKind::Invalid)),
            (14, ChunkHealth::Enough),
        ]);

        let check = check_files(&ns, &health);
        assert_eq!(check.files, 6);
        assert_eq!(check.chunks, 7, "the shared chunk 11 counts per file");
        assert_eq!(check.undergoal_chunks, 2);
        assert_eq!(check.missing_chunks, 4);
        assert_eq!(check.undergoal_files, 1, "only {undergoal} is whole");
        assert_eq!(check.missing_files, 3, "{linked} twice, {lost} once");
        assert_eq!(check.missing_trash_files, 1);
        assert_eq!(check.missing_sustained_files, 1);
        let missing = |chunk, inode, kind| MissingChunk {
            chunk,
            inode,
            index: 0,
            kind,
        };
        assert_eq!(
            check.missing,
            [
                missing(10, linked, MissingKind::NoCopy),
                missing(12, trashed, MissingKind::WrongVersion),
                missing(13, sustained, MissingKind::Invalid),
            ]
        );
        let message = format!(
            "structure error - chunk 0000000000000063 not found (inode: {lost} ; index: 0)\n\
             unknown chunks: 1\n"
        );
        assert_eq!(String::from_utf8(check.message).unwrap(), message);
    }

    #[test]
    fn a_healthy_tree_reports_nothing_missing() {
        let mut ns = Namespace::new(1_700_000_000);
        file(&mut ns, ROOT, "a", &[1, 0, 2]);
        let health = HashMap::from([(1, ChunkHealth::Enough), (2, ChunkHealth::Enough)]);
        let check = check_files(&ns, &health);
        let expected = FileCheck {
            files: 1,
            chunks: 2,
            ..FileCheck::default()
        };
        assert_eq!(check, expected);
    }
}
