//! The daemon's settings, layered: built-in defaults, then the TOML file,
//! then `MOOSENG_MASTER_<KEY>` environment variables, then command-line
//! flags (applied by the binary).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::chunks::Limits;
use crate::raft::{Group, Node};

/// Prefix of the environment variables that override file keys.
pub const ENV_PREFIX: &str = "MOOSENG_MASTER_";

/// MooseNG's own port for Raft between masters, next to MooseFS's four.
pub const RAFT_PORT: u16 = 9423;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address of the client listener (MooseFS's `MATOCL_LISTEN_HOST` and
    /// `MATOCL_LISTEN_PORT`); mounts and tools connect here.
    pub listen: SocketAddr,
    /// Address chunkservers register on (MooseFS's `MATOCS_LISTEN_HOST`
    /// and `MATOCS_LISTEN_PORT`).
    pub listen_chunkservers: SocketAddr,
    /// The `mfsexports.cfg` to enforce. Without one every address may mount
    /// everything read-write, as MooseFS's shipped default file allows.
    pub exports: Option<PathBuf>,
    /// mfstopology.cfg: which rack each address is in, so that a mount is
    /// given the nearest copies first; none: every address in one rack.
    pub topology: Option<PathBuf>,
    /// Where the metadata log and snapshots are kept (MooseFS's
    /// `DATA_PATH`); created when missing.
    pub data_dir: PathBuf,
    /// Changes logged after which a snapshot is written in the background
    /// and the log segments it covers are removed.
    pub snapshot_every: u64,
    /// Client connections served at once; further ones wait in the
    /// kernel's accept queue until a slot frees up.
    pub max_connections: usize,
    /// Milliseconds a mount connection may stay silent before the master
    /// sends a keep-alive NOP (MooseFS sends one every second).
    pub keepalive_ms: u64,
    /// Where `/health` and `/metrics` are served over HTTP; off when unset.
    pub metrics: Option<SocketAddr>,
    /// This master's id in its Raft group; one of `peers` when there are any.
    pub node_id: u64,
    /// Where the other masters reach this one's Raft service (gRPC).
    pub raft_listen: SocketAddr,
    /// Every master of the group as `"ID=HOST:PORT"` (its Raft address),
    /// this one included. Empty: a group of one, this master alone.
    pub peers: Vec<String>,
    /// Seconds a session without a connection is kept before it ends and
    /// the files it held open are released (MooseFS's
    /// `SESSION_SUSTAIN_TIME`, also a day by default).
    pub session_sustain_time: u64,
    /// Scheduling priority set at start (MooseFS's `NICE_LEVEL`, -19 by
    /// default as there): every mount waits on the master, so it goes
    /// before batch work on a busy machine.
    pub nice_level: i32,
    /// Replications one chunkserver may be receiving at once, repairs and
    /// rebalancing moves together (MooseFS's `CHUNKS_WRITE_REP_LIMIT`, 2
    /// for under-goal chunks there too).
    pub chunks_write_rep_limit: u32,
    /// Rebalancing moves one planner pass (one a second) may start in
    /// all; 0 turns rebalancing off. MooseNG's own pace: MooseFS limits
    /// them per server only.
    pub chunks_rebalance_per_pass: u32,
    /// Percent points by which a chunkserver's usage must exceed another's
    /// before a copy moves from it to the other (MooseFS's
    /// `ACCEPTABLE_PERCENTAGE_DIFFERENCE`); kept within 0.1 to 10 as there.
    pub acceptable_percentage_difference: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from((
                [0, 0, 0, 0],
                mooseng_wire::direction::port::MASTER_FOR_CLIENTS,
            )),
            listen_chunkservers: SocketAddr::from((
                [0, 0, 0, 0],
                mooseng_wire::direction::port::MASTER_FOR_CHUNKSERVERS,
            )),
            exports: None,
            topology: None,
            data_dir: PathBuf::from("/var/lib/mooseng/master"),
            snapshot_every: 100_000,
            max_connections: 1024,
            keepalive_ms: 1000,
            metrics: None,
            node_id: crate::raft::SOLE_VOTER,
            raft_listen: SocketAddr::from(([0, 0, 0, 0], RAFT_PORT)),
            peers: Vec::new(),
            session_sustain_time: 86_400,
            nice_level: -19,
            chunks_write_rep_limit: 2,
            chunks_rebalance_per_pass: 10,
            acceptable_percentage_difference: 1.0,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("invalid configuration: {0}")]
    Invalid(#[from] toml::de::Error),
}

impl Config {
    /// The Raft group `peers` and `node_id` describe.
    pub fn group(&self) -> Result<Group, String> {
        if self.peers.is_empty() {
            return Ok(Group::alone());
        }
        let mut voters = BTreeMap::new();
        for peer in &self.peers {
            let (id, addr) = peer
                .split_once('=')
                .ok_or_else(|| format!("peer {peer:?} is not ID=HOST:PORT"))?;
            let id: u64 = id
                .trim()
                .parse()
                .map_err(|_| format!("peer {peer:?}: the id is not a number"))?;
            if voters.insert(id, Node::new(addr.trim())).is_some() {
                return Err(format!("peer id {id} is listed twice"));
            }
        }
        if !voters.contains_key(&self.node_id) {
            return Err(format!("node_id {} is not among the peers", self.node_id));
        }
        Ok(Group {
            id: self.node_id,
            voters,
            listen: Some(self.raft_listen),
        })
    }

