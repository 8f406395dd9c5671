//! Our chunkservers under Debian's MooseFS 3.0.117 master and mounts,
//! started with `mooseng-cluster` in network namespaces. Needs root,
//! `ip`, FUSE and the MooseFS packages (scripts/setup.sh).
//!
//! - Three MooseNG chunkservers: `mfscli -SCS` lists them; a file crossing
//!   a 64 MiB chunk boundary, written with goal 2 through one mount, reads
//!   back identical through a second mount; `mfsfileinfo` shows two valid
//!   copies per chunk; `mfschunktool` accepts every chunk file we wrote.
//! - One MooseFS and two MooseNG chunkservers: raising the goal to 3 makes
//!   the master replicate every chunk onto the servers that lack it, so
//!   copies flow between MooseFS's and ours.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// Where `mooseng-cluster` is: next to our binary, as cargo builds both
/// into one target directory; built on demand.
fn cluster_tool() -> PathBuf {
    let ours = PathBuf::from(env!("CARGO_BIN_EXE_mooseng-chunkserver"));
    let tool = ours.with_file_name("mooseng-cluster");
    if !tool.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let status = Command::new(cargo)
            .args(["build", "-p", "mooseng-tools", "--bin", "mooseng-cluster"])
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building mooseng-cluster failed");
    }
    tool
}

fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|err| panic!("{program} does not run: {err}"))
}

fn text(output: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A cluster that is taken down however the test ends.
struct Cluster {
    tool: PathBuf,
    state: PathBuf,
    mnt: PathBuf,
    master: String,
    _dir: tempfile::TempDir,
}

impl Cluster {
    fn up(prefix: &str, subnet_third_octet: u8, chunkservers: &str) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let state = dir.path().join("state");
        let mnt = dir.path().join("mnt");
        let subnet = format!("10.233.{subnet_third_octet}.0/24");
        let cluster = Cluster {
            tool: cluster_tool(),
            state: state.clone(),
            mnt: mnt.clone(),
            master: format!("10.233.{subnet_third_octet}.2"),
            _dir: dir,
        };
        let output = cluster.cli(&[
            "up",
            "--master",
            "mfs",
            "--chunkservers",
            chunkservers,
            "--mount",
            "mfs",
            "--mounts",
            "2",
            "--mountpoint",
            mnt.to_str().expect("UTF-8 path"),
            "--prefix",
            prefix,
            "--subnet",
            &subnet,
        ]);
        assert!(
            output.status.success(),
            "cluster did not come up:\n{}",
            text(&output)
        );
        cluster
    }

    fn cli(&self, args: &[&str]) -> Output {
        Command::new(&self.tool)
            .arg("--state-dir")
            .arg(&self.state)
            .args(args)
            .output()
            .expect("mooseng-cluster runs")
    }

    fn mount(&self, n: u8) -> PathBuf {
        self.mnt.join(format!("mount{n}"))
    }

    fn log(&self, role: &str) -> String {
        fs::read_to_string(self.state.join("logs").join(format!("{role}.log"))).unwrap_or_default()
    }

    /// `mfsfileinfo` of `file`, retried until `done` accepts it.
    fn wait_fileinfo(&self, file: &Path, limit: Duration, done: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let info = String::from_utf8_lossy(
                &run("mfsfileinfo", &[file.to_str().expect("UTF-8 path")]).stdout,
            )
            .into_owned();
            if done(&info) || start.elapsed() > limit {
                return info;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.cli(&["down"]);
    }
}

/// Deterministic bytes that do not repeat within a chunk.
fn payload(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Per chunk of `mfsfileinfo` output, the number of VALID copies.
fn valid_copies(info: &str) -> Vec<usize> {
    let mut counts = Vec::new();
    for line in info.lines().map(str::trim) {
        if line.starts_with("chunk ") {
            counts.push(0);
        } else if line.starts_with("copy ") && line.contains("VALID") {
            if let Some(last) = counts.last_mut() {
                *last += 1;
            }
        }
    }
    counts
}

fn chunk_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return files;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(chunk_files(&path));
        } else if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("chunk_"))
        {
            files.push(path);
        }
    }
    files
}

#[test]
fn three_mooseng_chunkservers_serve_debian_master_and_mounts() {
    let cluster = Cluster::up("mfsngcsd", 103, "ng,ng,ng");

    let listed = run("mfscli", &["-H", &cluster.master, "-SCS"]);
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    for n in 11..=13 {
        let address = format!("10.233.103.{n}");
        assert!(
            listed.contains(&address),
            "{address} missing from mfscli -SCS:\n{listed}"
        );
    }

    let dir = cluster.mount(1).join("goal2");
    fs::create_dir(&dir).unwrap();
    let goal = run("mfssetgoal", &["2", dir.to_str().expect("UTF-8 path")]);
    assert!(goal.status.success(), "{}", text(&goal));
    let data = payload(72 << 20);
    let started = Instant::now();
    fs::write(dir.join("file"), &data).unwrap();
    let written = started.elapsed();

    let started = Instant::now();
    let back = fs::read(cluster.mount(2).join("goal2/file")).unwrap();
    let read = started.elapsed();
    assert_eq!(back.len(), data.len());
    assert_eq!(
        Sha256::digest(&back),
        Sha256::digest(&data),
        "bytes differ through the second mount"
    );
    eprintln!("72 MiB: written in {written:?}, read back in {read:?}");

    let file = dir.join("file");
    let info = cluster.wait_fileinfo(&file, Duration::from_secs(20), |info| {
        let copies = valid_copies(info);
        copies.len() == 2 && copies.iter().all(|&c| c == 2)
    });
    assert_eq!(valid_copies(&info), [2, 2], "mfsfileinfo:\n{info}");

    let mut checked = 0;
    for cs in 1..=3 {
        for chunk in chunk_files(&cluster.state.join(format!("data/cs{cs}/hdd"))) {
            let check = run("mfschunktool", &["-x", chunk.to_str().expect("UTF-8 path")]);
            let out = String::from_utf8_lossy(&check.stdout).into_owned();
            assert!(
                out.trim_end().ends_with("OK"),
                "mfschunktool refused {}:\n{}",
                chunk.display(),
                text(&check)
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 4, "two chunks, two copies each");
    assert!(!cluster.log("cs1").contains("panicked"));
}

#[test]
fn raising_the_goal_replicates_between_mooseng_and_moosefs() {
    let cluster = Cluster::up("mfsngcsx", 104, "mfs,ng,ng");
    let file = cluster.mount(1).join("file");
    let data = payload(3 << 20);
    fs::write(&file, &data).unwrap();
    let goal = run("mfssetgoal", &["3", file.to_str().expect("UTF-8 path")]);
    assert!(goal.status.success(), "{}", text(&goal));

    let info = cluster.wait_fileinfo(&file, Duration::from_secs(60), |info| {
        valid_copies(info) == [3]
    });
    assert_eq!(
        valid_copies(&info),
        [3],
        "mfsfileinfo:\n{info}\ncs2 log:\n{}",
        cluster.log("cs2")
    );
    for n in 11..=13 {
        assert!(
            info.contains(&format!("10.233.104.{n}:9422")),
            "no copy on .{n}:\n{info}"
        );
    }
    let back = fs::read(cluster.mount(2).join("file")).unwrap();
    assert_eq!(Sha256::digest(&back), Sha256::digest(&data));
}
