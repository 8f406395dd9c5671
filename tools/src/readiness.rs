//! Waiting until the cluster actually works, and failing with a pointer to
//! the log that explains why when it does not.

use std::fs;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use crate::command::output;
use crate::error::Error;
use crate::mounts;
use crate::state::Member;

const POLL: Duration = Duration::from_millis(200);

/// Lines of a log shown when its daemon died.
const TAIL_LINES: usize = 15;

/// Polls `ready` until it says yes, failing early when one of `watched`
/// exits and at `deadline` otherwise; either error names `log` (the log of
/// whatever is being waited for, or of the member that died).
pub fn wait_for(
    what: &str,
    log: &Path,
    deadline: Instant,
    timeout: Duration,
    watched: &[Member],
    mut ready: impl FnMut() -> bool,
) -> Result<(), Error> {
    loop {
        if let Some(dead) = watched.iter().find(|m| !m.process.is_alive()) {
            return Err(Error::Died {
                role: dead.role.name(),
                what: what.to_owned(),
                log: dead.log.clone(),
                tail: tail(&dead.log),
            });
        }
        if ready() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(Error::Timeout {
                what: what.to_owned(),
                seconds: timeout.as_secs(),
                log: log.to_owned(),
            });
        }
        thread::sleep(POLL);
    }
}

fn tail(log: &Path) -> String {
    let text = fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n")
}

/// Whether something accepts TCP connections at `addr:port`.
pub fn listening(addr: Ipv4Addr, port: u16) -> bool {
    TcpStream::connect_timeout(&SocketAddr::from((addr, port)), Duration::from_millis(500)).is_ok()
}

/// Whether the master at `master` lists every address of `chunkservers`
/// among its connected chunkservers, as `mfscli -SCS` shows them.
pub fn chunkservers_registered(master: Ipv4Addr, chunkservers: &[Ipv4Addr]) -> bool {
    let listed =
        output(Command::new("mfscli").args(["-H", &master.to_string(), "-SCS", "-n", "-s", "|"]));
    match listed {
        Ok(out) if out.status.success() => {
            listed_addresses(&String::from_utf8_lossy(&out.stdout))
                .filter(|a| chunkservers.contains(a))
                .count()
                >= chunkservers.len()
        }
        _ => false,
    }
}

/// Every IPv4 address in `mfscli`'s plain-text output (fields separated by
/// `|`, an address possibly followed by `:port`).
fn listed_addresses(text: &str) -> impl Iterator<Item = Ipv4Addr> + '_ {
    let mut seen = Vec::new();
    text.split(|c: char| c == '|' || c.is_whitespace())
        .filter_map(|field| field.split(':').next()?.parse::<Ipv4Addr>().ok())
        .filter(move |a| {
            let new = !seen.contains(a);
            seen.push(*a);
            new
        })
}

/// Whether a mount at `path` is up and shows the cluster's space.
pub fn mount_answers(path: &Path) -> bool {
    mounts::is_fuse_mounted(path) && mounts::total_bytes(path).is_some_and(|bytes| bytes > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_address_once() {
        let text = "chunk servers:\n10.9.0.11|9422|1|3.0.117\n10.9.0.12|9422|2|3.0.117\n10.9.0.11:9422|x\n";
        let found: Vec<Ipv4Addr> = listed_addresses(text).collect();
        assert_eq!(
            found,
            [Ipv4Addr::new(10, 9, 0, 11), Ipv4Addr::new(10, 9, 0, 12)]
        );
    }

    #[test]
    fn nothing_listens_on_a_closed_port() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        assert!(!listening(Ipv4Addr::LOCALHOST, port));
        let open = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        assert!(listening(
            Ipv4Addr::LOCALHOST,
            open.local_addr().unwrap().port()
        ));
    }

    #[test]
    fn dead_member_is_reported_with_its_log() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("cs1.log");
        fs::write(&log, "hdd space manager: no usable disks\n").unwrap();
        let dead = Member {
            role: crate::role::Role::Chunkserver(1),
            flavor: crate::role::Flavor::Mfs,
            program: "/usr/sbin/mfschunkserver".into(),
            args: Vec::new(),
            process: crate::process::ProcessId {
                pid: u32::MAX,
                start_time: 0,
            },
            netns: None,
            address: Ipv4Addr::new(10, 9, 0, 11),
            log: log.clone(),
            mountpoint: None,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        let err = wait_for(
            "x",
            Path::new("/other.log"),
            deadline,
            Duration::ZERO,
            &[dead],
            || true,
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("cs1 exited") && text.contains(&*log.to_string_lossy()),
            "{text}"
        );
        assert!(text.contains("no usable disks"), "{text}");
    }

    #[test]
    fn timeout_names_the_log() {
        let err = wait_for(
            "nothing",
            Path::new("/x/y.log"),
            Instant::now(),
            Duration::ZERO,
            &[],
            || false,
        )
        .unwrap_err();
        assert!(err.to_string().contains("/x/y.log"), "{err}");
    }
}
