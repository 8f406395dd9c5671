//! Requests about file data (READ_CHUNK, WRITE_CHUNK, WRITE_CHUNK_END), and
//! the chunk references every namespace change may end.
//!
//! As in MooseFS's `fs_readchunk`, `fs_writechunk` and `fs_writeend`: the
//! namespace says which chunk fills a file's slot, the [`ChunkService`]
//! says where it lives and leases it for writing, and the namespace learns
//! the new chunk and the new length through mutations, so the metadata log
//! carries them.
//!
//! [`ChunkService`]: crate::chunks::ChunkService

use mooseng_wire::cltoma::{FuseReadChunk, FuseWriteChunk, FuseWriteChunkEnd};
use mooseng_wire::matocl::{FuseReadChunkReply, FuseWriteChunkEndReply, FuseWriteChunkReply};
use mooseng_wire::types::chunk::{LabeledServer, Server, VersionedServer};
use mooseng_wire::types::{ChunkLocation, Servers};
use mooseng_wire::{Status, Version};

use super::nearest::nearest_first;
use super::node::into_reply;
use super::reply::reply;
use super::{disable, Action, Master, Request};
use crate::chunks::{self, ChunkEntry, FileRef, Holder};
use crate::namespace::{Caller, Inode, Mutation, Outcome, EATTR_IMMUTABLE};
use crate::session::Op;
use crate::view::View;

/// First client version reading location records with `cs_ver` (protocolid 1).
const VERSIONED_SERVERS_SINCE: Version = Version::new(1, 7, 32);
/// First client version reading location records with labels (protocolid 2).
const LABELED_SERVERS_SINCE: Version = Version::new(3, 0, 10);
/// First client version told EROFS rather than EIO for a write on a
/// read-only export.
const EROFS_SINCE: Version = Version::new(3, 0, 101);

