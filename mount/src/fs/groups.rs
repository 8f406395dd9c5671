//! The caller's supplementary groups, which FUSE does not pass along: read
//! from `/proc/PID/status` like mfsmount does, so the master can grant
//! access through any group of the caller, and cached per (pid, uid, gid)
//! for a while so a burst of requests reads the file once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::data::lock;

/// How long a process's group list is trusted (mfsmount's
/// `mfsgroupscacheto` default).
const CACHE_FOR: Duration = Duration::from_secs(300);
/// Entries kept at most; the cache is emptied when it grows past this.
const CACHE_LIMIT: usize = 4096;

/// A caller as FUSE names it: (pid, uid, gid).
type CallerKey = (u32, u32, u32);
/// A group list and when it was read.
type Read = (Instant, Arc<[u32]>);

/// Group lists of recent callers.
#[derive(Debug, Default)]
pub struct GroupsCache {
    entries: Mutex<HashMap<CallerKey, Read>>,
}

impl GroupsCache {
    /// The caller's primary gid followed by its other groups.
    pub fn get(&self, pid: u32, uid: u32, gid: u32) -> Arc<[u32]> {
        let key = (pid, uid, gid);
        if let Some((at, groups)) = lock(&self.entries).get(&key) {
            if at.elapsed() < CACHE_FOR {
                return groups.clone();
            }
        }
        let groups: Arc<[u32]> = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .map(|status| groups_of(&status, gid))
            .unwrap_or_else(|_| vec![gid])
            .into();
        let mut entries = lock(&self.entries);
        if entries.len() >= CACHE_LIMIT {
            entries.clear();
        }
        entries.insert(key, (Instant::now(), groups.clone()));
        groups
    }
}

/// `gid` first, then every other gid of the `Groups:` line.
fn groups_of(status: &str, gid: u32) -> Vec<u32> {
    let mut groups = vec![gid];
    let line = status
        .lines()
        .find_map(|line| line.strip_prefix("Groups:"))
        .unwrap_or("");
    groups.extend(
        line.split_whitespace()
            .filter_map(|g| g.parse::<u32>().ok())
            .filter(|&g| g != gid),
    );
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primary_gid_comes_first_and_only_once() {
        let status =
            "Name:\tsh\nUid:\t1000\t1000\t1000\t1000\nGroups:\t4 24 1000 27 \nVmPeak:\t1 kB\n";
        assert_eq!(groups_of(status, 1000), vec![1000, 4, 24, 27]);
    }

    #[test]
    fn no_groups_line_means_only_the_primary_gid() {
        assert_eq!(groups_of("Name:\tsh\n", 5), vec![5]);
        assert_eq!(groups_of("Groups:\t\n", 5), vec![5]);
    }

    #[test]
    fn our_own_process_is_found() {
        let cache = GroupsCache::default();
        let groups = cache.get(std::process::id(), 0, 4242);
        assert_eq!(groups[0], 4242);
    }
}
