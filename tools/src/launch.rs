//! How each role is started: its command line and the files it needs.
//!
//! MooseNG's daemons are meant as drop-in replacements, so they get the same
//! configuration files and the same command line as MooseFS's, except the
//! MooseNG master and chunkserver, which take their settings as flags.

use std::ffi::OsString;
use std::net::Ipv4Addr;
use std::path::PathBuf;

use crate::config::{self, ChunkserverConfig, MasterConfig, MetaloggerConfig};
use crate::hosts;
use crate::layout::Layout;
use crate::role::{Flavor, Role};
use crate::subnet::Subnet;

/// The port mounts (and `mfscli`) talk to the master on.
pub const MASTER_CLIENT_PORT: u16 = 9421;
/// The port chunkservers register on.
pub const MASTER_CHUNKSERVER_PORT: u16 = 9420;
/// Where MooseNG masters of a group serve each other's Raft (gRPC).
pub const MASTER_RAFT_PORT: u16 = 9423;
/// Where MooseNG masters of a group serve `/health` and `/metrics`.
pub const MASTER_METRICS_PORT: u16 = 9426;

/// What a role needs from the rest of the cluster.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub layout: &'a Layout,
    pub subnet: Subnet,
    pub master: Ipv4Addr,
    /// How many masters there are (more than one only for MooseNG's):
    /// [`Role::Master`] at `master`, then [`Role::Peer`]s.
    pub masters: u8,
    pub mounts: &'a Mounts,
    /// Options of the master's `/` export.
    pub root_export: &'a str,
    /// How soon mfsmaster replicates (mooseng-master has no such delay).
    pub replication: config::Replication,
}

/// Where the mounts go: one mount at `base` itself, several at
/// `base/mount1`, `base/mount2`, ...
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mounts {
    pub base: PathBuf,
    pub count: u8,
}

impl Mounts {
    pub fn path(&self, n: u8) -> PathBuf {
        if self.count == 1 {
            self.base.clone()
        } else {
            self.base.join(Role::Mount(n).name())
        }
    }
}

/// A file to write before the program starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub path: PathBuf,
    pub contents: Vec<u8>,
}

/// Everything needed to start one program, except where it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    pub args: Vec<OsString>,
    pub dirs: Vec<PathBuf>,
    pub files: Vec<File>,
    /// A hosts file (one of `files`) the program must see as `/etc/hosts`:
    /// MooseFS's programs find a group of masters by name
    /// ([`hosts::wrap`]).
    pub hosts: Option<PathBuf>,
}

impl Launch {
    fn file(path: PathBuf, contents: impl Into<Vec<u8>>) -> File {
        File {
            path,
            contents: contents.into(),
        }
    }

    /// Adds `hosts`, when there is one, as the program's hosts file.
    fn resolving(mut self, hosts: Option<File>) -> Launch {
        if let Some(file) = hosts {
            self.hosts = Some(file.path.clone());
            self.files.push(file);
        }
        self
    }
}

/// The command line of a daemon: stay in the foreground (so its pid is the
/// one we record and its log goes to stderr), with this config file.
fn daemon_args(cfg: &std::path::Path) -> Vec<OsString> {
    vec!["-f".into(), "-c".into(), cfg.into(), "start".into()]
}

/// How to start `role`.
pub fn launch(role: Role, flavor: Flavor, ctx: &Context<'_>) -> Launch {
    match role {
        Role::Master | Role::Peer(_) if flavor == Flavor::Ng => ng_master(role, ctx),
        Role::Master | Role::Peer(_) => master(ctx),
        Role::Chunkserver(_) if flavor == Flavor::Ng => ng_chunkserver(role, ctx),
        Role::Chunkserver(_) => chunkserver(role, ctx),
        Role::Metalogger => metalogger(ctx),
        Role::Mount(n) if flavor == Flavor::Ng => ng_mount(ctx, ctx.mounts.path(n)),
        Role::Mount(n) => mount(n, ctx),
    }
}

fn master(ctx: &Context<'_>) -> Launch {
    let etc = ctx.layout.etc(Role::Master);
    let data = ctx.layout.data(Role::Master);
    let cfg = MasterConfig {
        data_path: data.clone(),
        exports: etc.join("mfsexports.cfg"),
        topology: etc.join("mfstopology.cfg"),
        replication: ctx.replication,
    };
    Launch {
        args: daemon_args(&etc.join("mfsmaster.cfg")),
        dirs: vec![etc.clone(), data.clone()],
        files: vec![
            Launch::file(etc.join("mfsmaster.cfg"), cfg.render()),
            Launch::file(
                cfg.exports.clone(),
                config::exports(&ctx.subnet, ctx.root_export),
            ),
            Launch::file(cfg.topology.clone(), "# Every address is in one rack.\n"),
            Launch::file(data.join("metadata.mfs"), config::EMPTY_METADATA),
        ],
        hosts: None,
    }
}

