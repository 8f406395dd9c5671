//! kill -9 the real `mooseng-master` again and again while clients change
//! metadata through the 9421 protocol, restart it on the same data
//! directory, and check that every change a client saw acknowledged is
//! there and that an unacknowledged one is either wholly there or absent.
//!
//! Each client works in a directory of its own over a small pool of names
//! and keeps a model of what that directory must hold. When the master dies
//! under a request, that one request is undecided; after the restart the
//! directory must equal the model with or without it. The master itself
//! runs `Namespace::check` on recovery and refuses to serve a broken tree,
//! so a half-applied change would show up as a master that does not start.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use mooseng_wire::cltoma::{FuseLookup, FuseMkdir, FuseMknod, FuseRename, FuseRmdir, FuseUnlink};
use mooseng_wire::matocl::{FuseLookupReply, Lookup};
use mooseng_wire::message::{decode_payload, Message};
use mooseng_wire::types::{node_type, Groups, Reply};
use mooseng_wire::{Ctx, Frame, Name, Status};

const CLIENTS: usize = 4;
const NAMES: u32 = 8;
const CYCLES: usize = 80;
/// Small, so that snapshots and segment removal happen during the run.
const SNAPSHOT_EVERY: &str = "150";

/// mfsmount 3.0.117's REGISTER_NEWSESSION for `/`, as captured.
const REGISTER: &str = "446a493147415144554c49356432596a413236797063336f766b686a7668636954515678334353346e596774426f5563736c6a6956707345724a454e4861773002000300ea000000172f746d702f6d66736361702e4632764270712f6d6e7400000000022f00";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    File,
    Dir,
}

type Model = BTreeMap<u32, Kind>;

#[derive(Debug, Clone, Copy)]
enum Op {
    Create(u32),
    Mkdir(u32),
    Unlink(u32),
    Rmdir(u32),
    Rename(u32, u32),
}

impl Op {
    fn apply(self, model: &mut Model) {
        match self {
            Op::Create(n) => {
                model.insert(n, Kind::File);
            }
            Op::Mkdir(n) => {
                model.insert(n, Kind::Dir);
            }
            Op::Unlink(n) | Op::Rmdir(n) => {
                model.remove(&n);
            }
            Op::Rename(from, to) => {
                let kind = model.remove(&from).expect("renaming a known name");
                model.insert(to, kind);
            }
        }
    }
}

/// A small deterministic generator; the seed is printed for replays.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// A valid next operation for `model`: never one the namespace may refuse.
fn pick(rng: &mut Rng, model: &Model) -> Op {
    let n = rng.below(u64::from(NAMES)) as u32;
    let other = rng.below(u64::from(NAMES)) as u32;
    match (model.get(&n), model.get(&other), rng.below(3)) {
        (None, _, 0) => Op::Mkdir(n),
        (None, _, _) => Op::Create(n),
        (Some(Kind::File), None | Some(Kind::File), 0) if n != other => Op::Rename(n, other),
        (Some(Kind::Dir), None, 0) => Op::Rename(n, other),
        (Some(Kind::File), _, _) => Op::Unlink(n),
        (Some(Kind::Dir), _, _) => Op::Rmdir(n),
    }
}

fn name(n: u32) -> Name {
    Name::new(format!("n{n}").into_bytes())
}

fn root_gids() -> Groups<0> {
    Groups::List(vec![0])
}

struct Session {
    stream: TcpStream,
    msgid: u32,
}

