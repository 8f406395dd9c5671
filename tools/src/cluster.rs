//! `up`, `status` and `down`: building a cluster from a plan, recording it
//! step by step, and taking down exactly what was recorded.

use std::fs;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::config::Replication;
use crate::error::Error;
use crate::hosts;
use crate::launch::{self, Context, Mounts, MASTER_CHUNKSERVER_PORT};
use crate::layout::Layout;
use crate::mounts;
use crate::net::{self, Naming};
use crate::process::{self, ProcessId};
use crate::readiness::{self, wait_for};
use crate::role::{self, find_program, Flavor, Role, MASTER_HOST, MAX_MASTERS};
use crate::state::{Member, State};
use crate::subnet::Subnet;

/// How long a daemon gets to exit after SIGTERM before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// What `up` is asked to build.
#[derive(Debug, Clone)]
pub struct UpOptions {
    pub master: Flavor,
    pub chunkservers: Vec<Flavor>,
    pub metalogger: Option<Flavor>,
    pub mount: Flavor,
    pub mounts: u8,
    pub mountpoint: Option<PathBuf>,
    pub prefix: String,
    pub subnet: Subnet,
    /// Options of the `/` line of `mfsexports.cfg`, e.g. to add `admin`.
    pub root_export: String,
    pub timeout: Duration,
}

impl UpOptions {
    /// Every member in start order: master, chunkservers, metalogger, mounts.
    fn members(&self) -> Vec<(Role, Flavor)> {
        let chunkservers = (1u8..)
            .zip(&self.chunkservers)
            .map(|(n, f)| (Role::Chunkserver(n), *f));
        let mounts = (1..=self.mounts).map(|n| (Role::Mount(n), self.mount));
        std::iter::once((Role::Master, self.master))
            .chain(chunkservers)
            .chain(self.metalogger.map(|f| (Role::Metalogger, f)))
            .chain(mounts)
            .collect()
    }
}

/// A member's program, found before anything is created.
struct Planned {
    role: Role,
    flavor: Flavor,
    program: PathBuf,
}

/// Builds and starts the cluster, returning its state once every
/// chunkserver is registered and every mount answers. On failure everything
/// created so far is taken down again (logs stay). mfsmaster replicates as
/// MooseFS does by default.
pub fn up(layout: &Layout, opts: &UpOptions) -> Result<State, Error> {
    up_with(layout, opts, Replication::Default)
}

/// [`up`], with mfsmaster replicating as `replication` says.
pub fn up_with(
    layout: &Layout,
    opts: &UpOptions,
    replication: Replication,
) -> Result<State, Error> {
    up_group(layout, opts, replication, 1)
}

/// [`up_with`] with `masters` MooseNG masters in one Raft group (node 1
/// is [`Role::Master`], the others [`Role::Peer`]s); chunkservers and
/// MooseNG mounts get every master's address.
pub fn up_group(
    layout: &Layout,
    opts: &UpOptions,
    replication: Replication,
    masters: u8,
) -> Result<State, Error> {
    if masters > 1 && opts.master != Flavor::Ng || !(1..=MAX_MASTERS).contains(&masters) {
        return Err(Error::Masters { masters });
    }
    let naming = Naming::new(&opts.prefix)?;
    if State::load(&layout.state_file())?.is_some() {
        return Err(Error::AlreadyUp {
            state: layout.state_file(),
        });
    }
    let planned = resolve_programs(opts, masters)?;
    check_names_free(&naming, &planned, &opts.prefix)?;
    check_subnet_free(&opts.subnet)?;
    prepare_dirs(layout)?;

    let mut state = State::new(&opts.prefix, opts.subnet);
    let group = Group {
        replication,
        masters,
    };
    match build(layout, opts, group, &naming, &planned, &mut state) {
        Ok(()) => Ok(state),
        Err(error) => {
            // The build error is the one worth reporting; a failing cleanup
            // leaves the state file behind for `down` to retry.
            let _ = teardown(layout, &state);
            Err(error)
        }
    }
}

