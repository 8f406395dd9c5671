//! Chunk files written by a real MooseFS 3.0.117 chunk server, read with
//! our module, and a chunk edited by our module, served by MooseFS again.
//!
//! Needs root, `/dev/fuse` and Debian's MooseFS packages; without them the
//! test says why and passes. The cluster runs on its own network: MooseFS
//! refuses a master address in 127.0.0.0/8, so the master listens on a
//! veth address (10.232.0.1) and the chunk server lives in a network
//! namespace behind it (10.232.0.2). Everything it creates is named
//! `mfsck*` and is removed again when the test ends, even on failure.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::thread::sleep;
use std::time::{Duration, Instant};

use mooseng_chunkserver::chunk_file::{ChunkFile, ChunkName, ChunkPath, BLOCK_SIZE};
use tempfile::TempDir;

const NETNS: &str = "mfsck-cs";
const HOST_LINK: &str = "mfsck0";
const NS_LINK: &str = "mfsck1";
const MASTER_IP: &str = "10.232.0.1";
const CS_IP: &str = "10.232.0.2";
const ML_PORT: u16 = 19519;
const CS_PORT_AT_MASTER: u16 = 19520;
const CLIENT_PORT: u16 = 19521;
const CS_PORT: u16 = 19522;
const BINARIES: [&str; 5] = [
    "/usr/sbin/mfsmaster",
    "/usr/sbin/mfschunkserver",
    "/usr/bin/mfsmount",
    "/usr/bin/mfscli",
    "/usr/bin/mfsfileinfo",
];

/// Why this machine cannot run the cluster, if it cannot.
fn unavailable() -> Option<String> {
    if let Some(missing) = BINARIES.iter().find(|b| !Path::new(b).exists()) {
        return Some(format!("{missing} is not installed"));
    }
    if !Path::new("/dev/fuse").exists() {
        return Some("/dev/fuse is missing".into());
    }
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Some("not root (network namespaces and mounts need it)".into());
    }
    None
}

