//! CHECK: how many copies each chunk of a file has (`mfscheckfile`), and
//! where the copies of one chunk are (`mfsfileinfo`).

use std::collections::HashMap;

use mooseng_wire::cltoma::FuseCheck;
use mooseng_wire::codec::Rest;
use mooseng_wire::matocl::{check_type, CheckResult, ChunkCopies, ChunkCopy, FuseCheckReply};
use mooseng_wire::{Status, Version};

use super::node::into_reply;
use super::reply::reply;
use super::{Action, Request};
use crate::chunks::{ChunkCopy as Copy, ChunkInfo, CopyState};
use crate::view::View;

/// First client version reading the count of holes as a twelfth number.
const HOLE_COUNT_SINCE: Version = Version::new(3, 0, 30);
/// Copy counts of 10 and more share the last column.
const MAX_COUNTED: usize = 10;

impl Request<'_> {
    pub(super) async fn check(self, m: FuseCheck) -> Action {
        let result = match m.index {
            Some(index) => self.chunk_copies(m.inode, index).await,
            None => self.copy_counts(m.inode).await,
        };
        reply(FuseCheckReply {
            msgid: m.msgid,
            reply: into_reply(result),
        })
    }

    /// Chunks of the file by number of valid copies (MooseFS's
    /// `fsnodes_checkfile`); holes are counted apart.
    async fn copy_counts(&self, client_inode: u32) -> Result<CheckResult, Status> {
        let chunks = {
            let ns = self.master.store.read().await;
            let inode = View::new(&ns, self.session, self.version).resolve(client_inode)?;
            ns.file(inode)?.chunks.to_vec()
        };
        let mut counts = [0u32; 12];
        for chunk in chunks {
            let slot = if chunk == 0 {
                11
            } else {
                let info = self.master.chunks.chunk(chunk);
                valid_copies(info.as_ref()).min(MAX_COUNTED)
            };
            counts[slot] += 1;
        }
        Ok(if self.version >= HOLE_COUNT_SINCE {
            CheckResult::Counts12(counts)
        } else {
            let mut first = [0u32; 11];
            first.copy_from_slice(&counts[..11]);
            CheckResult::Counts11(first)
        })
    }

    /// The copies of the chunk in slot `index`; a hole is chunk 0,
    /// version 0, without copies.
    async fn chunk_copies(&self, client_inode: u32, index: u32) -> Result<CheckResult, Status> {
        let (chunk, _) = {
            let ns = self.master.store.read().await;
            let inode = View::new(&ns, self.session, self.version).resolve(client_inode)?;
            ns.chunk_at(inode, index)?
        };
        if chunk == 0 {
            return Ok(CheckResult::Chunk(ChunkCopies {
                chunkid: 0,
                version: 0,
                copies: Rest(Vec::new()),
            }));
        }
        let info = self.master.chunks.chunk(chunk).ok_or(Status::NOCHUNK)?;
        let addrs: HashMap<_, _> = self
            .master
            .chunks
            .servers()
            .into_iter()
            .map(|(id, s)| (id, s.addr))
            .collect();
        let copies = info
            .copies
            .iter()
            .filter_map(|c| Some((addrs.get(&c.server)?, check_kind(c)?)))
            .map(|(addr, kind)| ChunkCopy {
                ip: *addr.ip(),
                port: addr.port(),
                kind,
            })
            .collect();
        Ok(CheckResult::Chunk(ChunkCopies {
            chunkid: chunk,
            version: info.version,
            copies: Rest(copies),
        }))
    }
}

/// Copies holding the current data, being written to included.
fn valid_copies(info: Option<&ChunkInfo>) -> usize {
    info.map_or(0, |i| i.copies.iter().filter(|c| c.is_usable()).count())
}

/// How CHECK names a copy; copies being deleted or still being replicated
/// are not listed, as MooseFS leaves out the ones it is deleting.
fn check_kind(copy: &Copy) -> Option<u8> {
    match (copy.state, copy.todel) {
        (CopyState::Valid | CopyState::Busy, false) => Some(check_type::VALID),
        (CopyState::Valid | CopyState::Busy, true) => Some(check_type::MARKED_FOR_REMOVAL),
        (CopyState::WrongVersion, false) => Some(check_type::WRONG_VERSION),
        (CopyState::WrongVersion, true) => Some(check_type::WV_AND_MFR),
        (CopyState::Deleting | CopyState::Replicating, _) => None,
    }
}
