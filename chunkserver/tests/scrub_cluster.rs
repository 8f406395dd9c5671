//! Damage on disk under Debian's MooseFS 3.0.117 master and mount, with
//! three MooseNG chunkservers started by `mooseng-cluster` (root, `ip`,
//! FUSE and the MooseFS packages; scripts/setup.sh).
//!
//! One byte of one copy of a goal-2 file is flipped in its chunk file. A
//! read through a mount returns the right bytes or fails, never wrong
//! bytes; the scrubber of the damaged server finds the chunk and reports
//! it; the master re-replicates until `mfsfileinfo` shows two valid copies
//! while the damaged one is gone, replaced or no longer VALID; `/health`
//! and `/metrics` answer as documented in docs/observability.md.

mod support;

use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use support::{chunk_files, payload, run, valid_copies, wait_for, Cluster};

/// The cluster's subnet is 10.233.OCTET.0/24; chunkserver N is .1N.
const OCTET: u8 = 130;
const METRICS_PORT: u16 = 9425;

/// `GET path` on chunkserver `cs`'s metrics port: status and body.
fn http_get(cs: u8, path: &str) -> (u16, String) {
    let addr = format!("10.233.{OCTET}.{}:{METRICS_PORT}", 10 + cs);
    let mut stream = TcpStream::connect(&addr).unwrap_or_else(|err| panic!("{addr}: {err}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout set");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: cs{cs}\r\n\r\n").expect("request sent");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("answer read");
    let (head, body) = answer.split_once("\r\n\r\n").expect("head and body");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("status code");
    (status, body.to_owned())
}

/// The sum of every sample of metric `name` (all label sets).
fn metric(body: &str, name: &str) -> f64 {
    body.lines()
        .filter(|line| {
            line.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(' ') || rest.starts_with('{'))
        })
        .filter_map(|line| line.rsplit_once(' '))
        .filter_map(|(_, value)| value.parse::<f64>().ok())
        .sum()
}

/// Replications this server finished with a complete copy.
fn successful_replications(metrics: &str) -> f64 {
    metrics
        .lines()
        .filter(|line| line.starts_with("mooseng_chunkserver_replications_total{result=\"ok\"}"))
        .filter_map(|line| line.rsplit_once(' ')?.1.parse::<f64>().ok())
        .sum()
}

/// Flips one bit of a data byte in the first block of a chunk file, in
/// place, as a failing disk would.
fn flip_a_data_byte(chunk: &Path) {
    let file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(chunk)
        .expect("chunk file opens");
    let at = 8192 + 1000;
    let mut byte = [0u8; 1];
    file.read_exact_at(&mut byte, at).expect("byte read");
    byte[0] ^= 0x10;
    file.write_all_at(&byte, at).expect("byte written");
    file.sync_all().expect("synced");
}

