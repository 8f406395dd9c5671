//! The known failures: which cells are expected to fail, at which step and
//! why. Every other built cell is expected to pass every step, so a run
//! fails exactly when a cell outside this list fails, or a listed cell
//! fails at another step than the one listed.

use mooseng_tools::Flavor;

use super::cell::{Cell, Chunkservers};
use super::step::Outcome;

/// Cells by their parts; `None` matches any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cells {
    pub client: Option<Flavor>,
    pub master: Option<Flavor>,
    pub chunkservers: Option<Chunkservers>,
}

impl Cells {
    pub fn matches(&self, cell: &Cell) -> bool {
        self.client.is_none_or(|f| f == cell.client)
            && self.master.is_none_or(|f| f == cell.master)
            && self.chunkservers.is_none_or(|c| c == cell.chunkservers)
    }

    /// How the docs write it: `*` for any part.
    pub fn describe(&self) -> String {
        let part = |f: Option<String>| f.unwrap_or_else(|| "*".to_owned());
        format!(
            "client {} / master {} / chunkservers {}",
            part(self.client.map(|f| f.to_string())),
            part(self.master.map(|f| f.to_string())),
            part(self.chunkservers.map(|c| c.to_string())),
        )
    }
}

/// A failure we know of and have not fixed yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownFailure {
    pub cells: Cells,
    /// The first failing step these cells stop at.
    pub step: &'static str,
    pub reason: &'static str,
}

/// Every known failure. Keep it short and precise: an entry hides nothing
/// but the one step it names in the cells it names, and no cell matches
/// two entries (a cell has one first failing step).
pub const KNOWN_FAILURES: &[KnownFailure] = &[];

/// How a cell's outcome compares with what is expected of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// Failed at the step a known failure names.
    Known(&'static KnownFailure),
    /// Failed where nothing says it may: the run fails.
    Unexpected,
    /// Passed although listed as a known failure: the entry is stale.
    Fixed(&'static KnownFailure),
    NotBuilt,
}

impl Verdict {
    /// Whether this verdict makes the run fail.
    pub fn is_failure(&self) -> bool {
        matches!(self, Verdict::Unexpected)
    }
}

/// Judges `outcome` of `cell` against `known`.
pub fn judge(cell: &Cell, outcome: &Outcome, known: &'static [KnownFailure]) -> Verdict {
    let mut listed = known.iter().filter(|k| k.cells.matches(cell));
    match outcome {
        Outcome::NotBuilt { .. } => Verdict::NotBuilt,
        Outcome::Passed { .. } => listed.next().map_or(Verdict::Pass, Verdict::Fixed),
        Outcome::Failed { step, .. } => listed
            .find(|k| k.step == step)
            .map_or(Verdict::Unexpected, Verdict::Known),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NG_MASTER_SNAPSHOT: &[KnownFailure] = &[KnownFailure {
        cells: Cells {
            client: None,
            master: Some(Flavor::Ng),
            chunkservers: None,
        },
        step: "snapshot",
        reason: "not yet",
    }];

    fn cell(master: Flavor) -> Cell {
        Cell {
            client: Flavor::Mfs,
            master,
            chunkservers: Chunkservers::Mixed,
        }
    }

    fn failed_at(step: &str) -> Outcome {
        Outcome::Failed {
            passed: 3,
            step: step.into(),
            error: "x".into(),
        }
    }

    #[test]
    fn a_listed_step_is_known_any_other_is_unexpected() {
        let ng = cell(Flavor::Ng);
        assert_eq!(
            judge(&ng, &failed_at("snapshot"), NG_MASTER_SNAPSHOT),
            Verdict::Known(&NG_MASTER_SNAPSHOT[0])
        );
        assert_eq!(
            judge(&ng, &failed_at("rename"), NG_MASTER_SNAPSHOT),
            Verdict::Unexpected
        );
        let mfs = cell(Flavor::Mfs);
        assert_eq!(
            judge(&mfs, &failed_at("snapshot"), NG_MASTER_SNAPSHOT),
            Verdict::Unexpected
        );
        assert!(Verdict::Unexpected.is_failure());
    }

    #[test]
    fn passing_a_listed_cell_marks_the_entry_stale() {
        let passed = Outcome::Passed { steps: 9 };
        assert_eq!(
            judge(&cell(Flavor::Ng), &passed, NG_MASTER_SNAPSHOT),
            Verdict::Fixed(&NG_MASTER_SNAPSHOT[0])
        );
        assert_eq!(
            judge(&cell(Flavor::Mfs), &passed, NG_MASTER_SNAPSHOT),
            Verdict::Pass
        );
        let not_built = Outcome::NotBuilt {
            program: "mooseng-x".into(),
        };
        assert!(!judge(&cell(Flavor::Ng), &not_built, NG_MASTER_SNAPSHOT).is_failure());
    }

    #[test]
    fn with_nothing_listed_every_failure_is_unexpected() {
        for cell in Cell::all() {
            assert_eq!(
                judge(&cell, &failed_at("mfscli_info"), &[]),
                Verdict::Unexpected
            );
            let passed = Outcome::Passed { steps: 9 };
            assert_eq!(judge(&cell, &passed, &[]), Verdict::Pass);
        }
    }

    #[test]
    fn no_cell_matches_two_entries() {
        for cell in Cell::all() {
            let entries = KNOWN_FAILURES
                .iter()
                .filter(|k| k.cells.matches(&cell))
                .count();
            assert!(entries <= 1, "{} matches {entries} entries", cell.id());
        }
    }

    #[test]
    fn describes_wildcards() {
        assert_eq!(
            NG_MASTER_SNAPSHOT[0].cells.describe(),
            "client * / master ng / chunkservers *"
        );
    }
}
