//! Sending a [`Script`] to a server and comparing what comes back.
//!
//! Requests go out one at a time in capture order, each on the fresh
//! connection that stands for its captured one (opened before its first
//! request, closed after its last). A request the capture has an answer to
//! waits for the target's answer before the next request goes anywhere;
//! that keeps every causal order the capture had, at the cost of
//! serialising requests the captured client had in flight together.
//! Where the capture shows a chunkserver leaving or rejoining the master,
//! the target's is made to do the same before the next request
//! ([`super::chunkservers`]).

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use mooseng_tools::Layout;
use mooseng_wire::direction::{ClientToMaster, MasterToClient};
use mooseng_wire::Ctx;
use similar::TextDiff;

use super::chunkservers::{self, Change, ChunkserverEvent, EventError};
use super::compare::{compare, Difference};
use super::connection::{Connection, ConnectionError};
use super::ids::{IdKind, IdMap};
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
    /// The `mooseng-cluster` cluster the target's chunkservers belong to,
    /// so they can leave and rejoin where the capture's did; without it
    /// they stay as they are, and the report says so.
    pub cluster: Option<Layout>,
}

/// What stopped a replay, and where in the capture.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("stream #{stream}, request completed by packet {packet}")]
    Connection {
        stream: usize,
        packet: u64,
        source: ConnectionError,
    },
    #[error("chunkserver {target} (captured {captured}), at packet {packet}")]
    Chunkserver {
        captured: Ipv4Addr,
        target: Ipv4Addr,
        packet: u64,
        source: EventError,
    },
}

/// Replays `script` against `options.target`. Fails only when a connection
/// to the target fails or a chunkserver cannot be made to leave or rejoin
/// as the capture's did; everything the target answers (or does not) is in
/// the outcome.
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
    let mut events = script.chunkserver_events.iter().peekable();
    for (i, exchange) in exchanges.iter().enumerate() {
        while let Some(event) = events.next_if(|e| e.packet < exchange.packet) {
            let note = follow(event, &ids, options, &mut open)?;
            outcome.chunkserver_events.push(note);
        }
        let stream = script.conversations[exchange.conversation].stream;
        let failed = |source| ReplayError::Connection {
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

/// Makes the target's chunkserver bound to the captured one of `event`
/// leave or rejoin, keeping the open connections alive meanwhile, and
/// says what was done.
fn follow(
    event: &ChunkserverEvent,
    ids: &IdMap,
    options: &Options,
    open: &mut HashMap<usize, Connection>,
) -> Result<String, ReplayError> {
    let what = match event.change {
        Change::Lost => "left",
        Change::Back => "came back",
    };
    let captured = format!(
        "captured chunkserver {} {what} at packet {}",
        event.address, event.packet
    );
    let bound = ids.bound(IdKind::Chunkserver, u32::from(event.address).into());
    let Some(target) = bound
        .and_then(|a| u32::try_from(a).ok())
        .map(Ipv4Addr::from)
    else {
        return Ok(format!(
            "{captured}: not reproduced, no answer has named it yet"
        ));
    };
    let Some(cluster) = &options.cluster else {
        return Ok(format!(
            "{captured}: not reproduced on {target}, whose cluster is not known (--cluster-state)"
        ));
    };
    let keep_alive = || open.values_mut().try_for_each(|c| c.keep_alive(KEEP_ALIVE));
    chunkservers::reproduce(
        event.change,
        target,
        cluster,
        options.target,
        options.answer_timeout,
        keep_alive,
    )
    .map_err(|source| ReplayError::Chunkserver {
        captured: event.address,
        target,
        packet: event.packet,
        source,
    })?;
    let done = match event.change {
        Change::Lost => "killed",
        Change::Back => "restarted",
    };
    Ok(format!("{captured}: {done} {target}"))
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
