//! Cutting a reassembled stream into MooseFS frames (`type:32 length:32
//! payload`), finding frame boundaries again where the capture lost them.
//!
//! # Resynchronisation
//!
//! A stream whose SYN was captured is in step from its first byte. One that
//! starts mid-stream, or a position that falls into a gap, is not: the next
//! frame header is somewhere ahead. A candidate offset is accepted when
//!
//! 1. a whole 8-byte header lies there, not all zero,
//! 2. its type is a message this direction sends
//!    ([`Direction::message_name`]) and its length is within the
//!    direction's [`Direction::max_payload`], and
//! 3. the frame is whole in captured bytes and its payload decodes as that
//!    message ([`Direction::decode`]), and
//! 4. the frame after it is also plausible: either its header lies, whole,
//!    in captured bytes and passes rules 1 and 2 (and rule 3 too when its
//!    payload is whole), or the capture ends before that header is whole
//!    (so nothing contradicts the candidate).
//!
//! Offsets are tried from the lost position onwards; bytes passed over are
//! reported as skipped. Rule 1 exists because runs of zeros in file data
//! read as an endless chain of `ANTOAN_NOP` frames of length 0; rule 3
//! because four zero bytes followed by any modest length otherwise pass
//! for an `ANTOAN_NOP` header. A consequence: a stream made only of
//! zero-length NOPs (an idle keep-alive connection) whose start was not
//! captured is skipped whole, and a stream holding only types the wire
//! crate does not know cannot be resynchronised. A frame
//! whose header survives but whose payload runs into a gap is reported as
//! lost, and framing goes on in step after it, since the header says where
//! the next frame begins.

use mooseng_wire::frame::{peek_header, HEADER_LEN};
use mooseng_wire::{Ctx, Direction};

use crate::reassembly::{Chunk, Stream};

/// What framing found at one position of a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    /// A whole frame.
    Frame {
        offset: u64,
        code: u32,
        payload: &'a [u8],
    },
    /// The capture ends inside this frame.
    Truncated {
        offset: u64,
        header: Option<Header>,
        captured: u64,
    },
    /// Part of this frame fell into a gap of the capture.
    Lost { offset: u64, header: Header },
    /// A header in step whose length exceeds the direction's limit: either
    /// the limit is wrong or framing went astray. Framing resynchronises.
    Oversized { offset: u64, header: Header },
    /// Bytes passed over while looking for a frame boundary.
    Skipped {
        offset: u64,
        len: u64,
        reason: SkipReason,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Header {
    pub code: u32,
    pub len: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SkipReason {
    /// The capture started after the connection did.
    MidStream,
    /// Lost segments hid the next frame boundary.
    AfterGap,
    /// An oversized header put framing out of step.
    AfterOversized,
}

/// Splits `stream`, sent in `direction`, into pieces in stream order.
pub fn split(stream: &Stream, direction: Direction) -> Vec<Piece<'_>> {
    Framer {
        chunks: &stream.chunks,
        direction,
        pieces: Vec::new(),
    }
    .run(stream.syn_seen)
}

struct Framer<'a> {
    chunks: &'a [Chunk],
    direction: Direction,
    pieces: Vec<Piece<'a>>,
}

