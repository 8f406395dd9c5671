//! Registration with the master, as mfschunkserver 3.0.117 does it: a
//! version-6 BEGIN with our address and space, then, for every
//! `MATOCS_MASTER_ACK` type 0, first our labels and then one packet of
//! the chunk list at a time (CHUNKS), and END when the list is out.
//! Type 1 sends us to another master, type 2 makes us wait, type 3 asks
//! for the password. Kept free of I/O so the sequence can be tested.

use std::collections::VecDeque;
use std::net::Ipv4Addr;

use md5::{Digest, Md5};
use mooseng_wire::cstoma::{self, ChunkVersion, DiskUsage, RegisterBegin6, RegisterForm};
use mooseng_wire::matocs::AckKind;
use mooseng_wire::{Frame, Message, Rest, Version};

/// What registration needs to know about the chunks.
pub trait Inventory {
    /// Every chunk with its version (flagged for removal where needed).
    fn chunk_list(&self) -> Vec<ChunkVersion>;
    /// Space and chunk counts.
    fn usage(&self) -> DiskUsage;
}

/// Who we are to the master.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Address announced for port 9422; unspecified lets the master use
    /// the connection's source address.
    pub ip: Ipv4Addr,
    pub port: u16,
    /// Proposed timeout in seconds; 0 accepts the master's.
    pub timeout: u16,
    pub labels: u32,
    pub auth_code: Option<String>,
    pub chunks_per_packet: usize,
}

/// Where a registration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// BEGIN sent, no answer yet.
    Unregistered,
    /// The master told us to wait.
    Waiting,
    /// Sending the chunk list.
    InProgress,
    /// END sent: the master may now give orders.
    Registered,
}

/// What the connection must do after an ack.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Send these frames (possibly none) and carry on.
    Send(Vec<Frame>),
    /// Disconnect and register with this master instead.
    Redirect(Ipv4Addr),
    /// Disconnect and try the next master address.
    Close,
    /// This master can never accept us (wrong cluster, missing password).
    Fatal(String),
}

/// Facts kept across connections: the id the master gave us and the
/// metadata id of its cluster, which must not change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Remembered {
    pub csid: u16,
    pub metaid: u64,
}

/// One registration, from BEGIN to END.
#[derive(Debug)]
pub struct Registration {
    identity: Identity,
    remembered: Remembered,
    phase: Phase,
    master_version: Version,
    timeout: Option<u16>,
    pending: VecDeque<ChunkVersion>,
    challenge: Option<[u8; 32]>,
}

