//! Which refusals of TRUNCATE are asked again, and how soon: mfsmount
//! 3.0.117's schedule (mfsclient/truncate.c). The master refuses with
//! LOCKED while a chunk is written and with EAGAIN while a chunk lacks
//! valid copies (being replicated, or a chunkserver just lost); both pass.

use std::time::Duration;

use mooseng_wire::Status;

use crate::data::backoff;

/// How long a chunk being written is waited for between two tries.
const LOCKED_PAUSE: Duration = Duration::from_millis(10);
/// Tries for any other passing refusal before it is reported.
const TRIES: u32 = 30;

/// What to do after the `tries`-th refusal (from 1) with `status`.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// Report the refusal.
    GiveUp,
    /// Ask again after this pause.
    Retry(Duration),
}

pub fn after_refusal(status: Status, tries: u32) -> Next {
    match status {
        Status::EROFS
        | Status::EACCES
        | Status::EPERM
        | Status::ENOENT
        | Status::QUOTA
        | Status::NOSPACE
        | Status::CHUNKLOST => Next::GiveUp,
        // As in mfsmount, a locked chunk is waited for however long it takes.
        Status::LOCKED => Next::Retry(LOCKED_PAUSE),
        _ if tries >= TRIES => Next::GiveUp,
        _ => Next::Retry(backoff(tries)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_refusals_end_at_once_and_others_are_asked_again_as_mfsmount_does() {
        assert_eq!(after_refusal(Status::EACCES, 1), Next::GiveUp);
        assert_eq!(after_refusal(Status::CHUNKLOST, 1), Next::GiveUp);
        assert_eq!(
            after_refusal(Status::LOCKED, 500),
            Next::Retry(Duration::from_millis(10))
        );
        assert_eq!(
            after_refusal(Status::EAGAIN, 1),
            Next::Retry(Duration::from_millis(1))
        );
        assert_eq!(
            after_refusal(Status::EAGAIN, 2),
            Next::Retry(Duration::from_millis(301))
        );
        assert_eq!(after_refusal(Status::EAGAIN, 30), Next::GiveUp);
    }
}
