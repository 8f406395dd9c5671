//! `mfscli -SCC` against one Debian `mfschunkserver` and two of ours
//! under Debian's master: a goal-3 file written through a Debian mount in
//! one minute shows, in that minute's row, as client writes, bytes the
//! client service received and data bytes written on every chunkserver,
//! ours as theirs; CPU and memory have figures. Needs root, network
//! namespaces, FUSE and the MooseFS packages; about two minutes, most of
//! it waiting for the minute to end.

mod support;

use std::fs;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use support::{payload, run, text, valid_copies, Cluster};

const OCTET: u8 = 192;
const THEIRS: &str = "10.233.192.11:9422";
const OURS: &str = "10.233.192.12:9422";
const LENGTH: usize = 3_000_000;
/// The charts asked of each chunkserver, raw figures but CPU and memory.
const CHARTS: [&str; 5] = ["+hlopw", "+csservin", "+databytesw", "cpu", "memoryrss"];

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// `%Y-%m-%d %H:%M` (UTC) of `secs`, as mfscli prints a row's time.
fn minute_text(secs: u64) -> String {
    let out = run(
        "date",
        &["-u", "-d", &format!("@{secs}"), "+%Y-%m-%d %H:%M"],
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// `mfscli -SCC` with `columns`, in plain text.
fn chart_listing(columns: &str) -> std::process::Output {
    let args = ["-H", "10.233.192.2", "-p", "-SCC", "-d", columns, "-c", "5"];
    run("mfscli", &args)
}

/// The figures of `minute`'s row for `server` (in [`CHARTS`] order), once
/// every one of them is there.
fn row(server: &str, minute: &str) -> Vec<String> {
    let columns: Vec<String> = CHARTS.iter().map(|c| format!("{server}:{c}")).collect();
    let columns = columns.join(",");
    // A chunkserver's row of the minute it started in is there from the
    // start, without data (shown as "-" or as the no-data mark, 2^64 - 1)
    // until the minute ends.
    let complete = |f: &Vec<String>| {
        f.len() == 2 + CHARTS.len()
            && f.iter()
                .all(|v| v != "-" && v != &u64::MAX.to_string() && !v.ends_with("EiB"))
    };
    for _ in 0..90 {
        let out = chart_listing(&columns);
        let found = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.split('\t').map(str::to_owned).collect::<Vec<_>>())
            .find(|fields| fields.get(1).is_some_and(|f| f == minute));
        if let Some(fields) = found.filter(complete) {
            return fields[2..].to_vec();
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    let out = chart_listing(&columns);
    panic!("no row for {minute} from {server}: {}", text(&out));
}

#[test]
fn chunkserver_charts_count_the_minutes_writes_as_mfschunkserver_does() {
    let cluster = Cluster::up("mfsngch", OCTET, "mfs,ng,ng", &[]);
    let dir = cluster.mount(1).join("three");
    fs::create_dir(&dir).expect("mkdir");
    let out = run("mfssetgoal", &["3", dir.to_str().expect("UTF-8 path")]);
    assert!(out.status.success(), "{}", text(&out));
    // mfsmaster may leave a chunkserver that has only just registered out
    // of a new chunk (its copy then comes by replication, not as client
    // writes); once a first file has all three copies, every server takes
    // part in the next one's writes.
    let warm = dir.join("warm");
    fs::write(&warm, payload(1000)).expect("write");
    let placed = cluster.wait_fileinfo(&warm, Duration::from_secs(90), |info| {
        valid_copies(info) == [3]
    });
    assert_eq!(valid_copies(&placed), [3], "{placed}");
    while !(2..40).contains(&(now() % 60)) {
        std::thread::sleep(Duration::from_millis(500));
    }
    let start = now();
    fs::write(dir.join("f"), payload(LENGTH)).expect("write");
    let minute = minute_text(start);
    assert_eq!(minute, minute_text(now()), "the write fitted in its minute");
    let info = cluster.wait_fileinfo(&dir.join("f"), Duration::ZERO, |_| true);
    assert_eq!(valid_copies(&info), [3], "written to all three: {info}");

    for server in [THEIRS, OURS] {
        let figures = row(server, &minute);
        let number = |i: usize| -> u64 {
            figures[i]
                .parse()
                .unwrap_or_else(|_| panic!("{server}: {figures:?}"))
        };
        assert!(number(0) >= 1, "{server} client writes: {figures:?}");
        assert!(
            number(1) >= LENGTH as u64,
            "{server} service bytes in: {figures:?}"
        );
        assert!(
            number(2) >= LENGTH as u64,
            "{server} data bytes written: {figures:?}"
        );
        assert!(figures[3].ends_with('%'), "{server} cpu: {figures:?}");
        assert!(figures[4].ends_with("MiB"), "{server} memory: {figures:?}");
    }
}