impl Registration {
    pub fn new(identity: Identity, remembered: Remembered) -> Self {
        Registration {
            identity,
            remembered,
            phase: Phase::Unregistered,
            master_version: Version(0),
            timeout: None,
            pending: VecDeque::new(),
            challenge: None,
        }
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    pub fn master_version(&self) -> Version {
        self.master_version
    }

    pub fn remembered(&self) -> Remembered {
        self.remembered
    }

    /// The timeout the master settled on, if it said.
    pub fn timeout(&self) -> Option<u16> {
        self.timeout
    }

    /// The first packet: a version-6 BEGIN, with the passcode once the
    /// master has sent its challenge.
    pub fn begin(&self, inventory: &dyn Inventory) -> Frame {
        let info = RegisterBegin6 {
            version: Version::MOOSEFS_3_0_117,
            ip: self.identity.ip,
            port: self.identity.port,
            timeout: self.identity.timeout,
            csid: self.remembered.csid,
            usage: inventory.usage(),
        };
        let passcode = match (&self.challenge, &self.identity.auth_code) {
            (Some(random), Some(code)) => Some(passcode(random, code)),
            _ => None,
        };
        register(RegisterForm::Begin6 { passcode, info })
    }

    /// The graceful goodbye (rver 63), which a 3.0.75+ master answers by
    /// putting us in temporary maintenance rather than replicating our
    /// chunks; `None` when this master would not understand it.
    pub fn disconnect(&self) -> Option<Frame> {
        (self.phase == Phase::Registered && self.master_version.at_least(3, 0, 75))
            .then(|| register(RegisterForm::Disconnect))
    }

    /// Handles one `MATOCS_MASTER_ACK`.
    pub fn on_ack(&mut self, ack: &AckKind, inventory: &dyn Inventory) -> Step {
        match ack {
            AckKind::Continue => self.accepted(inventory),
            AckKind::Version(version) => {
                self.master_version = *version;
                self.accepted(inventory)
            }
            AckKind::Registered { info, metaid } => {
                if let Some(fatal) = self.check_metaid(metaid.unwrap_or(0)) {
                    return fatal;
                }
                self.master_version = info.master_version;
                self.timeout = Some(info.timeout);
                if info.csid > 0 {
                    self.remembered.csid = info.csid;
                }
                self.accepted(inventory)
            }
            AckKind::Redirect(leader) => Step::Redirect(*leader),
            AckKind::LeaderUnknown => Step::Close,
            AckKind::Wait { info, metaid } => {
                if let Some(fatal) = self.check_metaid(metaid.unwrap_or(0)) {
                    return fatal;
                }
                self.master_version = info.master_version;
                self.timeout = Some(info.timeout);
                self.pending.clear();
                self.phase = Phase::Waiting;
                Step::Send(Vec::new())
            }
            AckKind::AuthChallenge(random) => {
                if self.identity.auth_code.is_none() {
                    return Step::Fatal(
                        "the master needs a password (auth_code) and none is configured".into(),
                    );
                }
                self.challenge = Some(*random);
                Step::Send(vec![self.begin(inventory)])
            }
        }
    }

    /// A metadata id other than the one we met first means another
    /// cluster: mfschunkserver refuses to mix chunks of two clusters.
    fn check_metaid(&mut self, metaid: u64) -> Option<Step> {
        if metaid == 0 {
            return None;
        }
        if self.remembered.metaid != 0 && self.remembered.metaid != metaid {
            return Some(Step::Fatal(format!(
                "master has metadata id {metaid:016X}, we belong to {:016X}",
                self.remembered.metaid
            )));
        }
        self.remembered.metaid = metaid;
        None
    }

    /// Atype 0: start or continue sending the chunk list.
    fn accepted(&mut self, inventory: &dyn Inventory) -> Step {
        let mut frames = Vec::new();
        if matches!(self.phase, Phase::Unregistered | Phase::Waiting) {
            self.pending = inventory.chunk_list().into();
            self.phase = Phase::InProgress;
            if self.master_version.at_least(2, 1, 0) {
                frames.push(
                    cstoma::Labels {
                        labelmask: self.identity.labels,
                    }
                    .to_frame(),
                );
            }
        }
        if self.phase == Phase::InProgress {
            frames.push(self.next_chunks());
        }
        Step::Send(frames)
    }

    /// The next CHUNKS packet, or END once the list is out.
    fn next_chunks(&mut self) -> Frame {
        if self.pending.is_empty() {
            self.phase = Phase::Registered;
            return register(RegisterForm::End6);
        }
        let take = self
            .identity
            .chunks_per_packet
            .max(1)
            .min(self.pending.len());
        let chunks: Vec<ChunkVersion> = self.pending.drain(..take).collect();
        register(RegisterForm::Chunks6(Rest(chunks)))
    }
}

fn register(form: RegisterForm) -> Frame {
    cstoma::Register { form }.to_frame()
}

/// `md5(rnd[0..16] ++ auth_code ++ rnd[16..32])`.
pub fn passcode(random: &[u8; 32], code: &str) -> [u8; 16] {
    let mut md5 = Md5::new();
    md5.update(&random[..16]);
    md5.update(code.as_bytes());
    md5.update(&random[16..]);
    md5.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mooseng_wire::direction::ChunkserverToMaster;
    use mooseng_wire::matocs::MasterAck;
    use mooseng_wire::Ctx;

    struct Fake(Vec<ChunkVersion>);

    impl Inventory for Fake {
        fn chunk_list(&self) -> Vec<ChunkVersion> {
            self.0.clone()
        }
        fn usage(&self) -> DiskUsage {
            DiskUsage {
                used: 1,
                total: 2,
                chunks: self.0.len() as u32,
                todel_used: 0,
                todel_total: 0,
                todel_chunks: 0,
            }
        }
    }

    fn identity(auth_code: Option<&str>) -> Identity {
        Identity {
            ip: Ipv4Addr::new(10, 0, 0, 11),
            port: 9422,
            timeout: 0,
            labels: 0b11,
            auth_code: auth_code.map(str::to_owned),
            chunks_per_packet: 2,
        }
    }

    fn chunks(n: u64) -> Fake {
        Fake(
            (1..=n)
                .map(|chunkid| ChunkVersion {
                    chunkid,
                    version: 1,
                })
                .collect(),
        )
    }

    fn form(frame: &Frame) -> RegisterForm {
        match ChunkserverToMaster::decode_frame(frame, Ctx::default()).unwrap() {
            ChunkserverToMaster::Register(register) => register.form,
            other => panic!("not a register packet: {other:?}"),
        }
    }

    fn frames(step: Step) -> Vec<Frame> {
        match step {
            Step::Send(frames) => frames,
            other => panic!("expected frames, got {other:?}"),
        }
    }

    fn registered(metaid: Option<u64>) -> AckKind {
        MasterAck::registered(Version::MOOSEFS_3_0_117, 60, 7, metaid).ack
    }

    #[test]
    fn begin_labels_chunks_in_packets_then_end() {
        let inventory = chunks(3);
        let mut reg = Registration::new(identity(None), Remembered::default());
        let RegisterForm::Begin6 { passcode, info } = form(&reg.begin(&inventory)) else {
            panic!("not a v6 BEGIN");
        };
        assert_eq!(passcode, None);
        assert_eq!(info.version, Version(0x0003_00EA));
        assert_eq!((info.port, info.csid, info.usage.chunks), (9422, 0, 3));

        let first = frames(reg.on_ack(&registered(Some(5)), &inventory));
        assert_eq!(first.len(), 2);
        assert_eq!(first[0], cstoma::Labels { labelmask: 3 }.to_frame());
        assert!(matches!(form(&first[1]), RegisterForm::Chunks6(c) if c.0.len() == 2));
        assert_eq!(reg.phase(), Phase::InProgress);
        assert_eq!(reg.remembered(), Remembered { csid: 7, metaid: 5 });
        assert_eq!(reg.timeout(), Some(60));

        let second = frames(reg.on_ack(&AckKind::Continue, &inventory));
        assert!(matches!(form(&second[0]), RegisterForm::Chunks6(c) if c.0.len() == 1));
        let end = frames(reg.on_ack(&AckKind::Continue, &inventory));
        assert_eq!(form(&end[0]), RegisterForm::End6);
        assert_eq!(reg.phase(), Phase::Registered);
        assert!(frames(reg.on_ack(&AckKind::Continue, &inventory)).is_empty());
        assert_eq!(
            reg.disconnect().map(|f| form(&f)),
            Some(RegisterForm::Disconnect)
        );
    }

    #[test]
    fn no_chunks_goes_straight_to_end() {
        let mut reg = Registration::new(identity(None), Remembered::default());
        let sent = frames(reg.on_ack(&registered(None), &chunks(0)));
        assert_eq!(form(&sent[1]), RegisterForm::End6);
        assert_eq!(reg.phase(), Phase::Registered);
    }

    #[test]
    fn wait_stops_the_list_and_the_next_ack_starts_it_again() {
        let inventory = chunks(5);
        let mut reg = Registration::new(identity(None), Remembered::default());
        frames(reg.on_ack(&registered(None), &inventory));
        let wait = MasterAck::wait(Version::MOOSEFS_3_0_117, 30, None).ack;
        assert!(frames(reg.on_ack(&wait, &inventory)).is_empty());
        assert_eq!(reg.phase(), Phase::Waiting);
        assert_eq!(reg.disconnect(), None);
        let again = frames(reg.on_ack(&registered(None), &inventory));
        assert!(matches!(form(&again[1]), RegisterForm::Chunks6(c) if c.0[0].chunkid == 1));
    }

    #[test]
    fn redirects_and_unknown_leaders_close_the_connection() {
        let mut reg = Registration::new(identity(None), Remembered::default());
        let leader = Ipv4Addr::new(10, 0, 0, 3);
        assert_eq!(
            reg.on_ack(&AckKind::Redirect(leader), &chunks(0)),
            Step::Redirect(leader)
        );
        assert_eq!(reg.on_ack(&AckKind::LeaderUnknown, &chunks(0)), Step::Close);
    }

    #[test]
    fn another_clusters_metadata_id_is_fatal() {
        let remembered = Remembered { csid: 1, metaid: 9 };
        let mut reg = Registration::new(identity(None), remembered);
        assert!(matches!(
            reg.on_ack(&registered(Some(8)), &chunks(0)),
            Step::Fatal(_)
        ));
        let mut same = Registration::new(identity(None), remembered);
        assert!(matches!(
            same.on_ack(&registered(Some(9)), &chunks(0)),
            Step::Send(_)
        ));
    }

    #[test]
    fn challenge_is_answered_with_the_md5_passcode() {
        let random = [3u8; 32];
        let challenge = AckKind::AuthChallenge(random);
        let mut without = Registration::new(identity(None), Remembered::default());
        assert!(matches!(
            without.on_ack(&challenge, &chunks(0)),
            Step::Fatal(_)
        ));

        let mut reg = Registration::new(identity(Some("secret")), Remembered::default());
        let sent = frames(reg.on_ack(&challenge, &chunks(0)));
        let RegisterForm::Begin6 {
            passcode: Some(code),
            ..
        } = form(&sent[0])
        else {
            panic!("BEGIN without passcode");
        };
        let mut md5 = Md5::new();
        md5.update([3u8; 16]);
        md5.update(b"secret");
        md5.update([3u8; 16]);
        assert_eq!(code, <[u8; 16]>::from(md5.finalize()));
    }
}