/// How mfsmaster replicates and how many masters there are.
#[derive(Debug, Clone, Copy)]
struct Group {
    replication: Replication,
    masters: u8,
}

fn resolve_programs(opts: &UpOptions, masters: u8) -> Result<Vec<Planned>, Error> {
    let peers = role::masters(masters).skip(1).map(|m| (m, opts.master));
    let mut members = opts.members();
    members.splice(1..1, peers);
    members
        .into_iter()
        .map(|(role, flavor)| {
            let name = role.program(flavor);
            find_program(name)
                .map(|program| Planned {
                    role,
                    flavor,
                    program,
                })
                .ok_or_else(|| Error::MissingProgram {
                    role: role.name(),
                    flavor: flavor.to_string(),
                    program: name.to_owned(),
                })
        })
        .collect()
}

fn check_names_free(naming: &Naming, planned: &[Planned], prefix: &str) -> Result<(), Error> {
    let taken = |what: String| Error::NameTaken {
        what,
        prefix: prefix.to_owned(),
    };
    if net::link_exists(&naming.host_link())? {
        return Err(taken(format!("interface {}", naming.host_link())));
    }
    let daemons = planned.iter().filter(|p| p.role.host_number().is_some());
    for netns in std::iter::once(naming.hub()).chain(daemons.map(|p| naming.netns(p.role))) {
        if net::netns_exists(&netns)? {
            return Err(taken(format!("network namespace {netns}")));
        }
    }
    Ok(())
}

fn check_subnet_free(subnet: &Subnet) -> Result<(), Error> {
    match net::host_addresses()?
        .into_iter()
        .find(|(_, addr, len)| subnet.overlaps(*addr, *len))
    {
        Some((dev, addr, len)) => Err(Error::SubnetInUse {
            subnet: subnet.to_string(),
            addr: format!("{addr}/{len}"),
            dev,
        }),
        None => Ok(()),
    }
}

/// Clears what the previous cluster left in the state directory.
fn prepare_dirs(layout: &Layout) -> Result<(), Error> {
    for dir in layout.generated() {
        match fs::remove_dir_all(&dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(Error::io("remove", dir)(e))
            }
            _ => {}
        }
    }
    fs::create_dir_all(layout.logs()).map_err(Error::io("create", layout.logs()))
}

/// Creates the network (hub namespace with the bridge, the host's link
/// into it, a namespace per daemon), then starts the members.
fn build(
    layout: &Layout,
    opts: &UpOptions,
    group: Group,
    naming: &Naming,
    planned: &[Planned],
    state: &mut State,
) -> Result<(), Error> {
    let save = |state: &State| state.save(&layout.state_file());
    let subnet = opts.subnet;
    let (hub, bridge, host_link) = (naming.hub(), naming.bridge(), naming.host_link());
    net::create_netns(&hub)?;
    state.namespaces.push(hub.clone());
    save(state)?;
    net::create_bridge(&hub, &bridge)?;
    state.bridge = Some(bridge.clone());
    // Recorded before creation: should a later step of `connect_host` fail,
    // the link exists and must still be deleted.
    state.host_links.push(host_link.clone());
    save(state)?;
    net::connect_host(&hub, &bridge, &host_link, &subnet)?;

    for p in planned {
        let Some(host) = p.role.host_number() else {
            continue;
        };
        let netns = naming.netns(p.role);
        net::create_netns(&netns)?;
        state.namespaces.push(netns.clone());
        save(state)?;
        let veth = naming.veth(p.role);
        net::connect(&netns, &hub, &bridge, &veth, subnet.host(host), &subnet)?;
    }
    start_members(layout, opts, group, naming, planned, state)
}

