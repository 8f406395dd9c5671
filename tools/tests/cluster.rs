//! Brings a real MooseFS cluster up with `mooseng-cluster`, moves a file
//! through it, and checks that `down` leaves nothing behind. Needs root,
//! network namespaces, FUSE and Debian's MooseFS packages (scripts/setup.sh).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use mooseng_tools::{Layout, State};
use sha2::{Digest, Sha256};

/// Names and subnet of this test's cluster, apart from the default ones and
/// from other tests and users of the machine.
const PREFIX: &str = "mfsngit";
const SUBNET: &str = "10.233.101.0/24";

fn cli(state_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mooseng-cluster"))
        .arg("--state-dir")
        .arg(state_dir)
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("mooseng-cluster runs")
}

fn text(output: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Takes the cluster down even when an assertion fails halfway.
struct Down<'a>(&'a Path);

impl Drop for Down<'_> {
    fn drop(&mut self) {
        cli(self.0, &["down"]);
    }
}

/// Deterministic bytes that do not compress or repeat within a chunk.
fn payload(len: usize) -> Vec<u8> {
    mooseng_tools::payload::payload(len, 0x9E37_79B9_7F4A_7C15)
}

fn lines_with_prefix(output: &str) -> Vec<String> {
    output
        .lines()
        .filter(|l| l.contains(PREFIX))
        .map(str::to_owned)
        .collect()
}

fn ip(args: &[&str]) -> String {
    let output = Command::new("ip").args(args).output().expect("ip runs");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Pids of live processes whose command line mentions `dir`.
fn processes_mentioning(dir: &Path) -> Vec<String> {
    let needle = dir.to_string_lossy().into_owned();
    fs::read_dir("/proc")
        .expect("/proc is readable")
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter_map(|e| {
            let cmdline = fs::read(e.path().join("cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            cmdline
                .contains(&needle)
                .then(|| format!("{}: {cmdline}", e.file_name().to_string_lossy()))
        })
        .collect()
}

#[test]
fn mfs_cluster_serves_a_file_and_goes_away_completely() {
    let dir = tempfile::tempdir().unwrap();
    let state_dir = dir.path().join("state");
    let mountpoint: PathBuf = dir.path().join("mnt");
    let _down = Down(&state_dir);

    let started = Instant::now();
    let up = cli(
        &state_dir,
        &[
            "up",
            "--master",
            "mfs",
            "--chunkservers",
            "mfs,mfs,mfs",
            "--mount",
            "mfs",
            "--mounts",
            "2",
            "--mountpoint",
            mountpoint.to_str().unwrap(),
            "--prefix",
            PREFIX,
            "--subnet",
            SUBNET,
            "--timeout",
            "40",
        ],
    );
    let up_time = started.elapsed();
    assert!(up.status.success(), "{}", text(&up));
    let state = State::load(&Layout::new(&state_dir).state_file())
        .unwrap()
        .unwrap();
    assert_eq!(state.processes.len(), 6, "master, 3 chunkservers, 2 mounts");

    // Written through one mount, read through the other: the bytes must
    // have gone through the master and chunkservers, not a page cache.
    let data = payload(5 << 20);
    fs::write(mountpoint.join("mount1/file"), &data).unwrap();
    let back = fs::read(mountpoint.join("mount2/file")).unwrap();
    assert_eq!(Sha256::digest(&back), Sha256::digest(&data));

    let status = cli(&state_dir, &["status"]);
    assert!(status.status.success(), "{}", text(&status));
    let report = String::from_utf8_lossy(&status.stdout);
    for (role, addr) in [
        ("master", "10.233.101.2"),
        ("cs1", "10.233.101.11"),
        ("cs2", "10.233.101.12"),
        ("cs3", "10.233.101.13"),
        ("mount1", "10.233.101.1"),
        ("mount2", "10.233.101.1"),
    ] {
        let line = report
            .lines()
            .find(|l| l.split_whitespace().next() == Some(role))
            .unwrap_or_else(|| panic!("no {role} in\n{report}"));
        assert!(line.contains(" alive ") && line.contains(addr), "{line}");
    }

    let started = Instant::now();
    let down = cli(&state_dir, &["down"]);
    let down_time = started.elapsed();
    assert!(down.status.success(), "{}", text(&down));
    eprintln!("up took {up_time:?}, down took {down_time:?}");

    for member in &state.processes {
        assert!(
            !member.process.is_alive(),
            "{} still runs",
            member.role.name()
        );
    }
    assert_eq!(processes_mentioning(dir.path()), Vec::<String>::new());
    assert_eq!(
        lines_with_prefix(&ip(&["netns", "list"])),
        Vec::<String>::new()
    );
    assert_eq!(
        lines_with_prefix(&ip(&["-o", "link", "show"])),
        Vec::<String>::new()
    );
    let mounts = fs::read_to_string("/proc/mounts").unwrap();
    let ours: Vec<&str> = mounts
        .lines()
        .filter(|l| l.contains(&*dir.path().to_string_lossy()))
        .collect();
    assert_eq!(ours, Vec::<&str>::new());
    assert!(!Layout::new(&state_dir).state_file().exists());

    let again = cli(&state_dir, &["down"]);
    assert!(
        again.status.success(),
        "down is idempotent: {}",
        text(&again)
    );
    assert!(up_time < Duration::from_secs(60) && down_time < Duration::from_secs(30));
}

#[test]
fn missing_ng_program_is_named_and_nothing_starts() {
    let dir = tempfile::tempdir().unwrap();
    let up = cli(
        dir.path(),
        &[
            "up",
            "--master",
            "mfs",
            "--chunkservers",
            "mfs",
            "--mount",
            "mfs",
            "--metalogger",
            "ng",
            "--prefix",
            "mfsngit2",
            "--subnet",
            "10.233.169.0/24",
        ],
    );
    assert!(!up.status.success(), "{}", text(&up));
    let stderr = String::from_utf8_lossy(&up.stderr);
    assert!(stderr.contains("`mooseng-metalogger`"), "{stderr}");
    assert!(!Layout::new(dir.path()).state_file().exists());
    assert!(!ip(&["netns", "list"]).contains("mfsngit2"));
}
