//! The `matrix` subcommand's flags, progress output and page writing.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::Context;
use mooseng_conformance::matrix::{self, workload, Cell, Network, RunNotes, KNOWN_FAILURES};
use mooseng_conformance::pjdfstest;

/// Flags of `mooseng-conformance matrix`.
#[derive(Debug, clap::Args)]
pub struct MatrixArgs {
    /// Size of the large file in MiB.
    #[arg(long, default_value_t = 1024, conflicts_with = "quick")]
    big_file_mib: u64,
    /// CI size: a 128 MiB large file.
    #[arg(long)]
    quick: bool,
    /// Run only these cells (CLIENT-MASTER-CHUNKSERVERS, e.g. mfs-mfs-mixed);
    /// all twelve by default.
    #[arg(long = "cell", value_name = "CELL")]
    cells: Vec<Cell>,
    /// Prefix of the cells' network namespaces and links (at most 6
    /// characters; a cell adds its two-digit number).
    #[arg(long, default_value = "mfsmx", value_parser = prefix)]
    net_prefix: String,
    /// The third byte X of the first cell's subnet 10.233.X.0/24; cell n
    /// uses X+n. Another prefix and X keep two runs on one host apart.
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u8).range(0..=244))]
    net_first: u8,
    /// Where each cell's cluster keeps its state, one directory per cell.
    #[arg(long, default_value = "/run/mooseng-matrix")]
    state_dir: PathBuf,
    /// The Markdown page to write.
    #[arg(long, default_value = "docs/conformance.md")]
    output: PathBuf,
}

/// Runs the matrix; returns whether every cell met its expectation.
pub fn run(args: &MatrixArgs) -> anyhow::Result<bool> {
    let cells = if args.cells.is_empty() {
        Cell::all()
    } else {
        args.cells.clone()
    };
    let big_file_bytes = if args.quick { 128 } else { args.big_file_mib } << 20;
    let start = Instant::now();
    let network = Network {
        prefix: args.net_prefix.clone(),
        first: args.net_first,
    };
    let rows = matrix::run_matrix(
        &cells,
        &network,
        &args.state_dir,
        big_file_bytes,
        |cell, step| {
            eprintln!(
                "[{:>6.1} s] {}: {step}",
                start.elapsed().as_secs_f64(),
                cell.id()
            );
        },
    );
    let table = matrix::table(&rows);
    print!("{table}");
    let notes = RunNotes {
        date: now()?,
        command: std::env::args().collect::<Vec<_>>().join(" "),
        big_file_bytes,
    };
    let page = matrix::page(&rows, &notes, KNOWN_FAILURES, &workload::all_steps());
    let page = with_kept_pjdfstest_section(&args.output, page)?;
    std::fs::write(&args.output, page)
        .with_context(|| format!("write {}", args.output.display()))?;
    eprintln!("wrote {}", args.output.display());
    Ok(!rows.iter().any(|r| r.verdict.is_failure()))
}

/// A namespace prefix short enough for `mooseng-cluster`'s names.
fn prefix(text: &str) -> Result<String, String> {
    if text.is_empty() || text.len() > 6 || !text.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err("1 to 6 letters or digits".into());
    }
    Ok(text.to_owned())
}

/// `page`, followed by the pjdfstest section of the page at `path` if it
/// has one: the two commands write one page, each its own part.
fn with_kept_pjdfstest_section(path: &Path, page: String) -> anyhow::Result<String> {
    let old = match std::fs::read_to_string(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(page),
        read => read.with_context(|| format!("read {}", path.display()))?,
    };
    Ok(match pjdfstest::page::section_of(&old) {
        Some(section) => pjdfstest::page::with_section(&page, section),
        None => page,
    })
}

/// The current UTC time, as `date` prints it.
pub fn now() -> anyhow::Result<String> {
    let out = Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .context("run date")?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}