impl<'a> Framer<'a> {
    fn run(mut self, syn_seen: bool) -> Vec<Piece<'a>> {
        let Some(first) = self.chunks.first() else {
            return self.pieces;
        };
        let mut pos = first.offset;
        let mut lost_step = match (syn_seen, pos) {
            (true, 0) => None,
            (true, _) => Some(SkipReason::AfterGap),
            (false, _) => Some(SkipReason::MidStream),
        };
        while let Some(index) = self.chunk_from(pos) {
            let chunk = &self.chunks[index];
            if pos < chunk.offset {
                pos = chunk.offset;
                lost_step = Some(SkipReason::AfterGap);
            }
            if let Some(reason) = lost_step.take() {
                let found = self.resync(index, pos);
                let next = found.unwrap_or(chunk.end());
                if next > pos {
                    self.pieces.push(Piece::Skipped {
                        offset: pos,
                        len: next - pos,
                        reason,
                    });
                }
                pos = next;
                if found.is_none() {
                    lost_step = Some(reason);
                    continue;
                }
            }
            match self.step(index, pos) {
                Step::Next(next) => pos = next,
                Step::Lose(next, reason) => {
                    pos = next;
                    lost_step = Some(reason);
                }
                Step::End => break,
            }
        }
        self.pieces
    }

    /// The first chunk that holds `pos` or begins after it.
    fn chunk_from(&self, pos: u64) -> Option<usize> {
        let index = self.chunks.partition_point(|c| c.end() <= pos);
        (index < self.chunks.len()).then_some(index)
    }

    /// Frames the bytes at `pos`, which lies in chunk `index` and is in step.
    fn step(&mut self, index: usize, pos: u64) -> Step {
        let chunk = &self.chunks[index];
        let is_last = index + 1 == self.chunks.len();
        let available = &chunk.data[(pos - chunk.offset) as usize..];
        let header = match peek_header(available, u32::MAX) {
            Ok(Some((code, len))) => Header { code, len },
            _ if is_last => {
                self.pieces.push(Piece::Truncated {
                    offset: pos,
                    header: None,
                    captured: available.len() as u64,
                });
                return Step::End;
            }
            _ => return Step::Lose(pos, SkipReason::AfterGap),
        };
        if header.len > self.direction.max_payload() {
            self.pieces.push(Piece::Oversized {
                offset: pos,
                header,
            });
            return Step::Lose(pos + 1, SkipReason::AfterOversized);
        }
        let frame_len = HEADER_LEN + header.len as usize;
        match available.get(HEADER_LEN..frame_len) {
            Some(payload) => {
                self.pieces.push(Piece::Frame {
                    offset: pos,
                    code: header.code,
                    payload,
                });
                Step::Next(pos + frame_len as u64)
            }
            None if is_last => {
                self.pieces.push(Piece::Truncated {
                    offset: pos,
                    header: Some(header),
                    captured: available.len() as u64,
                });
                Step::End
            }
            None => {
                self.pieces.push(Piece::Lost {
                    offset: pos,
                    header,
                });
                Step::Next(pos + frame_len as u64)
            }
        }
    }

    /// The first offset at or after `pos` in chunk `index` where a frame
    /// plausibly begins, by the rule in the module documentation.
    fn resync(&self, index: usize, pos: u64) -> Option<u64> {
        let chunk = &self.chunks[index];
        let stream_end = self.chunks.last().map_or(0, Chunk::end);
        (pos..chunk.end()).find(|&candidate| {
            let Some(header) = self.plausible_header(candidate) else {
                return false;
            };
            if self.decodes(candidate, header) != Some(true) {
                return false;
            }
            let next = candidate + HEADER_LEN as u64 + u64::from(header.len);
            let cut_by_capture_end = next <= stream_end && next + HEADER_LEN as u64 > stream_end;
            cut_by_capture_end
                || self
                    .plausible_header(next)
                    .is_some_and(|h| self.decodes(next, h) != Some(false))
        })
    }

    /// Whether the frame at `pos` decodes; `None` when its payload is not
    /// whole in one chunk.
    fn decodes(&self, pos: u64, header: Header) -> Option<bool> {
        let chunk = &self.chunks[self.chunk_from(pos)?];
        let start = (pos - chunk.offset) as usize + HEADER_LEN;
        let payload = chunk.data.get(start..start + header.len as usize)?;
        Some(
            self.direction
                .decode(header.code, payload, Ctx::default())
                .is_ok(),
        )
    }

    /// The header at `pos` if it is whole in captured bytes, not all zero,
    /// of a type this direction sends and of an acceptable length.
    fn plausible_header(&self, pos: u64) -> Option<Header> {
        let chunk = &self.chunks[self.chunk_from(pos)?];
        let start = pos.checked_sub(chunk.offset)? as usize;
        let bytes = chunk.data.get(start..start + HEADER_LEN)?;
        if bytes.iter().all(|&b| b == 0) {
            return None;
        }
        let (code, len) = peek_header(bytes, self.direction.max_payload()).ok()??;
        self.direction.message_name(code)?;
        Some(Header { code, len })
    }
}

