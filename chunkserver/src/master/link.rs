//! One connection to a master at a time: connect, register, serve, and on
//! any failure try the next address after a growing pause (one second,
//! doubling up to the configured maximum; a successful registration
//! resets it). A master that redirects us to its leader is left at once.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mooseng_wire::direction::{Direction, MasterToChunkserver as In};
use mooseng_wire::{antoan, cstoma, Ctx, Frame, Message};
use tokio::sync::{mpsc, oneshot, watch, Semaphore};
use tracing::{debug, error, info, warn};

use super::commands;
use super::register::{Identity, Phase, Registration, Remembered, Step};
use crate::charts::series;
use crate::net::{self, FrameWriter};
use crate::replicate::replicate;
use crate::storage::Store;

/// How long we wait for a master to accept the TCP connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The connection timeout when the master has not told us one.
const DEFAULT_TIMEOUT: u16 = 60;
/// `HLSTATUS_DEFAULT`: let the master judge our load by the number.
const HLSTATUS_DEFAULT: u8 = 0;

/// What the link needs besides the store.
#[derive(Debug, Clone)]
pub struct LinkConfig {
    /// `host:port` of each master, tried in turn.
    pub masters: Vec<String>,
    pub identity: Identity,
    pub reconnect_max_delay: Duration,
    pub max_replications: usize,
}

/// The master connection, kept up until shutdown.
#[derive(Debug)]
pub struct MasterLink {
    store: Arc<Store>,
    config: LinkConfig,
    shutdown: watch::Receiver<bool>,
    /// Orders being carried out, reported as our load.
    load: Arc<AtomicU32>,
    replications: Arc<Semaphore>,
}

/// Why a session ended.
#[derive(Debug)]
enum Ended {
    Shutdown,
    /// Connection lost or refused; `registered` if it got that far.
    Lost {
        registered: bool,
    },
    Redirect(SocketAddr),
    Fatal(String),
}

/// What the writer task sends.
#[derive(Debug)]
enum Outgoing {
    Frame(Frame),
    /// Flush, close the socket and say so.
    Close(oneshot::Sender<()>),
}

impl MasterLink {
    pub fn new(store: Arc<Store>, config: LinkConfig, shutdown: watch::Receiver<bool>) -> Self {
        let replications = Arc::new(Semaphore::new(config.max_replications.max(1)));
        MasterLink {
            store,
            config,
            shutdown,
            load: Arc::new(AtomicU32::new(0)),
            replications,
        }
    }

