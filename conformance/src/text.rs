//! The human-readable rendering of a [`Report`]: files, streams, one table
//! per direction, then the first failing frame of each failing type.

use std::fmt::{self, Write};

use crate::framing::SkipReason;
use crate::report::{FileSummary, MessageRow, Report, StreamSummary};

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for file in &self.files {
            write_file(f, file)?;
        }
        write_streams(f, &self.streams)?;
        write_tables(f, &self.messages)?;
        let t = &self.totals;
        writeln!(
            f,
            "\ntotal: {} frames seen, {} decoded, {} identical, {} failed, {} truncated, {} lost",
            t.seen, t.decoded, t.identical, t.failed, t.truncated, t.lost
        )?;
        write_failures(f, &self.messages)
    }
}

fn write_file(f: &mut impl Write, file: &FileSummary) -> fmt::Result {
    writeln!(
        f,
        "capture {} ({:?}): {} packets, {} TCP segments, {} other, {} unparsed",
        file.path,
        file.format,
        file.packets,
        file.tcp_segments,
        file.other_packets,
        file.unparsed_packets
    )?;
    if let Some(first) = &file.first_unparsed {
        writeln!(f, "  first unparsed: {first}")?;
    }
    if file.cut_short {
        writeln!(f, "  the file ends inside a record")?;
    }
    Ok(())
}

fn write_streams(f: &mut impl Write, streams: &[StreamSummary]) -> fmt::Result {
    writeln!(f, "\nstreams")?;
    let mut ignored = 0;
    for s in streams {
        let Some(direction) = s.direction else {
            ignored += 1;
            continue;
        };
        writeln!(
            f,
            "  #{:<4} {:<20} {:<45} {:>10} bytes {:>7} frames{}",
            s.id,
            direction.name(),
            s.connection(),
            s.captured_bytes,
            s.frames,
            stream_notes(s)
        )?;
    }
    if ignored > 0 {
        writeln!(
            f,
            "  {ignored} other TCP streams have no MooseFS port and were skipped"
        )?;
    }
    Ok(())
}

/// The irregularities of a stream, as `; note; note`.
fn stream_notes(s: &StreamSummary) -> String {
    let mut notes = Vec::new();
    if !s.syn_seen {
        notes.push("no SYN (capture starts mid-stream)".to_owned());
    }
    for skip in &s.skipped {
        let why = match skip.reason {
            SkipReason::MidStream => "to find the first frame",
            SkipReason::AfterGap => "after a gap",
            SkipReason::AfterOversized => "after an oversized header",
        };
        notes.push(format!(
            "skipped {} bytes at {} {why}",
            skip.len, skip.offset
        ));
    }
    if !s.gaps.is_empty() {
        let missing: u64 = s.gaps.iter().map(|g| g.missing).sum();
        notes.push(format!("{} gaps, {missing} bytes missing", s.gaps.len()));
    }
    if s.lost_frames > 0 {
        notes.push(format!("{} frames lost in gaps", s.lost_frames));
    }
    if s.retransmitted_bytes > 0 {
        notes.push(format!("{} bytes retransmitted", s.retransmitted_bytes));
    }
    if let Some(t) = &s.truncated {
        let of = match t.header {
            Some(h) => format!(
                " of type {} ({} of {} bytes)",
                h.code,
                t.captured,
                h.len + 8
            ),
            None => format!(" ({} of 8 header bytes)", t.captured),
        };
        notes.push(format!("capture ends inside a frame at {}{of}", t.offset));
    }
    notes.iter().map(|n| format!("; {n}")).collect()
}

fn write_tables(f: &mut impl Write, rows: &[MessageRow]) -> fmt::Result {
    let mut current = None;
    for row in rows {
        if current != Some(row.direction) {
            current = Some(row.direction);
            writeln!(
                f,
                "\n{}\n  {:<36} {:>6} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
                row.direction,
                "message",
                "code",
                "seen",
                "decoded",
                "identical",
                "failed",
                "truncated",
                "lost"
            )?;
        }
        writeln!(
            f,
            "  {:<36} {:>6} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
            row.name.unwrap_or("(unknown code)"),
            row.code,
            row.seen,
            row.decoded,
            row.identical,
            row.failed,
            row.truncated,
            row.lost
        )?;
    }
    Ok(())
}

fn write_failures(f: &mut impl Write, rows: &[MessageRow]) -> fmt::Result {
    let failing = rows
        .iter()
        .filter_map(|r| Some((r, r.first_failure.as_ref()?)));
    for (i, (row, sample)) in failing.enumerate() {
        if i == 0 {
            writeln!(f, "\nfailures (first bad frame of each type)")?;
        }
        writeln!(
            f,
            "\n{} {} ({}): {} of {} failed\n  stream #{} {} in {}, offset {}{}, {}-byte payload\n  {}",
            row.direction,
            row.name.unwrap_or("unknown code"),
            row.code,
            row.failed,
            row.seen,
            sample.stream,
            sample.connection,
            sample.file,
            sample.offset,
            sample
                .packet
                .map_or_else(String::new, |p| format!(", packet {p}")),
            sample.payload_len,
            sample.error
        )?;
        for line in sample.dump.lines() {
            writeln!(f, "  {line}")?;
        }
    }
    Ok(())
}
