//! What a decode run found, gathered per message type, per stream and per
//! file; serialisable so other tools and documentation can use the counts.

use std::collections::BTreeMap;

use mooseng_wire::Direction;
use serde::{Serialize, Serializer};

use crate::capture::Format;
use crate::check::Verdict;
use crate::framing::{Header, SkipReason};
use crate::reassembly::Gap;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub files: Vec<FileSummary>,
    pub streams: Vec<StreamSummary>,
    /// One row per direction and message type, in direction then code order.
    pub messages: Vec<MessageRow>,
    pub totals: Totals,
}

impl Report {
    /// True when some frame did not decode or re-encode identically; the
    /// command's exit status follows this.
    pub fn has_failures(&self) -> bool {
        self.totals.failed > 0
    }

    pub fn row(&self, direction: Direction, code: u32) -> Option<&MessageRow> {
        self.messages
            .iter()
            .find(|r| r.direction == direction && r.code == code)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct FileSummary {
    pub path: String,
    pub format: Format,
    pub packets: u64,
    pub tcp_segments: u64,
    /// Packets that are not TCP over IP: ARP, UDP, fragments.
    pub other_packets: u64,
    /// Packets whose headers could not be parsed, or were cut by the snap
    /// length; their bytes become gaps in their stream.
    pub unparsed_packets: u64,
    pub first_unparsed: Option<String>,
    /// The file ends inside a record.
    pub cut_short: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct StreamSummary {
    /// 1-based, across all files of the run.
    pub id: usize,
    pub file: String,
    pub src: String,
    pub dst: String,
    /// `None` when neither port is a MooseFS port; such streams are skipped.
    #[serde(serialize_with = "optional_direction_name")]
    pub direction: Option<Direction>,
    pub first_packet: u64,
    pub captured_bytes: u64,
    pub syn_seen: bool,
    pub closed: bool,
    pub retransmitted_bytes: u64,
    pub gaps: Vec<Gap>,
    pub frames: u64,
    pub lost_frames: u64,
    pub skipped: Vec<Skip>,
    pub truncated: Option<TruncatedTail>,
}

impl StreamSummary {
    pub fn connection(&self) -> String {
        format!("{} -> {}", self.src, self.dst)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Skip {
    pub offset: u64,
    pub len: u64,
    pub reason: SkipReason,
}

/// The capture ends inside this frame; the header is absent when even the
/// 8 header bytes were not all captured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TruncatedTail {
    pub offset: u64,
    pub header: Option<Header>,
    pub captured: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct MessageRow {
    #[serde(serialize_with = "direction_name")]
    pub direction: Direction,
    pub code: u32,
    /// MooseFS's name; `None` for a type the direction does not know.
    pub name: Option<&'static str>,
    /// Whole frames captured.
    pub seen: u64,
    pub decoded: u64,
    pub identical: u64,
    /// `seen - identical`: did not decode, or re-encoded differently.
    pub failed: u64,
    /// Frames the capture ends inside of; not failures.
    pub truncated: u64,
    /// Frames with bytes in a gap of the capture; not failures.
    pub lost: u64,
    pub first_failure: Option<FailureSample>,
}

/// Where the first failing frame of a type is, and what went wrong.
#[derive(Debug, Clone, Serialize)]
pub struct FailureSample {
    pub stream: usize,
    pub file: String,
    pub connection: String,
    /// Offset of the frame header in the stream.
    pub offset: u64,
    /// Capture packet number holding the frame header.
    pub packet: Option<u64>,
    pub payload_len: u64,
    pub error: String,
    /// Hex dump of the payload, capped.
    pub dump: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub seen: u64,
    pub decoded: u64,
    pub identical: u64,
    pub failed: u64,
    pub truncated: u64,
    pub lost: u64,
}

fn direction_name<S: Serializer>(d: &Direction, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(d.name())
}

fn optional_direction_name<S: Serializer>(d: &Option<Direction>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_str(d.name()),
        None => s.serialize_none(),
    }
}

/// Accumulates rows while streams are decoded.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    rows: BTreeMap<(Direction, u32), MessageRow>,
}

impl Tally {
    fn row(&mut self, direction: Direction, code: u32) -> &mut MessageRow {
        self.rows
            .entry((direction, code))
            .or_insert_with(|| MessageRow {
                direction,
                code,
                name: direction.message_name(code),
                seen: 0,
                decoded: 0,
                identical: 0,
                failed: 0,
                truncated: 0,
                lost: 0,
                first_failure: None,
            })
    }

    /// Counts a whole frame; `sample` builds the failure record only when
    /// this is the type's first failure.
    pub(crate) fn frame(
        &mut self,
        direction: Direction,
        code: u32,
        verdict: &Verdict,
        sample: impl FnOnce() -> FailureSample,
    ) {
        let row = self.row(direction, code);
        row.seen += 1;
        row.decoded += u64::from(verdict.decoded());
        if *verdict == Verdict::Identical {
            row.identical += 1;
        } else {
            row.failed += 1;
            row.first_failure.get_or_insert_with(sample);
        }
    }

    pub(crate) fn oversized(
        &mut self,
        direction: Direction,
        code: u32,
        sample: impl FnOnce() -> FailureSample,
    ) {
        let row = self.row(direction, code);
        row.seen += 1;
        row.failed += 1;
        row.first_failure.get_or_insert_with(sample);
    }

    pub(crate) fn truncated(&mut self, direction: Direction, code: u32) {
        self.row(direction, code).truncated += 1;
    }

    pub(crate) fn lost(&mut self, direction: Direction, code: u32) {
        self.row(direction, code).lost += 1;
    }

    pub(crate) fn into_rows(self) -> (Vec<MessageRow>, Totals) {
        let rows: Vec<MessageRow> = self.rows.into_values().collect();
        let mut totals = Totals::default();
        for row in &rows {
            totals.seen += row.seen;
            totals.decoded += row.decoded;
            totals.identical += row.identical;
            totals.failed += row.failed;
            totals.truncated += row.truncated;
            totals.lost += row.lost;
        }
        (rows, totals)
    }
}