    /// Runs until shutdown; returns an error only when no master of this
    /// cluster can ever accept us.
    pub async fn run(mut self) -> anyhow::Result<()> {
        let mut remembered = Remembered::default();
        let mut delay = Duration::from_secs(1);
        let mut next = 0usize;
        let mut redirect: Option<SocketAddr> = None;
        loop {
            if *self.shutdown.borrow() {
                return Ok(());
            }
            let target = match redirect.take() {
                Some(addr) => Some(addr),
                None => {
                    let name = &self.config.masters[next % self.config.masters.len()];
                    next += 1;
                    resolve(name).await
                }
            };
            if let Some(addr) = target {
                let ended = self.session(addr, &mut remembered).await;
                self.store.metrics().master_state(false, false);
                match ended {
                    Ended::Shutdown => return Ok(()),
                    Ended::Fatal(reason) => anyhow::bail!("master {addr}: {reason}"),
                    Ended::Redirect(leader) => {
                        info!(%addr, %leader, "master redirected us to its leader");
                        redirect = Some(leader);
                        continue;
                    }
                    Ended::Lost { registered } => {
                        if registered {
                            delay = Duration::from_secs(1);
                        }
                    }
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = self.shutdown.changed() => return Ok(()),
            }
            delay = (delay * 2).min(self.config.reconnect_max_delay);
        }
    }

    async fn session(&mut self, addr: SocketAddr, remembered: &mut Remembered) -> Ended {
        let max = Direction::MasterToChunkserver.max_payload();
        let charts = &self.store.metrics().charts;
        let (mut reader, writer) = match net::connect(addr, CONNECT_TIMEOUT, max).await {
            Ok((reader, writer)) => (
                reader.counting(charts.counter(series::MASTER_IN)),
                writer.counting(charts.counter(series::MASTER_OUT)),
            ),
            Err(err) => {
                warn!(%addr, %err, "cannot connect to master");
                return Ended::Lost { registered: false };
            }
        };
        info!(%addr, "connected to master");
        self.store.metrics().master_state(true, false);
        let (out, out_rx) = mpsc::unbounded_channel();
        tokio::spawn(write_loop(writer, out_rx));
        let orders = self.spawn_order_worker(out.clone());
        let mut reg = Registration::new(self.config.identity.clone(), *remembered);
        let mut last_sent = Instant::now();
        let send = |frame: Frame, last_sent: &mut Instant| {
            *last_sent = Instant::now();
            let _ = out.send(Outgoing::Frame(frame));
        };
        send(reg.begin(self.store.as_ref()), &mut last_sent);
        let mut last_received = Instant::now();
        let mut last_usage = None;
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                _ = self.shutdown.changed() => {
                    if let Some(goodbye) = reg.disconnect() {
                        info!("telling the master we are leaving");
                        send(goodbye, &mut last_sent);
                    }
                    close(&out).await;
                    return Ended::Shutdown;
                }
                frame = reader.next() => {
                    let frame = match frame {
                        Ok(Some(frame)) => frame,
                        Ok(None) => {
                            warn!(%addr, "master closed the connection");
                            return Ended::Lost { registered: reg.phase() == Phase::Registered };
                        }
                        Err(err) => {
                            warn!(%addr, %err, "master connection failed");
                            return Ended::Lost { registered: reg.phase() == Phase::Registered };
                        }
                    };
                    last_received = Instant::now();
                    let message = match In::decode_frame(&frame, Ctx::default()) {
                        Ok(message) => message,
                        Err(err) => {
                            warn!(%addr, %err, "malformed packet from master; disconnecting");
                            close(&out).await;
                            return Ended::Lost { registered: false };
                        }
                    };
                    match message {
                        In::MasterAck(ack) => match reg.on_ack(&ack.ack, self.store.as_ref()) {
                            Step::Send(frames) => {
                                for frame in frames {
                                    send(frame, &mut last_sent);
                                }
                                *remembered = reg.remembered();
                                if reg.phase() == Phase::Registered {
                                    self.store.metrics().master_state(true, true);
                                    info!(%addr, csid = remembered.csid, version = %reg.master_version(), "registered with master");
                                }
                            }
                            Step::Redirect(ip) => {
                                close(&out).await;
                                return Ended::Redirect(SocketAddr::from((ip, addr.port())));
                            }
                            Step::Close => {
                                info!(%addr, "master does not know the leader; trying another");
                                close(&out).await;
                                return Ended::Lost { registered: false };
                            }
                            Step::Fatal(reason) => {
                                error!(%addr, %reason, "master cannot accept us");
                                close(&out).await;
                                return Ended::Fatal(reason);
                            }
                        },
                        In::Replicate(order) => self.spawn_replication(order, out.clone()),
                        In::Nop(_) | In::UnknownCommand(_) | In::BadCommandSize(_)
                        | In::VersionAnswer(_) | In::ConfigValue(_) => {}
                        order => {
                            self.load.fetch_add(1, Ordering::Relaxed);
                            let _ = orders.send(order);
                        }
                    }
                }
                _ = tick.tick() => {
                    let timeout = u64::from(reg.timeout().unwrap_or(DEFAULT_TIMEOUT).max(10));
                    if last_received.elapsed() > Duration::from_secs(timeout) {
                        warn!(%addr, "master silent for {timeout} s; reconnecting");
                        close(&out).await;
                        return Ended::Lost { registered: false };
                    }
                    for frame in self.periodic(&reg, &mut last_usage) {
                        send(frame, &mut last_sent);
                    }
                    if last_sent.elapsed() > Duration::from_secs(timeout / 3) {
                        send(antoan::Nop { msgid: None }.to_frame(), &mut last_sent);
                    }
                }
            }
        }
    }

    /// Space (when it changed), load and pending reports, as
    /// mfschunkserver sends them every second.
    fn periodic(
        &self,
        reg: &Registration,
        last_usage: &mut Option<cstoma::DiskUsage>,
    ) -> Vec<Frame> {
        let mut frames = Vec::new();
        if !matches!(reg.phase(), Phase::InProgress | Phase::Registered) {
            return frames;
        }
        let usage = self.store.usage();
        if last_usage.as_ref() != Some(&usage) {
            frames.push(
                cstoma::Space {
                    report: cstoma::SpaceReport::Full(usage.clone()),
                }
                .to_frame(),
            );
            *last_usage = Some(usage);
        }
        if reg.phase() != Phase::Registered {
            return frames;
        }
        let pending = self.store.reports().take();
        frames.extend((0..pending.errors).map(|_| cstoma::ErrorOccurred {}.to_frame()));
        if !pending.damaged.is_empty() {
            frames.push(
                cstoma::ChunkDamaged {
                    chunkids: mooseng_wire::Rest(pending.damaged),
                }
                .to_frame(),
            );
        }
        if !pending.lost.is_empty() {
            frames.push(
                cstoma::ChunkLost {
                    chunkids: mooseng_wire::Rest(pending.lost),
                }
                .to_frame(),
            );
        }
        frames.push(
            cstoma::CurrentLoad {
                load: self.load.load(Ordering::Relaxed),
                hlstatus: Some(HLSTATUS_DEFAULT),
            }
            .to_frame(),
        );
        frames
    }

    /// Chunk orders run one after another, in the order the master sent
    /// them: the master may send several for one chunk in a row.
    fn spawn_order_worker(
        &self,
        out: mpsc::UnboundedSender<Outgoing>,
    ) -> mpsc::UnboundedSender<In> {
        let (orders, mut rx) = mpsc::unbounded_channel::<In>();
        let store = Arc::clone(&self.store);
        let load = Arc::clone(&self.load);
        tokio::spawn(async move {
            while let Some(order) = rx.recv().await {
                if let Some(answer) = commands::execute(&store, order).await {
                    let _ = out.send(Outgoing::Frame(answer));
                }
                load.fetch_sub(1, Ordering::Relaxed);
            }
        });
        orders
    }

    /// Replications run beside the other orders, a few at a time.
    fn spawn_replication(
        &self,
        order: mooseng_wire::matocs::Replicate,
        out: mpsc::UnboundedSender<Outgoing>,
    ) {
        use mooseng_wire::matocs::ReplicateSource;
        let store = Arc::clone(&self.store);
        let load = Arc::clone(&self.load);
        let permits = Arc::clone(&self.replications);
        load.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            let (chunkid, version) = (order.chunkid, order.version);
            let status = match order.source {
                ReplicateSource::Simple(source) => {
                    let _permit = permits.acquire().await;
                    replicate(&store, chunkid, version, source.ip, source.port).await
                }
                ReplicateSource::Xor(_) => {
                    debug!(
                        chunk = format_args!("{chunkid:016X}"),
                        "xor replication is not supported"
                    );
                    mooseng_wire::Status::ENOTSUP
                }
            };
            let answer = cstoma::Replicate {
                chunkid,
                version,
                status,
            };
            let _ = out.send(Outgoing::Frame(answer.to_frame()));
            load.fetch_sub(1, Ordering::Relaxed);
        });
    }
}

/// Sends everything queued, in order, until told to close or the socket fails.
async fn write_loop(mut writer: FrameWriter, mut rx: mpsc::UnboundedReceiver<Outgoing>) {
    while let Some(item) = rx.recv().await {
        match item {
            Outgoing::Frame(frame) => {
                if let Err(err) = writer.send_frame(&frame).await {
                    debug!(%err, "master write failed");
                    return;
                }
            }
            Outgoing::Close(done) => {
                writer.shutdown().await;
                let _ = done.send(());
                return;
            }
        }
    }
}

/// Flushes what is queued and closes the connection, waiting at most a
/// moment for a stuck socket.
async fn close(out: &mpsc::UnboundedSender<Outgoing>) {
    let (done, wait) = oneshot::channel();
    if out.send(Outgoing::Close(done)).is_ok() {
        let _ = tokio::time::timeout(Duration::from_secs(2), wait).await;
    }
}

/// The first address `host:port` resolves to.
async fn resolve(name: &str) -> Option<SocketAddr> {
    match tokio::net::lookup_host(name).await {
        Ok(mut addrs) => addrs.next(),
        Err(err) => {
            warn!(master = name, %err, "cannot resolve master address");
            None
        }
    }
}
