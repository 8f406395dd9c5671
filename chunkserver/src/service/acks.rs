//! The order in which a write chain's statuses go back to the client.
//!
//! A server in the middle of a chain acknowledges a `CLTOCS_WRITE_DATA`
//! only when its own write and the next server's status for the same
//! `writeid` are both known, strictly in the order the data came, as
//! mfschunkserver does. The first failure, ours or downstream, is
//! reported (ours wins when both are known) and ends the session.

use std::collections::VecDeque;

use mooseng_wire::Status;

#[derive(Debug)]
struct Entry {
    writeid: u32,
    local: Option<Status>,
    next: Option<Status>,
}

/// Outstanding writes of one session, oldest first.
#[derive(Debug, Default)]
pub struct AckQueue {
    entries: VecDeque<Entry>,
    /// Entries before this index have the next server's status.
    next_answered: usize,
}

/// The next server answered a write we did not send, or out of order.
#[derive(Debug, PartialEq, Eq)]
pub struct OutOfOrder {
    pub writeid: u32,
}

impl AckQueue {
    /// A write was forwarded and is being written here.
    pub fn expect(&mut self, writeid: u32) {
        self.entries.push_back(Entry {
            writeid,
            local: None,
            next: None,
        });
    }

    /// Our own write of `writeid` finished with `status`.
    pub fn local(&mut self, writeid: u32, status: Status) {
        if let Some(entry) = self
            .entries
            .iter_mut()
            .rev()
            .find(|e| e.writeid == writeid && e.local.is_none())
        {
            entry.local = Some(status);
        }
    }

    /// The next server's status for `writeid`, which must be the oldest
    /// write it has not answered yet.
    pub fn next(&mut self, writeid: u32, status: Status) -> Result<(), OutOfOrder> {
        match self.entries.get_mut(self.next_answered) {
            Some(entry) if entry.writeid == writeid => {
                entry.next = Some(status);
                self.next_answered += 1;
                Ok(())
            }
            _ => Err(OutOfOrder { writeid }),
        }
    }

    /// Statuses that can go to the client now, oldest first. A failure is
    /// always the last one returned.
    pub fn ready(&mut self) -> Vec<(u32, Status)> {
        let mut out = Vec::new();
        while let Some(front) = self.entries.front() {
            let status = match (front.local, front.next) {
                (Some(local), _) if !local.is_ok() => local,
                (_, Some(next)) if !next.is_ok() => next,
                (Some(_), Some(_)) => Status::OK,
                _ => break,
            };
            let writeid = front.writeid;
            self.entries.pop_front();
            self.next_answered = self.next_answered.saturating_sub(1);
            out.push((writeid, status));
            if !status.is_ok() {
                break;
            }
        }
        out
    }

    /// Nothing left to acknowledge.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_is_acknowledged_once_both_sides_are_done_in_order() {
        let mut acks = AckQueue::default();
        acks.expect(1);
        acks.expect(2);
        acks.local(2, Status::OK);
        assert!(acks.ready().is_empty(), "write 1 is not done yet");
        acks.next(1, Status::OK).unwrap();
        assert!(acks.ready().is_empty(), "our write 1 is not done yet");
        acks.local(1, Status::OK);
        assert_eq!(acks.ready(), [(1, Status::OK)]);
        acks.next(2, Status::OK).unwrap();
        assert_eq!(acks.ready(), [(2, Status::OK)]);
        assert!(acks.is_empty());
    }

    #[test]
    fn the_first_failure_is_reported_and_ends_the_list() {
        let mut acks = AckQueue::default();
        acks.expect(1);
        acks.expect(2);
        acks.local(1, Status::CRC);
        assert_eq!(
            acks.ready(),
            [(1, Status::CRC)],
            "a local failure needs no downstream answer"
        );

        let mut acks = AckQueue::default();
        acks.expect(1);
        acks.expect(2);
        acks.local(1, Status::OK);
        acks.local(2, Status::OK);
        acks.next(1, Status::IO).unwrap();
        assert_eq!(acks.ready(), [(1, Status::IO)]);
    }

    #[test]
    fn downstream_answers_must_follow_the_data_order() {
        let mut acks = AckQueue::default();
        acks.expect(1);
        acks.expect(2);
        assert_eq!(acks.next(2, Status::OK), Err(OutOfOrder { writeid: 2 }));
        acks.next(1, Status::OK).unwrap();
        acks.local(1, Status::OK);
        assert_eq!(acks.ready(), [(1, Status::OK)]);
        acks.next(2, Status::OK).unwrap();
        assert_eq!(acks.next(3, Status::OK), Err(OutOfOrder { writeid: 3 }));
    }
}
