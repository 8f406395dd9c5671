//! The pjdfstest section of docs/conformance.md: counts per setup, the
//! regressions against the baseline, the known differences and every
//! failing case. The section is the last of the page; the matrix writes
//! the part above it and keeps it, this module writes it and keeps the rest.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

use super::compare::Comparison;
use super::known::KnownDifference;
use super::run::SetupRun;
use super::setup::Setup;

/// The heading the section starts with.
pub const HEADING: &str = "## POSIX suite (pjdfstest)";

/// How the section says it was made.
#[derive(Debug, Clone)]
pub struct PageNotes {
    pub date: String,
    pub command: String,
    /// How many test files ran.
    pub files: usize,
    /// The test files left out.
    pub skipped: Vec<String>,
    pub root_export: String,
}

/// The section: `runs[0]` is the baseline, `comparisons[i]` compares
/// `runs[i + 1]` with it.
pub fn section(
    runs: &[SetupRun],
    comparisons: &[Comparison],
    known: &[KnownDifference],
    notes: &PageNotes,
) -> String {
    let mut out = format!("{HEADING}\n\n");
    out.push_str(
        "pjdfstest (vendored in `conformance/pjdfstest`, see its README.md for \
         the commit) runs as root with `prove` in a fresh directory of the \
         mount of a fresh cluster from `mooseng-cluster`. The first setup is \
         the all-Debian baseline; every other one is compared with it case \
         by case: a case the baseline passes and a setup fails is a \
         regression, and a regression the known differences below do not \
         list makes the run exit non-zero. A case passes when pjdfstest \
         prints `ok` for it; `not ok # TODO` counts as failed here (prove \
         counts it as passed). Regenerate with the command below (as root); \
         `cargo test -p mooseng-conformance --test pjdfstest` (so CI) runs \
         the same comparison.\n\n",
    );
    let _ = writeln!(out, "- Date: {}", notes.date);
    let _ = writeln!(out, "- Command: `{}`", notes.command);
    let _ = writeln!(out, "- Root export: `{}`", notes.root_export);
    let _ = write!(out, "- Test files: {}", notes.files);
    if !notes.skipped.is_empty() {
        let _ = write!(out, " (left out: {})", code_list(&notes.skipped));
    }
    out.push_str("\n\n");
    counts_table(&mut out, runs, comparisons);
    regressions(&mut out, runs, comparisons);
    known_table(&mut out, known);
    failures(&mut out, runs);
    out
}

fn counts_table(out: &mut String, runs: &[SetupRun], comparisons: &[Comparison]) {
    out.push_str(
        "| master | chunkservers | mount | test cases | passed | failed | \
         regressions (known) | improvements | time |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    for (index, run) in runs.iter().enumerate() {
        let (regressions, improvements) =
            match index.checked_sub(1).and_then(|i| comparisons.get(i)) {
                None => ("baseline".to_owned(), String::new()),
                Some(c) => {
                    let known = c.regressions.iter().filter(|r| r.known.is_some()).count();
                    (
                        format!("{} ({known})", c.regressions.len()),
                        c.improvements.len().to_string(),
                    )
                }
            };
        let r = &run.result;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {regressions} | {improvements} | {} |",
            run.setup.master_program(),
            run.setup.chunkserver_list(),
            run.setup.mount_program(),
            r.total(),
            r.passed(),
            r.total() - r.passed(),
            time(run.elapsed, run.timed_out),
        );
    }
}

fn time(elapsed: Duration, timed_out: bool) -> String {
    let seconds = elapsed.as_secs();
    if timed_out {
        format!("{seconds} s (stopped)")
    } else {
        format!("{seconds} s")
    }
}

