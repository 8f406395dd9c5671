//! The POSIX suite pjdfstest on the all-Debian cluster, then with
//! mooseng-master and with mooseng-mount in place of Debian's program.
//! Each MooseNG setup must pass every test case the Debian cluster passes,
//! but for the known differences (conformance/src/pjdfstest/known.rs), so
//! it passes at least as many cases less those.
//!
//! The whole suite, 8,798 cases, runs on each setup, three to five
//! minutes each: about twelve minutes in all. Needs root, network
//! namespaces, FUSE, the MooseFS packages and the suite's build tools
//! (scripts/setup.sh).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use mooseng_conformance::pjdfstest::{
    run_and_compare, suite, Comparison, RunOptions, Setup, SetupRun, Suite,
};
use mooseng_tools::config::DEFAULT_ROOT_EXPORT;
use mooseng_tools::Flavor;

/// Builds the MooseNG programs the setups need into the target directory
/// of `mooseng-conformance`.
fn build_programs() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args(["build", "-p", "mooseng-master", "--bin", "mooseng-master"])
        .args(["-p", "mooseng-mount", "--bin", "mooseng-mount"])
        .status()
        .expect("cargo runs");
    assert!(
        status.success(),
        "building mooseng-master and mooseng-mount failed"
    );
}

/// Lets the cluster find the programs just built: it looks beside its own
/// executable (this test's lives elsewhere), then in PATH.
fn put_programs_in_path() {
    let bin = Path::new(env!("CARGO_BIN_EXE_mooseng-conformance"))
        .parent()
        .expect("the binary is in a directory");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs = std::iter::once(bin.to_owned()).chain(std::env::split_paths(&path));
    std::env::set_var("PATH", std::env::join_paths(dirs).expect("a valid PATH"));
}

/// What a failed assertion shows: the setup and its regressions.
fn regressions(run: &SetupRun, comparison: &Comparison) -> String {
    let lines: Vec<String> = comparison
        .regressions
        .iter()
        .map(|r| {
            let known = if r.known.is_some() { "known" } else { "NEW" };
            format!("  {} [{known}]: {}", r.case, r.candidate)
        })
        .collect();
    format!("{}:\n{}", run.setup, lines.join("\n"))
}

#[test]
fn mooseng_passes_every_case_debian_passes() {
    build_programs();
    put_programs_in_path();
    let dir = tempfile::tempdir().expect("temporary directory");
    let suite = Suite::build(&suite::vendored_source(), &dir.path().join("suite"))
        .expect("pjdfstest builds");
    let options = RunOptions {
        state_dir: dir.path().join("state"),
        prefix: "pjdt".into(),
        subnet: "10.233.231.0/24".parse().expect("a subnet"),
        root_export: DEFAULT_ROOT_EXPORT.into(),
        timeout: Duration::from_secs(20 * 60),
        skip: Vec::new(),
    };
    let setups = [
        Setup::baseline(),
        Setup::with(Flavor::Ng, Flavor::Mfs),
        Setup::with(Flavor::Mfs, Flavor::Ng),
    ];
    let report = run_and_compare(&setups, &suite, &options, |setup| {
        eprintln!("pjdfstest on {setup}");
    })
    .expect("every setup runs");

    let baseline = &report.runs[0];
    let (total, passed) = (baseline.result.total(), baseline.result.passed());
    assert!(!baseline.timed_out, "the baseline did not finish");
    assert!(
        total > 8000 && passed * 100 > total * 99,
        "the suite barely ran on Debian's cluster: {passed} of {total} cases passed"
    );
    for (run, comparison) in report.runs[1..].iter().zip(&report.comparisons) {
        let shown = regressions(run, comparison);
        assert!(!run.timed_out, "{} did not finish", run.setup);
        assert_eq!(run.result.total(), total, "{shown}");
        assert!(!comparison.is_failure(), "{shown}");
    }
    for setup in &setups {
        let state = dir.path().join("state").join(setup.id()).join("state.json");
        assert!(!state.exists(), "{setup} was left up");
    }
}
