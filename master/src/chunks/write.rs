//! Reads and writes as the client channel asks for them: where a chunk
//! is, and the leases (MooseFS's chunk locks) that let one client write.

use mooseng_wire::Status;

use super::labels::{any_labels, assign};
use super::{ChunkCopy, ChunkEntry, ChunkId, ChunkState, CopyState, FileRef, Order};
use super::{Server, ServerId};

/// A write the chunkservers must prepare before the client may start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteStart {
    pub chunk: ChunkId,
    /// True when orders went out and their answers must be awaited.
    pub wait: bool,
}

impl ChunkState {
    /// The version of `chunk` and the chunkservers holding it in that
    /// version. No holder is not an error: the servers holding it may not
    /// have registered yet.
    pub fn locate(&self, chunk: ChunkId) -> Result<(u32, Vec<&Server>), Status> {
        let record = self.table.get(chunk).ok_or(Status::NOCHUNK)?;
        let holders = self
            .copies(chunk)
            .iter()
            .filter(|c| c.state == CopyState::Valid && c.version == record.version)
            .filter_map(|c| self.servers.get(&c.server))
            .collect();
        Ok((record.version, holders))
    }

    /// Leases `current` (or a new chunk of class `class` for `file` when
    /// `current` is 0) for writing until `now + lease_secs`, as MooseFS's
    /// `chunk_multi_modify` does: a new chunk is created on the servers
    /// [`ChunkState::creation_servers`] picks; an existing chunk whose copies changed
    /// since its last write gets its version stepped on every valid copy
    /// first.
    pub fn begin_write(
        &mut self,
        file: FileRef,
        current: ChunkId,
        class: u8,
        now: u64,
        lease_secs: u64,
    ) -> Result<WriteStart, Status> {
        let until = Some(now + lease_secs);
        if current == 0 {
            let servers = self.creation_servers(class);
            if servers.is_empty() {
                return Err(if self.servers.is_empty() {
                    Status::NOCHUNKSERVERS
                } else {
                    Status::NOSPACE
                });
            }
            let chunk = self.commit(ChunkEntry::Create { file, class })?;
            let soft = self.soft.entry(chunk).or_default();
            soft.lease_until = until;
            for server in &servers {
                soft.copies.push(ChunkCopy {
                    server: *server,
                    version: 1,
                    state: CopyState::Busy,
                    todel: false,
                });
                let order = Order::Create { chunk, version: 1 };
                self.orders.push((*server, order));
            }
            self.start_operation(chunk, servers);
            return Ok(WriteStart { chunk, wait: true });
        }

        if self.is_shared(current)? {
            let chunk = self.begin_duplicate(file, current, class, None, now, until)?;
            return Ok(WriteStart { chunk, wait: true });
        }
        let (old, holders) = self.free_holders(current, now)?;
        let soft = self.soft.entry(current).or_default();
        if !soft.needs_bump {
            soft.lease_until = until;
            return Ok(WriteStart {
                chunk: current,
                wait: false,
            });
        }
        self.step_version(current, old, holders, until, |version, old| {
            Order::SetVersion {
                chunk: current,
                version,
                old,
            }
        })?;
        Ok(WriteStart {
            chunk: current,
            wait: true,
        })
    }

    /// True when more than one file (snapshots) refers to `chunk`: a
    /// change must go to a private duplicate instead.
    pub(super) fn is_shared(&self, chunk: ChunkId) -> Result<bool, Status> {
        let record = self.table.get(chunk).ok_or(Status::NOCHUNK)?;
        Ok(record.ref_count() > 1)
    }

    /// The version of `chunk` and the servers holding a valid copy in it,
    /// provided the chunk is free for a change: no operation runs on it
    /// and no lease holds it.
    pub(super) fn free_holders(
        &mut self,
        chunk: ChunkId,
        now: u64,
    ) -> Result<(u32, Vec<ServerId>), Status> {
        let record = self.table.get(chunk).ok_or(Status::NOCHUNK)?;
        let version = record.version;
        let soft = self.soft.entry(chunk).or_default();
        let holders: Vec<ServerId> = soft
            .copies
            .iter()
            .filter(|c| c.state == CopyState::Valid && c.version == version)
            .map(|c| c.server)
            .collect();
        let refusal = if soft.operation.is_some() {
            Some(Status::CHUNKBUSY)
        } else if soft.is_leased(now) {
            Some(Status::LOCKED)
        } else if holders.is_empty() {
            Some(Status::CHUNKLOST)
        } else {
            None
        };
        match refusal {
            Some(status) => {
                self.tidy(chunk);
                Err(status)
            }
            None => Ok((version, holders)),
        }
    }

    /// Steps the version of `chunk` from `old` in the table and on every
    /// copy of `holders`, each told so by the order `order(new, old)`
    /// makes, and leases the chunk `until` then. Returns the new version.
    pub(super) fn step_version(
        &mut self,
        chunk: ChunkId,
        old: u32,
        holders: Vec<ServerId>,
        until: Option<u64>,
        order: impl Fn(u32, u32) -> Order,
    ) -> Result<u32, Status> {
        self.commit(ChunkEntry::IncreaseVersion { chunk })?;
        let version = old + 1;
        let soft = self.soft.entry(chunk).or_default();
        soft.lease_until = until;
        for copy in soft
            .copies
            .iter_mut()
            .filter(|c| holders.contains(&c.server))
        {
            copy.state = CopyState::Busy;
            copy.version = version;
        }
        for server in &holders {
            self.orders.push((*server, order(version, old)));
        }
        self.start_operation(chunk, holders);
        Ok(version)
    }

    /// The client finished writing (or gave up): the lease ends.
    pub fn end_write(&mut self, chunk: ChunkId) -> Result<(), Status> {
        if self.table.get(chunk).is_none() {
            return Err(Status::NOCHUNK);
        }
        if let Some(soft) = self.soft.get_mut(&chunk) {
            soft.lease_until = None;
        }
        self.tidy(chunk);
        Ok(())
    }

    /// The servers a new chunk of class `class` is created on, one per
    /// expression of the class's create list, among the registered servers
    /// with free space, most free first. As `chunk_creation_servers` in
    /// MooseFS 3.0.117: each expression gets a server matching it where
    /// possible; the expressions left over take any other server, except
    /// in strict mode, where the chunk gets fewer copies (none at all when
    /// no server matches) and the planner adds them once servers match.
    pub(crate) fn creation_servers(&self, class: u8) -> Vec<ServerId> {
        let mut candidates: Vec<(u64, ServerId, u32)> = self
            .servers
            .iter()
            .filter(|(_, s)| s.registered && s.usage.free() > 0)
            .map(|(id, s)| (s.usage.free(), *id, s.labels))
            .collect();
        candidates.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let placement = self.class_placement(class, false);
        let wanted = placement.create.len().max(1);
        if !any_labels(placement.create) {
            return candidates.iter().take(wanted).map(|c| c.1).collect();
        }
        let masks: Vec<u32> = candidates.iter().map(|c| c.2).collect();
        let mut chosen: Vec<ServerId> = assign(placement.create, &masks)
            .into_iter()
            .flatten()
            .map(|n| candidates[n].1)
            .collect();
        if !placement.strict {
            let others: Vec<ServerId> = candidates
                .iter()
                .map(|c| c.1)
                .filter(|id| !chosen.contains(id))
                .take(wanted - chosen.len())
                .collect();
            chosen.extend(others);
        }
        chosen
    }
}