/// `mooseng-master --exports FILE --data-dir DIR`, listening on every
/// address of its namespace on the standard ports.
fn ng_master(role: Role, ctx: &Context<'_>) -> Launch {
    let etc = ctx.layout.etc(role);
    let data = ctx.layout.data(role);
    let exports = etc.join("mfsexports.cfg");
    let mut args: Vec<OsString> = vec![
        "--exports".into(),
        exports.clone().into(),
        "--data-dir".into(),
        data.clone().into(),
    ];
    let mut files = vec![Launch::file(
        exports,
        config::exports(&ctx.subnet, ctx.root_export),
    )];
    if ctx.masters > 1 {
        let group = etc.join("mooseng-master.toml");
        files.push(Launch::file(group.clone(), group_config(role, ctx)));
        args.extend(["--config".into(), group.into()]);
    }
    Launch {
        args,
        dirs: vec![etc, data],
        files,
        hosts: None,
    }
}

/// A group member's settings: its node id, Raft address and peers, and
/// the `/health` endpoint that tells its role.
fn group_config(role: Role, ctx: &Context<'_>) -> String {
    let address = role.address(&ctx.subnet);
    let peers: Vec<String> = crate::role::masters(ctx.masters)
        .map(|m| {
            let id = m.node_id().unwrap_or_default();
            let ip = m.address(&ctx.subnet);
            format!("\"{id}={ip}:{MASTER_RAFT_PORT}\"")
        })
        .collect();
    format!(
        "node_id = {}\nraft_listen = \"{address}:{MASTER_RAFT_PORT}\"\n\
         metrics = \"{address}:{MASTER_METRICS_PORT}\"\npeers = [{}]\n",
        role.node_id().unwrap_or_default(),
        peers.join(", ")
    )
}

/// Every master's address, node 1's first.
fn master_addresses(ctx: &Context<'_>) -> Vec<Ipv4Addr> {
    std::iter::once(ctx.master)
        .chain(
            crate::role::masters(ctx.masters)
                .skip(1)
                .map(|m| m.address(&ctx.subnet)),
        )
        .collect()
}

/// How MooseFS's `role` names the master: by its address, or a group by
/// [`hosts::MASTER_NAME`], with a hosts file in `role`'s configuration
/// directory that gives the name every master's address.
fn master_host(role: Role, ctx: &Context<'_>) -> (String, Option<File>) {
    if ctx.masters > 1 {
        let path = ctx.layout.etc(role).join("hosts");
        let file = Launch::file(path, hosts::masters_file(&master_addresses(ctx)));
        (hosts::MASTER_NAME.to_owned(), Some(file))
    } else {
        (ctx.master.to_string(), None)
    }
}

fn chunkserver(role: Role, ctx: &Context<'_>) -> Launch {
    let etc = ctx.layout.etc(role);
    let data = ctx.layout.data(role);
    let hdd = data.join("hdd");
    let (master, hosts) = master_host(role, ctx);
    let cfg = ChunkserverConfig {
        master,
        listen: role.address(&ctx.subnet),
        data_path: data.clone(),
        hdd_conf: etc.join("mfshdd.cfg"),
    };
    Launch {
        args: daemon_args(&etc.join("mfschunkserver.cfg")),
        dirs: vec![etc.clone(), data, hdd.clone()],
        files: vec![
            Launch::file(etc.join("mfschunkserver.cfg"), cfg.render()),
            Launch::file(cfg.hdd_conf.clone(), config::hdd(&[hdd])),
        ],
        hosts: None,
    }
    .resolving(hosts)
}

/// `mooseng-chunkserver --master M:9420 --listen IP:9422 --data DIR`.
fn ng_chunkserver(role: Role, ctx: &Context<'_>) -> Launch {
    let hdd = ctx.layout.data(role).join("hdd");
    let listen = format!("{}:9422", role.address(&ctx.subnet));
    let mut args: Vec<OsString> = master_addresses(ctx)
        .into_iter()
        .flat_map(|ip| {
            let master = format!("{ip}:{MASTER_CHUNKSERVER_PORT}");
            ["--master".into(), master.into()]
        })
        .collect();
    args.extend([
        "--listen".into(),
        listen.into(),
        "--data".into(),
        hdd.clone().into(),
    ]);
    Launch {
        args,
        dirs: vec![hdd],
        files: Vec::new(),
        hosts: None,
    }
}

