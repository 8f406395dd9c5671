//! `mooseng-conformance replay` against a real, fresh Debian mfsmaster
//! 3.0.117 started by mooseng-cluster in the corpus's starting state:
//! the whole corpus, and its mount conversations alone, must replay with
//! every answer matching, and a proxy that alters one field of one answer
//! must be reported as exactly that mismatch. Needs root, network
//! namespaces and Debian's MooseFS packages (scripts/setup.sh).

use std::ffi::{OsStr, OsString};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use mooseng_tools::{Flavor, Layout, UpOptions};

/// The corpus's main mount (9) and meta mount (11) conversations.
const MOUNT_STREAMS: [&str; 4] = ["--stream", "9", "--stream", "11"];
/// `MATOCL_FUSE_GETATTR`.
const GETATTR_ANSWER: u32 = 409;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/moosefs-3.0.117.pcapng")
}

/// A fresh master and three chunkservers, taken down when dropped.
struct Cluster {
    layout: Layout,
    master: Ipv4Addr,
    _dir: tempfile::TempDir,
}

impl Cluster {
    /// With a metalogger when `metalogger` says so, as the corpus had.
    fn up(prefix: &str, subnet: &str, metalogger: bool) -> Cluster {
        let dir = tempfile::tempdir().expect("temporary state dir");
        let layout = Layout::new(dir.path());
        let subnet = subnet.parse().expect("valid subnet");
        let options = UpOptions {
            master: Flavor::Mfs,
            chunkservers: vec![Flavor::Mfs; 3],
            metalogger: metalogger.then_some(Flavor::Mfs),
            mount: Flavor::Mfs,
            mounts: 0,
            mountpoint: None,
            prefix: prefix.into(),
            subnet,
            // The exports of conformance/corpus/capture.sh.
            root_export: "rw,alldirs,admin,maproot=0:0".into(),
            timeout: Duration::from_secs(60),
        };
        let state = mooseng_tools::up(&layout, &options).expect("the cluster comes up");
        let master = state
            .processes
            .iter()
            .find(|p| p.role == mooseng_tools::Role::Master)
            .expect("a master runs")
            .address;
        Cluster {
            layout,
            master,
            _dir: dir,
        }
    }

    fn master_log(&self) -> String {
        std::fs::read_to_string(self.layout.log(mooseng_tools::Role::Master)).unwrap_or_default()
    }

    fn target(&self) -> SocketAddr {
        SocketAddr::from((self.master, 9421))
    }

    /// The arguments that let the replay kill and restart the cluster's
    /// chunkservers where the capture's left and came back.
    fn control(&self) -> [OsString; 2] {
        ["--cluster-state".into(), self.layout.root().into()]
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = mooseng_tools::down(&self.layout);
    }
}

fn replay(target: SocketAddr, extra: &[impl AsRef<OsStr>]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mooseng-conformance"))
        .arg("replay")
        .arg(corpus())
        .args(["--target", &target.to_string(), "--timeout", "10"])
        .args(["--wait-chunkservers", "3"])
        .args(extra)
        .output()
        .expect("mooseng-conformance runs")
}

fn stdout(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Asserts that the report counts answers of type `message`, all matched.
fn all_matched(text: &str, message: &str) {
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{message} ")))
        .unwrap_or_else(|| panic!("{message} missing from:\n{text}"));
    let counts: Vec<&str> = line.split_whitespace().skip(1).collect();
    assert_eq!(counts.len(), 2, "{line}");
    assert_ne!(counts[0], "0", "{line}");
    assert_eq!(counts[1], "0", "{line}");
}

#[test]
fn the_whole_corpus_replays_cleanly_against_a_fresh_debian_master() {
    let cluster = Cluster::up("rpall", "10.233.221.0/24", true);
    let mut args: Vec<OsString> = vec!["--wait-metaloggers".into(), "1".into()];
    args.extend(cluster.control());
    let output = replay(cluster.target(), &args);
    let text = format!("{}\nmaster log:\n{}", stdout(&output), cluster.master_log());
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("replayed 35 conversations"), "{text}");
    assert!(!text.contains("MISMATCH"), "{text}");
    assert!(text.contains("\nPASS\n"), "{text}");
    // The capture's chunkserver loss was done to the target too.
    assert!(
        text.contains("captured chunkserver 10.231.0.13 left at packet 7373: killed 10.233.221."),
        "{text}"
    );
    assert!(
        text.contains(
            "captured chunkserver 10.231.0.13 came back at packet 7469: restarted 10.233.221."
        ),
        "{text}"
    );
    // mfscli's answers about the master, its chunkservers (maintenance
    // mode and removal included) and its metalogger all took part, with
    // the mounts' metadata and chunk requests.
    for message in [
        "MATOCL_INFO",
        "MATOCL_CSERV_LIST",
        "MATOCL_CSSERV_COMMAND",
        "MATOCL_MLOG_LIST",
        "MATOCL_CHUNKS_MATRIX",
        "MATOCL_SCLASS_INFO",
        "MATOCL_MEMORY_INFO",
        "MATOCL_SESSION_LIST",
        "ANTOCL_CHART_DATA",
        "MATOCL_FUSE_SNAPSHOT",
        "MATOCL_FUSE_WRITE_CHUNK_END",
    ] {
        all_matched(&text, message);
    }
}

