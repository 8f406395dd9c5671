//! `mooseng-conformance`: checks the wire crate against captured traffic.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use mooseng_conformance::decode::DEFAULT_DUMP_BYTES;
use mooseng_conformance::{decode_files, protocol_doc, Options, PortRole};

mod matrix_cli;

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
        Command::ProtocolDoc { files } => {
            let report = decode_files(&files, &Options::default())?;
            print_quietly(&protocol_doc::render(&report)).context("writing the page")?;
            Ok(!report.has_failures())
        }
        Command::Matrix(args) => matrix_cli::run(&args),
    }
}

/// Writes to stdout; a reader that stopped early (`| head`) is not an error.
fn print_quietly(text: &str) -> std::io::Result<()> {
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
