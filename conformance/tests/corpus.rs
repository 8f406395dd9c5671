//! The capture corpus against the wire crate: every frame of real MooseFS
//! 3.0.117 traffic decodes and re-encodes to the same bytes, the corpus
//! holds every message the 3.0.117 programs send (the others are listed
//! with a reason in `unsent`), and docs/protocol.md says exactly what the
//! tables and the corpus say.

use std::path::{Path, PathBuf};

use mooseng_conformance::{decode_files, protocol_doc, unsent, Options};
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

/// A pair listed as never sent must not be in the corpus (the reason would
/// be wrong), and a pair missing from the corpus must be listed (it needs a
/// capture or a reason).
#[test]
fn the_corpus_holds_exactly_the_pairs_the_programs_send() {
    let report = decode_files(&corpus_files(), &Options::default()).expect("corpus decodes");
    let mut wrong = Vec::new();
    for direction in Direction::ALL {
        for info in direction.messages() {
            let captured = report
                .row(direction, info.code)
                .is_some_and(|row| row.identical > 0);
            match (captured, unsent::reason(direction, info.name)) {
                (true, Some(_)) => wrong.push(format!("{direction} {}: captured", info.name)),
                (false, None) => wrong.push(format!("{direction} {}: no frame", info.name)),
                _ => {}
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    let tally = protocol_doc::tally(&report);
    assert!(tally.per_mille() >= 900, "{tally:?}");
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
