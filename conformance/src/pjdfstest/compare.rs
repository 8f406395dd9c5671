//! A setup against the baseline, case by case: every case the baseline
//! passes must pass on the setup too, unless a known difference lists it.

use super::known::KnownDifference;
use super::results::{CaseId, Outcome, SuiteResult, NOT_RUN};

/// A case the baseline passes and the candidate does not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Regression {
    pub case: CaseId,
    /// What the candidate printed for it.
    pub candidate: String,
    /// The entry that lists it; `None` makes the comparison fail.
    pub known: Option<&'static KnownDifference>,
}

/// The candidate against the baseline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    pub baseline_passed: usize,
    pub candidate_passed: usize,
    pub regressions: Vec<Regression>,
    /// Cases the candidate passes and the baseline fails.
    pub improvements: Vec<CaseId>,
    /// Entries that apply to the candidate, whose cases both ran and
    /// none of which regressed: the entry can go.
    pub stale: Vec<&'static KnownDifference>,
}

impl Comparison {
    /// Regressions no known difference lists.
    pub fn unexpected(&self) -> impl Iterator<Item = &Regression> {
        self.regressions.iter().filter(|r| r.known.is_none())
    }

    /// Whether the candidate regressed where nothing says it may.
    pub fn is_failure(&self) -> bool {
        self.unexpected().next().is_some()
    }
}

/// Compares `candidate` with `baseline` under the entries in `known` (those
/// that apply to the candidate). A case the candidate never reached, its
/// file included, fails as not run.
pub fn compare(
    baseline: &SuiteResult,
    candidate: &SuiteResult,
    known: &[&'static KnownDifference],
) -> Comparison {
    let mut regressions = Vec::new();
    for (case, outcome) in baseline.cases() {
        if !outcome.passed() {
            continue;
        }
        let text = match candidate.outcome(&case) {
            Some(Outcome::Passed) => continue,
            Some(Outcome::Failed(text)) => text.clone(),
            None => NOT_RUN.to_owned(),
        };
        let listed = known.iter().copied().find(|k| k.covers(&case));
        regressions.push(Regression {
            case,
            candidate: text,
            known: listed,
        });
    }
    let improvements = candidate
        .cases()
        .filter(|(case, outcome)| {
            outcome.passed() && baseline.outcome(case).is_some_and(|o| !o.passed())
        })
        .map(|(case, _)| case)
        .collect();
    let stale = known
        .iter()
        .copied()
        .filter(|k| {
            let ran = k.case_ids().all(|case| {
                baseline.outcome(&case).is_some() && candidate.outcome(&case).is_some()
            });
            ran && !regressions.iter().any(|r| r.known == Some(*k))
        })
        .collect();
    Comparison {
        baseline_passed: baseline.passed(),
        candidate_passed: candidate.passed(),
        regressions,
        improvements,
        stale,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[KnownDifference] = &[KnownDifference {
        master: None,
        mount: None,
        file: "a.t",
        cases: &[2],
        reason: "known",
    }];

    /// A suite of files given as `(name, "PF.")`: P passed, F failed, and
    /// `.` a case left out (numbers count from 1).
    fn suite(files: &[(&str, &str)]) -> SuiteResult {
        let mut suite = SuiteResult::default();
        for (name, cases) in files {
            let file = suite.files.entry((*name).to_owned()).or_default();
            for (number, c) in (1u32..).zip(cases.chars()) {
                let outcome = match c {
                    'P' => Outcome::Passed,
                    'F' => Outcome::Failed("tried x, got EPERM".into()),
                    _ => continue,
                };
                file.cases.insert(number, outcome);
            }
        }
        suite
    }

    fn cases(regressions: &[Regression]) -> Vec<String> {
        regressions.iter().map(|r| r.case.to_string()).collect()
    }

    #[test]
    fn a_case_passing_only_on_the_baseline_regresses() {
        let baseline = suite(&[("a.t", "PPPF")]);
        let candidate = suite(&[("a.t", "PFFP")]);
        let known: Vec<_> = KNOWN.iter().collect();
        let c = compare(&baseline, &candidate, &known);
        assert_eq!((c.baseline_passed, c.candidate_passed), (3, 2));
        assert_eq!(cases(&c.regressions), ["a.t #2", "a.t #3"]);
        assert_eq!(c.regressions[0].known, Some(&KNOWN[0]));
        assert_eq!(c.regressions[1].candidate, "tried x, got EPERM");
        let unexpected: Vec<_> = c.unexpected().map(|r| r.case.to_string()).collect();
        assert_eq!(unexpected, ["a.t #3"]);
        assert!(c.is_failure());
        assert_eq!(c.improvements.len(), 1);
        assert!(c.stale.is_empty());
    }

    #[test]
    fn a_known_regression_alone_passes() {
        let known: Vec<_> = KNOWN.iter().collect();
        let c = compare(&suite(&[("a.t", "PP")]), &suite(&[("a.t", "PF")]), &known);
        assert!(!c.is_failure());
        assert_eq!(c.regressions.len(), 1);
    }

    #[test]
    fn cases_the_candidate_never_ran_regress() {
        let baseline = suite(&[("a.t", "P"), ("b.t", "P")]);
        let candidate = suite(&[("a.t", ".")]);
        let c = compare(&baseline, &candidate, &[]);
        assert_eq!(cases(&c.regressions), ["a.t #1", "b.t #1"]);
        assert!(c.regressions.iter().all(|r| r.candidate == NOT_RUN));
    }

    #[test]
    fn an_entry_is_stale_only_once_its_cases_ran_and_passed() {
        let known: Vec<_> = KNOWN.iter().collect();
        let both_pass = compare(&suite(&[("a.t", "PP")]), &suite(&[("a.t", "PP")]), &known);
        assert_eq!(both_pass.stale, [&KNOWN[0]]);
        let skipped = compare(&suite(&[("b.t", "P")]), &suite(&[("b.t", "P")]), &known);
        assert!(skipped.stale.is_empty());
    }
}
