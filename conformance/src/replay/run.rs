//! Sending a [`Script`] to a server and comparing what comes back.
//!
//! Requests go out one at a time in capture order, each on the fresh
//! connection that stands for its captured one (opened before its first
//! request, closed after its last). A request the capture has an answer to
//! waits for the target's answer before the next request goes anywhere;
//! that keeps every causal order the capture had, at the cost of
//! serialising requests the captured client had in flight together.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use mooseng_wire::direction::{ClientToMaster, MasterToClient};
use mooseng_wire::Ctx;
use similar::TextDiff;

use super::compare::{compare, Difference};
use super::connection::{Connection, ConnectionError};
use super::ids::IdMap;
use super::outcome::{Mismatch, Outcome};
use super::refine::{unwrapped, view};
use super::rewrite::rewrite;
use super::script::{Exchange, Script};

/// How long a replayed connection may stay silent before a NOP is sent.
const KEEP_ALIVE: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
pub struct Options {
    pub target: SocketAddr,
    /// How long to wait for one answer.
    pub answer_timeout: Duration,
    /// Replay only requests completed up to this capture packet.
    pub until_packet: Option<u64>,
}

/// A connection that failed, and where in the capture.
#[derive(Debug, thiserror::Error)]
#[error("stream #{stream}, request completed by packet {packet}: {source}")]
pub struct ReplayError {
    pub stream: usize,
    pub packet: u64,
    pub source: ConnectionError,
}

/// Replays `script` against `options.target`. Fails only when a connection
/// to the target fails; everything it answers (or does not) is in the
/// outcome.
pub fn replay(script: &Script, options: &Options) -> Result<Outcome, ReplayError> {
    let exchanges: Vec<&Exchange> = script
        .exchanges
        .iter()
        .filter(|e| options.until_packet.is_none_or(|p| e.packet <= p))
        .collect();
    let mut last_use = HashMap::new();
    for (i, e) in exchanges.iter().enumerate() {
        last_use.insert(e.conversation, i);
    }
    let mut outcome = Outcome {
        conversations: last_use.len(),
        ..Outcome::default()
    };
    let mut ids = IdMap::new();
    let mut open: HashMap<usize, Connection> = HashMap::new();
    for (i, exchange) in exchanges.iter().enumerate() {
        let stream = script.conversations[exchange.conversation].stream;
        let failed = |source| ReplayError {
            stream,
            packet: exchange.packet,
            source,
        };
        let connection = match open.entry(exchange.conversation) {
            Entry::Occupied(o) => o.into_mut(),
            Entry::Vacant(v) => {
                v.insert(Connection::open(options.target, options.answer_timeout).map_err(failed)?)
            }
        };
        step(
            exchange,
            stream,
            connection,
            &mut ids,
            options,
            &mut outcome,
        )
        .map_err(failed)?;
        for connection in open.values_mut() {
            connection.keep_alive(KEEP_ALIVE).map_err(failed)?;
        }
        if last_use.get(&exchange.conversation) == Some(&i) {
            if let Some(done) = open.remove(&exchange.conversation) {
                outcome.unawaited += done.unawaited;
            }
        }
    }
    Ok(outcome)
}

/// Sends one request and checks its answer.
fn step(
    exchange: &Exchange,
    stream: usize,
    connection: &mut Connection,
    ids: &mut IdMap,
    options: &Options,
    outcome: &mut Outcome,
) -> Result<(), ConnectionError> {
    let mut request = exchange.request.clone();
    rewrite(&mut request, ids);
    let frame = request.to_frame();
    connection.send(frame.kind, &frame.payload)?;
    outcome.requests_sent += 1;
    let Some(captured) = &exchange.answer else {
        outcome.sent_without_answer += 1;
        return Ok(());
    };
    let mismatch = |differences: Vec<Difference>, diff: String| Mismatch {
        message: captured.name(),
        stream,
        packet: exchange.packet,
        request: format!("{request:?}"),
        differences,
        diff,
    };
    let received =
        match connection.await_answer(captured.code(), exchange.msgid, options.answer_timeout) {
            Ok(received) => received,
            Err(e @ ConnectionError::Timeout { .. }) => {
                outcome.mismatched(mismatch(Vec::new(), format!("  {e}\n")));
                return Ok(());
            }
            Err(e) => return Err(e),
        };
    let replayed = match MasterToClient::decode(received.code, &received.payload, Ctx::default()) {
        Ok(replayed) => replayed,
        Err(e) => {
            outcome.mismatched(mismatch(Vec::new(), format!("  undecodable answer: {e}\n")));
            return Ok(());
        }
    };
    match check(&exchange.request, captured, &request, &replayed, ids) {
        None => outcome.matched(captured.name()),
        Some((differences, diff)) => outcome.mismatched(mismatch(differences, diff)),
    }
    Ok(())
}

/// The differences between the two answers and a diff of them, or `None`
/// when they agree under the rules.
fn check(
    captured_request: &ClientToMaster,
    captured: &MasterToClient,
    sent_request: &ClientToMaster,
    replayed: &MasterToClient,
    ids: &mut IdMap,
) -> Option<(Vec<Difference>, String)> {
    let ctx = Ctx::default();
    let captured_view = view(captured_request, captured, ctx);
    let replayed_view = view(sent_request, replayed, ctx);
    let differences = match (unwrapped(&*captured_view), unwrapped(&*replayed_view)) {
        (Ok(c), Ok(r)) => compare(captured.name(), &c, &r, ids),
        (c, r) => vec![Difference {
            path: captured.name().to_owned(),
            captured: format!("{c:?}"),
            replayed: format!("{r:?}"),
            reason: "Debug text could not be read back".to_owned(),
        }],
    };
    if differences.is_empty() {
        return None;
    }
    let (c, r) = (
        format!("{captured_view:#?}\n"),
        format!("{replayed_view:#?}\n"),
    );
    let diff = TextDiff::from_lines(&c, &r)
        .unified_diff()
        .context_radius(3)
        .header("captured", "replayed")
        .to_string();
    Some((differences, diff))
}
