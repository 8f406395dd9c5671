//! Reading what `prove -r -v` prints: a line naming each test file, the
//! file's TAP lines (`1..N`, `ok N`, `not ok N - ...`), and a closing
//! summary (`Files=238, Tests=8798, ...`), which the parse is checked
//! against.

use std::collections::BTreeMap;

use super::results::{FileResult, Outcome, SuiteResult};

/// The output did not read as prove's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("line {line}: a test result before any test file: {text}")]
    NoFile { line: usize, text: String },
    #[error("prove counted {prove} test results, {parsed} were read")]
    CountMismatch { prove: usize, parsed: usize },
}

/// Parses prove's verbose output. `tests_dir` is the directory given to
/// prove (without a trailing `/`); files are named relative to it. A case
/// a file planned (`1..N`) but never reported is [`Outcome::not_run`], so
/// a file that died half-way counts every case it skipped as failed.
pub fn parse(output: &str, tests_dir: &str) -> Result<SuiteResult, ParseError> {
    let mut suite = SuiteResult::default();
    let mut current: Option<OpenFile> = None;
    let mut read = 0;
    let mut prove_total = None;
    for (index, line) in output.lines().enumerate() {
        if let Some(path) = file_header(line) {
            if let Some(done) = current.take() {
                done.close(&mut suite);
            }
            let name = path
                .strip_prefix(tests_dir)
                .map_or(path, |rest| rest.trim_start_matches('/'));
            current = Some(OpenFile::new(name));
            continue;
        }
        if let Some(total) = summary_total(line) {
            prove_total = Some(total);
            continue;
        }
        let Some(tap) = tap_line(line) else {
            continue;
        };
        let file = current.as_mut().ok_or_else(|| ParseError::NoFile {
            line: index + 1,
            text: line.to_owned(),
        })?;
        match tap {
            Tap::Plan(n) => file.plan = Some(n),
            Tap::Result { number, outcome } => {
                read += 1;
                file.cases.insert(number, outcome);
            }
        }
    }
    if let Some(done) = current {
        done.close(&mut suite);
    }
    match prove_total {
        Some(prove) if prove != read => Err(ParseError::CountMismatch {
            prove,
            parsed: read,
        }),
        _ => Ok(suite),
    }
}

/// A test file whose lines are being read.
struct OpenFile {
    name: String,
    plan: Option<u32>,
    cases: BTreeMap<u32, Outcome>,
}

impl OpenFile {
    fn new(name: &str) -> OpenFile {
        OpenFile {
            name: name.to_owned(),
            plan: None,
            cases: BTreeMap::new(),
        }
    }

    /// Adds the file to `suite`, its planned but missing cases not run.
    fn close(mut self, suite: &mut SuiteResult) {
        for number in 1..=self.plan.unwrap_or(0) {
            self.cases.entry(number).or_insert_with(Outcome::not_run);
        }
        suite
            .files
            .insert(self.name, FileResult { cases: self.cases });
    }
}

/// `path/to/file.t ....... `: the line prove prints as a file starts.
fn file_header(line: &str) -> Option<&str> {
    let (path, dots) = line.trim_end().rsplit_once(' ')?;
    let is_dots = !dots.is_empty() && dots.bytes().all(|b| b == b'.');
    (is_dots && path.ends_with(".t")).then_some(path)
}

