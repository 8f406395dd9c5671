//! The chunk table together with the soft state around it, as plain
//! synchronous code: every reaction to a chunkserver or a client is a
//! method here, and what must leave the state (log entries, orders to
//! chunkservers, finished operations) is queued for the caller to send.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddrV4;

use mooseng_wire::{Status, Version};

use super::copies::{ChunkSoft, Operation};
use super::{ChunkCopy, ChunkEntry, ChunkId, ChunkTable, CopyState, Order, Server, ServerId};
use super::{Usage, TODEL_FLAG};
use crate::namespace::Classes;

/// Ids further than this beyond the next free id are taken for garbage
/// when a chunkserver reports them, as MooseFS does.
const ADOPT_WINDOW: u64 = 1_000_000_000;

/// Why a registering chunkserver is turned away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("chunkservers must not use a loopback address")]
    Loopback,
    #[error("a chunkserver with this address is still connected")]
    AlreadyConnected,
    #[error("no chunkserver id left")]
    NoIdLeft,
}

/// A chunkserver's answer to one of our orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpAnswer {
    Create {
        chunk: ChunkId,
        status: Status,
    },
    SetVersion {
        chunk: ChunkId,
        status: Status,
    },
    Truncate {
        chunk: ChunkId,
        status: Status,
    },
    Delete {
        chunk: ChunkId,
        status: Status,
    },
    /// DUPLICATE; `chunk` is the new copy's id.
    Duplicate {
        chunk: ChunkId,
        status: Status,
    },
    Replicate {
        chunk: ChunkId,
        version: u32,
        status: Status,
    },
}

#[derive(Debug, Default)]
pub struct ChunkState {
    pub(crate) table: ChunkTable,
    pub(crate) soft: BTreeMap<ChunkId, ChunkSoft>,
    pub(crate) servers: BTreeMap<ServerId, Server>,
    /// Ids handed out, kept across reconnections so a chunkserver gets its
    /// id back.
    csids: HashMap<SocketAddrV4, ServerId>,
    /// Entries applied to the table and not yet handed to the log.
    pub(crate) journal: Vec<ChunkEntry>,
    /// Orders not yet sent.
    pub(crate) orders: Vec<(ServerId, Order)>,
    /// Operations that ended, with their outcome, not yet reported.
    pub(crate) finished: Vec<(ChunkId, Result<(), Status>)>,
    /// The namespace's storage classes, for placement.
    pub(crate) classes: Classes,
}

impl ChunkState {
    pub fn new(table: ChunkTable) -> Self {
        ChunkState {
            table,
            ..ChunkState::default()
        }
    }

    pub fn table(&self) -> &ChunkTable {
        &self.table
    }

    pub fn servers(&self) -> impl Iterator<Item = (ServerId, &Server)> {
        self.servers.iter().map(|(id, s)| (*id, s))
    }

    pub fn server(&self, id: ServerId) -> Option<&Server> {
        self.servers.get(&id)
    }

    pub fn server_mut(&mut self, id: ServerId) -> Option<&mut Server> {
        self.servers.get_mut(&id)
    }

    /// The known copies of `chunk`.
    pub fn copies(&self, chunk: ChunkId) -> &[ChunkCopy] {
        self.soft.get(&chunk).map_or(&[], |s| &s.copies)
    }

    /// Applies `entry` to the table and queues it for the log.
    pub fn commit(&mut self, entry: ChunkEntry) -> Result<ChunkId, Status> {
        let chunk = self.table.apply(&entry)?;
        self.journal.push(entry);
        Ok(chunk)
    }

    /// Drops the soft record of `chunk` when it says nothing a fresh one
    /// would not.
    pub(crate) fn tidy(&mut self, chunk: ChunkId) {
        if let Some(soft) = self.soft.get(&chunk) {
            if soft.copies.is_empty() && soft.lease_until.is_none() && soft.operation.is_none() {
                self.soft.remove(&chunk);
            }
        }
    }

