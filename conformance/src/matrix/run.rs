//! Running one cell: bring its cluster up, run its steps, and always take
//! it down again, whatever happened.

use std::path::Path;
use std::time::Duration;

use mooseng_tools::cluster::UpOptions;
use mooseng_tools::config::Replication;
use mooseng_tools::role::find_program;
use mooseng_tools::{mounts, process, Flavor, Layout, Role};

use super::cell::{Cell, Network};
use super::env::Env;
use super::step::{run_steps, Outcome};
use super::workload::steps_for;

/// How long `up` waits for a cell's cluster to serve files.
const UP_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs `cell` with its state under `root/<cell id>` and its cluster in
/// `network`; `progress` hears the name of each step as it starts.
pub fn run_cell(
    cell: &Cell,
    network: &Network,
    root: &Path,
    big_file_bytes: u64,
    mut progress: impl FnMut(&str),
) -> Outcome {
    if let Some(program) = missing_program(cell) {
        return Outcome::NotBuilt { program };
    }
    let layout = Layout::new(root.join(cell.id()));
    // A run that was killed may have left this cell's cluster up.
    if let Err(error) = mooseng_tools::down(&layout) {
        return Outcome::failed(0, "cluster_up", &error.into());
    }
    progress("cluster_up");
    let options = UpOptions {
        master: cell.master,
        chunkservers: cell.chunkservers.flavors(),
        metalogger: None,
        mount: cell.client,
        mounts: 2,
        mountpoint: None,
        prefix: cell.prefix(network),
        subnet: cell.subnet(network),
        root_export: mooseng_tools::config::DEFAULT_ROOT_EXPORT.into(),
        timeout: UP_TIMEOUT,
    };
    // Quick replication: goal_change waits for the copies.
    let state = match mooseng_tools::up_with(&layout, &options, Replication::Quick) {
        Ok(state) => state,
        Err(error) => return Outcome::failed(0, "cluster_up", &error.into()),
    };
    let mount = |n| {
        state
            .processes
            .iter()
            .find(|m| m.role == Role::Mount(n))
            .and_then(|m| m.mountpoint.clone())
    };
    let (Some(first), Some(second)) = (mount(1), mount(2)) else {
        let outcome = Outcome::failed(
            0,
            "cluster_up",
            &anyhow::anyhow!("the cluster has no two mounts"),
        );
        return with_teardown(
            outcome,
            mooseng_tools::down(&layout).map(drop).map_err(Into::into),
        );
    };
    let master = Role::Master.address(&state.subnet);
    let mut env = Env {
        cell: *cell,
        layout,
        state,
        master,
        work: first.join("matrix"),
        other: second.join("matrix"),
        big_file_bytes,
        meta: None,
    };
    let steps = steps_for(cell);
    let outcome = match std::fs::create_dir(&env.work) {
        Ok(()) => run_steps(&steps, &mut env, &mut progress),
        Err(error) => Outcome::failed(
            0,
            "cluster_up",
            &anyhow::Error::from(error).context("mkdir matrix"),
        ),
    };
    progress("teardown");
    with_teardown(outcome, teardown(&env))
}

/// Folds the result of taking the cluster down into the cell's outcome: a
/// failed teardown fails a cell that passed every step, and is added to
/// the error of a cell that failed, so no failure goes unreported.
fn with_teardown(outcome: Outcome, teardown: anyhow::Result<()>) -> Outcome {
    let Err(teardown) = teardown else {
        return outcome;
    };
    match outcome {
        Outcome::Passed { steps } => Outcome::failed(steps, "teardown", &teardown),
        Outcome::Failed {
            passed,
            step,
            error,
        } => Outcome::Failed {
            passed,
            step,
            error: format!("{error}; teardown failed too: {teardown:#}"),
        },
        not_built @ Outcome::NotBuilt { .. } => not_built,
    }
}

/// The first MooseNG program the cell needs that is not built.
fn missing_program(cell: &Cell) -> Option<String> {
    cell.programs()
        .into_iter()
        .filter(|(_, flavor)| *flavor == Flavor::Ng)
        .map(|(role, flavor)| role.program(flavor))
        .find(|name| find_program(name).is_none())
        .map(str::to_owned)
}

/// Unmounts the meta mount if a step made one, then takes the cluster down.
fn teardown(env: &Env) -> anyhow::Result<()> {
    if let Some(meta) = &env.meta {
        let unmounted = mounts::unmount(&meta.path);
        process::stop_all(&[meta.process], Duration::from_secs(5));
        unmounted?;
    }
    mooseng_tools::down(&env.layout)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed() -> Outcome {
        Outcome::Failed {
            passed: 2,
            step: "rename".into(),
            error: "no such file".into(),
        }
    }

    #[test]
    fn a_clean_teardown_keeps_the_outcome() {
        assert_eq!(with_teardown(failed(), Ok(())), failed());
        let passed = Outcome::Passed { steps: 5 };
        assert_eq!(with_teardown(passed.clone(), Ok(())), passed);
    }

    #[test]
    fn a_failed_teardown_is_never_dropped() {
        let busy = || Err(anyhow::anyhow!("target is busy"));
        assert_eq!(
            with_teardown(Outcome::Passed { steps: 5 }, busy()),
            Outcome::Failed {
                passed: 5,
                step: "teardown".into(),
                error: "target is busy".into(),
            }
        );
        assert_eq!(
            with_teardown(failed(), busy()),
            Outcome::Failed {
                passed: 2,
                step: "rename".into(),
                error: "no such file; teardown failed too: target is busy".into(),
            }
        );
    }
}
