//! The submit queue: changes wait here while the previous group commit
//! is being made durable, then go to Raft together as one entry.
//!
//! openraft 0.9 hands each client write to the log as an append of its
//! own and hands over the next only after the previous one was flushed,
//! so one Raft entry per change meant one `fdatasync` per change however
//! many clients waited. Packing every change that waited into one entry
//! gives group commit back: openraft sees one entry, the log writes it
//! with one `fdatasync`, and each submitter still gets its own answer.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::meta::{format, LogEntry, LogStats};
use crate::raft::{Applied, Raft};

/// Most bytes of encoded changes packed into one Raft entry: a quarter of
/// the log's record limit, and far more than 64 waiting submitters queue.
pub const MAX_BATCH: usize = 256 * 1024;

/// Where the answer to one change goes.
pub type Answer = oneshot::Sender<Applied>;

/// One change waiting for its group commit, and who waits for its answer:
/// nobody for a chunk entry, which the chunk service applied already.
#[derive(Debug)]
pub struct Pending {
    pub entry: LogEntry,
    pub answer: Option<Answer>,
}

/// Proposes the queued changes, one batch at a time, until the queue is
/// closed and empty. A batch is proposed only after the previous one was
/// applied, so the changes that arrive meanwhile make the next batch.
pub async fn run(raft: Raft, mut queue: mpsc::UnboundedReceiver<Pending>, stats: Arc<LogStats>) {
    let mut left_over = None;
    loop {
        let first = match left_over.take() {
            Some(pending) => pending,
            None => match queue.recv().await {
                Some(pending) => pending,
                None => return,
            },
        };
        let (batch, rest) = take_batch(first, &mut queue);
        left_over = rest;
        commit(&raft, batch, &stats).await;
    }
}

/// `first` and the changes queued behind it, up to [`MAX_BATCH`] bytes,
/// and the change that did not fit. `first` always goes, however large:
/// one change too large for a log record is refused by the log.
fn take_batch(
    first: Pending,
    queue: &mut mpsc::UnboundedReceiver<Pending>,
) -> (Vec<Pending>, Option<Pending>) {
    let mut bytes = encoded_len(&first.entry);
    let mut batch = vec![first];
    while let Ok(pending) = queue.try_recv() {
        bytes = bytes.saturating_add(encoded_len(&pending.entry));
        if bytes > MAX_BATCH {
            return (batch, Some(pending));
        }
        batch.push(pending);
    }
    (batch, None)
}

/// An entry that cannot be encoded counts as a full batch, so it goes
/// alone and only its submitter hears of the log's refusal.
fn encoded_len(entry: &LogEntry) -> usize {
    format::encoded_len(entry).unwrap_or(MAX_BATCH)
}

/// Proposes one batch and hands each submitter its answer. A submitter
/// whose answer is dropped (Raft failed) reads that as `EIO`.
async fn commit(raft: &Raft, batch: Vec<Pending>, stats: &LogStats) {
    let (entries, answers): (Vec<LogEntry>, Vec<Option<Answer>>) = batch
        .into_iter()
        .map(|pending| (pending.entry, pending.answer))
        .unzip();
    let count = entries.len();
    match raft.client_write(entries).await {
        Ok(written) => {
            for (answer, applied) in answers.into_iter().zip(written.data) {
                if let Some(answer) = answer {
                    // A submitter that gave up waiting needs no answer.
                    let _ = answer.send(applied);
                }
            }
        }
        Err(error) => {
            tracing::error!(%error, changes = count, "changes were not committed");
            stats.dropped(count as u64);
        }
    }
}