    /// A chunkserver began registering.
    pub fn register(
        &mut self,
        addr: SocketAddrV4,
        version: Version,
        csid_hint: u16,
        usage: Usage,
    ) -> Result<ServerId, Refusal> {
        if addr.ip().is_loopback() {
            return Err(Refusal::Loopback);
        }
        let id = match self.csids.get(&addr) {
            Some(id) if self.servers.contains_key(id) => return Err(Refusal::AlreadyConnected),
            Some(id) => *id,
            None => self.new_csid(csid_hint)?,
        };
        self.csids.insert(addr, id);
        self.servers.insert(id, Server::new(addr, version, usage));
        Ok(id)
    }

    /// The chunkserver's own id if it is free, else the lowest free one.
    fn new_csid(&self, hint: u16) -> Result<ServerId, Refusal> {
        let taken = |id: u16| self.csids.values().any(|known| known.0 == id);
        if hint != 0 && !taken(hint) {
            return Ok(ServerId(hint));
        }
        (1..=u16::MAX)
            .find(|id| !taken(*id))
            .map(ServerId)
            .ok_or(Refusal::NoIdLeft)
    }

    pub fn register_end(&mut self, id: ServerId) {
        if let Some(server) = self.servers.get_mut(&id) {
            server.registered = true;
        }
    }

    /// A chunkserver holds `chunk`; `raw_version` may carry [`TODEL_FLAG`].
    pub fn has_chunk(&mut self, id: ServerId, chunk: ChunkId, raw_version: u32) {
        let todel = raw_version & TODEL_FLAG != 0;
        let version = raw_version & !TODEL_FLAG;
        let current = match self.table.get(chunk) {
            Some(record) => record.version,
            None => {
                if chunk == 0 || chunk > self.table.next_id().saturating_add(ADOPT_WINDOW) {
                    tracing::warn!(
                        chunk,
                        "chunkserver has a chunk with an impossible id; ignored"
                    );
                    return;
                }
                tracing::info!(chunk, "chunkserver has an unknown chunk; kept for deletion");
                if self.commit(ChunkEntry::Adopt { chunk, version }).is_err() {
                    return;
                }
                version
            }
        };
        let soft = self.soft.entry(chunk).or_default();
        if let Some(copy) = soft.copy_on_mut(id) {
            if copy.state == CopyState::Valid || copy.state == CopyState::Busy {
                copy.todel = todel;
            }
            return;
        }
        let state = if version == current {
            CopyState::Valid
        } else {
            CopyState::WrongVersion
        };
        soft.copies.push(ChunkCopy {
            server: id,
            version,
            state,
            todel,
        });
        soft.needs_bump = true;
    }

    /// The chunkserver no longer has `chunk` (lost), or has it broken
    /// (damaged): either way that copy is gone.
    pub fn copy_gone(&mut self, id: ServerId, chunk: ChunkId) {
        if let Some(soft) = self.soft.get_mut(&chunk) {
            if soft.remove_copy(id).is_some() {
                soft.needs_bump = true;
            }
            self.server_left_operation(chunk, id);
        }
        self.tidy(chunk);
    }

    /// The connection to a chunkserver ended: its copies are gone and its
    /// unanswered orders failed.
    pub fn disconnected(&mut self, id: ServerId) {
        self.servers.remove(&id);
        let held: Vec<ChunkId> = self
            .soft
            .iter()
            .filter(|(_, soft)| soft.copy_on(id).is_some())
            .map(|(chunk, _)| *chunk)
            .collect();
        for chunk in held {
            self.copy_gone(id, chunk);
        }
    }

    /// Counts `server` as failed in the operation on `chunk`, if it was
    /// part of it.
    fn server_left_operation(&mut self, chunk: ChunkId, server: ServerId) {
        self.operation_answer(chunk, server, false);
    }

