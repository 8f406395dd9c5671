//! `mooseng-master`: the metadata server daemon.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use mooseng_master::allocator::TRIM_EVERY;
use mooseng_master::chunks::{ChunkConfig, ChunkService};
use mooseng_master::client::Master;
use mooseng_master::config::Config;
use mooseng_master::cslink::{self, LinkConfig};
use mooseng_master::exports::{Exports, UserDb};
use mooseng_master::meta::SnapshotPolicy;
use mooseng_master::metrics;
use mooseng_master::server::{self, Limits};
use mooseng_master::session::Sessions;
use mooseng_master::store::{MetadataStore, Opened};
use mooseng_observe::{Endpoint, Registry};
use tokio::net::TcpListener;
use tokio::signal::unix::{signal, SignalKind};
use tracing_subscriber::EnvFilter;

/// MooseNG metadata server, compatible with MooseFS 3.0.117 clients.
///
/// Settings come from defaults, then the config file, then
/// MOOSENG_MASTER_<KEY> environment variables, then these flags.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// TOML configuration file.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Address for mounts and tools [default: 0.0.0.0:9421].
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Address chunkservers register on [default: 0.0.0.0:9420].
    #[arg(long)]
    listen_chunkservers: Option<SocketAddr>,
    /// mfsexports.cfg to enforce [default: MooseFS's shipped rules].
    #[arg(long)]
    exports: Option<PathBuf>,
    /// Metadata directory: the log and snapshots.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Address of the HTTP /health and /metrics endpoint [default: off].
    #[arg(long)]
    metrics: Option<SocketAddr>,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    let config = match load_config(cli) {
        Ok(config) => config,
        Err(error) => {
            tracing::error!("{error}");
            return ExitCode::FAILURE;
        }
    };
    if !mooseng_master::allocator::fix_mmap_threshold() {
        tracing::warn!("cannot fix the allocator's mmap threshold; freed memory may be kept");
    }
    // Before the runtime starts: Linux keeps the nice level per thread,
    // and new threads inherit their creator's.
    if let Err(error) = rustix::process::setpriority_process(None, config.nice_level) {
        tracing::warn!(level = config.nice_level, %error, "cannot set the nice level");
    }
    if let Err(error) = mooseng_master::allocator::trim_periodically(TRIM_EVERY) {
        tracing::warn!(%error, "cannot start giving free memory back");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!(%error, "cannot start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            ExitCode::FAILURE
        }
    }
}

fn load_config(cli: Cli) -> Result<Config, String> {
    let mut config =
        Config::load(cli.config.as_deref(), std::env::vars()).map_err(|e| e.to_string())?;
    if let Some(listen) = cli.listen {
        config.listen = listen;
    }
    if let Some(listen) = cli.listen_chunkservers {
        config.listen_chunkservers = listen;
    }
    if let Some(exports) = cli.exports {
        config.exports = Some(exports);
    }
    if let Some(data_dir) = cli.data_dir {
        config.data_dir = data_dir;
    }
    if cli.metrics.is_some() {
        config.metrics = cli.metrics;
    }
    Ok(config)
}

