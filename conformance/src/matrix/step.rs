//! Step bookkeeping: a cell runs its named steps in order and stops at the
//! first one that fails, so its result names exactly one step.

/// One named step of the workload, run against some environment `E`.
#[derive(Debug)]
pub struct Step<E> {
    /// Name shown in the table, the name of the function that runs it.
    pub name: &'static str,
    /// What it checks, for docs/conformance.md.
    pub checks: &'static str,
    pub run: fn(&mut E) -> anyhow::Result<()>,
}

/// What became of a cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every one of `steps` steps passed.
    Passed { steps: usize },
    /// `step` failed with `error` after `passed` steps had passed.
    Failed {
        passed: usize,
        step: String,
        error: String,
    },
    /// A MooseNG program the cell needs is not built, so it did not run.
    NotBuilt { program: String },
}

impl Outcome {
    /// A failure of `step`, the error with its causes on one line.
    pub fn failed(passed: usize, step: &str, error: &anyhow::Error) -> Outcome {
        Outcome::Failed {
            passed,
            step: step.to_owned(),
            error: format!("{error:#}"),
        }
    }
}

/// Runs `steps` in order on `env` until one fails, telling `progress`
/// each step's name before it runs.
pub fn run_steps<E>(steps: &[Step<E>], env: &mut E, mut progress: impl FnMut(&str)) -> Outcome {
    for (passed, step) in steps.iter().enumerate() {
        progress(step.name);
        if let Err(error) = (step.run)(env) {
            return Outcome::failed(passed, step.name, &error);
        }
    }
    Outcome::Passed { steps: steps.len() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(log: &mut Vec<&'static str>) -> anyhow::Result<()> {
        log.push("count");
        Ok(())
    }

    fn fail(log: &mut Vec<&'static str>) -> anyhow::Result<()> {
        log.push("fail");
        Err(anyhow::anyhow!("inner cause")).map_err(|e| e.context("outer"))
    }

    fn step(
        name: &'static str,
        run: fn(&mut Vec<&'static str>) -> anyhow::Result<()>,
    ) -> Step<Vec<&'static str>> {
        Step {
            name,
            checks: "",
            run,
        }
    }

    #[test]
    fn stops_at_the_first_failure() {
        let steps = [step("a", count), step("b", fail), step("c", count)];
        let mut log = Vec::new();
        let mut announced = Vec::new();
        let outcome = run_steps(&steps, &mut log, |name| announced.push(name.to_owned()));
        assert_eq!(
            outcome,
            Outcome::Failed {
                passed: 1,
                step: "b".into(),
                error: "outer: inner cause".into()
            }
        );
        assert_eq!(log, ["count", "fail"]);
        assert_eq!(announced, ["a", "b"]);
    }

    #[test]
    fn counts_every_passed_step() {
        let steps = [step("a", count), step("b", count)];
        let mut log = Vec::new();
        assert_eq!(
            run_steps(&steps, &mut log, |_| {}),
            Outcome::Passed { steps: 2 }
        );
        assert_eq!(log.len(), 2);
    }
}