impl Session {
    /// Registers a new session, retrying while the master starts.
    fn open(port: u16) -> Session {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(stream) = TcpStream::connect(("127.0.0.1", port)) {
                stream
                    .set_read_timeout(Some(Duration::from_secs(10)))
                    .expect("timeout");
                let mut session = Session { stream, msgid: 0 };
                let blob = (0..REGISTER.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&REGISTER[i..i + 2], 16).expect("hex"))
                    .collect::<Vec<_>>();
                if let Ok(reply) = session.call(Frame::new(400, blob)) {
                    assert_eq!(reply.kind, 401, "registration answered");
                    return session;
                }
            }
            assert!(Instant::now() < deadline, "the master did not come back");
            thread::sleep(Duration::from_millis(20));
        }
    }

    fn next_msgid(&mut self) -> u32 {
        self.msgid += 1;
        self.msgid
    }

    /// Sends one request and returns its answer, skipping keep-alives.
    fn call(&mut self, request: Frame) -> io::Result<Frame> {
        let mut bytes = Vec::with_capacity(8 + request.payload.len());
        bytes.extend_from_slice(&request.kind.to_be_bytes());
        bytes.extend_from_slice(&(request.payload.len() as u32).to_be_bytes());
        bytes.extend_from_slice(&request.payload);
        self.stream.write_all(&bytes)?;
        loop {
            let mut header = [0u8; 8];
            self.stream.read_exact(&mut header)?;
            let kind = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
            let length = u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
            let mut payload = vec![0u8; length as usize];
            self.stream.read_exact(&mut payload)?;
            if kind != 0 {
                return Ok(Frame::new(kind, payload));
            }
        }
    }

    /// The status of a change request: a 5-byte answer carries one,
    /// anything longer is a success with the node's attributes.
    fn change(&mut self, op: Op, dir: u32) -> io::Result<Status> {
        let msgid = self.next_msgid();
        let frame = match op {
            Op::Create(n) => FuseMknod {
                msgid,
                parent: dir,
                name: name(n),
                kind: node_type::FILE,
                mode: 0o644,
                umask: 0,
                uid: 0,
                gids: Groups::List(vec![0]),
                rdev: 0,
            }
            .to_frame(),
            Op::Mkdir(n) => FuseMkdir {
                msgid,
                parent: dir,
                name: name(n),
                mode: 0o755,
                umask: 0,
                uid: 0,
                gids: Groups::List(vec![0]),
                copy_sgid: 0,
            }
            .to_frame(),
            Op::Unlink(n) => FuseUnlink {
                msgid,
                parent: dir,
                name: name(n),
                uid: 0,
                gids: root_gids(),
            }
            .to_frame(),
            Op::Rmdir(n) => FuseRmdir {
                msgid,
                parent: dir,
                name: name(n),
                uid: 0,
                gids: root_gids(),
            }
            .to_frame(),
            Op::Rename(from, to) => FuseRename {
                msgid,
                parent_src: dir,
                name_src: name(from),
                parent_dst: dir,
                name_dst: name(to),
                uid: 0,
                gids: root_gids(),
            }
            .to_frame(),
        };
        let reply = self.call(frame)?;
        Ok(match reply.payload.len() {
            5 => Status(reply.payload[4]),
            _ => Status::OK,
        })
    }

    fn lookup(&mut self, dir: u32, entry: Name) -> Option<(u32, Kind)> {
        let msgid = self.next_msgid();
        let request = FuseLookup {
            msgid,
            parent: dir,
            name: entry,
            uid: 0,
            gids: root_gids(),
        };
        let reply = self.call(request.to_frame()).expect("lookup answered");
        let reply: FuseLookupReply =
            decode_payload(&reply.payload, Ctx::default()).expect("lookup decodes");
        match reply.reply {
            Reply::Ok(Lookup { inode, attr, .. }) => {
                let kind = match attr.kind {
                    node_type::DIRECTORY => Kind::Dir,
                    _ => Kind::File,
                };
                Some((inode, kind))
            }
            Reply::Status(status) => {
                assert_eq!(status, Status::ENOENT, "lookup failed");
                None
            }
        }
    }

    /// What the client's directory holds now.
    fn observe(&mut self, dir: u32) -> Model {
        (0..NAMES)
            .filter_map(|n| self.lookup(dir, name(n)).map(|(_, kind)| (n, kind)))
            .collect()
    }

    /// The client's directory, made on first use.
    fn client_dir(&mut self, client: usize) -> u32 {
        let dir_name = || Name::new(format!("client{client}").into_bytes());
        if let Some((inode, _)) = self.lookup(1, dir_name()) {
            return inode;
        }
        let msgid = self.next_msgid();
        let made = FuseMkdir {
            msgid,
            parent: 1,
            name: dir_name(),
            mode: 0o755,
            umask: 0,
            uid: 0,
            gids: Groups::List(vec![0]),
            copy_sgid: 0,
        };
        self.call(made.to_frame()).expect("mkdir answered");
        self.lookup(1, dir_name()).expect("client directory").0
    }
}

/// One client's state across cycles.
struct Client {
    id: usize,
    model: Model,
    rng: Rng,
    acknowledged: u64,
    undecided_applied: u64,
    undecided_absent: u64,
}

impl Client {
    /// Checks that the acknowledged state survived, says so on `ready`,
    /// then changes metadata until the master dies under a request, which
    /// it returns.
    fn cycle(&mut self, port: u16, ready: mpsc::Sender<()>) -> Op {
        let mut session = Session::open(port);
        let dir = session.client_dir(self.id);
        let seen = session.observe(dir);
        assert_eq!(
            seen, self.model,
            "client {}: acknowledged state lost",
            self.id
        );
        ready.send(()).expect("test thread waits");
        loop {
            let op = pick(&mut self.rng, &self.model);
            match session.change(op, dir) {
                Ok(status) => {
                    assert_eq!(status, Status::OK, "client {}: {op:?} refused", self.id);
                    op.apply(&mut self.model);
                    self.acknowledged += 1;
                }
                Err(_) => return op,
            }
        }
    }

