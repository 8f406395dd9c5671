//! openraft's own storage test suite, run on our log storage and state
//! machine in a fresh data directory each time.

use std::sync::Arc;

use openraft::testing::{StoreBuilder, Suite};

use super::{DirLock, Image, LogStats, LogStore, StateMachine};
use crate::raft::{StorageError, TypeConfig};

struct OnDisk;

/// Keeps the directory alive for one test.
struct Guard {
    _dir: tempfile::TempDir,
}

impl StoreBuilder<TypeConfig, LogStore, StateMachine, Guard> for OnDisk {
    async fn build(&self) -> Result<(Guard, LogStore, StateMachine), StorageError> {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let lock = DirLock::acquire(dir.path()).expect("the directory's lock");
        let stats = Arc::new(LogStats::default());
        let (machine, _) = StateMachine::open(dir.path(), Image::new(1, 1), Arc::clone(&stats))
            .expect("a new state machine");
        let (log, _released) = LogStore::open(dir.path(), lock, stats).expect("a new log");
        Ok((Guard { _dir: dir }, log, machine))
    }
}

#[test]
fn openraft_storage_suite() {
    Suite::test_all(OnDisk).expect("openraft's storage suite");
}
