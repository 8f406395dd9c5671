//! Archive flags against `mooseng-master`, compared with Debian's
//! `mfsmaster` doing the same, each under `mooseng-cluster` with three
//! Debian chunkservers labelled A, B and C and a Debian mount: a storage
//! class keeps two copies on A and B and archives to one on C.
//! `mfschkarchive`, `mfssetarchive` and `mfsclrarchive` must print the same
//! on both (a non-owner's refusal included), the archived file's copies
//! must move to C and back on both, and `mfscli -SSC` must count the
//! archived chunk alike.
//!
//! Needs root, network namespaces, FUSE and the MooseFS packages
//! (scripts/setup.sh); a few minutes, as mfsmaster deletes surplus copies
//! on its chunk loop of a minute.

// The helpers below are test code too; a failed step should stop the test.
#![allow(clippy::unwrap_used)]

mod support;

use std::fs;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use mooseng_tools::{Flavor, Role, Subnet};
use support::cli::{mfscli, valid_copies};
use support::labels::label;
use support::{eventually, payload, up_compared, Down};

const NG: (&str, &str) = ("arcng", "10.233.154.0/24");
const MFS: (&str, &str) = ("arcmf", "10.233.155.0/24");

/// `admin` lets the mount create storage classes.
const ROOT_EXPORT: &str = "rw,alldirs,admin,maproot=0";
const LABELS: [(u8, &str); 3] = [(1, "A"), (2, "B"), (3, "C")];
/// Long enough for mfsmaster to replicate and then delete on its chunk
/// loop of a minute.
const SETTLE: Duration = Duration::from_secs(180);

struct Side {
    _down: Down,
    mnt: PathBuf,
    subnet: Subnet,
    master: Ipv4Addr,
}

impl Side {
    fn up(root: &std::path::Path, (prefix, subnet): (&str, &str), flavor: Flavor) -> Side {
        let down = up_compared(root, (prefix, subnet), flavor, 1, ROOT_EXPORT);
        let subnet: Subnet = subnet.parse().unwrap();
        label(&down.0, &subnet, &LABELS);
        let mnt = down.0.default_mountpoint();
        let side = Side {
            master: Role::Master.address(&subnet),
            _down: down,
            mnt,
            subnet,
        };
        side.tool(&[
            "mfsscadmin",
            "create",
            "-K",
            "A,B",
            "-A",
            "C",
            "-d",
            "30",
            "cold",
        ]);
        fs::create_dir(side.mnt.join("d")).unwrap();
        side.tool(&["mfssetsclass", "cold", "d"]);
        fs::write(side.mnt.join("d/one"), payload(100_000, 1)).unwrap();
        fs::write(side.mnt.join("d/two"), payload(2_000, 2)).unwrap();
        fs::write(side.mnt.join("d/empty"), b"").unwrap();
        side
    }

    /// Runs a tool in the mount's root as root; its exit status and
    /// output with the mount point taken out.
    fn tool(&self, args: &[&str]) -> String {
        self.run(Command::new(args[0]).args(&args[1..]))
    }

    /// [`Side::tool`] as uid and gid 1000, who owns none of the files.
    fn tool_as_user(&self, args: &[&str]) -> String {
        let ids = ["--reuid=1000", "--regid=1000", "--clear-groups"];
        self.run(Command::new("setpriv").args(ids).args(args))
    }

    fn run(&self, command: &mut Command) -> String {
        let out = command.current_dir(&self.mnt).output().unwrap();
        format!(
            "{:?}\n{}{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
        .replace(self.mnt.to_str().unwrap(), "MNT")
    }

    /// The chunkservers, by number, holding VALID copies of `file`.
    fn holders(&self, file: &str) -> Vec<u8> {
        let addresses = valid_copies(&self.mnt.join(file));
        let mut held: Vec<u8> = (1..=3)
            .filter(|n| {
                let address = Role::Chunkserver(*n).address(&self.subnet).to_string();
                addresses.contains(&address)
            })
            .collect();
        held.sort_unstable();
        held
    }

    /// `mfscli -SSC`'s lines with the subnet taken out.
    fn classes(&self) -> String {
        let net = self.subnet.to_string();
        let prefix = net.rsplit_once('.').unwrap().0;
        mfscli(self.master, "-SSC").replace(prefix, "NET")
    }
}

/// Runs `args` on both sides, asserts they print the same and returns it.
fn same(ng: &Side, mfs: &Side, args: &[&str]) -> String {
    let (ours, theirs) = (ng.tool(args), mfs.tool(args));
    assert_eq!(ours, theirs, "{args:?}");
    ours
}

/// Waits until both sides hold `file` on exactly `servers`.
fn placed(ng: &Side, mfs: &Side, file: &str, servers: &[u8]) {
    eventually(SETTLE, || {
        ng.holders(file) == servers && mfs.holders(file) == servers
    });
    assert_eq!(
        (ng.holders(file), mfs.holders(file)),
        (servers.to_vec(), servers.to_vec()),
        "{file}: copies on (ours, theirs)"
    );
}

#[test]
fn archive_flags_move_copies_as_mfsmaster_does() {
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let ng = Side::up(dirs[0].path(), NG, Flavor::Ng);
    let mfs = Side::up(dirs[1].path(), MFS, Flavor::Mfs);
    placed(&ng, &mfs, "d/one", &[1, 2]);
    placed(&ng, &mfs, "d/two", &[1, 2]);

    let none = same(&ng, &mfs, &["mfschkarchive", "d"]);
    assert!(
        none.contains(" files with all chunks not archived:          2\n"),
        "{none}"
    );
    let set = same(&ng, &mfs, &["mfssetarchive", "d/one"]);
    assert!(set.starts_with("Some(0)"), "{set}");
    let refused = (
        ng.tool_as_user(&["mfssetarchive", "d/two"]),
        mfs.tool_as_user(&["mfssetarchive", "d/two"]),
    );
    assert_eq!(refused.0, refused.1, "a non-owner's mfssetarchive");
    assert!(!refused.0.starts_with("Some(0)"), "{}", refused.0);

    placed(&ng, &mfs, "d/one", &[3]);
    placed(&ng, &mfs, "d/two", &[1, 2]);
    let partly = same(&ng, &mfs, &["mfschkarchive", "d"]);
    for line in [
        " files with all chunks archived:              1\n",
        " files with all chunks not archived:          1\n",
        " archived chunks:                             1\n",
    ] {
        assert!(partly.contains(line), "{partly}");
    }
    same(&ng, &mfs, &["mfschkarchive", "d/one"]);
    eventually(SETTLE, || ng.classes() == mfs.classes());
    assert_eq!(ng.classes(), mfs.classes(), "mfscli -SSC");

    same(&ng, &mfs, &["mfsclrarchive", "d"]);
    placed(&ng, &mfs, "d/one", &[1, 2]);
    same(&ng, &mfs, &["mfschkarchive", "d"]);
}
