//! The record of what `up` created, so `status` and `down` act on exactly
//! that. It is saved after every step of `up`, so even an `up` that was
//! interrupted can be taken down.

use std::fs;
use std::io;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::process::ProcessId;
use crate::role::{Flavor, Role};
use crate::subnet::Subnet;

/// Everything a running cluster consists of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub prefix: String,
    pub subnet: Subnet,
    /// The bridge inside the hub namespace, once created.
    pub bridge: Option<String>,
    /// Network namespaces, the hub first, in creation order. Deleting one
    /// deletes the interfaces inside it, the hub's veth ends and bridge too.
    pub namespaces: Vec<String>,
    /// Interfaces on the host: the host's veth end into the hub.
    pub host_links: Vec<String>,
    /// Daemons and mounts, in start order.
    pub processes: Vec<Member>,
}

/// One running program of the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub role: Role,
    pub flavor: Flavor,
    pub program: PathBuf,
    /// Its command line after the program, so it can be started again as
    /// it was; empty in state files written before it was recorded.
    #[serde(default)]
    pub args: Vec<String>,
    pub process: ProcessId,
    /// The namespace it runs in; none for mounts, which run on the host.
    pub netns: Option<String>,
    /// Its address: its own in its namespace, the bridge's for mounts.
    pub address: Ipv4Addr,
    pub log: PathBuf,
    /// Where a mount is mounted.
    pub mountpoint: Option<PathBuf>,
}

/// The state file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot access state file {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("state file {path} is not valid: {source}")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
}

impl State {
    pub fn new(prefix: &str, subnet: Subnet) -> State {
        State {
            prefix: prefix.to_owned(),
            subnet,
            bridge: None,
            namespaces: Vec::new(),
            host_links: Vec::new(),
            processes: Vec::new(),
        }
    }

    /// Reads the state file; `None` when there is none (no cluster is up).
    pub fn load(path: &Path) -> Result<Option<State>, StateError> {
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(StateError::Io {
                    path: path.to_owned(),
                    source,
                })
            }
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|source| StateError::Parse {
                path: path.to_owned(),
                source,
            })
    }

    /// Writes the state file through a temporary file and a rename, so a
    /// reader never sees half of it.
    pub fn save(&self, path: &Path) -> Result<(), StateError> {
        let io_err = |source| StateError::Io {
            path: path.to_owned(),
            source,
        };
        let text = serde_json::to_string_pretty(self).map_err(|source| StateError::Parse {
            path: path.to_owned(),
            source,
        })?;
        let tmp = path.with_extension("json.tmp");
        fs::write(&tmp, text).map_err(io_err)?;
        fs::rename(&tmp, path).map_err(io_err)
    }

    /// Deletes the state file; a missing one is fine.
    pub fn remove(path: &Path) -> Result<(), StateError> {
        match fs::remove_file(path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(StateError::Io {
                path: path.to_owned(),
                source: e,
            }),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> State {
        let mut state = State::new("mfsng", "10.233.0.0/24".parse().unwrap());
        state.bridge = Some("mfsng-br".into());
        state.namespaces = vec![
            "mfsng-hub".into(),
            "mfsng-master".into(),
            "mfsng-cs1".into(),
        ];
        state.host_links = vec!["mfsng-host".into()];
        state.processes = vec![
            Member {
                role: Role::Chunkserver(1),
                flavor: Flavor::Mfs,
                program: "/usr/sbin/mfschunkserver".into(),
                args: vec!["-f".into()],
                process: ProcessId {
                    pid: 4242,
                    start_time: 987654,
                },
                netns: Some("mfsng-cs1".into()),
                address: Ipv4Addr::new(10, 233, 0, 11),
                log: "/run/x/logs/cs1.log".into(),
                mountpoint: None,
            },
            Member {
                role: Role::Mount(1),
                flavor: Flavor::Ng,
                program: "/x/mooseng-mount".into(),
                args: Vec::new(),
                process: ProcessId {
                    pid: 4243,
                    start_time: 987655,
                },
                netns: None,
                address: Ipv4Addr::new(10, 233, 0, 1),
                log: "/run/x/logs/mount1.log".into(),
                mountpoint: Some("/mnt/x".into()),
            },
        ];
        state
    }

    #[test]
    fn round_trips_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let state = sample();
        state.save(&path).unwrap();
        assert_eq!(State::load(&path).unwrap(), Some(state));
        State::remove(&path).unwrap();
        assert_eq!(State::load(&path).unwrap(), None);
        State::remove(&path).unwrap();
    }

    #[test]
    fn file_is_readable_json() {
        let text = serde_json::to_string(&sample()).unwrap();
        assert!(text.contains(r#""subnet":"10.233.0.0/24""#), "{text}");
        assert!(text.contains(r#""role":{"chunkserver":1}"#), "{text}");
        assert!(text.contains(r#""flavor":"ng""#), "{text}");
    }

    #[test]
    fn garbage_is_a_parse_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        fs::write(&path, "{not json").unwrap();
        assert!(matches!(State::load(&path), Err(StateError::Parse { .. })));
    }
}
