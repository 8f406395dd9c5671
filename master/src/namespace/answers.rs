//! The answers to changes a mount may send again after a failover.
//!
//! A leader can commit a mount's CREATE and die before answering it; the
//! mount then sends the very same request to the next leader, which would
//! refuse it with EEXIST, or unlink a second file of that name. So each
//! change a mount asked for is logged with the request's key (session,
//! message id and a digest of the request's bytes) and every master keeps,
//! per session, the answer of the last change made under each message id.
//! A resent request that matches a kept answer gets that answer instead of
//! being applied again.
//!
//! mfsmount 3.0.117 gives each of its threads one message id for all its
//! requests, so a session needs few entries; our mount numbers every
//! request, so the table keeps only the newest [`KEPT_PER_SESSION`] of a
//! session: a resend comes right after a reconnect, long before that
//! many further changes.

use std::collections::{BTreeMap, VecDeque};

use mooseng_wire::Status;
use serde::{Deserialize, Serialize};

use super::Outcome;

/// Answers kept per session; older ones are forgotten first.
pub const KEPT_PER_SESSION: usize = 256;

/// What identifies a request across a resend: mfsmount resends the same
/// bytes under the same message id in the same session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestKey {
    pub session: u32,
    pub msgid: u32,
    /// CRC-32 of the request's type and payload.
    pub digest: u32,
}

/// One kept answer.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Answer {
    msgid: u32,
    digest: u32,
    result: Result<Outcome, Status>,
}

/// Per session, the newest answer of each message id, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answers {
    sessions: BTreeMap<u32, VecDeque<Answer>>,
}

impl Answers {
    /// Keeps `result` as the answer to `key`, in place of the answer to
    /// the session's earlier change under the same message id.
    pub fn record(&mut self, key: RequestKey, result: Result<Outcome, Status>) {
        let kept = self.sessions.entry(key.session).or_default();
        kept.retain(|answer| answer.msgid != key.msgid);
        if kept.len() == KEPT_PER_SESSION {
            kept.pop_front();
        }
        kept.push_back(Answer {
            msgid: key.msgid,
            digest: key.digest,
            result,
        });
    }

    /// The answer given to the request `key` names, if it was the last
    /// change under its message id.
    pub fn find(&self, key: RequestKey) -> Option<&Result<Outcome, Status>> {
        self.sessions
            .get(&key.session)?
            .iter()
            .rev()
            .find(|answer| answer.msgid == key.msgid)
            .filter(|answer| answer.digest == key.digest)
            .map(|answer| &answer.result)
    }

    /// Forgets a closed session's answers.
    pub fn forget(&mut self, session: u32) {
        self.sessions.remove(&session);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(msgid: u32, digest: u32) -> RequestKey {
        RequestKey {
            session: 4,
            msgid,
            digest,
        }
    }

    #[test]
    fn a_resend_finds_the_answer_of_the_same_request_only() {
        let mut answers = Answers::default();
        answers.record(key(1, 10), Ok(Outcome::Node(7)));
        assert_eq!(answers.find(key(1, 10)), Some(&Ok(Outcome::Node(7))));
        assert_eq!(answers.find(key(1, 11)), None, "other bytes");
        assert_eq!(answers.find(key(2, 10)), None, "other message id");
        let other_session = RequestKey {
            session: 5,
            ..key(1, 10)
        };
        assert_eq!(answers.find(other_session), None);
    }

    #[test]
    fn a_later_change_under_the_same_message_id_replaces_the_answer() {
        let mut answers = Answers::default();
        answers.record(key(1, 10), Ok(Outcome::Node(7)));
        answers.record(key(1, 20), Err(Status::EEXIST));
        assert_eq!(answers.find(key(1, 10)), None);
        assert_eq!(answers.find(key(1, 20)), Some(&Err(Status::EEXIST)));
    }

    #[test]
    fn a_session_keeps_its_newest_answers_and_loses_them_when_closed() {
        let mut answers = Answers::default();
        for msgid in 0..=KEPT_PER_SESSION as u32 {
            answers.record(key(msgid, msgid), Ok(Outcome::Node(msgid)));
        }
        assert_eq!(answers.find(key(0, 0)), None, "the oldest is forgotten");
        assert!(answers.find(key(1, 1)).is_some());
        let last = KEPT_PER_SESSION as u32;
        assert!(answers.find(key(last, last)).is_some());
        answers.forget(4);
        assert_eq!(answers.find(key(last, last)), None);
    }
}
