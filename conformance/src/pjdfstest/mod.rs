//! `mooseng-conformance pjdfstest`: the POSIX test suite pjdfstest on the
//! mount of an all-Debian cluster and of clusters where MooseNG plays the
//! master or the mount, compared case by case. Needs root, FUSE, the
//! MooseFS packages, and autoconf, automake, gcc and make to build the
//! suite (scripts/setup.sh installs them).

pub mod compare;
pub mod known;
pub mod page;
pub mod results;
pub mod run;
pub mod setup;
pub mod suite;
pub mod tap;

pub use compare::{compare, Comparison, Regression};
pub use known::{known_for, KnownDifference, KNOWN_DIFFERENCES};
pub use results::{CaseId, Outcome, SuiteResult};
pub use run::{run_setup, RunOptions, SetupRun};
pub use setup::Setup;
pub use suite::Suite;

/// Every setup's run, and every setup after the first compared with it.
#[derive(Debug, Clone)]
pub struct Report {
    pub runs: Vec<SetupRun>,
    /// `comparisons[i]` compares `runs[i + 1]` with `runs[0]`.
    pub comparisons: Vec<Comparison>,
}

impl Report {
    /// Whether some setup regressed where no known difference says it may.
    pub fn is_failure(&self) -> bool {
        self.comparisons.iter().any(Comparison::is_failure)
    }
}

/// Runs the suite on each of `setups` in turn (the first is the baseline),
/// telling `progress` which one starts, and compares the others with the
/// first under [`KNOWN_DIFFERENCES`].
pub fn run_and_compare(
    setups: &[Setup],
    suite: &Suite,
    options: &RunOptions,
    mut progress: impl FnMut(&Setup),
) -> anyhow::Result<Report> {
    let mut runs = Vec::new();
    for setup in setups {
        progress(setup);
        runs.push(run_setup(setup, suite, options)?);
    }
    let comparisons = match runs.split_first() {
        Some((baseline, others)) => others
            .iter()
            .map(|run| {
                let known = known_for(&run.setup, KNOWN_DIFFERENCES);
                compare(&baseline.result, &run.result, &known)
            })
            .collect(),
        None => Vec::new(),
    };
    Ok(Report { runs, comparisons })
}
