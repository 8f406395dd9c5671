//! Command line of `mooseng-cluster`: `up`, `status`, `down`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use mooseng_tools::{cluster, member, report, Flavor, Layout, Role, Subnet, UpOptions};

/// A local MooseFS-protocol cluster whose roles are played by MooseFS
/// (`mfs`) or MooseNG (`ng`) programs. Needs root: it creates network
/// namespaces and FUSE mounts.
#[derive(Debug, Parser)]
#[command(name = "mooseng-cluster", version)]
struct Cli {
    /// Where configuration, data, logs and the state file go.
    #[arg(long, global = true, default_value = "/run/mooseng-cluster")]
    state_dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start a cluster and wait until it serves files, then exit leaving it
    /// running.
    Up(Up),
    /// Show each member of the running cluster, alive or dead; exits with 1
    /// if any is dead or no cluster is up.
    Status,
    /// Stop everything `up` started and remove its network; does nothing if
    /// no cluster is up.
    Down,
    /// Stop one daemon (SIGTERM) and start it again with the same command
    /// line, as an operator would; the others find it again on their own.
    Restart {
        /// The daemon: master, master2, metalogger, cs1, cs2, ... (a mount ends with
        /// its process and cannot be restarted).
        #[arg(value_parser = parse_role)]
        role: Role,
    },
}

fn parse_role(name: &str) -> Result<Role, String> {
    Role::from_name(name)
        .ok_or_else(|| format!("no role named `{name}` (master, master2, metalogger, cs1, ...)"))
}

#[derive(Debug, clap::Args)]
struct Up {
    /// Who plays the master.
    #[arg(long, value_enum, default_value_t = Flavor::Mfs)]
    master: Flavor,
    /// How many masters (`ng` only): a Raft group of master, master2, ...
    /// on their own addresses; chunkservers and ng mounts get them all.
    #[arg(long, default_value_t = 1)]
    masters: u8,
    /// One flavor per chunkserver, comma separated.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "mfs,mfs,mfs")]
    chunkservers: Vec<Flavor>,
    /// Who plays the mounts.
    #[arg(long, value_enum, default_value_t = Flavor::Mfs)]
    mount: Flavor,
    /// How many mounts.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=16))]
    mounts: u8,
    /// Where to mount (several mounts go in mount1, mount2, ... below it).
    /// Default: STATE_DIR/mnt.
    #[arg(long)]
    mountpoint: Option<PathBuf>,
    /// Also run a metalogger (mfs unless a flavor is given).
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "mfs")]
    metalogger: Option<Flavor>,
    /// Start of every bridge, namespace and veth name.
    #[arg(long, default_value = "mfsng")]
    prefix: String,
    /// Subnet of the bridge and namespaces.
    #[arg(long, default_value = "10.233.0.0/24")]
    subnet: Subnet,
    /// Options of the master's `/` export (mfsexports.cfg), e.g.
    /// `rw,alldirs,admin,maproot=0:0` to allow mfscli's admin commands.
    #[arg(long, default_value = mooseng_tools::config::DEFAULT_ROOT_EXPORT)]
    root_export: String,
    /// How soon mfsmaster replicates: `quick` starts at once instead of a
    /// minute after the master starts.
    #[arg(long, value_enum, default_value = "default")]
    replication: mooseng_tools::config::Replication,
    /// Seconds to wait for the cluster to work.
    #[arg(long, default_value_t = 60)]
    timeout: u64,
}

fn main() -> Result<ExitCode> {
    let cli = Cli::parse();
    let layout = Layout::new(&cli.state_dir);
    match cli.command {
        Command::Up(args) => {
            anyhow::ensure!(
                (1..=200).contains(&args.chunkservers.len()),
                "--chunkservers needs 1 to 200 flavors"
            );
            let mountpoint = args
                .mountpoint
                .map(|p| {
                    std::path::absolute(&p)
                        .with_context(|| format!("bad mountpoint {}", p.display()))
                })
                .transpose()?;
            let opts = UpOptions {
                master: args.master,
                chunkservers: args.chunkservers,
                metalogger: args.metalogger,
                mount: args.mount,
                mounts: args.mounts,
                mountpoint,
                prefix: args.prefix,
                subnet: args.subnet,
                root_export: args.root_export,
                timeout: Duration::from_secs(args.timeout),
            };
            let state = cluster::up_group(&layout, &opts, args.replication, args.masters)
                .context("cluster did not come up")?;
            print!("{}", report::table(&state));
            println!("state: {}", layout.state_file().display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Status => match cluster::status(&layout)? {
            Some(state) => {
                print!("{}", report::table(&state));
                Ok(if state.processes.iter().all(report::is_alive) {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                })
            }
            None => {
                println!("no cluster is up (no {})", layout.state_file().display());
                Ok(ExitCode::FAILURE)
            }
        },
        Command::Restart { role } => {
            let state = cluster::status(&layout)?.context("no cluster is up")?;
            let address = role.address(&state.subnet);
            member::stop(&layout, address)
                .with_context(|| format!("{} was not stopped", role.name()))?;
            let started = member::restart(&layout, address)
                .with_context(|| format!("{} was not started again", role.name()))?;
            println!("restarted {} as pid {}", role.name(), started.process.pid);
            Ok(ExitCode::SUCCESS)
        }
        Command::Down => {
            match cluster::down(&layout).context("cluster was not fully taken down")? {
                Some(state) => println!(
                    "stopped {} processes; removed {} namespaces (with the bridge) and {}",
                    state.processes.len(),
                    state.namespaces.len(),
                    state.host_links.join(", ")
                ),
                None => println!("no cluster is up"),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
