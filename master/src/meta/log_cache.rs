//! The log entries openraft may still read (those after the last purge),
//! kept in memory as the payloads of their records.
//!
//! A decoded entry costs several times its encoding (the batch's vector,
//! each change's names and groups in heap blocks of their own), and the
//! log holds up to a snapshot interval of entries: 100,000 changes by
//! default. Each is read once to be applied and again only to be sent to a
//! follower, so decoding it then costs less than keeping it decoded.

use std::collections::BTreeMap;
use std::ops::RangeBounds;

use super::format;
use crate::raft::{Entry, LogId};

#[derive(Debug, Default)]
pub struct LogCache {
    payloads: BTreeMap<u64, Box<[u8]>>,
    /// The id of the newest entry held, `None` when none is.
    last: Option<LogId>,
}

impl LogCache {
    /// Holds `entries`, read from the log's files at startup.
    pub fn new(entries: Vec<Entry>) -> Result<Self, postcard::Error> {
        let mut cache = LogCache::default();
        for entry in entries {
            let payload = format::encode(&entry)?;
            cache.insert(&entry, payload);
        }
        Ok(cache)
    }

    /// Holds `entry`, whose record payload is `payload`.
    pub fn insert(&mut self, entry: &Entry, payload: Vec<u8>) {
        self.payloads
            .insert(entry.log_id.index, payload.into_boxed_slice());
        self.last = Some(entry.log_id);
    }

    /// The entries held with an index in `range`, decoded.
    pub fn entries<RB: RangeBounds<u64>>(&self, range: RB) -> Result<Vec<Entry>, String> {
        self.payloads
            .range(range)
            .map(|(_, payload)| format::decode(payload))
            .collect()
    }

    pub fn last_log_id(&self) -> Option<LogId> {
        self.last
    }

    /// Drops entry `from` and every later one.
    pub fn truncate(&mut self, from: u64) -> Result<(), String> {
        self.payloads.split_off(&from);
        self.last = match self.payloads.last_key_value() {
            Some((_, payload)) => Some(format::decode::<Entry>(payload)?.log_id),
            None => None,
        };
        Ok(())
    }

    /// Drops entry `upto` and every earlier one.
    pub fn purge(&mut self, upto: u64) {
        self.payloads = self.payloads.split_off(&(upto + 1));
        if self.payloads.is_empty() {
            self.last = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use openraft::{CommittedLeaderId, EntryPayload};

    use super::*;

    fn entry(term: u64, index: u64) -> Entry {
        Entry {
            log_id: LogId::new(CommittedLeaderId::new(term, 1), index),
            payload: EntryPayload::Blank,
        }
    }

    fn cache(entries: &[Entry]) -> LogCache {
        LogCache::new(entries.to_vec()).unwrap()
    }

    /// The ids of what `cache` gives back for `range`.
    fn ids<RB: RangeBounds<u64>>(cache: &LogCache, range: RB) -> Vec<LogId> {
        cache
            .entries(range)
            .unwrap()
            .iter()
            .map(|e| e.log_id)
            .collect()
    }

    fn ids_of(entries: &[Entry]) -> Vec<LogId> {
        entries.iter().map(|e| e.log_id).collect()
    }

    #[test]
    fn gives_back_the_entries_of_a_range() {
        let all = [entry(1, 3), entry(1, 4), entry(2, 5)];
        let cache = cache(&all);
        assert_eq!(ids(&cache, 4..), ids_of(&all[1..]));
        assert_eq!(ids(&cache, ..4), ids_of(&all[..1]));
        assert_eq!(ids(&cache, 6..9), Vec::<LogId>::new());
        assert_eq!(cache.last_log_id(), Some(all[2].log_id));
    }

    #[test]
    fn truncation_makes_the_entry_before_it_the_last() {
        let all = [entry(1, 3), entry(1, 4), entry(2, 5)];
        let mut cache = cache(&all);
        cache.truncate(5).unwrap();
        assert_eq!(cache.last_log_id(), Some(all[1].log_id));
        assert_eq!(ids(&cache, ..), ids_of(&all[..2]));
        cache.truncate(0).unwrap();
        assert_eq!(cache.last_log_id(), None);
    }

    #[test]
    fn a_purge_keeps_only_later_entries() {
        let all = [entry(1, 3), entry(1, 4), entry(2, 5)];
        let mut cache = cache(&all);
        cache.purge(3);
        assert_eq!(ids(&cache, ..), ids_of(&all[1..]));
        assert_eq!(cache.last_log_id(), Some(all[2].log_id));
        cache.purge(9);
        assert_eq!(ids(&cache, ..), Vec::<LogId>::new());
        assert_eq!(cache.last_log_id(), None);
    }
}