/// Starts the daemons then the mounts, each group once the previous one
/// works.
fn start_members(
    layout: &Layout,
    opts: &UpOptions,
    group: Group,
    naming: &Naming,
    planned: &[Planned],
    state: &mut State,
) -> Result<(), Error> {
    let save = |state: &State| state.save(&layout.state_file());
    let subnet = opts.subnet;
    let master_ip = subnet.host(MASTER_HOST);
    let mounts = Mounts {
        base: opts
            .mountpoint
            .clone()
            .unwrap_or_else(|| layout.default_mountpoint()),
        count: opts.mounts,
    };
    let ctx = Context {
        layout,
        subnet,
        master: master_ip,
        masters: group.masters,
        mounts: &mounts,
        root_export: &opts.root_export,
        replication: group.replication,
    };
    let deadline = Instant::now() + opts.timeout;
    let waiting = |what: &str, log: &Path, state: &State, ready: &mut dyn FnMut() -> bool| {
        wait_for(what, log, deadline, opts.timeout, &state.processes, ready)
    };
    let master_log = layout.log(Role::Master);

    // Daemons in plan order, the masters first: chunkservers started
    // before a master listens would wait seconds before trying again. A
    // master of a group listens once the group has a leader, so every
    // master starts before any is waited for.
    let daemons = || planned.iter().filter(|p| p.role.host_number().is_some());
    let is_master = |p: &&Planned| p.role.node_id().is_some();
    for p in daemons().filter(is_master) {
        start(p, &ctx, naming, state)?;
        save(state)?;
    }
    for p in daemons().filter(is_master) {
        let ip = p.role.address(&subnet);
        waiting(
            "the master to listen",
            &layout.log(p.role),
            state,
            &mut || readiness::listening(ip, MASTER_CHUNKSERVER_PORT),
        )?;
    }
    for p in daemons().filter(|p| !is_master(p)) {
        start(p, &ctx, naming, state)?;
        save(state)?;
    }
    let chunkservers: Vec<Ipv4Addr> = state
        .processes
        .iter()
        .filter(|m| matches!(m.role, Role::Chunkserver(_)))
        .map(|m| m.address)
        .collect();
    // Only the leader lists chunkservers; followers send them on.
    let masters: Vec<Ipv4Addr> = role::masters(group.masters)
        .map(|m| m.address(&subnet))
        .collect();
    waiting(
        "every chunkserver to register",
        &master_log,
        state,
        &mut || {
            masters
                .iter()
                .any(|ip| readiness::chunkservers_registered(*ip, &chunkservers))
        },
    )?;

    for p in planned.iter() {
        let Role::Mount(n) = p.role else {
            continue;
        };
        let member = start(p, &ctx, naming, state)?;
        save(state)?;
        let path = mounts.path(n);
        waiting(
            &format!("the mount at {}", path.display()),
            &member.log,
            state,
            &mut || readiness::mount_answers(&path),
        )?;
    }
    Ok(())
}

/// Writes a member's files and starts it, recording it in `state`.
fn start(
    p: &Planned,
    ctx: &Context<'_>,
    naming: &Naming,
    state: &mut State,
) -> Result<Member, Error> {
    let launch = launch::launch(p.role, p.flavor, ctx);
    for dir in &launch.dirs {
        fs::create_dir_all(dir).map_err(Error::io("create", dir))?;
    }
    for file in &launch.files {
        fs::write(&file.path, &file.contents).map_err(Error::io("write", &file.path))?;
    }
    let netns = p.role.host_number().map(|_| naming.netns(p.role));
    let log = ctx.layout.log(p.role);
    let mountpoint = match p.role {
        Role::Mount(n) => Some(ctx.mounts.path(n)),
        _ => None,
    };
    let (program, args) = match &launch.hosts {
        Some(file) => hosts::wrap(file, &p.program, &launch.args, netns.is_some()),
        None => (p.program.clone(), launch.args.clone()),
    };
    // A mount with a hosts file of its own mounts from a mount namespace
    // of its own, which reaches the host through a shared mount point.
    let shared = mountpoint.as_ref().filter(|_| launch.hosts.is_some());
    if let Some(path) = shared {
        hosts::share_mountpoint(path)?;
    }
    let process = match process::spawn(&program, &args, netns.as_deref(), &log) {
        Ok(process) => process,
        Err(error) => {
            if let Some(path) = shared {
                let _ = mounts::unmount(path);
            }
            return Err(error.into());
        }
    };
    let member = Member {
        role: p.role,
        flavor: p.flavor,
        program,
        // The arguments are paths under the state directory and addresses;
        // a path that is not UTF-8 would already keep the state file from
        // being written, so nothing is lost here.
        args: args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
        process,
        address: p.role.address(&ctx.subnet),
        netns,
        log,
        mountpoint,
    };
    state.processes.push(member.clone());
    Ok(member)
}