/// The test count of prove's closing `Files=N, Tests=N, ...` line.
fn summary_total(line: &str) -> Option<usize> {
    let rest = line.strip_prefix("Files=")?;
    let (_, tests) = rest.split_once(", Tests=")?;
    let digits: String = tests.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// One TAP line of a test file.
#[derive(Debug, PartialEq, Eq)]
enum Tap {
    Plan(u32),
    Result { number: u32, outcome: Outcome },
}

/// A plan, or a numbered result. pjdfstest numbers every result; a bare
/// `ok` is prove's verdict on a whole file, not a result.
fn tap_line(line: &str) -> Option<Tap> {
    if let Some(count) = line
        .strip_prefix("1..")
        .map(|rest| rest.split_whitespace().next().unwrap_or(""))
    {
        return count.parse().ok().map(Tap::Plan);
    }
    let (passed, rest) = if let Some(rest) = line.strip_prefix("ok") {
        (true, rest)
    } else {
        (false, line.strip_prefix("not ok")?)
    };
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    let rest = rest.trim_start();
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let number = rest[..digits].parse().ok()?;
    let outcome = if passed {
        Outcome::Passed
    } else {
        Outcome::Failed(failure_text(&rest[digits..]))
    };
    Some(Tap::Result { number, outcome })
}

/// What follows `not ok N`: ` - tried ...` loses its dash, ` # TODO why`
/// its hash, and a bare `not ok N` says so. Names are hidden (see
/// [`hide_names`]), so one failure reads the same in every run.
fn failure_text(rest: &str) -> String {
    let rest = rest.trim();
    let text = rest
        .strip_prefix("- ")
        .or_else(|| rest.strip_prefix("# "))
        .unwrap_or(rest);
    if text.is_empty() {
        "not ok".to_owned()
    } else {
        hide_names(text)
    }
}

/// The length of the random hex names pjdfstest makes (an MD5 sum).
const NAME_HEX: usize = 32;

/// Replaces the random names pjdfstest makes: `pjdfstest_<32 hex>` becomes
/// `NAME`, and any longer run of hex digits (the parts of its longest
/// names and paths) `HEX<length>`.
fn hide_names(text: &str) -> String {
    const PREFIX: &str = "pjdfstest_";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| c.is_ascii_hexdigit()) {
        let run = rest[start..]
            .find(|c: char| !c.is_ascii_hexdigit())
            .unwrap_or(rest.len() - start);
        out.push_str(&rest[..start]);
        let hex = &rest[start..start + run];
        if run == NAME_HEX && out.ends_with(PREFIX) {
            out.truncate(out.len() - PREFIX.len());
            out.push_str("NAME");
        } else if run > NAME_HEX {
            out.push_str(&format!("HEX{run}"));
        } else {
            out.push_str(hex);
        }
        rest = &rest[start + run..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pjdfstest::results::CaseId;

    const OUTPUT: &str = "\
/s/tests/chmod/00.t ........ 
1..3
ok 1
not ok 2 - tried 'open pjdfstest_0ec5bd286944605bd758b11e41358574 O_RDWR', expected EACCES, got 0
not ok 3 # TODO Linux doesn't clear the SGID/SUID bits
Failed 1/3 subtests 
/s/tests/link/00.t .. 
1..1
ok 1
ok
/s/tests/open/01.t ... 
1..4
ok 1
ok 2 # SKIP no chflags
Failed 2/4 subtests 
/s/tests/granular/00.t .. 
1..0 # SKIP not on Linux
skipped: not on Linux

Test Summary Report
-------------------
Files=4, Tests=6,  1 wallclock secs
Result: FAIL
";

    fn case(file: &str, number: u32) -> CaseId {
        CaseId {
            file: file.into(),
            number,
        }
    }

    #[test]
    fn reads_every_case_of_every_file() {
        let suite = parse(OUTPUT, "/s/tests").expect("parses");
        assert_eq!(
            suite.files.keys().collect::<Vec<_>>(),
            ["chmod/00.t", "granular/00.t", "link/00.t", "open/01.t"]
        );
        assert_eq!((suite.total(), suite.passed()), (8, 4));
        assert_eq!(
            suite.outcome(&case("chmod/00.t", 2)),
            Some(&Outcome::Failed(
                "tried 'open NAME O_RDWR', expected EACCES, got 0".into()
            ))
        );
        assert_eq!(
            suite.outcome(&case("chmod/00.t", 3)),
            Some(&Outcome::Failed(
                "TODO Linux doesn't clear the SGID/SUID bits".into()
            ))
        );
        assert_eq!(suite.outcome(&case("open/01.t", 2)), Some(&Outcome::Passed));
        assert!(suite.files["granular/00.t"].cases.is_empty());
    }

    #[test]
    fn planned_cases_that_never_ran_fail() {
        let suite = parse(OUTPUT, "/s/tests").expect("parses");
        assert_eq!(
            suite.outcome(&case("open/01.t", 3)),
            Some(&Outcome::not_run())
        );
        assert_eq!(
            suite.outcome(&case("open/01.t", 4)),
            Some(&Outcome::not_run())
        );
    }

    #[test]
    fn a_count_other_than_proves_is_an_error() {
        let short = OUTPUT.replace("ok 1\nnot ok 2", "not ok 2");
        assert_eq!(
            parse(&short, "/s/tests"),
            Err(ParseError::CountMismatch {
                prove: 6,
                parsed: 5
            })
        );
    }

    #[test]
    fn output_cut_short_by_a_kill_has_no_summary_to_check() {
        let cut = &OUTPUT[..OUTPUT.find("Failed 2/4").expect("in the sample")];
        let suite = parse(cut, "/s/tests").expect("parses");
        assert_eq!(suite.total(), 8);
    }

    #[test]
    fn a_result_before_any_file_is_an_error() {
        assert!(matches!(
            parse("ok 1\n", "/s/tests"),
            Err(ParseError::NoFile { line: 1, .. })
        ));
    }

    #[test]
    fn tells_results_from_other_lines() {
        assert_eq!(file_header("/a/b.t .. "), Some("/a/b.t"));
        assert_eq!(file_header("ok"), None);
        assert_eq!(file_header("/a/b.sh .. "), None);
        assert_eq!(tap_line("ok"), None);
        assert_eq!(tap_line("okay 1"), None);
        assert_eq!(tap_line("Failed 2/3 subtests"), None);
        assert_eq!(
            tap_line("not ok 7"),
            Some(Tap::Result {
                number: 7,
                outcome: Outcome::Failed("not ok".into())
            })
        );
        assert_eq!(
            hide_names("tried 'rename pjdfstest_0ec5bd286944605bd758b11e41358574 a/0ec5bd286944605bd758b11e41358574ab', got 0"),
            "tried 'rename NAME a/HEX34', got 0"
        );
        assert_eq!(
            hide_names("expected 100000000, got 0"),
            "expected 100000000, got 0"
        );
        assert_eq!(
            summary_total("Files=238, Tests=8798, 235 wallclock"),
            Some(8798)
        );
    }
}
