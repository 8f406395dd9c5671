//! Putting the pieces together: open the storage, listen on 9422, keep a
//! master link, scrub in the background, serve `/health` and `/metrics` if
//! asked, and stop cleanly on SIGTERM or SIGINT.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use mooseng_observe::{Endpoint, Registry};
use tokio::net::TcpListener;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::watch;
use tracing::{info, warn};

use crate::config::{label_mask, Config};
use crate::master::register::Identity;
use crate::master::{LinkConfig, MasterLink};
use crate::metrics;
use crate::scrub::Scrubber;
use crate::service::Service;
use crate::storage::Store;

/// How long shutdown waits for open sessions to end.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs the chunkserver until a termination signal.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let specs = config.folders();
    let (limit, fsync) = (config.folder_error_limit, config.fsync_on_finish);
    let store = tokio::task::spawn_blocking(move || Store::open(&specs, limit, fsync))
        .await
        .context("scanning data folders")?;
    let store = Arc::new(store);
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let local = listener.local_addr()?;
    info!(listen = %local, chunks = store.chunk_list().len(), "chunkserver ready");

    let (stop, stopped) = watch::channel(false);
    let service = tokio::spawn(
        Service::new(
            Arc::clone(&store),
            listener,
            config.max_connections,
            stopped.clone(),
        )
        .run(),
    );
    let identity = Identity {
        ip: match config.listen.ip() {
            IpAddr::V4(ip) => ip,
            IpAddr::V6(_) => std::net::Ipv4Addr::UNSPECIFIED,
        },
        port: local.port(),
        timeout: config.master_timeout,
        labels: label_mask(&config.labels)?,
        auth_code: config.auth_code.clone(),
        chunks_per_packet: config.chunks_per_register_packet,
    };
    let link_config = LinkConfig {
        masters: config.masters.clone(),
        identity,
        reconnect_max_delay: config.reconnect_max_delay(),
        max_replications: config.max_replications,
    };
    if let Some(addr) = config.metrics {
        serve_metrics(&store, addr, stopped.clone()).await?;
    }
    tokio::spawn(close_chart_minutes(store.metrics().charts.clone()));
    tokio::spawn(
        Scrubber::new(
            Arc::clone(&store),
            config.scrub_rate,
            config.scrub_interval(),
            stopped.clone(),
        )
        .run(),
    );
    let mut link = tokio::spawn(MasterLink::new(Arc::clone(&store), link_config, stopped).run());

    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let outcome = tokio::select! {
        _ = term.recv() => { info!("SIGTERM: stopping"); Ok(()) }
        _ = int.recv() => { info!("SIGINT: stopping"); Ok(()) }
        result = &mut link => match result {
            Ok(Err(err)) => Err(err),
            Ok(Ok(())) => Ok(()),
            Err(err) => Err(anyhow::anyhow!("master link task failed: {err}")),
        },
    };
    let _ = stop.send(true);
    if !link.is_finished() && tokio::time::timeout(STOP_TIMEOUT, &mut link).await.is_err() {
        warn!("master link did not stop in time");
    }
    if tokio::time::timeout(STOP_TIMEOUT, service).await.is_err() {
        warn!("client connections did not stop in time");
    }
    info!("chunkserver stopped");
    outcome
}

/// Starts the `/health` and `/metrics` endpoint on `addr`.
async fn serve_metrics(
    store: &Arc<Store>,
    addr: SocketAddr,
    mut stopped: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("metrics endpoint on {addr}"))?;
    info!(metrics = %listener.local_addr()?, "serving /health and /metrics");
    let mut registry = Registry::with_prefix(metrics::PREFIX);
    store.metrics().register(&mut registry);
    let (for_health, for_refresh) = (Arc::clone(store), Arc::clone(store));
    let endpoint = Endpoint::new(registry, move || metrics::health(&for_health))
        .with_refresh(move || metrics::refresh(&for_refresh));
    tokio::spawn(mooseng_observe::serve(
        listener,
        Arc::new(endpoint),
        async move {
            let _ = stopped.changed().await;
        },
    ));
    Ok(())
}

/// Closes the charts' minute on each whole minute, as mfschunkserver does.
async fn close_chart_minutes(charts: Arc<crate::charts::Charts>) {
    loop {
        tokio::time::sleep(mooseng_observe::charts::until_next_minute()).await;
        charts.close_minute(mooseng_observe::charts::minute_just_over());
    }
}