/// Unmounts the mounts `state` records (which flushes what they hold),
/// then stops every recorded process at once (each MooseFS daemon takes
/// one to three seconds to exit; in turn they would add up), then removes
/// the network and the state file. Goes on past failures so as much as
/// possible is gone, and reports the first one (keeping the state file).
pub fn teardown(layout: &Layout, state: &State) -> Result<(), Error> {
    let mut first_error: Option<Error> = None;
    let mut note = |result: Result<(), Error>| {
        if let Err(e) = result {
            first_error.get_or_insert(e);
        }
    };
    for path in state.processes.iter().filter_map(|m| m.mountpoint.as_ref()) {
        note(mounts::unmount(path).map_err(Error::from));
    }
    let processes: Vec<ProcessId> = state.processes.iter().map(|m| m.process).collect();
    process::stop_all(&processes, STOP_GRACE);
    for netns in state.namespaces.iter().rev() {
        note(net::delete_netns(netns).map_err(Error::from));
    }
    for link in &state.host_links {
        note(net::delete_link(link).map_err(Error::from));
    }
    match first_error {
        Some(e) => Err(e),
        None => State::remove(&layout.state_file()).map_err(Error::from),
    }
}

/// Takes down the cluster recorded in `layout`; does nothing (successfully)
/// when none is recorded.
pub fn down(layout: &Layout) -> Result<Option<State>, Error> {
    match State::load(&layout.state_file())? {
        Some(state) => teardown(layout, &state).map(|()| Some(state)),
        None => Ok(None),
    }
}

/// The recorded cluster, if any, for `status`.
pub fn status(layout: &Layout) -> Result<Option<State>, Error> {
    Ok(State::load(&layout.state_file())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> UpOptions {
        UpOptions {
            master: Flavor::Mfs,
            chunkservers: vec![Flavor::Mfs, Flavor::Ng],
            metalogger: Some(Flavor::Mfs),
            mount: Flavor::Ng,
            mounts: 2,
            mountpoint: None,
            prefix: "mfsngu".into(),
            subnet: "10.233.200.0/24".parse().unwrap(),
            root_export: crate::config::DEFAULT_ROOT_EXPORT.into(),
            timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn members_in_start_order() {
        assert_eq!(
            options().members(),
            [
                (Role::Master, Flavor::Mfs),
                (Role::Chunkserver(1), Flavor::Mfs),
                (Role::Chunkserver(2), Flavor::Ng),
                (Role::Metalogger, Flavor::Mfs),
                (Role::Mount(1), Flavor::Ng),
                (Role::Mount(2), Flavor::Ng),
            ]
        );
    }

    #[test]
    fn missing_ng_program_fails_before_anything_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::new(dir.path());
        // MooseNG has no metalogger yet; every other ng program may exist.
        let only_ng_metalogger = UpOptions {
            chunkservers: vec![Flavor::Mfs],
            metalogger: Some(Flavor::Ng),
            mount: Flavor::Mfs,
            ..options()
        };
        let err = up(&layout, &only_ng_metalogger).unwrap_err();
        assert!(
            matches!(&err, Error::MissingProgram { program, .. } if program == "mooseng-metalogger"),
            "{err}"
        );
        assert!(!layout.state_file().exists());
        assert!(!layout.logs().exists());
    }
}
