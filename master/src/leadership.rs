//! Keeps the chunk service in step with this master's role in its Raft
//! group: a follower's service stands by and sends chunkservers to the
//! leader; a new leader's service takes over the replicated chunk table
//! once it has applied everything committed before its term.

use std::sync::Arc;
use std::time::Duration;

use crate::client::Master;

/// How long a new leader waits to learn it has applied everything before
/// asking again. In one run of the compose cluster's test a new leader
/// never got that answer (its log was replicated and applied, its chunk
/// service stood by for minutes and sent every chunkserver away); the
/// cause is not known and did not recur in the other runs, so a check
/// that does not answer is asked again rather than waited for.
pub(crate) const CATCH_UP_WAIT: Duration = Duration::from_secs(5);

/// Follows elections for as long as Raft runs.
pub async fn follow_elections(master: Arc<Master>) {
    let mut view = master.store.group_view();
    loop {
        match master.store.redirect() {
            Some(leader) => master.chunks.follow(leader),
            None if !master.chunks.is_leading() => {
                match tokio::time::timeout(CATCH_UP_WAIT, master.store.caught_up()).await {
                    // Losing the lead right after is seen at the next change.
                    Ok(Ok(())) => {
                        let classes = master.store.read().await.classes().clone();
                        master.chunks.lead(master.store.chunk_table(), classes);
                    }
                    Ok(Err(error)) => {
                        tracing::info!(%error, "lost the lead before taking over the chunks")
                    }
                    Err(_) => {
                        tracing::warn!(wait = ?CATCH_UP_WAIT, "not caught up yet; asking again");
                        continue;
                    }
                }
            }
            None => {}
        }
        if view.changed().await.is_err() {
            return;
        }
    }
}
