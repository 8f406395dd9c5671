//! `mooseng-chunkserver`: serves chunks to MooseFS 3.0.117 masters and
//! clients.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use mooseng_chunkserver::config::{Config, Overrides};
use mooseng_chunkserver::daemon;
use tracing_subscriber::EnvFilter;

/// A MooseFS 3.0.117 compatible chunkserver. Settings come from built-in
/// defaults, then `--config`, then `MOOSENG_CHUNKSERVER_<KEY>` variables,
/// then these flags.
#[derive(Debug, Parser)]
#[command(name = "mooseng-chunkserver", version)]
struct Cli {
    /// Master address HOST:PORT (repeat for several masters).
    #[arg(long = "master", value_name = "HOST:PORT")]
    masters: Vec<String>,
    /// Address for clients and other chunkservers [default: 0.0.0.0:9422].
    #[arg(long, value_name = "ADDR:PORT")]
    listen: Option<SocketAddr>,
    /// Data folder (repeat for several); a leading `*` marks it for removal.
    #[arg(long = "data", value_name = "DIR")]
    data: Vec<String>,
    /// TOML configuration file.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Labels of this server, letters A..Z (e.g. `AB`).
    #[arg(long)]
    labels: Option<String>,
    /// Serve `/health` and `/metrics` over HTTP here [default: off].
    #[arg(long, value_name = "ADDR:PORT")]
    metrics: Option<SocketAddr>,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let flags = Overrides {
        masters: cli.masters,
        listen: cli.listen,
        data: cli.data,
        labels: cli.labels,
        metrics: cli.metrics,
    };
    let config = match Config::layered(cli.config.as_deref(), std::env::vars(), flags) {
        Ok(config) => config,
        Err(err) => {
            tracing::error!("configuration: {err:#}");
            return ExitCode::from(2);
        }
    };
    // Before the runtime starts: Linux keeps the nice level per thread,
    // and new threads inherit their creator's.
    if let Err(err) = rustix::process::setpriority_process(None, config.nice_level) {
        tracing::warn!(
            level = config.nice_level,
            "cannot set the nice level: {err}"
        );
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            tracing::error!("cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(daemon::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err:#}");
            ExitCode::FAILURE
        }
    }
}