fn metalogger(ctx: &Context<'_>) -> Launch {
    let etc = ctx.layout.etc(Role::Metalogger);
    let data = ctx.layout.data(Role::Metalogger);
    let cfg = MetaloggerConfig {
        master: ctx.master,
        data_path: data.clone(),
    };
    Launch {
        args: daemon_args(&etc.join("mfsmetalogger.cfg")),
        dirs: vec![etc.clone(), data],
        files: vec![Launch::file(etc.join("mfsmetalogger.cfg"), cfg.render())],
        hosts: None,
    }
}

/// A mount of `master` in the foreground, so its pid stays the one we
/// record and it exits once unmounted.
fn mount_of(master: String, mountpoint: PathBuf) -> Launch {
    Launch {
        args: vec![
            mountpoint.clone().into(),
            "-f".into(),
            "-H".into(),
            master.into(),
            "-P".into(),
            MASTER_CLIENT_PORT.to_string().into(),
        ],
        dirs: vec![mountpoint],
        files: Vec::new(),
        hosts: None,
    }
}

/// mfsmount number `n`, with its configuration directory for a group's
/// hosts file.
fn mount(n: u8, ctx: &Context<'_>) -> Launch {
    let role = Role::Mount(n);
    let (master, hosts) = master_host(role, ctx);
    let mut launch = mount_of(master, ctx.mounts.path(n));
    if hosts.is_some() {
        launch.dirs.push(ctx.layout.etc(role));
    }
    launch.resolving(hosts)
}

