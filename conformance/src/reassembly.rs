//! Rebuilding the byte stream of each TCP direction from captured segments.
//!
//! Segments are kept until the capture ends, then ordered by sequence
//! number. Bytes already covered by an earlier-ordered segment are
//! retransmissions and dropped (the first copy wins); holes left by lost or
//! uncaptured segments split the stream into chunks so that framing knows
//! exactly how many bytes are missing and where.

use std::collections::HashMap;
use std::net::SocketAddr;

use crate::packet::TcpSegment;

/// One direction of one TCP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamKey {
    pub src: SocketAddr,
    pub dst: SocketAddr,
}

impl std::fmt::Display for StreamKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} -> {}", self.src, self.dst)
    }
}

/// Contiguous bytes of a stream starting at `offset`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub offset: u64,
    pub data: Vec<u8>,
}

impl Chunk {
    pub fn end(&self) -> u64 {
        self.offset + self.data.len() as u64
    }
}

/// A reassembled direction of a connection.
///
/// Offsets count from the first byte after the SYN when the SYN was
/// captured, otherwise from the lowest sequence number seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stream {
    pub key: StreamKey,
    /// Number of the capture packet that first showed this stream.
    pub first_packet: u64,
    pub syn_seen: bool,
    /// The packet whose FIN or RST closed this direction, when that
    /// happened inside the capture.
    pub closed_at: Option<u64>,
    /// Ordered, non-overlapping, never adjacent: the space between two
    /// chunks is a gap of lost bytes.
    pub chunks: Vec<Chunk>,
    pub retransmitted_bytes: u64,
    /// Where each captured segment's new bytes begin, by offset, so a
    /// position can be traced back to a packet number.
    pub segment_starts: Vec<(u64, u64)>,
}

/// Bytes the capture lacks between two chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Gap {
    pub offset: u64,
    pub missing: u64,
}

impl Stream {
    /// The capture started after this direction's first bytes were sent.
    pub fn starts_mid_stream(&self) -> bool {
        !self.syn_seen
    }

    /// Offset just past the last captured byte.
    pub fn end(&self) -> u64 {
        self.chunks.last().map_or(0, Chunk::end)
    }

    pub fn captured_bytes(&self) -> u64 {
        self.chunks.iter().map(|c| c.data.len() as u64).sum()
    }

    /// The holes, including one before the first chunk when the SYN was
    /// seen but the first data segments were not.
    pub fn gaps(&self) -> Vec<Gap> {
        let mut gaps = Vec::new();
        let mut previous_end = if self.syn_seen { 0 } else { self.start() };
        for chunk in &self.chunks {
            if chunk.offset > previous_end {
                gaps.push(Gap {
                    offset: previous_end,
                    missing: chunk.offset - previous_end,
                });
            }
            previous_end = chunk.end();
        }
        gaps
    }

    fn start(&self) -> u64 {
        self.chunks.first().map_or(0, |c| c.offset)
    }

    /// The capture packet whose payload holds byte `offset`.
    pub fn packet_at(&self, offset: u64) -> Option<u64> {
        let index = self.segment_starts.partition_point(|&(o, _)| o <= offset);
        index.checked_sub(1).map(|i| self.segment_starts[i].1)
    }
}

/// A segment with its sequence number unwrapped relative to the first one.
#[derive(Debug)]
struct Held {
    relative: i64,
    packet: u64,
    data: Vec<u8>,
}

/// A stream still being collected.
#[derive(Debug)]
struct Builder {
    first_packet: u64,
    last_seq: u32,
    last_relative: i64,
    /// Relative position of the first data byte, known from the SYN.
    data_start: Option<i64>,
    closed_at: Option<u64>,
    segments: Vec<Held>,
}

impl Builder {
    fn new(packet: u64, seq: u32) -> Self {
        Builder {
            first_packet: packet,
            last_seq: seq,
            last_relative: 0,
            data_start: None,
            closed_at: None,
            segments: Vec::new(),
        }
    }

    /// Places `seq` near the previous one, so 32-bit wrap-around and streams
    /// longer than 4 GiB keep increasing offsets.
    fn unwrap(&mut self, seq: u32) -> i64 {
        let relative = self.last_relative + i64::from(seq.wrapping_sub(self.last_seq) as i32);
        self.last_seq = seq;
        self.last_relative = relative;
        relative
    }

