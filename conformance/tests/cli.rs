//! The `mooseng-conformance decode` command: output and exit status.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;
use pcap_file::DataLink;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mooseng-conformance"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("the temp dir is writable");
    path.to_str().expect("temp paths are UTF-8").to_owned()
}

fn capture(port: u16, stream: &[u8]) -> Vec<u8> {
    let flow = Flow::new(port);
    let mut packets = flow.handshake();
    packets.push(flow.client_sends(0, stream));
    pcapng(DataLink::LINUX_SLL2, &packets)
}

#[test]
fn clean_captures_exit_zero_and_print_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(
        dir.path(),
        "good.pcapng",
        &capture(9421, &get_config(1, "A")),
    );
    let output = run(&["decode", &good]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("ClientToMaster"), "{stdout}");
    let row = stdout
        .lines()
        .find(|l| l.contains("ANTOAN_GET_CONFIG"))
        .unwrap();
    let numbers: Vec<&str> = row.split_whitespace().skip(1).collect();
    assert_eq!(numbers, ["80", "1", "1", "1", "0", "0", "0"]);
    assert!(!stdout.contains("failures"), "{stdout}");
}

#[test]
fn a_failing_frame_exits_one_and_shows_its_payload() {
    let dir = tempfile::tempdir().unwrap();
    let stream = [get_config(1, "A"), frame(60000, b"\x00\x00\x00\x07lookup")].concat();
    let bad = write(dir.path(), "bad.pcapng", &capture(9421, &stream));
    let output = run(&["decode", &bad]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("ClientToMaster unknown code (60000): 1 of 1 failed"),
        "{stdout}"
    );
    assert!(
        stdout.contains("000000  00 00 00 07 6c 6f 6f 6b  75 70 "),
        "{stdout}"
    );
    assert!(stdout.contains("|....lookup|"), "{stdout}");
}

#[test]
fn json_output_carries_the_counts() {
    let dir = tempfile::tempdir().unwrap();
    let stream = [get_config(1, "A"), get_config(2, "B"), frame(60000, b"")].concat();
    let file = write(dir.path(), "c.pcapng", &capture(9421, &stream));
    let output = run(&["decode", "--json", &file]);
    assert_eq!(output.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["totals"]["seen"], 3);
    assert_eq!(json["totals"]["failed"], 1);
    let rows = json["messages"].as_array().unwrap();
    assert_eq!(rows[0]["direction"], "ClientToMaster");
    assert_eq!(rows[0]["name"], "ANTOAN_GET_CONFIG");
    assert_eq!(rows[0]["identical"], 2);
    assert_eq!(rows[1]["code"], 60000);
    assert_eq!(rows[1]["name"], serde_json::Value::Null);
    assert_eq!(json["streams"][0]["syn_seen"], true);
}

#[test]
fn port_overrides_come_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "p.pcapng", &capture(19420, &frame(60000, b"")));
    let ignored = run(&["decode", &file]);
    assert_eq!(ignored.status.code(), Some(0));
    let classified = run(&["decode", "--port", "19420=master-chunkserver", &file]);
    let stdout = String::from_utf8(classified.stdout).unwrap();
    assert_eq!(classified.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("ChunkserverToMaster unknown code (60000)"),
        "{stdout}"
    );
    let refused = run(&["decode", "--port", "19420=client", &file]);
    assert_eq!(refused.status.code(), Some(2));
}

#[test]
fn an_unreadable_file_exits_two() {
    let dir = tempfile::tempdir().unwrap();
    let junk = write(dir.path(), "junk.pcap", b"not a capture at all");
    let output = run(&["decode", &junk]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("not a pcap or pcapng file"), "{stderr}");
}