/// A mount of the first master with every other one after `-H` too:
/// MooseNG's mount tries them in turn and follows a follower's redirect.
fn ng_mount(ctx: &Context<'_>, mountpoint: PathBuf) -> Launch {
    let mut launch = mount_of(ctx.master.to_string(), mountpoint);
    for ip in master_addresses(ctx).into_iter().skip(1) {
        launch.args.extend(["-H".into(), ip.to_string().into()]);
    }
    launch
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx<'a>(layout: &'a Layout, mounts: &'a Mounts) -> Context<'a> {
        Context {
            layout,
            subnet: "10.9.0.0/24".parse().unwrap(),
            master: Ipv4Addr::new(10, 9, 0, 2),
            masters: 1,
            mounts,
            root_export: config::DEFAULT_ROOT_EXPORT,
            replication: config::Replication::Default,
        }
    }

    fn one_mount() -> Mounts {
        Mounts {
            base: "/m".into(),
            count: 1,
        }
    }

    #[test]
    fn master_starts_from_empty_metadata() {
        let (layout, mounts) = (Layout::new("/s"), one_mount());
        let l = launch(Role::Master, Flavor::Mfs, &ctx(&layout, &mounts));
        assert_eq!(l.args, ["-f", "-c", "/s/etc/master/mfsmaster.cfg", "start"]);
        let meta = l
            .files
            .iter()
            .find(|f| f.path.ends_with("metadata.mfs"))
            .unwrap();
        assert_eq!(meta.contents, b"MFSM NEW");
        assert!(l.files.iter().any(|f| f.path.ends_with("mfsexports.cfg")));
    }

    #[test]
    fn ng_master_gets_flags_and_the_exports_file() {
        let (layout, mounts) = (Layout::new("/s"), one_mount());
        let l = launch(Role::Master, Flavor::Ng, &ctx(&layout, &mounts));
        let args = [
            "--exports",
            "/s/etc/master/mfsexports.cfg",
            "--data-dir",
            "/s/data/master",
        ];
        assert_eq!(l.args, args);
        assert_eq!(l.files.len(), 1);
        assert!(l.files[0].path.ends_with("mfsexports.cfg"));
    }

    #[test]
    fn chunkserver_listens_on_its_own_address() {
        let (layout, mounts) = (Layout::new("/s"), one_mount());
        let l = launch(Role::Chunkserver(2), Flavor::Mfs, &ctx(&layout, &mounts));
        let cfg = String::from_utf8(l.files[0].contents.clone()).unwrap();
        assert!(cfg.contains("CSSERV_LISTEN_HOST = 10.9.0.12\n"), "{cfg}");
        assert!(cfg.contains("MASTER_HOST = 10.9.0.2\n"), "{cfg}");
        assert!(l.dirs.contains(&PathBuf::from("/s/data/cs2/hdd")));
    }

    #[test]
    fn ng_chunkserver_gets_flags() {
        let (layout, mounts) = (Layout::new("/s"), one_mount());
        let l = launch(Role::Chunkserver(2), Flavor::Ng, &ctx(&layout, &mounts));
        let args = [
            "--master",
            "10.9.0.2:9420",
            "--listen",
            "10.9.0.12:9422",
            "--data",
            "/s/data/cs2/hdd",
        ];
        assert_eq!(l.args, args);
        assert!(l.files.is_empty());
    }

    #[test]
    fn debian_programs_find_a_group_by_name() {
        let (layout, mounts) = (Layout::new("/s"), one_mount());
        let group = Context {
            masters: 3,
            ..ctx(&layout, &mounts)
        };
        let hosts = "127.0.0.1 localhost\n10.9.0.2 mfsmaster\n10.9.0.4 mfsmaster\n\
                     10.9.0.5 mfsmaster\n";
        let cs = launch(Role::Chunkserver(1), Flavor::Mfs, &group);
        let cfg = String::from_utf8(cs.files[0].contents.clone()).unwrap();
        assert!(cfg.contains("MASTER_HOST = mfsmaster\n"), "{cfg}");
        assert_eq!(cs.hosts, Some(PathBuf::from("/s/etc/cs1/hosts")));
        assert!(cs
            .files
            .iter()
            .any(|f| f.path.ends_with("cs1/hosts") && f.contents == hosts.as_bytes()));
        let mount = launch(Role::Mount(1), Flavor::Mfs, &group);
        assert_eq!(mount.args, ["/m", "-f", "-H", "mfsmaster", "-P", "9421"]);
        assert_eq!(mount.hosts, Some(PathBuf::from("/s/etc/mount1/hosts")));
        assert!(mount.dirs.contains(&PathBuf::from("/s/etc/mount1")));
        let single = launch(Role::Mount(1), Flavor::Mfs, &ctx(&layout, &mounts));
        assert_eq!(single.hosts, None);
    }

    #[test]
    fn a_group_of_ng_masters_is_configured_as_one() {
        let (layout, mounts) = (Layout::new("/s"), one_mount());
        let group = Context {
            masters: 3,
            ..ctx(&layout, &mounts)
        };
        let l = launch(Role::Peer(3), Flavor::Ng, &group);
        assert_eq!(
            l.args[2..],
            [
                "--data-dir",
                "/s/data/master3",
                "--config",
                "/s/etc/master3/mooseng-master.toml"
            ]
        );
        let cfg = String::from_utf8(l.files[1].contents.clone()).unwrap();
        assert_eq!(
            cfg,
            "node_id = 3\nraft_listen = \"10.9.0.5:9423\"\nmetrics = \"10.9.0.5:9426\"\n\
             peers = [\"1=10.9.0.2:9423\", \"2=10.9.0.4:9423\", \"3=10.9.0.5:9423\"]\n"
        );
        let cs = launch(Role::Chunkserver(1), Flavor::Ng, &group);
        let masters: Vec<_> = cs.args.iter().skip(1).step_by(2).take(3).collect();
        assert_eq!(masters, ["10.9.0.2:9420", "10.9.0.4:9420", "10.9.0.5:9420"]);
        let mount = launch(Role::Mount(1), Flavor::Ng, &group);
        assert_eq!(
            mount.args,
            ["/m", "-f", "-H", "10.9.0.2", "-P", "9421", "-H", "10.9.0.4", "-H", "10.9.0.5"]
        );
    }

    #[test]
    fn mount_points_at_the_master() {
        let (layout, mounts) = (Layout::new("/s"), one_mount());
        let l = launch(Role::Mount(1), Flavor::Mfs, &ctx(&layout, &mounts));
        assert_eq!(l.args, ["/m", "-f", "-H", "10.9.0.2", "-P", "9421"]);
    }

    #[test]
    fn several_mounts_get_one_directory_each() {
        let mounts = Mounts {
            base: "/m".into(),
            count: 2,
        };
        assert_eq!(mounts.path(2), PathBuf::from("/m/mount2"));
        assert_eq!(one_mount().path(1), PathBuf::from("/m"));
    }
}