impl Request<'_> {
    /// Submits a namespace change and drops, in the chunk table, every
    /// chunk reference the change ended (an unlinked or truncated file's),
    /// and moves the class of every reference whose file changed class. A
    /// changed class table goes to the chunk service before the answer, so
    /// the next write or planner pass already follows it.
    pub(super) async fn change(
        &self,
        caller: &Caller,
        mutation: Mutation,
    ) -> Result<Outcome, Status> {
        let classes_changed = mutation.changes_classes();
        let outcome = self.master.store.change(caller, mutation).await?;
        commit_chunk_changes(self.master, &outcome);
        if classes_changed {
            let classes = self.master.store.read().await.classes().clone();
            self.master.chunks.set_classes(classes);
        }
        Ok(outcome)
    }

    pub(super) async fn read_chunk(self, m: FuseReadChunk) -> Action {
        let result = if self.disabled(disable::READ) {
            Err(Status::EPERM)
        } else {
            self.locate(m.inode, m.index).await
        };
        if result.is_ok() {
            self.session.ops.count(Op::Read);
            self.master.charts.count(Op::Read);
            let inode = self.session.to_internal(m.inode);
            self.master
                .sessions
                .data_caches
                .read(inode, self.session.id);
        }
        reply(FuseReadChunkReply {
            msgid: m.msgid,
            reply: into_reply(result),
        })
    }

    /// A hole (or a slot past the end) answers chunk 0, version 0 and no
    /// servers, which `mfsmount` reads as zeros.
    async fn locate(&self, inode: Inode, index: u32) -> Result<ChunkLocation, Status> {
        let (chunk, length) = {
            let ns = self.master.store.read().await;
            let inode = View::new(&ns, self.session, self.version).resolve(inode)?;
            ns.chunk_at(inode, index)?
        };
        if chunk == 0 {
            return Ok(self.location(length, chunk, 0, &[]));
        }
        let found = self.master.chunks.locate_for_read(chunk).await?;
        Ok(self.location(length, chunk, found.version, &found.servers))
    }

    pub(super) async fn write_chunk(self, m: FuseWriteChunk) -> Action {
        let result = match self.may_write() {
            Ok(()) => self.lease(m.inode, m.index).await,
            Err(status) => Err(status),
        };
        if result.is_ok() {
            self.session.ops.count(Op::Write);
            self.master.charts.count(Op::Write);
        }
        reply(FuseWriteChunkReply {
            msgid: m.msgid,
            reply: into_reply(result),
        })
    }

    /// Leases the chunk of slot `index` (creating one for a hole), records
    /// it in the file, and answers with the chain to write through.
    async fn lease(&self, client_inode: Inode, index: u32) -> Result<ChunkLocation, Status> {
        let (inode, current, class) = {
            let ns = self.master.store.read().await;
            let inode = View::new(&ns, self.session, self.version).resolve(client_inode)?;
            let (current, _) = ns.chunk_at(inode, index)?;
            let node = ns.get(inode).ok_or(Status::ENOENT)?;
            if node.eattr & EATTR_IMMUTABLE != 0 {
                return Err(Status::EPERM);
            }
            (inode, current, node.sclass)
        };
        let service = &self.master.chunks;
        let lease = service
            .lease_for_write(FileRef { inode, index }, current, class)
            .await?;
        let record = Mutation::SetChunk {
            inode,
            index,
            expect: current,
            chunk: lease.chunk,
        };
        if let Err(status) = self.change(&Caller::root(), record).await {
            // The file went away or another writer filled the slot first:
            // give the lease (and a chunk made for nothing) back.
            if lease.chunk != current {
                let entry = ChunkEntry::DropRef {
                    chunk: lease.chunk,
                    class,
                };
                if let Err(status) = service.commit(entry) {
                    tracing::warn!(chunk = lease.chunk, ?status, "cannot drop an unused chunk");
                }
            }
            if let Err(status) = service.write_end(lease.chunk).await {
                tracing::debug!(chunk = lease.chunk, ?status, "unused lease already gone");
            }
            return Err(status);
        }
        let length = {
            let ns = self.master.store.read().await;
            ns.file(inode)?.length
        };
        self.others_caches_stale(inode);
        self.chunk_changed(inode, index, lease.chunk, length, false);
        Ok(self.location(length, lease.chunk, lease.version, &lease.servers))
    }

    pub(super) async fn write_chunk_end(self, m: FuseWriteChunkEnd) -> Action {
        let result = match self.may_write() {
            Ok(()) => self.end_write(&m).await,
            Err(status) => Err(status),
        };
        reply(FuseWriteChunkEndReply {
            msgid: m.msgid,
            status: result.err().unwrap_or(Status::OK),
        })
    }

    /// Records the length the client reached (it never shrinks a file),
    /// ends the lease, even when the file is gone by now, and tells the
    /// file's other holders.
    async fn end_write(&self, m: &FuseWriteChunkEnd) -> Result<(), Status> {
        let inode = {
            let ns = self.master.store.read().await;
            View::new(&ns, self.session, self.version).resolve(m.inode)
        };
        let grown = match inode {
            Ok(inode) if m.length > 0 => {
                let grow = Mutation::GrowLength {
                    inode,
                    length: m.length,
                };
                self.master
                    .store
                    .change(&Caller::root(), grow)
                    .await
                    .map(|_| ())
            }
            Err(status) if m.length > 0 => Err(status),
            _ => Ok(()),
        };
        let ended = self.master.chunks.write_end(m.chunkid).await;
        if let Ok(inode) = inode {
            self.others_caches_stale(inode);
            self.chunk_changed(inode, m.index, m.chunkid, m.length, false);
        }
        grown.and(ended)
    }

    /// The export's refusals of data writes, in MooseFS's order.
    fn may_write(&self) -> Result<(), Status> {
        if self.disabled(disable::WRITE) {
            Err(Status::EPERM)
        } else if self.read_only() && self.version >= EROFS_SINCE {
            Err(Status::EROFS)
        } else if self.read_only() {
            Err(Status::IO)
        } else {
            Ok(())
        }
    }

    /// A location answer in the record shape the client's version reads.
    fn location(
        &self,
        file_length: u64,
        chunkid: chunks::ChunkId,
        version: u32,
        holders: &[Holder],
    ) -> ChunkLocation {
        let holders = nearest_first(holders, self.session.peer, &self.master.topology);
        let servers = if self.version >= LABELED_SERVERS_SINCE {
            Servers::V2(
                holders
                    .iter()
                    .map(|h| LabeledServer {
                        ip: *h.addr.ip(),
                        port: h.addr.port(),
                        version: h.version.0,
                        labelmask: h.labels,
                    })
                    .collect(),
            )
        } else if self.version >= VERSIONED_SERVERS_SINCE {
            Servers::V1(
                holders
                    .iter()
                    .map(|h| VersionedServer {
                        ip: *h.addr.ip(),
                        port: h.addr.port(),
                        version: h.version.0,
                    })
                    .collect(),
            )
        } else {
            Servers::V0(
                holders
                    .iter()
                    .map(|h| Server {
                        ip: *h.addr.ip(),
                        port: h.addr.port(),
                    })
                    .collect(),
            )
        };
        ChunkLocation {
            file_length,
            chunkid,
            version,
            servers,
        }
    }
}

/// Applies to the chunk table what a namespace change did to chunk
/// references: added ones (a snapshot's) first, so that a chunk both
/// gained and lost never looks unreferenced to the planner in between,
/// then dropped ones (a freed file's) and moved classes.
pub(super) fn commit_chunk_changes(master: &Master, outcome: &Outcome) {
    for added in outcome.added() {
        let entry = ChunkEntry::AddRef {
            chunk: added.chunk,
            class: added.class,
        };
        if let Err(status) = master.chunks.commit(entry) {
            tracing::warn!(chunk = added.chunk, ?status, "cannot add a chunk reference");
        }
    }
    for released in outcome.released() {
        let entry = ChunkEntry::DropRef {
            chunk: released.chunk,
            class: released.class,
        };
        if let Err(status) = master.chunks.commit(entry) {
            tracing::warn!(
                chunk = released.chunk,
                ?status,
                "cannot drop a chunk reference"
            );
        }
    }
    for moved in outcome.class_changes() {
        let entry = ChunkEntry::ChangeClass {
            chunk: moved.chunk,
            from: moved.from,
            to: moved.to,
        };
        if let Err(status) = master.chunks.commit(entry) {
            tracing::warn!(
                chunk = moved.chunk,
                ?status,
                "cannot change a chunk's class"
            );
        }
    }
}
