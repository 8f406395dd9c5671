//! `.oplog` and `.ophistory`, mfsmount's live log of the file-system
//! operations the mount is asked for. Reading `.oplog` gives the lines
//! written since it was opened, `.ophistory` also the last MiBs before;
//! a read waits up to a second for a line and otherwise gets `#\n`, so
//! `cat .oplog` follows the mount until interrupted. As in mfsmount they
//! are inodes 0x7FFFFFF1 and 0x7FFFFFF2, mode 0400, owned by root, zero
//! bytes long by their attributes (read with direct I/O).
//!
//! Each line starts as mfsmount's do (`MM.DD HH:MM:SS.uuuuuu: uid:U gid:G
//! pid:P cmd:`) and names the operation and its inode (and entry name);
//! mfsmount also appends each operation's result, which is not logged here.

use std::collections::{HashMap, VecDeque};
use std::ffi::OsStr;
use std::fmt::Write as _;
use std::os::unix::ffi::OsStrExt;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::Notify;

use super::core::Entry;
use super::special::{root_file_entry, ROOT};
use crate::data::lock;

pub const OPLOG_INODE: u64 = 0x7FFF_FFF1;
pub const OPHISTORY_INODE: u64 = 0x7FFF_FFF2;
const OPLOG_NAME: &[u8] = b".oplog";
const OPHISTORY_NAME: &[u8] = b".ophistory";
/// Bytes of lines kept; an `.ophistory` reader starts up to this far back.
const KEPT: usize = 4 << 20;
/// How long a read waits for a line before it gets `#\n`.
const PATIENCE: Duration = Duration::from_secs(1);
/// What a read gets when nothing happened for [`PATIENCE`].
const NOTHING: &[u8] = b"#\n";

pub fn is_oplog_inode(ino: u64) -> bool {
    ino == OPLOG_INODE || ino == OPHISTORY_INODE
}

/// The inode of `.oplog` or `.ophistory` when `name` in `parent` is one.
pub fn found_without_master(parent: u64, name: &OsStr) -> Option<u64> {
    match name.as_bytes() {
        _ if parent != ROOT => None,
        OPLOG_NAME => Some(OPLOG_INODE),
        OPHISTORY_NAME => Some(OPHISTORY_INODE),
        _ => None,
    }
}

/// Attributes and cache lifetimes of either file.
pub fn entry(inode: u64) -> Entry {
    root_file_entry(inode, 0o400, 0)
}

/// The log: its last [`KEPT`] bytes and where each open reader is.
#[derive(Debug, Default)]
pub struct OpLog {
    inner: Mutex<Lines>,
    written: Notify,
}

#[derive(Debug, Default)]
struct Lines {
    bytes: VecDeque<u8>,
    /// Position in the whole log of `bytes[0]`.
    start: u64,
    /// Each open handle's position in the whole log.
    readers: HashMap<u64, u64>,
}

impl Lines {
    fn end(&self) -> u64 {
        self.start + self.bytes.len() as u64
    }
}

impl OpLog {
    /// Logs one operation: `what` is its name and arguments.
    pub fn log(&self, uid: u32, gid: u32, pid: u32, what: std::fmt::Arguments<'_>) {
        let mut line = String::with_capacity(96);
        let _ = write!(
            line,
            "{}: uid:{uid} gid:{gid} pid:{pid} cmd:{what}",
            stamp()
        );
        line.push('\n');
        let mut lines = lock(&self.inner);
        lines.bytes.extend(line.as_bytes());
        let excess = lines.bytes.len().saturating_sub(KEPT);
        if excess > 0 {
            lines.bytes.drain(..excess);
            lines.start += excess as u64;
        }
        drop(lines);
        self.written.notify_waiters();
    }

    /// A new reader `fh`: of `.ophistory` from the oldest whole line kept,
    /// of `.oplog` from now on.
    pub fn open(&self, fh: u64, inode: u64) {
        let mut lines = lock(&self.inner);
        let from = if inode == OPHISTORY_INODE {
            let first_line = lines.bytes.iter().position(|b| *b == b'\n');
            match (lines.start, first_line) {
                (0, _) => 0,
                (start, Some(newline)) => start + newline as u64 + 1,
                (_, None) => lines.end(),
            }
        } else {
            lines.end()
        };
        lines.readers.insert(fh, from);
    }

