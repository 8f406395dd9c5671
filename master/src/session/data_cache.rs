//! Which mounts may keep the kernel's cache of a file's data when they
//! open it again, as mfsmaster's data cache manager decides: a session
//! that has read a file may keep what it cached until another session
//! changes the file. The answer to OPEN carries it (`OPEN_KEEPCACHE`), so
//! a file read again through mfsmount comes from the page cache instead
//! of the chunkservers.
//!
//! In memory only, per master: after a restart or a failover every cache
//! starts out untrusted, which costs a read, never a stale one. Bounded
//! like mfsmaster's table; the least recently used pair goes first.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, PoisonError};

use crate::namespace::Inode;

/// Pairs of file and session remembered at most (mfsmaster's
/// `DCM_TAB_LENG`).
const CAPACITY: usize = 500_000;

/// One session's standing with one file.
#[derive(Debug, Clone, Copy)]
struct Holder {
    session: u32,
    /// The session's cache holds nothing another session changed since.
    trusted: bool,
    /// When the pair was last used, for eviction.
    used: u64,
}

#[derive(Debug, Default)]
struct Table {
    files: HashMap<Inode, Vec<Holder>>,
    by_use: BTreeMap<u64, (Inode, u32)>,
    clock: u64,
}

#[derive(Debug, Default)]
pub struct DataCaches {
    table: Mutex<Table>,
}

impl DataCaches {
    /// `session` opens `inode`: whether its cached data may be kept.
    /// The first open of a pair never may.
    pub fn open(&self, inode: Inode, session: u32) -> bool {
        let mut table = self.lock();
        match table.touch(inode, session) {
            Some(holder) => holder.trusted,
            None => {
                table.insert(inode, session);
                false
            }
        }
    }

    /// `session` read `inode` (or cleared its cache): what it caches from
    /// now on is current.
    pub fn read(&self, inode: Inode, session: u32) {
        if let Some(holder) = self.lock().touch(inode, session) {
            holder.trusted = true;
        }
    }

    /// `session` changed `inode`: every other session's cache of it is
    /// stale, the changer's own is current.
    pub fn changed(&self, inode: Inode, session: u32) {
        let mut table = self.lock();
        let Some(holders) = table.files.get_mut(&inode) else {
            return;
        };
        let mut stale = Vec::new();
        holders.retain(|h| {
            let other = h.session != session;
            if other {
                stale.push(h.used);
            }
            !other
        });
        if holders.is_empty() {
            table.files.remove(&inode);
        }
        for used in stale {
            table.by_use.remove(&used);
        }
        if let Some(holder) = table.touch(inode, session) {
            holder.trusted = true;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Table {
    /// The pair's holder, marked as just used.
    fn touch(&mut self, inode: Inode, session: u32) -> Option<&mut Holder> {
        self.clock += 1;
        let now = self.clock;
        let holder = self
            .files
            .get_mut(&inode)?
            .iter_mut()
            .find(|h| h.session == session)?;
        self.by_use.remove(&holder.used);
        self.by_use.insert(now, (inode, session));
        holder.used = now;
        Some(holder)
    }

    fn insert(&mut self, inode: Inode, session: u32) {
        if self.by_use.len() >= CAPACITY {
            self.evict_oldest();
        }
        self.clock += 1;
        let used = self.clock;
        self.by_use.insert(used, (inode, session));
        let holder = Holder {
            session,
            trusted: false,
            used,
        };
        self.files.entry(inode).or_default().push(holder);
    }

    fn evict_oldest(&mut self) {
        let Some((_, (inode, session))) = self.by_use.pop_first() else {
            return;
        };
        if let Some(holders) = self.files.get_mut(&inode) {
            holders.retain(|h| h.session != session);
            if holders.is_empty() {
                self.files.remove(&inode);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cache_is_kept_once_read_until_another_session_changes_the_file() {
        let caches = DataCaches::default();
        assert!(!caches.open(7, 1), "the first open");
        assert!(!caches.open(7, 1), "opened, not read");
        caches.read(7, 1);
        assert!(caches.open(7, 1));
        caches.changed(7, 1);
        assert!(caches.open(7, 1), "its own change");
        assert!(!caches.open(7, 2));
        caches.read(7, 2);
        caches.changed(7, 2);
        assert!(!caches.open(7, 1), "another session changed it");
        assert!(caches.open(7, 2));
    }

    #[test]
    fn reading_a_file_never_opened_trusts_nothing() {
        let caches = DataCaches::default();
        caches.read(9, 1);
        assert!(!caches.open(9, 1));
    }

    #[test]
    fn the_least_recently_used_pair_goes_first() {
        let mut table = Table::default();
        for inode in 0..CAPACITY as Inode {
            table.insert(inode, 1);
        }
        table.touch(0, 1);
        table.insert(CAPACITY as Inode, 1);
        assert!(table.files.contains_key(&0), "used lately");
        assert!(!table.files.contains_key(&1), "the oldest");
        assert_eq!(table.by_use.len(), CAPACITY);
    }
}
