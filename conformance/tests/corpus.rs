//! The capture corpus against the wire crate: every frame of real MooseFS
//! 3.0.117 traffic decodes and re-encodes to the same bytes, and
//! docs/protocol.md says exactly what the tables and the corpus say.

use std::path::{Path, PathBuf};

use mooseng_conformance::{decode_files, protocol_doc, Options};
use mooseng_wire::Direction;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn corpus_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join("conformance/corpus"))
        .expect("conformance/corpus exists")
        .map(|entry| entry.expect("readable corpus entry").path())
        .filter(|path| {
            path.extension()
                .is_some_and(|ext| ext == "pcapng" || ext == "pcap")
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no capture in conformance/corpus");
    files
}

#[test]
fn every_captured_frame_decodes_and_reencodes_identically() {
    let report = decode_files(&corpus_files(), &Options::default()).expect("corpus decodes");
    let failures: Vec<String> = report
        .messages
        .iter()
        .filter(|row| row.failed > 0)
        .map(|row| {
            format!(
                "{} {:?} ({}): {} failed",
                row.direction, row.name, row.code, row.failed
            )
        })
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(report.totals.identical > 5_000, "{:?}", report.totals);
    for direction in Direction::ALL {
        let seen: u64 = report
            .messages
            .iter()
            .filter(|row| row.direction == direction)
            .map(|row| row.seen)
            .sum();
        assert!(seen > 0, "no {direction} traffic in the corpus");
    }
}

#[test]
fn protocol_page_is_current() {
    let report = decode_files(&corpus_files(), &Options::default()).expect("corpus decodes");
    let expected = protocol_doc::render(&report);
    let path = repo().join("docs/protocol.md");
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/protocol.md is stale: regenerate it with\n  cargo run -p mooseng-conformance -- protocol-doc conformance/corpus/*.pcapng > docs/protocol.md"
    );
}
