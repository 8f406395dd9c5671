//! The `decode` pipeline: capture file, TCP streams, frames, verdicts, report.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use mooseng_wire::Direction;

use crate::capture::{read_packets, CaptureError};
use crate::check::check;
use crate::classify::{Classifier, PortRole};
use crate::framing::{split, Piece};
use crate::hexdump::hex_dump;
use crate::packet::tcp_segment;
use crate::reassembly::{Reassembler, Stream};
use crate::report::{
    FailureSample, FileSummary, Report, Skip, StreamSummary, Tally, TruncatedTail,
};

/// Payload bytes shown in a failure's hex dump unless told otherwise.
pub const DEFAULT_DUMP_BYTES: usize = 128;

#[derive(Debug, Clone)]
pub struct Options {
    /// Servers on non-standard ports.
    pub ports: Vec<PortRole>,
    /// Cap on the hex dump of a failing payload.
    pub dump_bytes: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            ports: Vec::new(),
            dump_bytes: DEFAULT_DUMP_BYTES,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Open {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Capture { path: String, source: CaptureError },
}

/// Decodes every file into one report; stops at the first unreadable file.
pub fn decode_files<P: AsRef<Path>>(paths: &[P], options: &Options) -> Result<Report, Error> {
    let mut decoder = Decoder::new(options);
    for path in paths {
        decoder.add_file(path.as_ref())?;
    }
    Ok(decoder.finish())
}

/// Checks captures one after another and gathers what it found.
#[derive(Debug)]
pub struct Decoder {
    classifier: Classifier,
    dump_bytes: usize,
    tally: Tally,
    report: Report,
}

impl Decoder {
    pub fn new(options: &Options) -> Self {
        Decoder {
            classifier: Classifier::new(&options.ports),
            dump_bytes: options.dump_bytes,
            tally: Tally::default(),
            report: Report::default(),
        }
    }

    pub fn add_file(&mut self, path: &Path) -> Result<(), Error> {
        let name = path.display().to_string();
        let file = File::open(path).map_err(|source| Error::Open {
            path: name.clone(),
            source,
        })?;
        self.add_capture(&name, BufReader::new(file))
    }

    /// Checks the capture in `reader`; `name` labels it in the report.
    pub fn add_capture(&mut self, name: &str, reader: impl Read) -> Result<(), Error> {
        let mut reassembler = Reassembler::new();
        let mut summary = FileSummary {
            path: name.to_owned(),
            format: Default::default(),
            packets: 0,
            tcp_segments: 0,
            other_packets: 0,
            unparsed_packets: 0,
            first_unparsed: None,
            cut_short: false,
        };
        let info = read_packets(reader, |packet| {
            match tcp_segment(packet.link, packet.data) {
                Ok(Some(segment)) => {
                    summary.tcp_segments += 1;
                    reassembler.push(packet.number, &segment);
                }
                Ok(None) => summary.other_packets += 1,
                Err(e) => {
                    summary.unparsed_packets += 1;
                    summary
                        .first_unparsed
                        .get_or_insert_with(|| format!("packet {}: {e}", packet.number));
                }
            }
        })
        .map_err(|source| Error::Capture {
            path: name.to_owned(),
            source,
        })?;
        summary.format = info.format;
        summary.packets = info.packets;
        summary.cut_short = info.cut_short;
        self.report.files.push(summary);
        for stream in reassembler.finish() {
            self.add_stream(name, &stream);
        }
        Ok(())
    }

    fn add_stream(&mut self, file: &str, stream: &Stream) {
        let direction = self.classifier.classify(&stream.key);
        let mut summary = StreamSummary {
            id: self.report.streams.len() + 1,
            file: file.to_owned(),
            src: stream.key.src.to_string(),
            dst: stream.key.dst.to_string(),
            direction,
            first_packet: stream.first_packet,
            captured_bytes: stream.captured_bytes(),
            syn_seen: stream.syn_seen,
            closed: stream.closed_at.is_some(),
            retransmitted_bytes: stream.retransmitted_bytes,
            gaps: stream.gaps(),
            frames: 0,
            lost_frames: 0,
            skipped: Vec::new(),
            truncated: None,
        };
        if let Some(direction) = direction {
            for piece in split(stream, direction) {
                self.add_piece(&mut summary, stream, direction, piece);
            }
        }
        self.report.streams.push(summary);
    }

    fn add_piece(
        &mut self,
        summary: &mut StreamSummary,
        stream: &Stream,
        direction: Direction,
        piece: Piece<'_>,
    ) {
        let dump_bytes = self.dump_bytes;
        let (id, file) = (summary.id, &summary.file);
        let sample = |offset: u64, payload: &[u8], len: u64, error: String| FailureSample {
            stream: id,
            file: file.clone(),
            connection: stream.key.to_string(),
            offset,
            packet: stream.packet_at(offset),
            payload_len: len,
            error,
            dump: hex_dump(payload, dump_bytes),
        };
        match piece {
            Piece::Frame {
                offset,
                code,
                payload,
            } => {
                summary.frames += 1;
                let verdict = check(direction, code, payload);
                self.tally.frame(direction, code, &verdict, || {
                    sample(offset, payload, payload.len() as u64, verdict.to_string())
                });
            }
            Piece::Oversized { offset, header } => {
                let error = format!(
                    "declares {} payload bytes, more than the {} that {direction} allows",
                    header.len,
                    direction.max_payload()
                );
                self.tally.oversized(direction, header.code, || {
                    sample(offset, &[], u64::from(header.len), error)
                });
            }
            Piece::Truncated {
                offset,
                header,
                captured,
            } => {
                if let Some(header) = header {
                    self.tally.truncated(direction, header.code);
                }
                summary.truncated = Some(TruncatedTail {
                    offset,
                    header,
                    captured,
                });
            }
            Piece::Lost { header, .. } => {
                summary.lost_frames += 1;
                self.tally.lost(direction, header.code);
            }
            Piece::Skipped {
                offset,
                len,
                reason,
            } => summary.skipped.push(Skip {
                offset,
                len,
                reason,
            }),
        }
    }

    pub fn finish(mut self) -> Report {
        let (messages, totals) = self.tally.into_rows();
        self.report.messages = messages;
        self.report.totals = totals;
        self.report
    }
}
