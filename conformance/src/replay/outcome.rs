//! What a replay found: answers matched per message type, and every
//! mismatch with the fields that differ and a diff of the two answers.

use std::collections::BTreeMap;
use std::fmt;

use super::compare::Difference;

/// One answer that differs from the captured one (or never came).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The answer's MooseFS name.
    pub message: &'static str,
    /// The captured client stream, as `decode` numbers it.
    pub stream: usize,
    /// The capture packet that completed the request.
    pub packet: u64,
    /// The request as sent (after id rewriting), one line.
    pub request: String,
    pub differences: Vec<Difference>,
    /// Unified diff of the two answers' pretty-printed decodings, or why
    /// there is no replayed answer to compare.
    pub diff: String,
}

/// Answers of one type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub matched: usize,
    pub mismatched: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub conversations: usize,
    pub requests_sent: usize,
    /// Requests the capture holds no answer to, sent without waiting.
    pub sent_without_answer: usize,
    /// Frames the target sent that no request awaited (NOPs excluded).
    pub unawaited: usize,
    /// What was done about each chunkserver that left or rejoined the
    /// master during the capture.
    pub chunkserver_events: Vec<String>,
    pub by_message: BTreeMap<&'static str, Tally>,
    pub mismatches: Vec<Mismatch>,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.mismatches.is_empty()
    }

    pub fn matched(&mut self, message: &'static str) {
        self.by_message.entry(message).or_default().matched += 1;
    }

    pub fn mismatched(&mut self, mismatch: Mismatch) {
        self.by_message
            .entry(mismatch.message)
            .or_default()
            .mismatched += 1;
        self.mismatches.push(mismatch);
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "replayed {} conversations: {} requests sent, {} of them without an answer to wait for; {} unawaited frames from the target",
            self.conversations, self.requests_sent, self.sent_without_answer, self.unawaited
        )?;
        for note in &self.chunkserver_events {
            writeln!(f, "{note}")?;
        }
        writeln!(f, "\nanswers by type (matched / mismatched)")?;
        for (message, tally) in &self.by_message {
            writeln!(
                f,
                "  {message:<36} {:>6} {:>6}",
                tally.matched, tally.mismatched
            )?;
        }
        for m in &self.mismatches {
            writeln!(
                f,
                "\nMISMATCH {} (stream #{}, packet {})\n  request: {}",
                m.message, m.stream, m.packet, m.request
            )?;
            for d in &m.differences {
                writeln!(
                    f,
                    "  {}: captured {} replayed {} ({})",
                    d.path, d.captured, d.replayed, d.reason
                )?;
            }
            write!(f, "{}", m.diff)?;
        }
        let verdict = match self.passed() {
            true => "PASS".to_owned(),
            false => format!("FAIL: {} mismatched answers", self.mismatches.len()),
        };
        writeln!(f, "\n{verdict}")
    }
}
