//! Archives the chunks of files that have not changed for their storage
//! class's archive delay (`mfsscadmin -d DAYS`), as 3.0.117's file loop
//! does: their copies then follow the class's archive labels. Flags are
//! only ever set here; `mfsclrarchive` clears them and restarts the delay.
//!
//! Only the leader looks, and the flags go through the log as a chunk
//! entry, so every master holds the same ones.

use std::time::Duration;

use super::Master;
use crate::store::now;

/// How often the files are looked at; the delay counts in days.
const CHECK_EVERY: Duration = Duration::from_secs(60);

/// Looks every [`CHECK_EVERY`], forever.
pub async fn archive_due_forever(master: &Master) {
    let mut tick = tokio::time::interval(CHECK_EVERY);
    loop {
        tick.tick().await;
        archive_due(master, now()).await;
    }
}

/// Archives what is due at `now`; returns how many chunks it flagged.
pub async fn archive_due(master: &Master, now: u32) -> u64 {
    if !master.chunks.is_leading() {
        return 0;
    }
    let due = master.store.read().await.due_for_archive(now);
    if due.is_empty() {
        return 0;
    }
    let flagged = master.chunks.set_archived(&due, true).changed;
    if flagged > 0 {
        tracing::info!(
            chunks = flagged,
            "archived the chunks of files past their class's delay"
        );
    }
    flagged
}