async fn run(config: Config) -> Result<(), String> {
    let exports = match &config.exports {
        Some(path) => Exports::load(path, &UserDb::from_host()).map_err(|e| e.to_string())?,
        None => {
            tracing::info!("no exports file given: using MooseFS's default rules");
            Exports::moosefs_default()
        }
    };
    let group = config.group()?;
    let fresh_meta_id = match group.meta_id() {
        Some(shared) => shared,
        None => {
            let mut drawn = [0u8; 8];
            getrandom::getrandom(&mut drawn)
                .map_err(|e| format!("no randomness for the metadata id: {e}"))?;
            u64::from_be_bytes(drawn)
        }
    };
    let policy = SnapshotPolicy {
        every_entries: config.snapshot_every.max(1),
    };
    let Opened {
        store,
        chunks,
        meta_id,
    } = MetadataStore::open_in(&config.data_dir, policy, fresh_meta_id, &group)
        .await
        .map_err(|e| format!("cannot open the metadata: {e}"))?;
    let chunk_count = chunks.len();
    let (chunks, chunk_entries) = ChunkService::new(
        chunks,
        ChunkConfig {
            meta_id,
            limits: config.chunk_limits(),
            ..ChunkConfig::default()
        },
    );
    chunks.set_classes(store.read().await.classes().clone());
    let master = Arc::new(Master {
        store,
        sessions: Sessions::default(),
        exports,
        chunks: Arc::clone(&chunks),
        metaid: meta_id,
        metrics: Default::default(),
        charts: Default::default(),
        topology: load_topology(config.topology.as_deref()),
    });
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let cs_listener = TcpListener::bind(config.listen_chunkservers)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen_chunkservers))?;
    if let Some(addr) = config.metrics {
        serve_metrics(&master, addr).await?;
    }
    let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
    tracing::info!(
        listen = %config.listen,
        listen_chunkservers = %config.listen_chunkservers,
        data_dir = %config.data_dir.display(),
        chunks = chunk_count,
        "serving clients and chunkservers"
    );
    let journal = tokio::spawn({
        let master = Arc::clone(&master);
        async move { master.store.journal_chunks(chunk_entries).await }
    });
    let link = tokio::spawn(cslink::serve(
        cs_listener,
        Arc::clone(&chunks),
        LinkConfig::default(),
    ));
    let maintenance = tokio::spawn(Arc::clone(&chunks).run_maintenance());
    let elections = tokio::spawn(mooseng_master::leadership::follow_elections(Arc::clone(
        &master,
    )));
    let limits = Limits {
        max_connections: config.max_connections,
        keepalive: Duration::from_millis(config.keepalive_ms.max(1)),
    };
    let shutdown = async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM received"),
            _ = int.recv() => tracing::info!("SIGINT received"),
        }
    };
    let trash = tokio::spawn({
        let master = Arc::clone(&master);
        async move { mooseng_master::client::empty_trash_forever(&master).await }
    });
    let expiry = tokio::spawn({
        let master = Arc::clone(&master);
        let sustain = Duration::from_secs(config.session_sustain_time);
        async move { mooseng_master::client::expire_sessions_forever(&master, sustain).await }
    });
    let archive = tokio::spawn({
        let master = Arc::clone(&master);
        async move { mooseng_master::client::archive_due_forever(&master).await }
    });
    let charts = tokio::spawn({
        let master = Arc::clone(&master);
        async move { mooseng_master::client::record_charts_forever(&master).await }
    });
    server::serve(listener, Arc::clone(&master), limits, shutdown).await;
    for task in [trash, expiry, archive, charts] {
        task.abort();
        let _ = task.await;
    }
    // Clients are gone: stop planning and stop accepting chunkservers. Their
    // connections end with the runtime when `run` returns.
    maintenance.abort();
    elections.abort();
    link.abort();
    let _ = maintenance.await;
    let _ = elections.await;
    let _ = link.await;
    drop(chunks);
    journal.abort();
    let _ = journal.await;
    master.store.shutdown().await;
    tracing::info!("stopped");
    Ok(())
}

/// Serves `/health` and `/metrics` on `addr` for as long as the process
/// runs: they stay useful while the client listener drains.
async fn serve_metrics(master: &Arc<Master>, addr: SocketAddr) -> Result<(), String> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot serve metrics on {addr}: {e}"))?;
    tracing::info!(metrics = %addr, "serving /health and /metrics");
    let mut registry = Registry::with_prefix(metrics::PREFIX);
    master.metrics.register(&mut registry);
    let (for_health, for_refresh) = (Arc::clone(master), Arc::clone(master));
    let for_role = Arc::clone(master);
    let endpoint = Endpoint::new(registry, move || metrics::health(&for_health))
        .with_detail(move || metrics::role(&for_role))
        .with_refresh(move || metrics::refresh(&for_refresh));
    tokio::spawn(mooseng_observe::serve(
        listener,
        Arc::new(endpoint),
        std::future::pending(),
    ));
    Ok(())
}

/// The racks of `path`; none (every address in one rack) when no file is
/// given or it cannot be read, as mfsmaster carries on without one.
fn load_topology(path: Option<&std::path::Path>) -> mooseng_master::topology::Topology {
    let Some(path) = path else {
        return Default::default();
    };
    match mooseng_master::topology::Topology::load(path) {
        Ok(topology) => topology,
        Err(error) => {
            tracing::warn!(path = %path.display(), %error, "no network topology");
            Default::default()
        }
    }
}
