//! What one run of the suite found: for every test file, the outcome of
//! each of its numbered test cases.

use std::collections::BTreeMap;
use std::fmt;

/// One test case: a test file of the suite, named relative to its `tests/`
/// directory (`chmod/00.t`), and the number the file gives the case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CaseId {
    pub file: String,
    pub number: u32,
}

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} #{}", self.file, self.number)
    }
}

/// How one test case ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// pjdfstest printed `ok` for it, with or without a directive.
    Passed,
    /// It printed `not ok`, or never got to the case. The text is what it
    /// printed after the number (`tried 'open NAME O_RDWR', expected
    /// EACCES, got 0`, or the note of a `# TODO`), or `not run`.
    ///
    /// A `not ok # TODO` counts as failed here, though prove counts it as
    /// passed: the comparison looks at what the file system did, and the
    /// suite's TODO notes say only what it expects of Linux in general.
    Failed(String),
}

impl Outcome {
    /// The outcome of a case a file planned but never reported.
    pub fn not_run() -> Outcome {
        Outcome::Failed(NOT_RUN.to_owned())
    }

    pub fn passed(&self) -> bool {
        matches!(self, Outcome::Passed)
    }
}

/// The text of [`Outcome::not_run`].
pub const NOT_RUN: &str = "not run";

/// The cases of one test file, by number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileResult {
    pub cases: BTreeMap<u32, Outcome>,
}

/// Every test file that ran, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SuiteResult {
    pub files: BTreeMap<String, FileResult>,
}

impl SuiteResult {
    /// How `case` ended; `None` when its file or the case is missing.
    pub fn outcome(&self, case: &CaseId) -> Option<&Outcome> {
        self.files.get(&case.file)?.cases.get(&case.number)
    }

    /// Every case in file and number order.
    pub fn cases(&self) -> impl Iterator<Item = (CaseId, &Outcome)> {
        self.files.iter().flat_map(|(file, result)| {
            result.cases.iter().map(move |(number, outcome)| {
                let case = CaseId {
                    file: file.clone(),
                    number: *number,
                };
                (case, outcome)
            })
        })
    }

    /// How many cases there are.
    pub fn total(&self) -> usize {
        self.files.values().map(|f| f.cases.len()).sum()
    }

    /// How many cases passed.
    pub fn passed(&self) -> usize {
        self.cases().filter(|(_, o)| o.passed()).count()
    }

    /// Every failed case with what it printed, in file and number order.
    pub fn failures(&self) -> Vec<(CaseId, &str)> {
        self.cases()
            .filter_map(|(case, outcome)| match outcome {
                Outcome::Passed => None,
                Outcome::Failed(text) => Some((case, text.as_str())),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suite() -> SuiteResult {
        let mut suite = SuiteResult::default();
        let chmod = suite.files.entry("chmod/00.t".into()).or_default();
        chmod.cases.insert(1, Outcome::Passed);
        chmod
            .cases
            .insert(2, Outcome::Failed("tried 'x', got EPERM".into()));
        let open = suite.files.entry("open/06.t".into()).or_default();
        open.cases.insert(1, Outcome::not_run());
        suite
    }

    #[test]
    fn counts_and_lists_failures_in_order() {
        let suite = suite();
        assert_eq!((suite.total(), suite.passed()), (3, 1));
        let failures: Vec<String> = suite
            .failures()
            .iter()
            .map(|(case, text)| format!("{case}: {text}"))
            .collect();
        assert_eq!(
            failures,
            [
                "chmod/00.t #2: tried 'x', got EPERM",
                "open/06.t #1: not run"
            ]
        );
    }

    #[test]
    fn looks_cases_up() {
        let suite = suite();
        let case = |file: &str, number| CaseId {
            file: file.into(),
            number,
        };
        assert_eq!(
            suite.outcome(&case("chmod/00.t", 1)),
            Some(&Outcome::Passed)
        );
        assert_eq!(suite.outcome(&case("chmod/00.t", 3)), None);
        assert_eq!(suite.outcome(&case("link/00.t", 1)), None);
    }
}