    fn finish(self, key: StreamKey) -> Stream {
        let mut segments = self.segments;
        segments.sort_by_key(|s| (s.relative, s.packet));
        let origin = self
            .data_start
            .or_else(|| segments.first().map(|s| s.relative))
            .unwrap_or(0);
        let mut stream = Stream {
            key,
            first_packet: self.first_packet,
            syn_seen: self.data_start.is_some(),
            closed_at: self.closed_at,
            chunks: Vec::new(),
            retransmitted_bytes: 0,
            segment_starts: Vec::new(),
        };
        let mut cursor = origin;
        for segment in segments {
            let end = segment.relative + segment.data.len() as i64;
            if end <= cursor {
                stream.retransmitted_bytes += segment.data.len() as u64;
                continue;
            }
            let skip = (cursor - segment.relative).max(0);
            stream.retransmitted_bytes += skip as u64;
            let start = segment.relative + skip;
            let offset = (start - origin) as u64;
            let fresh = &segment.data[skip as usize..];
            match stream.chunks.last_mut() {
                Some(last) if last.end() == offset => last.data.extend_from_slice(fresh),
                _ => stream.chunks.push(Chunk {
                    offset,
                    data: fresh.to_vec(),
                }),
            }
            stream.segment_starts.push((offset, segment.packet));
            cursor = end;
        }
        stream
    }
}

/// Collects segments of every connection in a capture.
#[derive(Debug, Default)]
pub struct Reassembler {
    open: HashMap<StreamKey, Builder>,
    done: Vec<Stream>,
}

impl Reassembler {
    pub fn new() -> Self {
        Reassembler::default()
    }

    pub fn push(&mut self, packet: u64, segment: &TcpSegment<'_>) {
        let key = StreamKey {
            src: segment.src,
            dst: segment.dst,
        };
        let builder = self
            .open
            .entry(key)
            .or_insert_with(|| Builder::new(packet, segment.seq));
        let relative = builder.unwrap(segment.seq);
        if segment.syn {
            // A SYN with a new initial sequence number on a 4-tuple that
            // already carried data is a new connection reusing the ports.
            if builder.data_start.is_some_and(|s| s != relative + 1)
                || (builder.data_start.is_none() && !builder.segments.is_empty())
            {
                if let Some(old) = self.open.remove(&key) {
                    self.done.push(old.finish(key));
                }
                return self.push(packet, segment);
            }
            builder.data_start = Some(relative + 1);
        }
        if segment.fin || segment.rst {
            builder.closed_at.get_or_insert(packet);
        }
        if !segment.payload.is_empty() {
            // Data on a SYN (TCP Fast Open) follows the SYN's own number.
            let relative = relative + i64::from(segment.syn);
            builder.segments.push(Held {
                relative,
                packet,
                data: segment.payload.to_vec(),
            });
        }
    }

    /// Every stream seen, in the order of its first packet.
    pub fn finish(mut self) -> Vec<Stream> {
        let mut streams = self.done;
        streams.extend(self.open.drain().map(|(key, b)| b.finish(key)));
        streams.sort_by_key(|s| (s.first_packet, s.key));
        streams
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(seq: u32, syn: bool, payload: &[u8]) -> TcpSegment<'_> {
        TcpSegment {
            src: ([10, 0, 0, 1], 40000).into(),
            dst: ([10, 0, 0, 2], 9421).into(),
            seq,
            syn,
            fin: false,
            rst: false,
            payload,
        }
    }

    #[test]
    fn lost_first_segment_after_a_syn_is_a_gap_at_offset_zero() {
        let mut reassembler = Reassembler::new();
        reassembler.push(1, &segment(u32::MAX, true, &[]));
        reassembler.push(2, &segment(9, false, b"later"));
        let streams = reassembler.finish();
        let stream = &streams[0];
        // The SYN takes u32::MAX, so data begins at sequence number 0.
        assert_eq!(stream.chunks[0].offset, 9);
        assert_eq!(
            stream.gaps(),
            vec![Gap {
                offset: 0,
                missing: 9
            }]
        );
        assert_eq!(stream.packet_at(12), Some(2));
        assert_eq!(stream.packet_at(3), None);
    }

    #[test]
    fn without_a_syn_the_lowest_sequence_number_is_offset_zero() {
        let mut reassembler = Reassembler::new();
        reassembler.push(1, &segment(1005, false, b"world"));
        reassembler.push(2, &segment(1000, false, b"hello"));
        reassembler.push(3, &segment(1020, false, b"!"));
        let streams = reassembler.finish();
        let stream = &streams[0];
        assert!(stream.starts_mid_stream());
        assert_eq!(stream.chunks[0].data, b"helloworld");
        assert_eq!(
            stream.gaps(),
            vec![Gap {
                offset: 10,
                missing: 10
            }]
        );
        assert_eq!(stream.packet_at(4), Some(2));
        assert_eq!(stream.packet_at(5), Some(1));
        assert_eq!(stream.end(), 21);
    }

    #[test]
    fn the_first_fin_or_rst_marks_where_a_direction_closed() {
        let mut reassembler = Reassembler::new();
        reassembler.push(1, &segment(99, true, &[]));
        reassembler.push(2, &segment(100, false, b"data"));
        reassembler.push(
            3,
            &TcpSegment {
                fin: true,
                ..segment(104, false, &[])
            },
        );
        reassembler.push(
            4,
            &TcpSegment {
                rst: true,
                ..segment(105, false, &[])
            },
        );
        let streams = reassembler.finish();
        assert_eq!(streams[0].closed_at, Some(3));
    }
}
