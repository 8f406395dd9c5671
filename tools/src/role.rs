//! The roles of a cluster and which program plays each one, MooseFS's or
//! MooseNG's.

use std::env;
use std::fmt;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::subnet::Subnet;

/// Which implementation plays a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Flavor {
    /// Debian's MooseFS 3.0.117 programs.
    Mfs,
    /// MooseNG's programs.
    Ng,
}

impl fmt::Display for Flavor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Flavor::Mfs => "mfs",
            Flavor::Ng => "ng",
        })
    }
}

/// The master's host number in the subnet (the bridge side holds 1).
pub const MASTER_HOST: u8 = 2;

/// The most masters a group may have: their host numbers (2, then 4 and
/// up) stay below the chunkservers' (11 and up).
pub const MAX_MASTERS: u8 = 7;

/// One member of the cluster. Chunkservers and mounts are numbered from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Master,
    /// Master number `n` (2 and up) of a group of MooseNG masters; the
    /// first is [`Role::Master`].
    Peer(u8),
    Chunkserver(u8),
    Metalogger,
    Mount(u8),
}

impl Role {
    /// Short unique name, used for log files, namespaces and directories.
    pub fn name(&self) -> String {
        match self {
            Role::Master => "master".into(),
            Role::Peer(n) => format!("master{n}"),
            Role::Chunkserver(n) => format!("cs{n}"),
            Role::Metalogger => "metalogger".into(),
            Role::Mount(n) => format!("mount{n}"),
        }
    }

    /// The role [`Self::name`] names (`master`, `master2`, `cs2`,
    /// `metalogger`, `mount1`).
    pub fn from_name(name: &str) -> Option<Role> {
        let numbered = |prefix: &str| name.strip_prefix(prefix)?.parse().ok().filter(|&n| n > 0);
        match name {
            "master" => Some(Role::Master),
            "metalogger" => Some(Role::Metalogger),
            _ => numbered("cs")
                .map(Role::Chunkserver)
                .or_else(|| {
                    numbered("master")
                        .filter(|&n| (2..=MAX_MASTERS).contains(&n))
                        .map(Role::Peer)
                })
                .or_else(|| numbered("mount").map(Role::Mount)),
        }
    }

    /// Host number inside the subnet for roles that get a network namespace;
    /// mounts run on the host (FUSE mounts made inside `ip netns exec` would
    /// land in a private mount namespace) and use the bridge's address.
    pub fn host_number(&self) -> Option<u8> {
        match self {
            Role::Master => Some(MASTER_HOST),
            Role::Peer(n) => Some(n.saturating_add(2)),
            Role::Metalogger => Some(3),
            Role::Chunkserver(n) => Some(10u8.saturating_add(*n)),
            Role::Mount(_) => None,
        }
    }

    /// The address this role uses in `subnet`: its own for a daemon, the
    /// host's end of the network (host number 1) for a mount.
    pub fn address(&self, subnet: &Subnet) -> Ipv4Addr {
        subnet.host(self.host_number().unwrap_or(1))
    }

    /// The executable that plays this role in `flavor`.
    pub fn program(&self, flavor: Flavor) -> &'static str {
        match (flavor, self) {
            (Flavor::Mfs, Role::Master | Role::Peer(_)) => "mfsmaster",
            (Flavor::Mfs, Role::Chunkserver(_)) => "mfschunkserver",
            (Flavor::Mfs, Role::Metalogger) => "mfsmetalogger",
            (Flavor::Mfs, Role::Mount(_)) => "mfsmount",
            (Flavor::Ng, Role::Master | Role::Peer(_)) => "mooseng-master",
            (Flavor::Ng, Role::Chunkserver(_)) => "mooseng-chunkserver",
            (Flavor::Ng, Role::Metalogger) => "mooseng-metalogger",
            (Flavor::Ng, Role::Mount(_)) => "mooseng-mount",
        }
    }
}

/// The masters of a group of `count`, in node-id order (node 1 first).
pub fn masters(count: u8) -> impl Iterator<Item = Role> {
    std::iter::once(Role::Master).chain((2..=count.min(MAX_MASTERS)).map(Role::Peer))
}

impl Role {
    /// The Raft node id of a master.
    pub fn node_id(&self) -> Option<u8> {
        match self {
            Role::Master => Some(1),
            Role::Peer(n) => Some(*n),
            _ => None,
        }
    }
}

/// Finds `program` next to the running executable (where cargo puts
/// MooseNG's binaries beside this one), then in `PATH`.
pub fn find_program(program: &str) -> Option<PathBuf> {
    let beside = env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf));
    let path = env::var_os("PATH").unwrap_or_default();
    beside
        .into_iter()
        .chain(env::split_paths(&path))
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_addresses_are_distinct() {
        let roles = [
            Role::Master,
            Role::Peer(2),
            Role::Peer(MAX_MASTERS),
            Role::Metalogger,
            Role::Chunkserver(1),
            Role::Chunkserver(2),
        ];
        let names: std::collections::BTreeSet<_> = roles.iter().map(Role::name).collect();
        let hosts: std::collections::BTreeSet<_> = roles.iter().map(Role::host_number).collect();
        assert_eq!(names.len(), roles.len());
        assert_eq!(hosts.len(), roles.len());
        assert_eq!(Role::Mount(1).host_number(), None);
        let subnet: Subnet = "10.9.0.0/24".parse().unwrap();
        assert_eq!(Role::Mount(2).address(&subnet), Ipv4Addr::new(10, 9, 0, 1));
        assert_eq!(
            Role::Chunkserver(2).address(&subnet),
            Ipv4Addr::new(10, 9, 0, 12)
        );
    }

    #[test]
    fn names_parse_back() {
        for role in [
            Role::Master,
            Role::Peer(3),
            Role::Metalogger,
            Role::Chunkserver(12),
            Role::Mount(3),
        ] {
            assert_eq!(Role::from_name(&role.name()), Some(role));
        }
        for bad in [
            "cs0", "cs", "mount-1", "Master", "cs1x", "master1", "master8",
        ] {
            assert_eq!(Role::from_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn programs_by_flavor() {
        assert_eq!(Role::Chunkserver(3).program(Flavor::Mfs), "mfschunkserver");
        assert_eq!(Role::Mount(1).program(Flavor::Ng), "mooseng-mount");
    }

    #[test]
    fn finds_programs_in_path_only_if_present() {
        assert!(find_program("sh").is_some());
        assert!(find_program("mooseng-no-such-program").is_none());
    }
}
