//! The matrix as Markdown: the table printed after a run, and the page
//! docs/conformance.md built around it.

use std::fmt::Write;

use super::cell::Cell;
use super::known::{KnownFailure, Verdict};
use super::step::{Outcome, Step};

/// One row: a cell, what happened and how that compares with expectations.
#[derive(Debug, Clone)]
pub struct Row {
    pub cell: Cell,
    pub outcome: Outcome,
    pub verdict: Verdict,
    /// How many steps the cell has (for `passed/total`).
    pub steps: usize,
}

/// Makes `text` fit in one Markdown table cell: one line, no bare `|`.
fn cell_text(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

fn result(row: &Row) -> &'static str {
    match row.verdict {
        Verdict::Pass => "pass",
        Verdict::Known(_) => "FAIL (known)",
        Verdict::Unexpected => "FAIL",
        Verdict::Fixed(_) => "pass (listed as known failure: remove the entry)",
        Verdict::NotBuilt => "not built",
    }
}

/// The table of every row.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| client | master | chunkservers | result | steps passed | first failing step | error |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for row in rows {
        let (passed, step, error) = match &row.outcome {
            Outcome::Passed { steps } => (
                format!("{steps}/{}", row.steps),
                String::new(),
                String::new(),
            ),
            Outcome::Failed {
                passed,
                step,
                error,
            } => (
                format!("{passed}/{}", row.steps),
                format!("`{step}`"),
                cell_text(error),
            ),
            Outcome::NotBuilt { program } => {
                ("-".to_owned(), String::new(), format!("no `{program}`"))
            }
        };
        let (client, master) = (row.cell.client_program(), row.cell.master_program());
        let _ = writeln!(
            out,
            "| {client} | {master} | {} | {} | {passed} | {step} | {error} |",
            row.cell.chunkservers,
            result(row),
        );
    }
    out
}

/// What the page says about how the matrix was produced.
#[derive(Debug, Clone)]
pub struct RunNotes {
    pub date: String,
    pub command: String,
    pub big_file_bytes: u64,
}

/// docs/conformance.md: how it was made, the table, the known failures and
/// what each step checks.
pub fn page<E>(
    rows: &[Row],
    notes: &RunNotes,
    known: &[KnownFailure],
    steps: &[Step<E>],
) -> String {
    let mut out = String::from("# Conformance matrix\n\n");
    out.push_str(
        "Every combination of client x master x chunkservers runs the same \
         workload on a fresh cluster from `mooseng-cluster` (three \
         chunkservers, two mounts). A cell stops at its first failing step. \
         `FAIL (known)` is a failure listed below; any other `FAIL` makes \
         the run exit non-zero. Regenerate with the command below (as root); \
         CI runs it with `--quick` (a 128 MiB large file) after the tests. \
         The last section, the POSIX suite pjdfstest, comes from \
         `mooseng-conformance pjdfstest`; regenerating the matrix keeps it.\n\n",
    );
    let _ = writeln!(out, "- Date: {}", notes.date);
    let _ = writeln!(out, "- Command: `{}`", notes.command);
    let _ = writeln!(
        out,
        "- Large file: {} MiB, goal 2\n",
        notes.big_file_bytes >> 20
    );
    out.push_str(&table(rows));
    out.push_str("\n## Known failures\n\n");
    if known.is_empty() {
        out.push_str("None: every built cell is expected to pass.\n");
    } else {
        out.push_str("| cells | step | reason |\n|---|---|---|\n");
        for k in known {
            let _ = writeln!(
                out,
                "| {} | `{}` | {} |",
                k.cells.describe(),
                k.step,
                cell_text(k.reason)
            );
        }
    }
    out.push_str(
        "\n## Steps\n\nIn the order they run (`cluster_up` comes first, `teardown` last).\n\n",
    );
    for step in steps {
        let _ = writeln!(out, "- `{}`: {}", step.name, step.checks);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::cell::Chunkservers;
    use mooseng_tools::Flavor;

    fn row(outcome: Outcome, verdict: Verdict) -> Row {
        Row {
            cell: Cell {
                client: Flavor::Ng,
                master: Flavor::Mfs,
                chunkservers: Chunkservers::Mixed,
            },
            outcome,
            verdict,
            steps: 20,
        }
    }

    #[test]
    fn rows_show_result_progress_and_first_failure() {
        let text = table(&[
            row(Outcome::Passed { steps: 20 }, Verdict::Pass),
            row(
                Outcome::Failed {
                    passed: 4,
                    step: "rename".into(),
                    error: "a|b\nc".into(),
                },
                Verdict::Unexpected,
            ),
            row(
                Outcome::NotBuilt {
                    program: "mooseng-master".into(),
                },
                Verdict::NotBuilt,
            ),
        ]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5);
        assert_eq!(
            lines[2],
            "| mooseng-mount | mfsmaster | mfs,ng,ng | pass | 20/20 |  |  |"
        );
        assert_eq!(
            lines[3],
            "| mooseng-mount | mfsmaster | mfs,ng,ng | FAIL | 4/20 | `rename` | a\\|b c |"
        );
        assert!(lines[4].contains("| not built | - |  | no `mooseng-master` |"));
    }

    #[test]
    fn page_has_notes_table_and_steps() {
        fn noop(_: &mut ()) -> anyhow::Result<()> {
            Ok(())
        }
        let steps = [Step {
            name: "create",
            checks: "files appear",
            run: noop,
        }];
        let notes = RunNotes {
            date: "2025-01-02".into(),
            command: "mooseng-conformance matrix --quick".into(),
            big_file_bytes: 128 << 20,
        };
        let text = page(
            &[row(Outcome::Passed { steps: 1 }, Verdict::Pass)],
            &notes,
            &[],
            &steps,
        );
        assert!(text.contains("- Date: 2025-01-02\n"), "{text}");
        assert!(
            text.contains("`mooseng-conformance matrix --quick`"),
            "{text}"
        );
        assert!(text.contains("- Large file: 128 MiB, goal 2"), "{text}");
        assert!(text.contains("- `create`: files appear\n"), "{text}");
        assert!(text.contains("None: every built cell"), "{text}");
    }
}
