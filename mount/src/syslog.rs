//! The background mount logs to syslog, as mfsmount does: once it is
//! mounted its standard streams point at /dev/null, so a daemon holds no
//! terminal or pipe of whoever started it, and its log still goes somewhere
//! an administrator looks.

use std::io;
use std::os::unix::net::UnixDatagram;

use tracing::{Level, Metadata};
use tracing_subscriber::fmt::MakeWriter;

/// The local syslog daemon's socket.
const SOCKET: &str = "/dev/log";
/// `LOG_DAEMON`, the facility mfsmount uses in the background.
const FACILITY_DAEMON: u8 = 3;

/// Sends each formatted event to syslog as one datagram.
#[derive(Debug)]
pub struct Syslog {
    /// `None` when no syslog daemon listens: the lines are dropped, as
    /// syslog(3) drops them.
    socket: Option<UnixDatagram>,
    /// `program[pid]`, the tag syslog(3) puts before each message.
    tag: String,
}

impl Syslog {
    pub fn connect(program: &str) -> Syslog {
        let socket = UnixDatagram::unbound()
            .and_then(|socket| socket.connect(SOCKET).map(|()| socket))
            .ok();
        Syslog {
            socket,
            tag: format!("{program}[{}]", std::process::id()),
        }
    }

    fn send(&self, severity: u8, text: &[u8]) {
        if let Some(socket) = &self.socket {
            let priority = FACILITY_DAEMON * 8 + severity;
            let text = String::from_utf8_lossy(text);
            let message = format!("<{priority}>{}: {}", self.tag, text.trim_end());
            // A busy or vanished syslog loses the line, never the mount.
            let _ = socket.send(message.as_bytes());
        }
    }
}

/// One event's writer; the formatter writes the whole line in one call.
#[derive(Debug)]
pub struct SyslogLine<'a> {
    syslog: &'a Syslog,
    severity: u8,
}

impl io::Write for SyslogLine<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.syslog.send(self.severity, buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Syslog {
    type Writer = SyslogLine<'a>;

    fn make_writer(&'a self) -> SyslogLine<'a> {
        SyslogLine {
            syslog: self,
            severity: severity(&Level::INFO),
        }
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> SyslogLine<'a> {
        SyslogLine {
            syslog: self,
            severity: severity(meta.level()),
        }
    }
}

/// syslog's severity for a tracing level (`LOG_ERR` ... `LOG_DEBUG`).
fn severity(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        _ => 7,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_one_datagram_with_priority_and_tag() {
        let (ours, theirs) = UnixDatagram::pair().unwrap();
        let syslog = Syslog {
            socket: Some(ours),
            tag: "mooseng-mount[42]".into(),
        };
        syslog.send(severity(&Level::WARN), b"master lost\n");
        let mut buf = [0u8; 64];
        let n = theirs.recv(&mut buf).unwrap();
        // LOG_DAEMON (3) * 8 + LOG_WARNING (4)
        assert_eq!(&buf[..n], b"<28>mooseng-mount[42]: master lost");
    }
}