#[test]
fn scrubbing_finds_a_flipped_byte_and_the_master_repairs_it() {
    let started = Instant::now();
    let cluster = Cluster::up(
        "mfsngobs",
        OCTET,
        "ng,ng,ng",
        &[
            ("MOOSENG_CHUNKSERVER_METRICS", "0.0.0.0:9425"),
            ("MOOSENG_CHUNKSERVER_SCRUB_RATE", "64"),
            ("MOOSENG_CHUNKSERVER_SCRUB_INTERVAL", "2"),
        ],
    );
    for cs in 1..=3 {
        assert_eq!(
            http_get(cs, "/health"),
            (200, "ok\n".to_owned()),
            "cs{cs} is registered and has a writable folder"
        );
    }

    let dir = cluster.mount(1).join("goal2");
    fs::create_dir(&dir).unwrap();
    let goal = run("mfssetgoal", &["2", dir.to_str().unwrap()]);
    assert!(goal.status.success());
    let data = payload(3 << 20);
    fs::write(dir.join("file"), &data).unwrap();
    let file = dir.join("file");
    let info = cluster.wait_fileinfo(&file, Duration::from_secs(20), |info| {
        valid_copies(info) == [2]
    });
    assert_eq!(valid_copies(&info), [2], "mfsfileinfo:\n{info}");

    let holders: Vec<(u8, std::path::PathBuf)> = (1..=3)
        .flat_map(|cs| {
            chunk_files(&cluster.state.join(format!("data/cs{cs}/hdd")))
                .into_iter()
                .map(move |path| (cs, path))
        })
        .collect();
    assert_eq!(holders.len(), 2, "two copies on disk: {holders:?}");
    let (damaged_cs, damaged_file) = holders[0].clone();
    flip_a_data_byte(&damaged_file);

    eprintln!(
        "flipped a byte of {} after {:?}",
        damaged_file.display(),
        started.elapsed()
    );

    // (a) Through the second mount, which has cached nothing: the right
    // bytes (the client tries the other copy) or an error, never wrong ones.
    match fs::read(cluster.mount(2).join("goal2/file")) {
        Ok(back) => assert_eq!(
            Sha256::digest(&back),
            Sha256::digest(&data),
            "a read returned wrong bytes"
        ),
        Err(err) => eprintln!("read failed cleanly: {err}"),
    }

    // (b) The scrubber of the damaged server finds the chunk and reports it.
    let found = wait_for(Duration::from_secs(30), || {
        let (_, body) = http_get(damaged_cs, "/metrics");
        metric(&body, "mooseng_chunkserver_scrub_damaged_chunks_total") >= 1.0
    });
    let log = cluster.log(&format!("cs{damaged_cs}"));
    assert!(found, "cs{damaged_cs} never found the damage:\n{log}");
    assert!(
        log.contains("scrub found a damaged chunk"),
        "cs{damaged_cs} log:\n{log}"
    );

    eprintln!("damage found after {:?}", started.elapsed());

    // (c) Debian's master makes a new copy (at once: the cluster runs with
    // REPLICATIONS_DELAY_INIT = 0). It deletes the
    // damaged copy only in its regular chunk loop (up to
    // CHUNKS_LOOP_MIN_TIME, 60 s), so until then that copy is listed, but
    // not as VALID.
    let damaged_ip = format!("10.233.{OCTET}.{}:", 10 + damaged_cs);
    let repaired = wait_for(Duration::from_secs(90), || {
        let info = String::from_utf8_lossy(&run("mfsfileinfo", &[file.to_str().unwrap()]).stdout)
            .into_owned();
        let replaced = !damaged_file.exists()
            || String::from_utf8_lossy(
                &run("mfschunktool", &["-x", damaged_file.to_str().unwrap()]).stdout,
            )
            .trim_end()
            .ends_with("OK");
        let damaged_not_valid = info
            .lines()
            .filter(|line| line.contains(&damaged_ip))
            .all(|line| !line.contains("status:VALID"));
        valid_copies(&info) == [2] && (replaced || damaged_not_valid)
    });
    // mfsmaster lists a copy it has ordered (BUSY) as VALID before the
    // replication ends, so the copy is proven by the receiving server.
    let replicated = wait_for(Duration::from_secs(60), || {
        (1..=3).any(|cs| successful_replications(&http_get(cs, "/metrics").1) >= 1.0)
    });
    let info =
        String::from_utf8_lossy(&run("mfsfileinfo", &[file.to_str().unwrap()]).stdout).into_owned();
    if !repaired {
        let servers = run("mfscli", &["-H", &cluster.master, "-SCS"]);
        panic!(
            "not repaired after {:?}; mfsfileinfo:\n{info}\nchunkservers:\n{}\nmaster log:\n{}",
            started.elapsed(),
            String::from_utf8_lossy(&servers.stdout),
            cluster.log("master")
        );
    }
    let back = fs::read(cluster.mount(2).join("goal2/file")).unwrap();
    assert_eq!(Sha256::digest(&back), Sha256::digest(&data));

    // (d) Health and metrics after the repair.
    for cs in 1..=3 {
        assert_eq!(http_get(cs, "/health").0, 200, "cs{cs} healthy");
        let (status, body) = http_get(cs, "/metrics");
        assert_eq!(status, 200);
        assert!(body.ends_with("# EOF\n"), "{body}");
        assert_eq!(metric(&body, "mooseng_chunkserver_master_registered"), 1.0);
        assert!(metric(&body, "mooseng_chunkserver_folder_total_bytes") > 0.0);
        assert!(metric(&body, "mooseng_chunkserver_scrub_passes_total") >= 1.0);
        if cs == damaged_cs {
            assert!(
                metric(&body, "mooseng_chunkserver_crc_errors_total") >= 1.0,
                "{body}"
            );
        }
    }
    assert!(
        replicated,
        "the new copy came by replication; mfsfileinfo:\n{info}\ncs{damaged_cs} log:\n{}",
        cluster.log(&format!("cs{damaged_cs}"))
    );
    assert_eq!(http_get(1, "/nothing").0, 404);
    eprintln!("repaired and checked after {:?}", started.elapsed());
}
