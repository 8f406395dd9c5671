//! The `pjdfstest` subcommand's flags, progress output and page writing.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use mooseng_conformance::pjdfstest::{self, page, suite, Setup, Suite};
use mooseng_tools::config::DEFAULT_ROOT_EXPORT;
use mooseng_tools::{Flavor, Subnet};

/// Flags of `mooseng-conformance pjdfstest`.
#[derive(Debug, clap::Args)]
pub struct PjdfstestArgs {
    /// A cluster to run the suite on, MASTER/CHUNKSERVERS/MOUNT with one
    /// flavor (mfs or ng) per chunkserver, e.g. ng/mfs,mfs,mfs/mfs; may be
    /// repeated. The first is the baseline the others are compared with.
    /// Default: mfs/mfs,mfs,mfs/mfs, ng/mfs,mfs,mfs/mfs, mfs/mfs,mfs,mfs/ng.
    #[arg(long = "config", value_name = "MASTER/CHUNKSERVERS/MOUNT")]
    configs: Vec<Setup>,
    /// Leave out this test file (relative to the suite's tests/, e.g.
    /// chown/00.t, the slowest); may be repeated.
    #[arg(long = "skip", value_name = "FILE")]
    skip: Vec<String>,
    /// Where the suite is built and each cluster keeps its state.
    #[arg(long, default_value = "/run/mooseng-pjdfstest")]
    state_dir: PathBuf,
    /// Start of every bridge, namespace and veth name (at most 8
    /// characters).
    #[arg(long, default_value = "pjdfs")]
    prefix: String,
    /// Subnet of the clusters, which run one after the other.
    #[arg(long, default_value = "10.233.230.0/24")]
    subnet: Subnet,
    /// Options of the master's `/` export.
    #[arg(long, default_value = DEFAULT_ROOT_EXPORT)]
    root_export: String,
    /// Minutes one setup's run of the suite may take.
    #[arg(long, default_value_t = 30)]
    timeout_minutes: u64,
    /// The pjdfstest source to build.
    #[arg(long, default_value_os_t = suite::vendored_source())]
    source: PathBuf,
    /// Write the results as the pjdfstest section of this page, keeping the
    /// rest of it (docs/conformance.md).
    #[arg(long)]
    output: Option<PathBuf>,
}

/// Runs the comparison; returns whether no setup regressed unexpectedly.
pub fn run(args: &PjdfstestArgs) -> anyhow::Result<bool> {
    let setups = if args.configs.is_empty() {
        vec![
            Setup::baseline(),
            Setup::with(Flavor::Ng, Flavor::Mfs),
            Setup::with(Flavor::Mfs, Flavor::Ng),
        ]
    } else {
        args.configs.clone()
    };
    let skip = args.skip.clone();
    eprintln!("building pjdfstest from {}", args.source.display());
    let suite = Suite::build(&args.source, &args.state_dir.join("suite"))?;
    let files = suite.files(&skip)?.len();
    let options = pjdfstest::RunOptions {
        state_dir: args.state_dir.clone(),
        prefix: args.prefix.clone(),
        subnet: args.subnet,
        root_export: args.root_export.clone(),
        timeout: Duration::from_secs(args.timeout_minutes * 60),
        skip: skip.clone(),
    };
    let report = pjdfstest::run_and_compare(&setups, &suite, &options, |setup| {
        eprintln!("running {files} test files on {setup}");
    })?;
    let notes = page::PageNotes {
        date: crate::matrix_cli::now()?,
        command: std::env::args().collect::<Vec<_>>().join(" "),
        files,
        skipped: skip,
        root_export: args.root_export.clone(),
    };
    let section = page::section(
        &report.runs,
        &report.comparisons,
        pjdfstest::KNOWN_DIFFERENCES,
        &notes,
    );
    print!("{section}");
    if let Some(output) = &args.output {
        let old = match std::fs::read_to_string(output) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            read => read.with_context(|| format!("read {}", output.display()))?,
        };
        std::fs::write(output, page::with_section(&old, &section))
            .with_context(|| format!("write {}", output.display()))?;
        eprintln!("wrote {}", output.display());
    }
    Ok(!report.is_failure())
}
