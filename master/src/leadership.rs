//! Keeps the chunk service in step with this master's role in its Raft
//! group: a follower's service stands by and sends chunkservers to the
//! leader; a new leader's service takes over the replicated chunk table
//! once it has applied everything committed before its term.

use std::sync::Arc;

use crate::client::Master;

/// Follows elections for as long as Raft runs.
pub async fn follow_elections(master: Arc<Master>) {
    let mut view = master.store.group_view();
    loop {
        match master.store.redirect() {
            Some(leader) => master.chunks.follow(leader),
            None if !master.chunks.is_leading() => match master.store.caught_up().await {
                // Losing the lead right after is seen at the next change.
                Ok(()) => {
                    let classes = master.store.read().await.classes().clone();
                    master.chunks.lead(master.store.chunk_table(), classes);
                }
                Err(error) => tracing::info!(%error, "lost the lead before taking over the chunks"),
            },
            None => {}
        }
        if view.changed().await.is_err() {
            return;
        }
    }
}