    /// The master died with `op` unanswered: after the restart it must be
    /// wholly applied or wholly absent.
    fn decide(&mut self, op: Op, port: u16) {
        let mut session = Session::open(port);
        let dir = session.client_dir(self.id);
        let seen = session.observe(dir);
        let mut with_op = self.model.clone();
        op.apply(&mut with_op);
        if seen == with_op {
            self.model = with_op;
            self.undecided_applied += 1;
        } else {
            assert_eq!(seen, self.model, "client {}: state after {op:?}", self.id);
            self.undecided_absent += 1;
        }
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

fn start_master(data: &Path, log: &File, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_mooseng-master"))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--data-dir", &data.display().to_string()])
        .env("MOOSENG_MASTER_SNAPSHOT_EVERY", SNAPSHOT_EVERY)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(log.try_clone().expect("log handle"))
        .spawn()
        .expect("mooseng-master starts")
}

/// Stops the master at the end, also when an assertion failed, and shows
/// its log then.
struct Running {
    master: Child,
    log: std::path::PathBuf,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.master.kill();
        let _ = self.master.wait();
        if thread::panicking() {
            let log = fs::read_to_string(&self.log).unwrap_or_default();
            let tail: Vec<_> = log.lines().rev().take(40).collect();
            eprintln!(
                "master log (last lines, newest first):\n{}",
                tail.join("\n")
            );
        }
    }
}

#[test]
fn kill_9_loses_no_acknowledged_change() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let data = dir.path().join("meta");
    let log_path = dir.path().join("master.log");
    let log = File::create(&log_path).expect("master log");
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64);
    eprintln!("seed {seed:#x}");
    let mut rng = Rng(seed | 1);
    let mut clients: Vec<Client> = (0..CLIENTS)
        .map(|id| Client {
            id,
            model: Model::new(),
            rng: Rng(seed.rotate_left(8 * id as u32 + 8) | 1),
            acknowledged: 0,
            undecided_applied: 0,
            undecided_absent: 0,
        })
        .collect();
    let port = free_port();
    let mut running = Running {
        master: start_master(&data, &log, port),
        log: log_path.clone(),
    };
    let started = Instant::now();
    for _ in 0..CYCLES {
        let (ready, readiness) = mpsc::channel();
        let workers: Vec<_> = clients
            .into_iter()
            .map(|mut client| {
                let ready = ready.clone();
                thread::spawn(move || {
                    let op = client.cycle(port, ready);
                    (client, op)
                })
            })
            .collect();
        for _ in 0..CLIENTS {
            readiness
                .recv_timeout(Duration::from_secs(30))
                .expect("every client checked its directory");
        }
        thread::sleep(Duration::from_millis(50 + rng.below(400)));
        running.master.kill().expect("SIGKILL");
        running.master.wait().expect("reaped");
        let stopped: Vec<_> = workers
            .into_iter()
            .map(|worker| worker.join().expect("client thread"))
            .collect();
        running.master = start_master(&data, &log, port);
        clients = stopped
            .into_iter()
            .map(|(mut client, op)| {
                client.decide(op, port);
                client
            })
            .collect();
    }
    let mut session = Session::open(port);
    for client in &clients {
        let dir = session.client_dir(client.id);
        assert_eq!(
            session.observe(dir),
            client.model,
            "final state of client {}",
            client.id
        );
    }
    let acknowledged: u64 = clients.iter().map(|c| c.acknowledged).sum();
    let applied: u64 = clients.iter().map(|c| c.undecided_applied).sum();
    let absent: u64 = clients.iter().map(|c| c.undecided_absent).sum();
    let master_log = fs::read_to_string(&log_path).unwrap_or_default();
    let torn = master_log.matches("dropping a torn last write").count();
    let snapshots = master_log.matches("snapshot written").count();
    eprintln!(
        "{CYCLES} kill -9 cycles in {:.1} s: {acknowledged} acknowledged changes all present; \
         {} unanswered at the kill ({applied} applied, {absent} absent); \
         {snapshots} snapshots, {torn} torn tails cut",
        started.elapsed().as_secs_f64(),
        applied + absent,
    );
    assert_eq!(applied + absent, (CYCLES * CLIENTS) as u64);
    assert!(
        acknowledged > (CYCLES * CLIENTS) as u64,
        "too little work to prove anything"
    );
    assert!(snapshots > 0, "no snapshot was taken between kills");
}
