//! Two clusters side by side for tools whose output must read the same
//! under `mooseng-master` and under Debian's `mfsmaster`: each with three
//! Debian chunkservers (labelled as a test asks) and one Debian mount.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use mooseng_tools::{Flavor, Layout, Role, Subnet};

use super::cli::valid_copies;
use super::labels::label;
use super::{eventually, up_compared, Down};

/// `admin` lets the mount create storage classes.
const ROOT_EXPORT: &str = "rw,alldirs,admin,maproot=0";

pub struct Side {
    down: Down,
    pub mnt: PathBuf,
    pub subnet: Subnet,
    pub master: Ipv4Addr,
}

impl Side {
    pub fn up(
        root: &Path,
        (prefix, subnet): (&str, &str),
        flavor: Flavor,
        labels: &[(u8, &str)],
    ) -> Side {
        let down = up_compared(root, (prefix, subnet), flavor, 1, ROOT_EXPORT);
        let subnet: Subnet = subnet.parse().expect("subnet");
        if !labels.is_empty() {
            label(&down.0, &subnet, labels);
        }
        Side {
            master: Role::Master.address(&subnet),
            mnt: down.0.default_mountpoint(),
            down,
            subnet,
        }
    }

    pub fn layout(&self) -> &Layout {
        &self.down.0
    }

    /// The address of chunkserver `n`.
    pub fn chunkserver(&self, n: u8) -> Ipv4Addr {
        Role::Chunkserver(n).address(&self.subnet)
    }

    /// Runs a tool in the mount's root as root: its exit status and
    /// output with the mount point taken out.
    pub fn tool(&self, args: &[&str]) -> String {
        self.run(Command::new(args[0]).args(&args[1..]))
    }

    /// [`Side::tool`] as uid and gid 1000, who owns none of the files.
    pub fn tool_as_user(&self, args: &[&str]) -> String {
        let ids = ["--reuid=1000", "--regid=1000", "--clear-groups"];
        self.run(Command::new("setpriv").args(ids).args(args))
    }

    fn run(&self, command: &mut Command) -> String {
        let out = command.current_dir(&self.mnt).output().expect("tool runs");
        format!(
            "{:?}\n{}{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
        .replace(self.mnt.to_str().expect("UTF-8 mount point"), "MNT")
    }

    /// The chunkservers, by number, holding VALID copies of `file`.
    pub fn holders(&self, file: &str) -> Vec<u8> {
        let addresses = valid_copies(&self.mnt.join(file));
        (1..=3)
            .filter(|n| addresses.contains(&self.chunkserver(*n).to_string()))
            .collect()
    }
}

/// Runs `args` on both sides, asserts they print the same and returns it.
pub fn same(ng: &Side, mfs: &Side, args: &[&str]) -> String {
    let (ours, theirs) = (ng.tool(args), mfs.tool(args));
    assert_eq!(ours, theirs, "{args:?}");
    ours
}

/// Waits up to `limit` until both sides hold `file` on exactly `servers`.
pub fn placed(ng: &Side, mfs: &Side, file: &str, servers: &[u8], limit: Duration) {
    eventually(limit, || {
        ng.holders(file) == servers && mfs.holders(file) == servers
    });
    assert_eq!(
        (ng.holders(file), mfs.holders(file)),
        (servers.to_vec(), servers.to_vec()),
        "{file}: copies on (ours, theirs)"
    );
}
