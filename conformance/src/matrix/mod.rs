//! `mooseng-conformance matrix`: the same workload on every combination of
//! client (mfsmount, mooseng-mount), master (mfsmaster, mooseng-master) and
//! chunkservers (all MooseFS, all MooseNG, mixed), each on a fresh cluster
//! in its own network namespaces. A cell stops at its first failing step;
//! [`known`] lists the failures we expect, so a run fails exactly when
//! something else breaks. Needs root, FUSE and the MooseFS packages.

pub mod cell;
pub mod env;
pub mod known;
pub mod run;
pub mod step;
pub mod table;
pub mod workload;

use std::path::Path;

pub use cell::{Cell, Chunkservers, Network};
pub use known::{judge, Verdict, KNOWN_FAILURES};
pub use table::{page, table, Row, RunNotes};

/// Runs `cells` one after the other in `network`, telling `progress`
/// about each cell and step as it starts, and judges each against
/// [`KNOWN_FAILURES`].
pub fn run_matrix(
    cells: &[Cell],
    network: &Network,
    state_root: &Path,
    big_file_bytes: u64,
    mut progress: impl FnMut(&Cell, &str),
) -> Vec<Row> {
    cells
        .iter()
        .map(|cell| {
            let outcome = run::run_cell(cell, network, state_root, big_file_bytes, |step| {
                progress(cell, step)
            });
            Row {
                cell: *cell,
                verdict: judge(cell, &outcome, KNOWN_FAILURES),
                steps: workload::steps_for(cell).len(),
                outcome,
            }
        })
        .collect()
}
