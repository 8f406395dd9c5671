//! Extended attribute values as the master last gave them, kept for
//! `mfsxattrcacheto` (30 s by default) as mfsmount keeps them. Linux asks
//! for `security.capability` before every write to a file, so without this
//! every write waited for a GETXATTR round trip to the master.
//!
//! An answer is kept per (inode, uid, gid, name): what the master allows
//! depends on who asks. Setting or removing an attribute through this mount
//! forgets it for everyone; a change made elsewhere is seen once the entry
//! expires, as with mfsmount.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::data::lock;
use crate::error::{Errno, FsResult};

/// Entries kept at most; past it the expired ones go, and if none has
/// expired, all of them (mfsmount's cache has as many hash slots).
const MAX_ENTRIES: usize = 65_536;

/// Who asked for which attribute of which inode.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    inode: u32,
    uid: u32,
    gid: u32,
    name: Bytes,
}

/// What the master answered: the value, or "no such attribute".
type Answer = FsResult<Bytes>;

#[derive(Debug)]
pub struct XattrCache {
    ttl: Duration,
    entries: Mutex<HashMap<Key, (Instant, Answer)>>,
}

impl XattrCache {
    /// A cache keeping answers for `ttl`; zero keeps none.
    pub fn new(ttl: Duration) -> Self {
        XattrCache {
            ttl,
            entries: Mutex::default(),
        }
    }

    /// The answer kept for this asker, if it has not expired.
    pub fn get(&self, inode: u32, uid: u32, gid: u32, name: &Bytes) -> Option<Answer> {
        let key = Key {
            inode,
            uid,
            gid,
            name: name.clone(),
        };
        let entries = lock(&self.entries);
        let (at, answer) = entries.get(&key)?;
        (at.elapsed() < self.ttl).then(|| answer.clone())
    }

    /// Keeps the master's answer: a value, or ENODATA (no such attribute).
    /// Other errors depend on more than the key and are asked again.
    pub fn put(&self, inode: u32, uid: u32, gid: u32, name: Bytes, answer: Answer) {
        if self.ttl.is_zero() || matches!(answer, Err(e) if e != Errno::ENODATA) {
            return;
        }
        let mut entries = lock(&self.entries);
        if entries.len() >= MAX_ENTRIES {
            let ttl = self.ttl;
            entries.retain(|_, (at, _)| at.elapsed() < ttl);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        let key = Key {
            inode,
            uid,
            gid,
            name,
        };
        entries.insert(key, (Instant::now(), answer));
    }

    /// Forgets attribute `name` of `inode` for every asker.
    pub fn forget(&self, inode: u32, name: &Bytes) {
        lock(&self.entries).retain(|key, _| key.inode != inode || key.name != *name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &'static str) -> Bytes {
        Bytes::from_static(text.as_bytes())
    }

    #[test]
    fn answers_are_kept_per_asker_and_forgotten_for_all() {
        let cache = XattrCache::new(Duration::from_secs(30));
        cache.put(7, 0, 0, name("user.a"), Ok(name("1")));
        cache.put(7, 1000, 1000, name("user.a"), Err(Errno::ENODATA));
        assert_eq!(cache.get(7, 0, 0, &name("user.a")), Some(Ok(name("1"))));
        assert_eq!(
            cache.get(7, 1000, 1000, &name("user.a")),
            Some(Err(Errno::ENODATA))
        );
        assert_eq!(cache.get(7, 1000, 0, &name("user.a")), None);
        assert_eq!(cache.get(8, 0, 0, &name("user.a")), None);
        cache.forget(7, &name("user.a"));
        assert_eq!(cache.get(7, 0, 0, &name("user.a")), None);
        assert_eq!(cache.get(7, 1000, 1000, &name("user.a")), None);
    }

    #[test]
    fn refusals_are_not_kept_and_nothing_is_with_no_timeout() {
        let cache = XattrCache::new(Duration::from_secs(30));
        cache.put(7, 0, 0, name("user.a"), Err(Errno(libc::EACCES)));
        assert_eq!(cache.get(7, 0, 0, &name("user.a")), None);
        let off = XattrCache::new(Duration::ZERO);
        off.put(7, 0, 0, name("user.a"), Ok(name("1")));
        assert_eq!(off.get(7, 0, 0, &name("user.a")), None);
    }

    #[test]
    fn answers_expire() {
        let cache = XattrCache::new(Duration::from_millis(20));
        cache.put(7, 0, 0, name("user.a"), Ok(name("1")));
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(cache.get(7, 0, 0, &name("user.a")), None);
    }
}
