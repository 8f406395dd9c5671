//! The boundary between request handlers and the replicated state.
//!
//! Every change is a log [`Entry`] handed to [`MetadataStore::submit`];
//! handlers never touch the [`Namespace`] mutably. Today submit applies the
//! entry at once under a lock and nothing is persisted: a restart starts
//! from an empty tree. Raft will replace the body of `submit` (append to
//! the log, wait for commit, apply) without changing its signature, so the
//! handlers stay as they are.

use std::time::{SystemTime, UNIX_EPOCH};

use mooseng_wire::Status;
use tokio::sync::{RwLock, RwLockReadGuard};

use crate::namespace::{Caller, Entry, Mutation, Namespace, Outcome};

#[derive(Debug)]
pub struct MetadataStore {
    namespace: RwLock<Namespace>,
}

impl MetadataStore {
    pub fn new(namespace: Namespace) -> Self {
        MetadataStore {
            namespace: RwLock::new(namespace),
        }
    }

    /// A store holding only a root directory created now.
    pub fn empty() -> Self {
        MetadataStore::new(Namespace::new(now()))
    }

    /// Applies one change, in log order with every other change.
    pub async fn submit(&self, entry: Entry) -> Result<Outcome, Status> {
        self.namespace.write().await.apply(&entry)
    }

    /// Stamps a mutation with the current time and the caller, then submits it.
    pub async fn change(&self, caller: &Caller, mutation: Mutation) -> Result<Outcome, Status> {
        self.submit(Entry {
            ts: now(),
            caller: caller.clone(),
            mutation,
        })
        .await
    }

    /// A consistent view for reads; changes wait while it is held.
    pub async fn read(&self) -> RwLockReadGuard<'_, Namespace> {
        self.namespace.read().await
    }
}

/// Seconds since the epoch, as MooseFS timestamps are.
pub fn now() -> u32 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX))
}
