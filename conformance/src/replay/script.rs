//! What to replay: the client-to-master conversations of a capture, their
//! requests in capture order, and the captured answer of each.
//!
//! Streams are numbered as `mooseng-conformance decode` numbers them, so a
//! conversation is chosen by the number of either of its two directions.
//! A request's place in the capture is the packet that completed it; the
//! answer to a request is the first not yet claimed frame of the server's
//! stream with the request's code plus one (MooseFS numbers every answer
//! so) that carries the request's msgid in its first four bytes, when the
//! request has a msgid; requests without one (mfscli's) are answered in
//! order. A request with no such answer in the capture (NOP, the mount's
//! periodic inode lists) is sent without waiting. Chunkservers that leave
//! or rejoin the master while the requests go on are listed with the
//! packet where that shows ([`super::chunkservers`]).

use std::collections::HashMap;
use std::io::Read;
use std::net::SocketAddr;

use mooseng_wire::direction::{ClientToMaster, MasterToClient};
use mooseng_wire::{Ctx, Direction};

use crate::capture::{read_packets, CaptureError};
use crate::classify::Classifier;
use crate::framing::{split, Piece};
use crate::packet::tcp_segment;
use crate::reassembly::{Reassembler, Stream, StreamKey};

use super::chunkservers::{self, ChunkserverEvent};
use super::tree::Value;

/// One captured client connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    /// Number of the client-to-server stream, as `decode` prints it.
    pub stream: usize,
    pub client: SocketAddr,
    pub server: SocketAddr,
}

/// A request, where it was sent, and what it got.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// Index into [`Script::conversations`].
    pub conversation: usize,
    /// The packet that completed the request.
    pub packet: u64,
    pub request: ClientToMaster,
    pub msgid: Option<u32>,
    pub answer: Option<MasterToClient>,
}

/// Everything to replay, in capture order.
#[derive(Debug, Clone, Default)]
pub struct Script {
    pub conversations: Vec<Conversation>,
    pub exchanges: Vec<Exchange>,
    /// Server frames no request claimed (NOPs, pushed notices), not compared.
    pub unclaimed_answers: usize,
    /// Chunkservers leaving or rejoining after the first request, in
    /// capture order.
    pub chunkserver_events: Vec<ChunkserverEvent>,
}

#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    #[error(transparent)]
    Capture(#[from] CaptureError),
    #[error("stream #{stream} ({key}) cannot be replayed: {why}")]
    Incomplete {
        stream: usize,
        key: String,
        why: String,
    },
    #[error("stream #{0} is not a client-to-master (port 9421) conversation")]
    NotAClientStream(usize),
}

/// A frame of a stream with the packet that completed it.
struct Framed<'a> {
    packet: u64,
    code: u32,
    payload: &'a [u8],
}

/// Reads the capture and picks the conversations numbered in `chosen`
/// (either direction's number), or every one when `chosen` is empty.
pub fn load(capture: impl Read, chosen: &[usize]) -> Result<Script, ScriptError> {
    let mut reassembler = Reassembler::new();
    read_packets(capture, |packet| {
        // Packets that are not TCP, or cannot be parsed, carry nothing the
        // replay could send; `decode` reports them.
        if let Ok(Some(segment)) = tcp_segment(packet.link, packet.data) {
            reassembler.push(packet.number, &segment);
        }
    })?;
    let streams = reassembler.finish();
    let classifier = Classifier::default();
    let numbered: HashMap<StreamKey, (usize, &Stream)> = streams
        .iter()
        .enumerate()
        .map(|(i, s)| (s.key, (i + 1, s)))
        .collect();

    for &number in chosen {
        let is_client = streams.get(number.wrapping_sub(1)).is_some_and(|s| {
            matches!(
                classifier.classify(&s.key),
                Some(Direction::ClientToMaster | Direction::MasterToClient)
            )
        });
        if !is_client {
            return Err(ScriptError::NotAClientStream(number));
        }
    }

    let mut script = Script::default();
    for (index, stream) in streams.iter().enumerate() {
        let number = index + 1;
        if classifier.classify(&stream.key) != Some(Direction::ClientToMaster) {
            continue;
        }
        let reverse = StreamKey {
            src: stream.key.dst,
            dst: stream.key.src,
        };
        let answers = numbered.get(&reverse);
        let picked = chosen.is_empty()
            || chosen.contains(&number)
            || answers.is_some_and(|(n, _)| chosen.contains(n));
        if !picked {
            continue;
        }
        let requests = frames(number, stream, Direction::ClientToMaster)?;
        let answers = match answers {
            Some((n, s)) => frames(*n, s, Direction::MasterToClient)?,
            None => Vec::new(),
        };
        let conversation = script.conversations.len();
        script.conversations.push(Conversation {
            stream: number,
            client: stream.key.src,
            server: stream.key.dst,
        });
        add_exchanges(&mut script, conversation, number, &requests, &answers)?;
    }
    script.exchanges.sort_by_key(|e| (e.packet, e.conversation));
    let start = script.exchanges.first().map_or(u64::MAX, |e| e.packet);
    script.chunkserver_events = chunkservers::events(&streams, &classifier, start);
    Ok(script)
}

