//! `mooseng-conformance`: checks the wire crate against captured traffic.

use std::fs::File;
use std::io::{BufReader, Write};
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use mooseng_conformance::decode::DEFAULT_DUMP_BYTES;
use mooseng_conformance::{decode_files, protocol_doc, replay, Options, PortRole};
use mooseng_wire::direction::port;

mod matrix_cli;
mod pjdfstest_cli;

#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decodes and re-encodes every MooseFS frame in pcap/pcapng captures.
    ///
    /// Exits with status 1 when any frame fails to decode or re-encodes
    /// to other bytes, 2 when a file cannot be read.
    Decode {
        /// Capture files (pcap or pcapng).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// A server on a non-standard port: PORT=ROLE, with ROLE one of
        /// master-client, master-chunkserver, master-metalogger, chunkserver.
        #[arg(long = "port", value_name = "PORT=ROLE")]
        ports: Vec<PortRole>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Payload bytes shown in each failure's hex dump.
        #[arg(long, default_value_t = DEFAULT_DUMP_BYTES)]
        dump_bytes: usize,
    },
    /// Sends the client requests of a capture (port 9421 conversations) to
    /// a master and compares its answers with the captured ones, field by
    /// field under the rules of docs/conformance-replay.md.
    ///
    /// The target must start in the state the capture started from. Exits
    /// with status 1 on any mismatch, 2 when the capture cannot be read or
    /// the target cannot be reached.
    Replay {
        /// The capture (pcap or pcapng).
        file: PathBuf,
        /// The master under test: ADDR[:PORT], port 9421 by default.
        #[arg(long, value_parser = parse_target)]
        target: SocketAddr,
        /// Replay only this conversation (either direction's stream number
        /// as `decode` prints it); may be repeated. Default: all.
        #[arg(long = "stream", value_name = "N")]
        streams: Vec<usize>,
        /// Replay only requests completed up to this capture packet.
        #[arg(long)]
        until_packet: Option<u64>,
        /// Seconds to wait for each answer.
        #[arg(long, default_value_t = 10)]
        timeout: u64,
        /// Before replaying, wait (up to 60 s) until the target lists this
        /// many chunkservers with disk space, so it can place chunks.
        #[arg(long, value_name = "N")]
        wait_chunkservers: Option<usize>,
        /// Before replaying, wait (up to 60 s) until the target lists this
        /// many connected metaloggers.
        #[arg(long, value_name = "N")]
        wait_metaloggers: Option<usize>,
        /// The state directory of the `mooseng-cluster` cluster the target
        /// runs in: where the capture shows a chunkserver leaving or
        /// rejoining the master, the target's chunkserver is killed or
        /// started again at the same point.
        #[arg(long, value_name = "DIR")]
        cluster_state: Option<PathBuf>,
    },
    /// Prints docs/protocol.md: every message, its layout, and its coverage
    /// by the given captures.
    ProtocolDoc {
        /// The capture corpus (pcap or pcapng files).
        files: Vec<PathBuf>,
    },
    /// Runs one workload on every client x master x chunkservers
    /// combination and writes the table to a Markdown page (needs root).
    ///
    /// Exits with status 1 when a cell fails that is not a known failure.
    Matrix(matrix_cli::MatrixArgs),
    /// Runs the POSIX suite pjdfstest on the mount of an all-Debian cluster
    /// and of clusters where MooseNG plays a part, and compares them case
    /// by case (needs root).
    ///
    /// Exits with status 1 when a setup fails a case the first one passes
    /// and no known difference lists it.
    Pjdfstest(pjdfstest_cli::PjdfstestArgs),
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("mooseng-conformance: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Returns whether every frame passed.
fn run(cli: Cli) -> anyhow::Result<bool> {
    match cli.command {
        Command::Decode {
            files,
            ports,
            json,
            dump_bytes,
        } => {
            let options = Options { ports, dump_bytes };
            let report = decode_files(&files, &options)?;
            let text = if json {
                serde_json::to_string_pretty(&report).context("serialising the report")? + "\n"
            } else {
                report.to_string()
            };
            print_quietly(&text).context("writing the report")?;
            Ok(!report.has_failures())
        }
        Command::Replay {
            file,
            target,
            streams,
            until_packet,
            timeout,
            wait_chunkservers,
            wait_metaloggers,
            cluster_state,
        } => {
            let ready_within = Duration::from_secs(60);
            if let Some(wanted) = wait_chunkservers {
                replay::readiness::wait_for_chunkservers(target, wanted, ready_within)?;
            }
            if let Some(wanted) = wait_metaloggers {
                replay::readiness::wait_for_metaloggers(target, wanted, ready_within)?;
            }
            let capture = File::open(&file).with_context(|| format!("{}", file.display()))?;
            let script = replay::load(BufReader::new(capture), &streams)
                .with_context(|| format!("{}", file.display()))?;
            let options = replay::Options {
                target,
                answer_timeout: Duration::from_secs(timeout),
                until_packet,
                cluster: cluster_state.map(mooseng_tools::Layout::new),
            };
            let outcome = replay::replay(&script, &options)?;
            print_quietly(&outcome.to_string()).context("writing the report")?;
            Ok(outcome.passed())
        }
        Command::ProtocolDoc { files } => {
            let report = decode_files(&files, &Options::default())?;
            print_quietly(&protocol_doc::render(&report)).context("writing the page")?;
            Ok(!report.has_failures())
        }
        Command::Matrix(args) => matrix_cli::run(&args),
        Command::Pjdfstest(args) => pjdfstest_cli::run(&args),
    }
}

/// `ADDR` or `ADDR:PORT`; the master's client port when none is given.
fn parse_target(text: &str) -> Result<SocketAddr, String> {
    let with_port = match text.parse::<IpAddr>() {
        Ok(ip) => return Ok(SocketAddr::new(ip, port::MASTER_FOR_CLIENTS)),
        Err(_) => text.to_owned(),
    };
    with_port
        .to_socket_addrs()
        .map_err(|e| format!("{text}: {e}"))?
        .next()
        .ok_or_else(|| format!("{text}: no address"))
}

/// Writes to stdout; a reader that stopped early (`| head`) is not an error.
fn print_quietly(text: &str) -> std::io::Result<()> {
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