#[test]
fn the_corpus_mounts_replay_cleanly_against_a_fresh_debian_master() {
    let cluster = Cluster::up("rpmount", "10.233.222.0/24", false);
    let output = replay(cluster.target(), &MOUNT_STREAMS);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("replayed 2 conversations"), "{text}");
    assert!(!text.contains("MISMATCH"), "{text}");
    // Metadata, tools, trash and chunk requests all took part.
    for message in [
        "MATOCL_FUSE_MKDIR",
        "MATOCL_FUSE_READDIR",
        "MATOCL_FUSE_SNAPSHOT",
        "MATOCL_FUSE_UNDEL",
        "MATOCL_FUSE_WRITE_CHUNK_END",
    ] {
        all_matched(&text, message);
    }
}

#[test]
fn a_proxy_altering_one_field_is_reported_as_exactly_that_mismatch() {
    let cluster = Cluster::up("rpalter", "10.233.223.0/24", false);
    let proxy = AlteringProxy::start(cluster.target());
    let output = replay(proxy, &MOUNT_STREAMS);
    let text = format!("{}\nmaster log:\n{}", stdout(&output), cluster.master_log());
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert_eq!(text.matches("MISMATCH").count(), 1, "{text}");
    assert!(
        text.contains("MATOCL_FUSE_GETATTR.reply.mode: captured 511 replayed 510 (values differ)"),
        "{text}"
    );
    // Exactly one field is named; the times in the diff differ as allowed.
    assert_eq!(text.matches("(values differ)").count(), 1, "{text}");
    // The diff shows the field, captured then replayed.
    assert!(text.contains("--- captured\n+++ replayed\n"), "{text}");
    assert!(
        text.contains("-                mode: 511,\n+                mode: 510,\n"),
        "{text}"
    );
    assert!(text.contains("FAIL: 1 mismatched answers"), "{text}");
}

/// Forwards connections to the master, clearing the lowest mode bit of the
/// first successful GETATTR answer (the root directory's 0777 becomes 0776).
struct AlteringProxy;

impl AlteringProxy {
    fn start(upstream: SocketAddr) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy listens");
        let address = listener.local_addr().expect("proxy address");
        let altered = Arc::new(AtomicBool::new(false));
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(upstream) else {
                    continue;
                };
                // Nagle's delay on every answer would slow the replay tenfold.
                let _ = (client.set_nodelay(true), server.set_nodelay(true));
                let altered = Arc::clone(&altered);
                let (mut c_read, mut s_write) = (
                    client.try_clone().expect("clone client"),
                    server.try_clone().expect("clone server"),
                );
                thread::spawn(move || std::io::copy(&mut c_read, &mut s_write));
                thread::spawn(move || forward_answers(server, client, &altered));
            }
        });
        address
    }
}

fn forward_answers(mut server: TcpStream, mut client: TcpStream, altered: &AtomicBool) {
    let mut header = [0u8; 8];
    while server.read_exact(&mut header).is_ok() {
        let code = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        let len = u32::from_be_bytes([header[4], header[5], header[6], header[7]]) as usize;
        let mut payload = vec![0u8; len];
        if server.read_exact(&mut payload).is_err() {
            return;
        }
        // msgid:32 then the attribute record: flags:8 type:4 mode:12 ...
        if code == GETATTR_ANSWER && len > 5 && !altered.swap(true, Ordering::SeqCst) {
            payload[6] &= !1;
        }
        if client.write_all(&[&header[..], &payload].concat()).is_err() {
            return;
        }
    }
}
