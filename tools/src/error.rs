//! What can go wrong while bringing a cluster up or down.

use std::path::PathBuf;

use crate::command::CommandError;
use crate::net::PrefixError;
use crate::process::SpawnError;
use crate::state::StateError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Command(#[from] CommandError),
    #[error(transparent)]
    Spawn(#[from] SpawnError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Prefix(#[from] PrefixError),
    #[error("{role} ({flavor}) needs the program `{program}`, found neither next to this executable nor in PATH; nothing was started")]
    MissingProgram {
        role: String,
        flavor: String,
        program: String,
    },
    #[error("{masters} masters: a group has 1 to 7, and more than one only of MooseNG's (`--master ng`)")]
    Masters { masters: u8 },
    #[error("a cluster is already up (see {state}); run `mooseng-cluster down` first")]
    AlreadyUp { state: PathBuf },
    #[error("{what} already exists: is another cluster using prefix `{prefix}`? Take it down or choose another --prefix")]
    NameTaken { what: String, prefix: String },
    #[error("subnet {subnet} overlaps {addr} on interface {dev}; choose another --subnet")]
    SubnetInUse {
        subnet: String,
        addr: String,
        dev: String,
    },
    #[error("{role} exited while waiting for {what}; see {log}:\n{tail}")]
    Died {
        role: String,
        what: String,
        log: PathBuf,
        tail: String,
    },
    #[error("timed out after {seconds} s waiting for {what}; see {log}")]
    Timeout {
        what: String,
        seconds: u64,
        log: PathBuf,
    },
    #[error("no cluster is up (no {state})")]
    NotUp { state: PathBuf },
    #[error("no daemon of the cluster has the address {address}")]
    NoSuchDaemon { address: std::net::Ipv4Addr },
    #[error("{role} still runs; only a stopped daemon can be started again")]
    StillRunning { role: String },
    #[error("the state file does not record {role}'s command line; bring the cluster up again with this mooseng-cluster")]
    NoCommandLine { role: String },
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

impl Error {
    /// Wraps a failed file operation with what was being done and where.
    pub fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }
}