/// Runs a command, failing the test with its output if it fails.
fn run(program: &str, args: &[&str]) -> Output {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs a cleanup command whose failure only means there was nothing left
/// to clean.
fn run_quietly(program: &str, args: &[&str]) {
    let _ = Command::new(program).args(args).output();
}

/// A one-master, one-chunk-server MooseFS with a mount, torn down on drop.
struct Cluster {
    base: TempDir,
    mounted: bool,
    chunkserver_up: bool,
    master_up: bool,
}

impl Cluster {
    fn start() -> Cluster {
        remove_network();
        let mut cluster = Cluster {
            base: TempDir::new().expect("temp dir"),
            mounted: false,
            chunkserver_up: false,
            master_up: false,
        };
        cluster.write_configs();
        create_network();
        run("mfsmaster", &["-c", &cluster.cfg("master.cfg"), "start"]);
        cluster.master_up = true;
        cluster.start_chunkserver();
        cluster.mount();
        cluster
    }

    fn path(&self, name: &str) -> PathBuf {
        self.base.path().join(name)
    }

    fn cfg(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }

    fn hdd(&self) -> PathBuf {
        self.path("hdd")
    }

    fn mnt(&self) -> PathBuf {
        self.path("mnt")
    }

    fn write_configs(&self) {
        for dir in ["master", "cs", "hdd", "mnt"] {
            fs::create_dir(self.path(dir)).expect("cluster folder");
        }
        let write = |name: &str, text: String| fs::write(self.path(name), text).expect("config");
        write("master/metadata.mfs", "MFSM NEW".into());
        write("exports.cfg", "*\t/\trw,alldirs,admin,maproot=0:0\n".into());
        write("topology.cfg", String::new());
        write("hdd.cfg", format!("{}\n", self.hdd().display()));
        write(
            "master.cfg",
            format!(
                "WORKING_USER = root\nWORKING_GROUP = root\nSYSLOG_IDENT = mfsck-master\n\
                 DATA_PATH = {}\nEXPORTS_FILENAME = {}\nTOPOLOGY_FILENAME = {}\n\
                 MATOML_LISTEN_HOST = {MASTER_IP}\nMATOML_LISTEN_PORT = {ML_PORT}\n\
                 MATOCS_LISTEN_HOST = {MASTER_IP}\nMATOCS_LISTEN_PORT = {CS_PORT_AT_MASTER}\n\
                 MATOCL_LISTEN_HOST = {MASTER_IP}\nMATOCL_LISTEN_PORT = {CLIENT_PORT}\n",
                self.path("master").display(),
                self.cfg("exports.cfg"),
                self.cfg("topology.cfg"),
            ),
        );
        write(
            "cs.cfg",
            format!(
                "WORKING_USER = root\nWORKING_GROUP = root\nSYSLOG_IDENT = mfsck-cs\n\
                 DATA_PATH = {}\nHDD_CONF_FILENAME = {}\nMASTER_HOST = {MASTER_IP}\n\
                 MASTER_PORT = {CS_PORT_AT_MASTER}\nCSSERV_LISTEN_PORT = {CS_PORT}\n",
                self.path("cs").display(),
                self.cfg("hdd.cfg"),
            ),
        );
    }

    /// Starts the chunk server in the namespace and waits until the master
    /// lists it.
    fn start_chunkserver(&mut self) {
        let cfg = self.cfg("cs.cfg");
        run(
            "ip",
            &[
                "netns",
                "exec",
                NETNS,
                "mfschunkserver",
                "-c",
                &cfg,
                "start",
            ],
        );
        self.chunkserver_up = true;
        let port = CLIENT_PORT.to_string();
        let registered = format!("{CS_IP}\t{CS_PORT}");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let out = run("mfscli", &["-H", MASTER_IP, "-P", &port, "-SCS"]);
            if String::from_utf8_lossy(&out.stdout).contains(&registered) {
                return;
            }
            assert!(Instant::now() < deadline, "chunk server never registered");
            sleep(Duration::from_millis(300));
        }
    }

    /// Stops the chunk server; MooseFS writes CRC tables back on close, so
    /// only now are its chunk files complete.
    fn stop_chunkserver(&mut self) {
        run("mfschunkserver", &["-c", &self.cfg("cs.cfg"), "stop"]);
        self.chunkserver_up = false;
    }

    fn mount(&mut self) {
        let mnt = self.mnt().display().to_string();
        let port = CLIENT_PORT.to_string();
        run("mfsmount", &["-H", MASTER_IP, "-P", &port, &mnt]);
        self.mounted = true;
    }

    fn unmount(&mut self) {
        run("umount", &[&self.mnt().display().to_string()]);
        self.mounted = false;
    }

    /// The chunk holding the first 64 MiB of `file`, as the master says.
    fn first_chunk(&self, file: &str) -> ChunkName {
        let path = self.mnt().join(file).display().to_string();
        let out = run("mfsfileinfo", &[&path]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let id_version = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("chunk 0: "))
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("no chunk 0 in: {text}"));
        ChunkName::parse(&format!("chunk_{id_version}.mfs"))
            .unwrap_or_else(|| panic!("odd chunk name {id_version}"))
    }

    /// Where the chunk server put `name`: it picks subfolders by balance,
    /// not by id, so look in all 256.
    fn find_chunk(&self, name: ChunkName) -> ChunkPath {
        let found: Vec<_> = (0..=255u8)
            .map(|sub| ChunkPath::new(self.hdd(), sub, name))
            .filter(|p| p.path().exists())
            .collect();
        assert_eq!(found.len(), 1, "chunk {name} found at {found:?}");
        found.into_iter().next().expect("one chunk file")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let mnt = self.mnt().display().to_string();
        if self.mounted {
            run_quietly("umount", &[&mnt]);
            run_quietly("umount", &["-l", &mnt]);
        }
        if self.chunkserver_up {
            run_quietly("mfschunkserver", &["-c", &self.cfg("cs.cfg"), "stop"]);
        }
        if self.master_up {
            run_quietly("mfsmaster", &["-c", &self.cfg("master.cfg"), "stop"]);
        }
        remove_network();
    }
}