    /// Records one answer to the operation holding `chunk` and ends the
    /// operation once nobody is left to answer.
    fn operation_answer(&mut self, chunk: ChunkId, server: ServerId, ok: bool) {
        let Some(soft) = self.soft.get_mut(&chunk) else {
            return;
        };
        let Some(op) = soft.operation.as_mut() else {
            return;
        };
        let Some(at) = op.waiting.iter().position(|s| *s == server) else {
            return;
        };
        op.waiting.swap_remove(at);
        if ok {
            op.succeeded += 1;
        }
        if !op.waiting.is_empty() {
            return;
        }
        let succeeded = op.succeeded;
        soft.operation = None;
        let outcome = if succeeded > 0 {
            soft.needs_bump = false;
            Ok(())
        } else {
            soft.lease_until = None;
            Err(Status::NOTDONE)
        };
        self.finished.push((chunk, outcome));
    }

    /// A chunkserver answered one of our orders.
    pub fn answer(&mut self, id: ServerId, answer: OpAnswer) {
        match answer {
            OpAnswer::Create { chunk, status }
            | OpAnswer::SetVersion { chunk, status }
            | OpAnswer::Truncate { chunk, status }
            | OpAnswer::Duplicate { chunk, status } => self.busy_answer(id, chunk, status),
            OpAnswer::Delete { chunk, status } => {
                if let Some(server) = self.servers.get_mut(&id) {
                    server.deleting = server.deleting.saturating_sub(1);
                }
                if !status.is_ok() {
                    tracing::info!(chunk, ?status, "chunkserver failed to delete a copy");
                }
                if let Some(soft) = self.soft.get_mut(&chunk) {
                    if soft
                        .copy_on(id)
                        .is_some_and(|c| c.state == CopyState::Deleting)
                    {
                        soft.remove_copy(id);
                    }
                }
                self.tidy(chunk);
            }
            OpAnswer::Replicate {
                chunk,
                version,
                status,
            } => self.replicate_answer(id, chunk, version, status),
        }
    }

    fn busy_answer(&mut self, id: ServerId, chunk: ChunkId, status: Status) {
        let Some(soft) = self.soft.get_mut(&chunk) else {
            return;
        };
        if !soft.copy_on(id).is_some_and(|c| c.state == CopyState::Busy) {
            return;
        }
        if status.is_ok() {
            if let Some(copy) = soft.copy_on_mut(id) {
                copy.state = CopyState::Valid;
            }
        } else {
            // Whatever the chunkserver holds now, it reports again when it
            // next registers; until then the copy is not counted.
            tracing::info!(chunk, ?status, "chunkserver failed a chunk operation");
            soft.remove_copy(id);
        }
        self.operation_answer(chunk, id, status.is_ok());
        self.tidy(chunk);
    }

    fn replicate_answer(&mut self, id: ServerId, chunk: ChunkId, version: u32, status: Status) {
        if let Some(server) = self.servers.get_mut(&id) {
            server.incoming = server.incoming.saturating_sub(1);
        }
        let current = self.table.get(chunk).map(|r| r.version);
        let Some(soft) = self.soft.get_mut(&chunk) else {
            return;
        };
        let Some(copy) = soft
            .copy_on_mut(id)
            .filter(|c| c.state == CopyState::Replicating)
        else {
            return;
        };
        if status.is_ok() {
            copy.version = version;
            copy.state = if Some(version) == current {
                CopyState::Valid
            } else {
                CopyState::WrongVersion
            };
            soft.needs_bump = true;
        } else {
            tracing::info!(chunk, ?status, "replication failed");
            soft.remove_copy(id);
        }
        self.tidy(chunk);
    }

    /// Starts an operation on `chunk` carried out by `servers`.
    pub(crate) fn start_operation(&mut self, chunk: ChunkId, servers: Vec<ServerId>) {
        let soft = self.soft.entry(chunk).or_default();
        soft.operation = Some(Operation {
            waiting: servers,
            succeeded: 0,
        });
    }
}