fn regressions(out: &mut String, runs: &[SetupRun], comparisons: &[Comparison]) {
    out.push_str("\n### Regressions against the baseline\n");
    for (run, comparison) in runs.iter().skip(1).zip(comparisons) {
        let _ = writeln!(out, "\n{}:", describe(&run.setup));
        if comparison.regressions.is_empty() {
            out.push_str("none.\n");
        } else {
            out.push_str("\n| test case | it printed | known |\n|---|---|---|\n");
        }
        for r in &comparison.regressions {
            let known = if r.known.is_some() { "yes" } else { "**no**" };
            let _ = writeln!(out, "| `{}` | {} | {known} |", r.case, cell(&r.candidate));
        }
        for stale in &comparison.stale {
            let _ = writeln!(
                out,
                "\nThe known difference for `{}` cases {} did not show: remove it.",
                stale.file,
                numbers(stale.cases)
            );
        }
    }
}

fn known_table(out: &mut String, known: &[KnownDifference]) {
    out.push_str("\n### Known differences\n\n");
    if known.is_empty() {
        out.push_str("None: every setup is expected to pass what the baseline passes.\n");
        return;
    }
    out.push_str("| setups | test file | cases | reason |\n|---|---|---|---|\n");
    for k in known {
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | {} |",
            k.describe_setups(),
            k.file,
            numbers(k.cases),
            cell(k.reason)
        );
    }
}

/// Every failing case of every setup, cases of one file that printed the
/// same text on one row.
fn failures(out: &mut String, runs: &[SetupRun]) {
    out.push_str("\n### Failing test cases\n");
    for run in runs {
        let _ = writeln!(out, "\n{}:\n", describe(&run.setup));
        let mut rows: BTreeMap<(String, &str), Vec<u32>> = BTreeMap::new();
        let failures = run.result.failures();
        for (case, text) in &failures {
            rows.entry((case.file.clone(), text))
                .or_default()
                .push(case.number);
        }
        if rows.is_empty() {
            out.push_str("none.\n");
            continue;
        }
        out.push_str("| test file | cases | it printed |\n|---|---|---|\n");
        let mut rows: Vec<_> = rows.into_iter().collect();
        rows.sort_by(|a, b| (&a.0 .0, a.1[0]).cmp(&(&b.0 .0, b.1[0])));
        for ((file, text), cases) in rows {
            let _ = writeln!(out, "| `{file}` | {} | {} |", numbers(&cases), cell(text));
        }
    }
}

/// `mooseng-master, chunkservers mfs,mfs,mfs, mfsmount`.
fn describe(setup: &Setup) -> String {
    format!(
        "{}, chunkservers {}, {}",
        setup.master_program(),
        setup.chunkserver_list(),
        setup.mount_program()
    )
}

fn numbers(cases: &[u32]) -> String {
    let texts: Vec<String> = cases.iter().map(u32::to_string).collect();
    texts.join(", ")
}

fn code_list(items: &[String]) -> String {
    let texts: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    texts.join(", ")
}