    pub fn release(&self, fh: u64) -> bool {
        lock(&self.inner).readers.remove(&fh).is_some()
    }

    /// Up to `size` bytes for reader `fh`, waiting up to a second for any.
    pub async fn read(&self, fh: u64, size: u32) -> Vec<u8> {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let written = self.written.notified();
            if let Some(bytes) = self.take(fh, size as usize) {
                return bytes;
            }
            if tokio::time::timeout_at(deadline, written).await.is_err() {
                return NOTHING.to_vec();
            }
        }
    }

    /// What reader `fh` has not read yet, if anything (an unknown reader
    /// gets nothing at once).
    fn take(&self, fh: u64, size: usize) -> Option<Vec<u8>> {
        let mut lines = lock(&self.inner);
        let (start, end) = (lines.start, lines.end());
        let Some(at) = lines.readers.get(&fh).copied() else {
            return Some(Vec::new());
        };
        // A reader overtaken by the ring goes on from its oldest byte.
        let at = at.max(start);
        if at >= end {
            return None;
        }
        let skip = (at - start) as usize;
        let bytes: Vec<u8> = lines.bytes.range(skip..).take(size).copied().collect();
        lines.readers.insert(fh, at + bytes.len() as u64);
        Some(bytes)
    }
}

/// `MM.DD HH:MM:SS.uuuuuu` in UTC, mfsmount's prefix (which it gives in
/// local time).
fn stamp() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs();
    let (days, of_day) = (secs / 86_400, secs % 86_400);
    let (month, day) = month_and_day(days);
    format!(
        "{month:02}.{day:02} {:02}:{:02}:{:02}.{:06}",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60,
        now.subsec_micros()
    )
}

/// Month and day of the month of the day `days` after 1970-01-01 (the
/// civil calendar, as in Howard Hinnant's `civil_from_days`).
fn month_and_day(days: u64) -> (u64, u64) {
    let z = days + 719_468;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_gets_the_lines_after_its_open_and_history_those_before() {
        let log = OpLog::default();
        log.log(0, 0, 1, format_args!("lookup (1,a)"));
        log.open(1, OPLOG_INODE);
        log.open(2, OPHISTORY_INODE);
        log.log(5, 6, 7, format_args!("getattr (9)"));
        let live = String::from_utf8(log.take(1, 4096).unwrap()).unwrap();
        assert!(
            live.ends_with(": uid:5 gid:6 pid:7 cmd:getattr (9)\n"),
            "{live}"
        );
        assert_eq!(live.lines().count(), 1);
        let history = String::from_utf8(log.take(2, 4096).unwrap()).unwrap();
        assert_eq!(history.lines().count(), 2);
        assert!(log.take(1, 4096).is_none(), "nothing new");
        assert!(log.release(1) && !log.release(1));
    }

    #[test]
    fn the_log_keeps_its_newest_bytes_and_history_starts_on_a_line() {
        let log = OpLog::default();
        let long = "x".repeat(1000);
        for _ in 0..(KEPT / 1000 + 100) {
            log.log(0, 0, 0, format_args!("{long}"));
        }
        log.open(3, OPHISTORY_INODE);
        let first = log.take(3, 200).unwrap();
        assert_eq!(&first[2..3], b".", "a whole line: {:?}", &first[..20]);
        assert!(lock(&log.inner).bytes.len() <= KEPT);
    }

    #[test]
    fn days_are_civil_dates() {
        assert_eq!(month_and_day(0), (1, 1));
        assert_eq!(month_and_day(59), (3, 1), "1970 was not a leap year");
        assert_eq!(month_and_day(20_786), (11, 29), "2026-11-29");
    }

    #[tokio::test]
    async fn a_quiet_log_answers_a_hash_after_a_second() {
        let log = OpLog::default();
        log.open(4, OPLOG_INODE);
        let started = std::time::Instant::now();
        assert_eq!(log.read(4, 100).await, NOTHING);
        assert!(started.elapsed() >= Duration::from_millis(900));
    }
}