fn create_network() {
    run("ip", &["netns", "add", NETNS]);
    run(
        "ip",
        &[
            "link", "add", HOST_LINK, "type", "veth", "peer", "name", NS_LINK,
        ],
    );
    run("ip", &["link", "set", NS_LINK, "netns", NETNS]);
    run(
        "ip",
        &["addr", "add", &format!("{MASTER_IP}/24"), "dev", HOST_LINK],
    );
    run("ip", &["link", "set", HOST_LINK, "up"]);
    let in_ns = |args: &[&str]| {
        let mut all = vec!["netns", "exec", NETNS, "ip"];
        all.extend_from_slice(args);
        run("ip", &all);
    };
    in_ns(&["addr", "add", &format!("{CS_IP}/24"), "dev", NS_LINK]);
    in_ns(&["link", "set", NS_LINK, "up"]);
    in_ns(&["link", "set", "lo", "up"]);
}

/// Deleting the namespace also deletes the veth pair; the link deletion
/// covers a pair left behind by an interrupted setup.
fn remove_network() {
    run_quietly("ip", &["netns", "del", NETNS]);
    run_quietly("ip", &["link", "del", HOST_LINK]);
}

fn pattern(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761).wrapping_add(seed) >> 13) as u8)
        .collect()
}

/// What was written through the mount: (file, offset, bytes).
fn writes() -> Vec<(&'static str, u64, Vec<u8>)> {
    vec![
        // Three whole blocks and a partial fourth.
        ("multi", 0, pattern(200_000, 1)),
        // One short partial block.
        ("short", 0, b"short file".to_vec()),
        // Data only in block 4: blocks 0-3 are gaps.
        ("gappy", 4 * u64::from(BLOCK_SIZE) + 300, pattern(5000, 2)),
    ]
}

#[test]
fn real_chunkserver_files_read_by_us_and_ours_served_by_it() {
    if let Some(reason) = unavailable() {
        eprintln!("SKIPPED: cannot run a MooseFS cluster here: {reason}");
        return;
    }
    let mut cluster = Cluster::start();
    for (file, offset, data) in writes() {
        let mut f = fs::File::create(cluster.mnt().join(file)).expect("create on mfsmount");
        if offset > 0 {
            f.set_len(offset).expect("extend");
        }
        std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(offset)).expect("seek");
        f.write_all(&data).expect("write on mfsmount");
        f.sync_all().expect("fsync on mfsmount");
    }
    let chunks: Vec<ChunkName> = writes()
        .iter()
        .map(|(file, ..)| cluster.first_chunk(file))
        .collect();
    cluster.unmount();
    cluster.stop_chunkserver();

    let ours = TempDir::new().expect("temp dir");
    for ((file, offset, data), name) in writes().into_iter().zip(&chunks) {
        let path = cluster.find_chunk(*name);
        let chunk = ChunkFile::open(path.clone()).expect("open MooseFS chunk");
        let report = chunk.verify();
        assert!(report.is_ok(), "{file}: {report:?}");
        let end = offset as usize + data.len();
        assert_eq!(
            usize::from(chunk.blocks()),
            end.div_ceil(BLOCK_SIZE as usize)
        );
        let mut expected = vec![0u8; end];
        expected[offset as usize..].copy_from_slice(&data);
        assert_eq!(chunk.read(0, end as u32).expect("read"), expected, "{file}");

        // The same writes done by our module give the very same file.
        let mut mine = ChunkFile::create(ChunkPath::new(ours.path(), 0, *name)).expect("create");
        mine.write(offset as u32, &data).expect("write");
        assert_eq!(
            fs::read(mine.path().path()).expect("our file"),
            fs::read(path.path()).expect("MooseFS file"),
            "{file}: our bytes differ from MooseFS's"
        );
    }

    // Edit a MooseFS chunk with our module; MooseFS must serve the edit.
    let mut edited =
        ChunkFile::open(cluster.find_chunk(chunks[0])).expect("open chunk for editing");
    edited.write(70_000, b"written by MooseNG").expect("edit");
    edited.sync().expect("sync");
    drop(edited);
    cluster.start_chunkserver();
    cluster.mount();
    let served = fs::read(cluster.mnt().join("multi")).expect("read through MooseFS");
    let mut expected = pattern(200_000, 1);
    expected[70_000..70_018].copy_from_slice(b"written by MooseNG");
    assert!(
        served == expected,
        "MooseFS served other bytes than our edit"
    );
}