/// Makes `text` fit in one Markdown table cell: one line, no bare `|`.
fn cell(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

/// The section of `page`, from its heading to the end.
pub fn section_of(page: &str) -> Option<&str> {
    section_start(page).map(|start| &page[start..])
}

/// `page` with its section replaced by `section`, or with `section` added
/// at the end.
pub fn with_section(page: &str, section: &str) -> String {
    let above = section_start(page).map_or(page, |start| &page[..start]);
    let mut out = above.trim_end().to_owned();
    if !out.is_empty() {
        out.push_str("\n\n");
    }
    out.push_str(section);
    out
}

fn section_start(page: &str) -> Option<usize> {
    if page.starts_with(&format!("{HEADING}\n")) {
        return Some(0);
    }
    page.find(&format!("\n{HEADING}\n")).map(|at| at + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pjdfstest::compare::compare;

    const KNOWN: &[KnownDifference] = &[KnownDifference {
        master: Some(Flavor::Ng),
        mount: None,
        file: "ftruncate/00.t",
        cases: &[24, 30],
        reason: "ng refuses it",
    }];
    use crate::pjdfstest::results::{Outcome, SuiteResult};
    use mooseng_tools::Flavor;

    fn run(setup: Setup, outcomes: &[(u32, Outcome)]) -> SetupRun {
        let mut result = SuiteResult::default();
        let file = result.files.entry("ftruncate/00.t".into()).or_default();
        file.cases.extend(outcomes.iter().cloned());
        SetupRun {
            setup,
            result,
            elapsed: Duration::from_secs(42),
            timed_out: false,
        }
    }

    fn notes() -> PageNotes {
        PageNotes {
            date: "2026-01-02".into(),
            command: "mooseng-conformance pjdfstest".into(),
            files: 1,
            skipped: vec!["chown/00.t".into()],
            root_export: "rw,alldirs,maproot=0".into(),
        }
    }

    #[test]
    fn shows_counts_regressions_and_grouped_failures() {
        let todo = || Outcome::Failed("TODO Linux".into());
        let baseline = run(
            Setup::baseline(),
            &[
                (23, Outcome::Passed),
                (24, Outcome::Passed),
                (25, todo()),
                (26, todo()),
            ],
        );
        let ng = run(
            Setup::with(Flavor::Ng, Flavor::Mfs),
            &[
                (23, Outcome::Passed),
                (
                    24,
                    Outcome::Failed("tried 'ftruncate', expected 0, got EACCES".into()),
                ),
                (25, todo()),
                (26, todo()),
            ],
        );
        let known: Vec<_> = KNOWN.iter().collect();
        let comparison = compare(&baseline.result, &ng.result, &known);
        let text = section(&[baseline, ng], &[comparison], KNOWN, &notes());
        assert!(text.starts_with("## POSIX suite (pjdfstest)\n"), "{text}");
        assert!(
            text.contains("- Test files: 1 (left out: `chown/00.t`)\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "| mfsmaster | mfs,mfs,mfs | mfsmount | 4 | 2 | 2 | baseline |  | 42 s |"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "| mooseng-master | mfs,mfs,mfs | mfsmount | 4 | 1 | 3 | 1 (1) | 0 | 42 s |"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "| `ftruncate/00.t #24` | tried 'ftruncate', expected 0, got EACCES | yes |"
            ),
            "{text}"
        );
        assert!(
            text.contains("| `ftruncate/00.t` | 25, 26 | TODO Linux |"),
            "{text}"
        );
        assert!(
            text.contains("| master ng / mount * | `ftruncate/00.t` | 24, 30 | ng refuses it |"),
            "{text}"
        );
    }

    #[test]
    fn a_stale_entry_is_named_even_without_regressions() {
        let cases = [(24, Outcome::Passed), (30, Outcome::Passed)];
        let baseline = run(Setup::baseline(), &cases);
        let ng = run(Setup::with(Flavor::Ng, Flavor::Mfs), &cases);
        let known: Vec<_> = KNOWN.iter().collect();
        let comparison = compare(&baseline.result, &ng.result, &known);
        let text = section(&[baseline, ng], &[comparison], KNOWN, &notes());
        assert!(
            text.contains(
                "mfsmount:\nnone.\n\nThe known difference for `ftruncate/00.t` cases 24, 30 \
                 did not show: remove it.\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn the_section_replaces_its_old_self_and_keeps_the_rest() {
        let page = "# Conformance matrix\n\n| a |\n\n## Steps\n\n- x\n";
        let first = with_section(page, "## POSIX suite (pjdfstest)\n\nold\n");
        assert_eq!(
            first,
            "# Conformance matrix\n\n| a |\n\n## Steps\n\n- x\n\n## POSIX suite (pjdfstest)\n\nold\n"
        );
        assert_eq!(
            section_of(&first),
            Some("## POSIX suite (pjdfstest)\n\nold\n")
        );
        let second = with_section(&first, "## POSIX suite (pjdfstest)\n\nnew\n");
        assert_eq!(second, first.replace("old", "new"));
        assert_eq!(section_of(page), None);
        assert_eq!(with_section("", "S\n"), "S\n");
    }
}
