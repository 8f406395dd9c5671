//! Ends the sessions of mounts that went away without closing them, once
//! they have had no connection for the sustain time (MooseFS's
//! `SESSION_SUSTAIN_TIME`), and releases the files they held open: a file
//! unlinked while such a mount had it open is freed then, not never.
//!
//! Only the leader ends sessions, through the log, so every master drops
//! them alike. Idle time is counted by the leader from when it first saw
//! a session without a connection; a new leader counts afresh, so a
//! session lives at least the sustain time after its mount left.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::register::end_session;
use super::Master;

/// How often sessions are looked at.
const CHECK_EVERY: Duration = Duration::from_secs(10);

/// Since when each session has had no connection, as this master saw it.
#[derive(Debug, Default)]
pub struct Idle(HashMap<u32, Instant>);

/// Looks at every session each [`CHECK_EVERY`], forever.
pub async fn expire_sessions_forever(master: &Master, sustain: Duration) {
    let mut idle = Idle::default();
    let mut tick = tokio::time::interval(CHECK_EVERY);
    loop {
        tick.tick().await;
        expire_idle_sessions(master, &mut idle, Instant::now(), sustain).await;
    }
}

/// One look at every session at `now`: those without a connection for
/// `sustain` end; returns their ids.
pub async fn expire_idle_sessions(
    master: &Master,
    idle: &mut Idle,
    now: Instant,
    sustain: Duration,
) -> Vec<u32> {
    if !master.store.is_leader() {
        idle.0.clear();
        return Vec::new();
    }
    let registered: Vec<u32> = master.store.read().await.session_ids().collect();
    idle.0.retain(|id, _| registered.binary_search(id).is_ok());
    let mut due = Vec::new();
    for id in registered {
        let connected = master
            .sessions
            .find(id)
            .is_some_and(|session| session.connections() > 0);
        if connected {
            idle.0.remove(&id);
        } else if now.duration_since(*idle.0.entry(id).or_insert(now)) >= sustain {
            due.push(id);
        }
    }
    for &id in &due {
        idle.0.remove(&id);
        end_session(master, id, "expired").await;
    }
    due
}
