//! Registration on port 9420, as `matocsserv_register` handles it: the
//! single-packet forms of old chunkservers, and the BEGIN / CHUNKS / END
//! sequences of versions 5 and 6 with their `MATOCS_MASTER_ACK`s.

use std::net::{IpAddr, Ipv4Addr, SocketAddrV4};

use mooseng_wire::cstoma::{ChunkVersion, RegisterForm};
use mooseng_wire::matocs::MasterAck;
use mooseng_wire::message::Message;
use mooseng_wire::Version;

use super::conn::{Link, Verdict};
use crate::chunks::{Registration, Usage};

/// The shortest connection timeout MooseFS accepts, in seconds.
const MIN_TIMEOUT: u16 = 10;

/// The master version MooseNG announces.
const MASTER_VERSION: Version = Version::MOOSEFS_3_0_117;

impl Link {
    pub(super) fn register(&mut self, form: RegisterForm) -> Verdict {
        if self.registered && form != RegisterForm::Disconnect {
            return Err("register packet from a registered chunkserver".to_owned());
        }
        if let Some(leader) = self.service.redirect() {
            return self.redirect(leader, &form);
        }
        match form {
            RegisterForm::V0(f) => {
                let usage = Usage {
                    used: f.used,
                    total: f.total,
                    ..Usage::default()
                };
                self.register_at_once(f.ip, f.port, Version(0), None, usage, &f.chunks.0)
            }
            RegisterForm::V1(f) => {
                let usage = Usage {
                    used: f.used,
                    total: f.total,
                    todel_used: f.todel_used,
                    todel_total: f.todel_total,
                    ..Usage::default()
                };
                self.register_at_once(f.ip, f.port, Version(0), None, usage, &f.chunks.0)
            }
            RegisterForm::V2(f) => {
                let usage = f.usage.into();
                self.register_at_once(f.ip, f.port, Version(0), None, usage, &f.chunks.0)
            }
            RegisterForm::V3(f) => {
                let timeout = Some(f.timeout);
                let usage = f.usage.into();
                self.register_at_once(f.ip, f.port, Version(0), timeout, usage, &f.chunks.0)
            }
            RegisterForm::V4(f) => {
                let timeout = Some(f.timeout);
                let usage = f.usage.into();
                self.register_at_once(f.ip, f.port, f.version, timeout, usage, &f.chunks.0)
            }
            RegisterForm::Begin5(f) => {
                if f.timeout < MIN_TIMEOUT {
                    return Err(format!("timeout of {} s is too short", f.timeout));
                }
                self.begin(f.ip, f.port, f.version, f.timeout, 0, Usage::default())?;
                if f.version.at_least(1, 6, 28) {
                    self.send(&MasterAck::version(MASTER_VERSION));
                }
                Ok(())
            }
            RegisterForm::Begin6 { info, .. } => {
                // MooseNG sets no AUTH_CODE, so a passcode is not checked.
                let timeout = match info.timeout {
                    0 => self.service.config().default_timeout,
                    t if t < MIN_TIMEOUT => return Err(format!("timeout of {t} s is too short")),
                    t => t,
                };
                let id = self.begin(
                    info.ip,
                    info.port,
                    info.version,
                    timeout,
                    info.csid,
                    info.usage.into(),
                )?;
                if info.version.at_least(1, 6, 28) {
                    let meta_id = info
                        .version
                        .at_least(2, 0, 33)
                        .then_some(self.service.config().meta_id);
                    let ack = MasterAck::registered(MASTER_VERSION, timeout, id, meta_id);
                    self.send(&ack);
                }
                Ok(())
            }
            RegisterForm::Chunks5(chunks) => self.chunks(&chunks.0, false),
            RegisterForm::Chunks6(chunks) => self.chunks(&chunks.0, true),
            RegisterForm::End5(usage) => {
                let id = self.server("END packet")?;
                self.service.update_server(id, |s| s.usage = usage.into());
                self.end()
            }
            RegisterForm::End6 => self.end(),
            RegisterForm::Disconnect => Err("graceful disconnection".to_owned()),
        }
    }

    /// A follower's answer, as `masterconn.c` expects it: ack type 1 with
    /// the leader's address (0: not known, try another master), then the
    /// connection closes. The single-packet forms have no answer, so they
    /// are only closed.
    fn redirect(&mut self, leader: Ipv4Addr, form: &RegisterForm) -> Verdict {
        if matches!(form, RegisterForm::Begin5(_) | RegisterForm::Begin6 { .. }) {
            self.send(&MasterAck::redirect(leader));
        }
        Err(format!("this master follows; chunkserver sent to {leader}"))
    }

    /// The forms before version 5: everything in one packet, no answer.
    fn register_at_once(
        &mut self,
        ip: Ipv4Addr,
        port: u16,
        version: Version,
        timeout: Option<u16>,
        usage: Usage,
        chunks: &[ChunkVersion],
    ) -> Verdict {
        let timeout = match timeout {
            Some(t) if t < MIN_TIMEOUT => return Err(format!("timeout of {t} s is too short")),
            Some(t) => t,
            None => self.service.config().default_timeout,
        };
        self.begin(ip, port, version, timeout, 0, usage)?;
        self.chunks(chunks, false)?;
        self.end()
    }

    /// Enters the server into the registry; returns its id.
    fn begin(
        &mut self,
        ip: Ipv4Addr,
        port: u16,
        version: Version,
        timeout: u16,
        csid: u16,
        usage: Usage,
    ) -> Result<u16, String> {
        let ip = match (ip.is_unspecified(), self.peer.ip()) {
            (true, IpAddr::V4(peer)) => peer,
            _ => ip,
        };
        let addr = SocketAddrV4::new(ip, port);
        let registration = Registration {
            addr,
            version,
            csid,
            usage,
        };
        let id = self
            .service
            .register(registration, self.orders.clone())
            .map_err(|refusal| format!("registration of {addr} refused: {refusal}"))?;
        tracing::info!(%addr, %version, csid = id.0, "chunkserver registration begins");
        self.id = Some(id);
        self.version = version;
        self.timeout.send_replace(timeout);
        Ok(id.0)
    }

    fn chunks(&mut self, chunks: &[ChunkVersion], ack: bool) -> Verdict {
        let id = self.server("CHUNKS packet")?;
        self.service.has_chunks(id, chunks);
        if ack && self.version.at_least(2, 0, 0) {
            self.send(&MasterAck::next_chunks());
        }
        Ok(())
    }

    fn end(&mut self) -> Verdict {
        let id = self.server("END packet")?;
        self.service.register_end(id);
        self.registered = true;
        tracing::info!(peer = %self.peer, csid = id.0, "chunkserver registered");
        Ok(())
    }

    fn send(&self, message: &impl Message) {
        // Fails only once the writer has stopped, and then the reader is
        // about to stop too.
        let _ = self.orders.send(message.to_frame());
    }
}