/// The whole frames of `stream`; a stream with lost or missing bytes
/// cannot be replayed faithfully and is refused.
fn frames(
    number: usize,
    stream: &Stream,
    direction: Direction,
) -> Result<Vec<Framed<'_>>, ScriptError> {
    let incomplete = |why: String| ScriptError::Incomplete {
        stream: number,
        key: stream.key.to_string(),
        why,
    };
    if !stream.syn_seen {
        return Err(incomplete(
            "the capture started after the connection".into(),
        ));
    }
    split(stream, direction)
        .into_iter()
        .map(|piece| match piece {
            Piece::Frame {
                offset,
                code,
                payload,
            } => {
                let last_byte = offset + 8 + payload.len() as u64 - 1;
                Ok(Framed {
                    packet: stream.packet_at(last_byte).unwrap_or(stream.first_packet),
                    code,
                    payload,
                })
            }
            other => Err(incomplete(format!("capture lacks bytes: {other:?}"))),
        })
        .collect()
}

fn add_exchanges(
    script: &mut Script,
    conversation: usize,
    number: usize,
    requests: &[Framed<'_>],
    answers: &[Framed<'_>],
) -> Result<(), ScriptError> {
    let mut claimed = vec![false; answers.len()];
    for framed in requests {
        let request =
            ClientToMaster::decode(framed.code, framed.payload, Ctx::default()).map_err(|e| {
                ScriptError::Incomplete {
                    stream: number,
                    key: format!("packet {}", framed.packet),
                    why: e.to_string(),
                }
            })?;
        let msgid = msgid_of(&request);
        let found = answers.iter().enumerate().position(|(i, a)| {
            !claimed[i]
                && a.code == framed.code + 1
                && a.packet >= framed.packet
                && msgid.is_none_or(|id| a.payload.get(..4) == Some(&id.to_be_bytes()[..]))
        });
        let answer = match found {
            Some(i) => {
                claimed[i] = true;
                Some(
                    MasterToClient::decode(answers[i].code, answers[i].payload, Ctx::default())
                        .map_err(|e| ScriptError::Incomplete {
                            stream: number,
                            key: format!("packet {}", answers[i].packet),
                            why: e.to_string(),
                        })?,
                )
            }
            None => None,
        };
        script.exchanges.push(Exchange {
            conversation,
            packet: framed.packet,
            request,
            msgid,
            answer,
        });
    }
    script.unclaimed_answers += claimed.iter().filter(|c| !**c).count();
    Ok(())
}

/// The request's `msgid` field, when its layout has one and it is present.
pub fn msgid_of(request: &ClientToMaster) -> Option<u32> {
    let tree = super::refine::unwrapped(request).ok()?;
    tree.field("msgid")
        .and_then(Value::number)
        .and_then(|n| u32::try_from(n).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mooseng_wire::antoan::Nop;
    use mooseng_wire::cltoma::FuseStatfs;
    use mooseng_wire::cltoma_info::Info;

    #[test]
    fn msgids_are_found_where_the_layout_has_them() {
        assert_eq!(
            msgid_of(&ClientToMaster::FuseStatfs(FuseStatfs { msgid: 12 })),
            Some(12)
        );
        assert_eq!(msgid_of(&ClientToMaster::Info(Info {})), None);
        assert_eq!(msgid_of(&ClientToMaster::Nop(Nop { msgid: None })), None);
    }
}