/// Where framing goes after one step.
enum Step {
    Next(u64),
    Lose(u64, SkipReason),
    End,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reassembly::StreamKey;

    fn stream(syn_seen: bool, chunks: Vec<Chunk>) -> Stream {
        Stream {
            key: StreamKey {
                src: ([10, 0, 0, 1], 40000).into(),
                dst: ([10, 0, 0, 2], 9421).into(),
            },
            first_packet: 1,
            syn_seen,
            closed_at: None,
            chunks,
            retransmitted_bytes: 0,
            segment_starts: Vec::new(),
        }
    }

    /// `ANTOAN_GET_CONFIG` (80) with msgid 1 and a one-letter option.
    const GET_CONFIG: [u8; 14] = [0, 0, 0, 80, 0, 0, 0, 6, 0, 0, 0, 1, 1, b'A'];

    #[test]
    fn a_run_of_zeros_is_not_taken_for_nop_frames() {
        let mut data = vec![0u8; 40];
        data.extend_from_slice(&GET_CONFIG);
        data.extend_from_slice(&GET_CONFIG);
        let s = stream(false, vec![Chunk { offset: 0, data }]);
        let pieces = split(&s, Direction::ClientToMaster);
        assert_eq!(
            pieces[0],
            Piece::Skipped {
                offset: 0,
                len: 40,
                reason: SkipReason::MidStream
            }
        );
        assert_eq!(pieces.len(), 3);
        assert!(matches!(
            pieces[1],
            Piece::Frame {
                offset: 40,
                code: 80,
                ..
            }
        ));
    }

    #[test]
    fn a_candidate_whose_payload_does_not_decode_is_refused() {
        // Reads as ANTOAN_NOP with a 6-byte payload, which no NOP has, and
        // is followed by a real frame, so only rule 3 can refuse it.
        let mut data = vec![0, 0, 0, 0, 0, 0, 0, 6, 9, 9, 9, 9, 9, 9];
        data.extend_from_slice(&GET_CONFIG);
        data.extend_from_slice(&GET_CONFIG);
        let s = stream(false, vec![Chunk { offset: 0, data }]);
        let pieces = split(&s, Direction::ClientToMaster);
        assert_eq!(
            pieces[0],
            Piece::Skipped {
                offset: 0,
                len: 14,
                reason: SkipReason::MidStream
            }
        );
        assert_eq!(pieces.len(), 3);
    }

    #[test]
    fn a_header_split_by_a_gap_is_skipped_and_framing_resynchronises() {
        let s = stream(
            true,
            vec![
                Chunk {
                    offset: 0,
                    data: [&GET_CONFIG[..], &GET_CONFIG[..4]].concat(),
                },
                Chunk {
                    offset: 20,
                    data: [&GET_CONFIG[6..], &GET_CONFIG[..]].concat(),
                },
            ],
        );
        let pieces = split(&s, Direction::ClientToMaster);
        assert!(matches!(pieces[0], Piece::Frame { offset: 0, .. }));
        assert_eq!(
            pieces[1..3],
            [
                Piece::Skipped {
                    offset: 14,
                    len: 4,
                    reason: SkipReason::AfterGap
                },
                Piece::Skipped {
                    offset: 20,
                    len: 8,
                    reason: SkipReason::AfterGap
                },
            ]
        );
        assert!(matches!(pieces[3], Piece::Frame { offset: 28, .. }));
        assert_eq!(pieces.len(), 4);
    }
}
