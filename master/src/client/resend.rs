//! Requests a mount sends again after a failover or a reconnect, and the
//! changes whose answers are kept for them ([`crate::namespace::RequestKey`]).
//!
//! mfsmount resends a request that was in flight when its connection
//! broke as the very same bytes, first thing on the connection its
//! RECONNECT opened. Its message ids belong to threads, not requests: a
//! thread's next request carries the same id. So only the first request
//! under each message id on a reconnected connection may be a resend;
//! any later one is new even when its bytes match (a thread making the
//! same directory twice must get EEXIST the second time).

use std::collections::HashSet;

use mooseng_wire::Frame;
use mooseng_wire::Status;

use super::Request;
use crate::leadership::CATCH_UP_WAIT;
use crate::namespace::{Caller, Mutation, Outcome, RequestKey};

/// Most message ids a reconnected connection tracks; resends come first,
/// so requests past this many are taken as new.
const MAX_TRACKED: usize = 4096;

/// What identifies a request's bytes: its message id (the payload's first
/// four bytes, 0 when it has none) and a CRC-32 of its type and payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    pub msgid: u32,
    pub digest: u32,
}

impl Origin {
    pub fn of(frame: &Frame) -> Origin {
        let msgid = frame
            .payload
            .first_chunk::<4>()
            .map_or(0, |id| u32::from_be_bytes(*id));
        let mut digest = crc32fast::Hasher::new();
        digest.update(&frame.kind.to_be_bytes());
        digest.update(&frame.payload);
        Origin {
            msgid,
            digest: digest.finalize(),
        }
    }
}

/// The message ids a connection opened by RECONNECT has carried so far.
#[derive(Debug, Default)]
pub struct SeenIds(HashSet<u32>);

impl SeenIds {
    /// Whether this is the connection's first request under `msgid`, and
    /// so possibly a resend.
    pub fn first(&mut self, msgid: u32) -> bool {
        self.0.len() < MAX_TRACKED && self.0.insert(msgid)
    }
}

impl Request<'_> {
    /// Submits a change whose repetition would fail or do it twice
    /// (creating, linking, removing, renaming, snapshotting, appending),
    /// keeping its answer for a resend; a resend of a change already made
    /// gets that answer, and the change is not made again. The chunk
    /// references such a change added or released were committed with it.
    pub(super) async fn change_remembered(
        &self,
        caller: &Caller,
        mutation: Mutation,
    ) -> Result<Outcome, Status> {
        let key = RequestKey {
            session: self.session.id,
            msgid: self.origin.msgid,
            digest: self.origin.digest,
        };
        if self.may_be_resend {
            self.applied_all_committed().await;
            let answered = self.master.store.read().await.answer(key);
            if let Some(answer) = answered {
                tracing::info!(
                    session = key.session,
                    msgid = key.msgid,
                    "a resent change answered as the first time"
                );
                return answer;
            }
        }
        let change = Box::new(mutation);
        self.change(caller, Mutation::Remembered { key, change })
            .await
    }

    /// Waits until this master has applied every change committed before
    /// it led: a new leader takes mounts at once, and a resend may come
    /// before it has applied the change the old leader made. Waits a
    /// bounded time; a master that cannot tell answers from what it has.
    async fn applied_all_committed(&self) {
        match tokio::time::timeout(CATCH_UP_WAIT, self.master.store.caught_up()).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::debug!(%error, "not leading"),
            Err(_) => tracing::warn!(wait = ?CATCH_UP_WAIT, "a resend found the log not applied"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_origin_is_the_message_id_and_a_digest_of_the_bytes() {
        let frame = Frame::new(416, vec![0, 0, 0, 9, 1, 2]);
        let origin = Origin::of(&frame);
        assert_eq!(origin.msgid, 9);
        assert_ne!(origin, Origin::of(&Frame::new(418, vec![0, 0, 0, 9, 1, 2])));
        assert_ne!(origin, Origin::of(&Frame::new(416, vec![0, 0, 0, 9, 1, 3])));
        assert_eq!(Origin::of(&Frame::new(416, vec![1])).msgid, 0);
    }

    #[test]
    fn only_the_first_request_under_an_id_may_be_a_resend() {
        let mut seen = SeenIds::default();
        assert!(seen.first(3));
        assert!(seen.first(4));
        assert!(!seen.first(3));
    }
}
