//! The sessions mounts registered, kept with the metadata so that every
//! master of a group, and a master after a restart, knows them: a mount
//! then reconnects with its session id, as MooseFS mounts expect, instead
//! of registering anew, and the session ids that hold files open
//! ([`super::open_files`]) never name two different mounts.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use crate::session::Grant;

/// What a mount registered with: enough to serve it again on any master.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub grant: Grant,
    pub peer: Ipv4Addr,
    /// The mount's MooseFS version, as on the wire.
    pub version: u32,
    /// What the mount said about itself (its mount point).
    pub info: Box<[u8]>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionTable {
    /// The last id given; ids are never given twice.
    last_id: u32,
    records: BTreeMap<u32, SessionRecord>,
}

impl SessionTable {
    /// Registers a mount: it takes over `previous` when that session is
    /// known, otherwise it gets a new id. Returns the id.
    pub fn open(&mut self, previous: Option<u32>, record: SessionRecord) -> u32 {
        let id = match previous.filter(|id| self.records.contains_key(id)) {
            Some(id) => id,
            None => self.fresh_id(),
        };
        self.records.insert(id, record);
        id
    }

    /// Ends a session; false when it was not known.
    pub fn close(&mut self, id: u32) -> bool {
        self.records.remove(&id).is_some()
    }

    pub fn get(&self, id: u32) -> Option<&SessionRecord> {
        self.records.get(&id)
    }

    /// Every registered session's id, in order.
    pub fn ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.records.keys().copied()
    }

    /// The next id after the last one given, skipping 0 (MooseFS's "no
    /// session") and any still in use once the counter has wrapped.
    fn fresh_id(&mut self) -> u32 {
        loop {
            self.last_id = self.last_id.wrapping_add(1);
            if self.last_id != 0 && !self.records.contains_key(&self.last_id) {
                return self.last_id;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(peer: u8) -> SessionRecord {
        SessionRecord {
            grant: Grant::from_rule(&crate::exports::ExportRule::default(), 1),
            peer: Ipv4Addr::new(10, 0, 0, peer),
            version: 0x0003_0075,
            info: Box::from(&b"/mnt/mfs"[..]),
        }
    }

    #[test]
    fn ids_are_never_given_twice() {
        let mut table = SessionTable::default();
        assert_eq!(table.open(None, record(1)), 1);
        assert_eq!(table.open(None, record(2)), 2);
        assert!(table.close(2));
        assert_eq!(table.open(None, record(3)), 3);
        assert_eq!(
            table.get(3).map(|r| r.peer),
            Some(Ipv4Addr::new(10, 0, 0, 3))
        );
        assert!(table.get(2).is_none());
        assert!(!table.close(2));
    }

    #[test]
    fn a_known_previous_session_is_taken_over() {
        let mut table = SessionTable::default();
        let id = table.open(None, record(1));
        assert_eq!(table.open(Some(id), record(7)), id);
        assert_eq!(
            table.get(id).map(|r| r.peer),
            Some(Ipv4Addr::new(10, 0, 0, 7))
        );
        assert_eq!(table.open(Some(99), record(8)), id + 1, "99 is not known");
    }

    #[test]
    fn a_wrapped_counter_skips_zero_and_ids_in_use() {
        let mut table = SessionTable {
            last_id: u32::MAX - 1,
            records: BTreeMap::new(),
        };
        table.records.insert(1, record(1));
        assert_eq!(table.open(None, record(2)), u32::MAX);
        assert_eq!(table.open(None, record(3)), 2);
    }
}