    /// The planner's limits these settings give.
    pub fn chunk_limits(&self) -> Limits {
        Limits {
            incoming_per_server: self.chunks_write_rep_limit,
            rebalance_per_pass: self.chunks_rebalance_per_pass,
            acceptable_difference: self.acceptable_percentage_difference.clamp(0.1, 10.0) / 100.0,
            ..Limits::default()
        }
    }

    /// Defaults, overlaid with `file` when given, then with the environment.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut table = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.display().to_string(),
                    source,
                })?;
                text.parse::<toml::Table>()?
            }
            None => toml::Table::new(),
        };
        for (name, value) in env {
            if let Some(key) = name.strip_prefix(ENV_PREFIX) {
                table.insert(key.to_ascii_lowercase(), env_value(&value));
            }
        }
        Ok(Config::deserialize(table)?)
    }
}

/// An environment value as TOML would read it (`64`, `true`), or as a
/// plain string when it is not a TOML literal (`0.0.0.0:9421`, paths).
fn env_value(raw: &str) -> toml::Value {
    format!("v = {raw}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_without_file_or_env() {
        let config = Config::load(None, env(&[])).unwrap();
        assert_eq!(config, Config::default());
        assert_eq!(config.listen.port(), 9421);
        assert_eq!(config.listen_chunkservers.port(), 9420);
    }

    #[test]
    fn env_overrides_file_and_file_overrides_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:1000\"\nmax_connections = 5\n").unwrap();
        let config = Config::load(
            Some(&path),
            env(&[
                ("MOOSENG_MASTER_MAX_CONNECTIONS", "7"),
                ("MOOSENG_MASTER_NICE_LEVEL", "-5"),
                ("MOOSENG_MASTER_EXPORTS", "/etc/mfs/mfsexports.cfg"),
                ("UNRELATED", "x"),
            ]),
        )
        .unwrap();
        assert_eq!(config.listen, "127.0.0.1:1000".parse().unwrap());
        assert_eq!(config.max_connections, 7);
        assert_eq!((config.nice_level, Config::default().nice_level), (-5, -19));
        assert_eq!(
            config.exports.as_deref(),
            Some(Path::new("/etc/mfs/mfsexports.cfg"))
        );
        assert_eq!(config.keepalive_ms, 1000);
    }

    #[test]
    fn peers_from_the_environment_make_the_group() {
        let config = Config::load(
            None,
            env(&[
                ("MOOSENG_MASTER_NODE_ID", "2"),
                (
                    "MOOSENG_MASTER_PEERS",
                    r#"["1=10.0.0.1:9423", "2=10.0.0.2:9423", "3=10.0.0.3:9423"]"#,
                ),
            ]),
        )
        .unwrap();
        let group = config.group().unwrap();
        assert_eq!(group.id, 2);
        assert_eq!(group.voters.len(), 3);
        assert_eq!(group.voters[&3].addr, "10.0.0.3:9423");
        assert_eq!(group.listen, Some("0.0.0.0:9423".parse().unwrap()));
        assert_eq!(Config::default().group().unwrap(), Group::alone());
        let stranger = Config {
            node_id: 4,
            ..config.clone()
        };
        assert!(stranger.group().is_err());
        let garbled = Config {
            peers: vec!["10.0.0.1:9423".into()],
            ..config
        };
        assert!(garbled.group().is_err());
    }

    #[test]
    fn every_master_of_a_group_starts_with_one_meta_id() {
        let peers = vec![
            "1=10.0.0.1:9423".to_owned(),
            "2=10.0.0.2:9423".to_owned(),
            "3=10.0.0.3:9423".to_owned(),
        ];
        let member = |node_id| Config {
            node_id,
            peers: peers.clone(),
            ..Config::default()
        };
        let ids: Vec<_> = (1..=3)
            .map(|id| member(id).group().unwrap().meta_id())
            .collect();
        assert!(ids[0].is_some_and(|id| id != 0));
        assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
        let other = Config {
            peers: vec!["1=10.0.0.1:9423".to_owned(), "2=10.0.0.9:9423".to_owned()],
            ..member(1)
        };
        assert_ne!(other.group().unwrap().meta_id(), ids[0]);
        assert_eq!(Group::alone().meta_id(), None);
    }

    #[test]
    fn chunk_limits_follow_the_settings_within_moosefs_bounds() {
        assert_eq!(Config::default().chunk_limits(), Limits::default());
        let config = Config::load(
            None,
            env(&[
                ("MOOSENG_MASTER_CHUNKS_WRITE_REP_LIMIT", "5"),
                ("MOOSENG_MASTER_CHUNKS_REBALANCE_PER_PASS", "0"),
                ("MOOSENG_MASTER_ACCEPTABLE_PERCENTAGE_DIFFERENCE", "2.5"),
            ]),
        )
        .unwrap();
        let limits = config.chunk_limits();
        assert_eq!(
            (limits.incoming_per_server, limits.rebalance_per_pass),
            (5, 0)
        );
        assert!((limits.acceptable_difference - 0.025).abs() < 1e-9);
        let tiny = Config {
            acceptable_percentage_difference: 0.0,
            ..Config::default()
        };
        assert!((tiny.chunk_limits().acceptable_difference - 0.001).abs() < 1e-9);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused() {
        assert!(Config::load(None, env(&[("MOOSENG_MASTER_LISTN", "x")])).is_err());
        assert!(Config::load(None, env(&[("MOOSENG_MASTER_MAX_CONNECTIONS", "many")])).is_err());
    }
}
