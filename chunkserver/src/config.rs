//! Configuration: built-in defaults, then a TOML file, then
//! `MOOSENG_CHUNKSERVER_<KEY>` environment variables, then command-line
//! flags, each layer overriding the one before.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use serde::Deserialize;

/// Prefix of the environment variables that override configuration keys.
pub const ENV_PREFIX: &str = "MOOSENG_CHUNKSERVER_";

/// Everything the chunkserver can be told. Every key is optional in the
/// file; missing keys keep their defaults.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Master addresses (`host:port`), tried in turn until one accepts us.
    /// Several are useful when masters fail over: a follower redirects us
    /// to its leader with `MATOCS_MASTER_ACK` type 1.
    pub masters: Vec<String>,
    /// Where clients and other chunkservers reach us (port 9422). Its IP is
    /// what we announce to the master; `0.0.0.0` lets the master use the
    /// address our connection comes from, as mfschunkserver does.
    pub listen: SocketAddr,
    /// Data folders, as lines of `mfshdd.cfg`: a leading `*` marks a folder
    /// for removal, so its chunks are reported as such and the master
    /// copies them elsewhere before deleting them here.
    pub data: Vec<String>,
    /// Labels of this server, letters `A`..`Z` (MooseFS `LABELS`), e.g. `"AC"`.
    pub labels: String,
    /// Password the master may demand (MooseFS `AUTH_CODE`).
    pub auth_code: Option<String>,
    /// Connection timeout proposed to the master in seconds; 0 accepts the
    /// master's own default, as `MASTER_TIMEOUT = 0` does.
    pub master_timeout: u16,
    /// Longest wait between attempts to reach a master, in seconds; the
    /// wait doubles from one second up to this.
    pub reconnect_max_delay: u64,
    /// Most client connections served at once; further ones are closed.
    pub max_connections: usize,
    /// Most replications run at once.
    pub max_replications: usize,
    /// Chunk records per `CSTOMA_REGISTER` CHUNKS packet.
    pub chunks_per_register_packet: usize,
    /// I/O errors (not CRC errors) after which a data folder is taken out
    /// of service and its chunks are reported lost.
    pub folder_error_limit: u32,
    /// Call `fdatasync` on a chunk when a write session on it ends
    /// (MooseFS's `HDD_FSYNC_BEFORE_CLOSE`). Off by default, as in
    /// MooseFS: written data then reaches the disk when the kernel writes
    /// it back.
    pub fsync_on_finish: bool,
    /// Where to serve `/health` and `/metrics` over HTTP; none by default.
    pub metrics: Option<SocketAddr>,
    /// Background scrubbing speed in MiB/s (MooseFS's `HDD_TEST_SPEED`);
    /// 0 turns scrubbing off.
    pub scrub_rate: u32,
    /// Seconds from the start of one scrub pass to the start of the next
    /// (MooseFS's `HDD_MIN_TEST_INTERVAL`).
    pub scrub_interval: u64,
    /// Scheduling priority set at start (MooseFS's `NICE_LEVEL`, -19 by
    /// default as there): a storage daemon answering late stalls every
    /// client, so it goes before batch work on a busy machine.
    pub nice_level: i32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            masters: vec!["mfsmaster:9420".to_owned()],
            listen: SocketAddr::from(([0, 0, 0, 0], 9422)),
            data: Vec::new(),
            labels: String::new(),
            auth_code: None,
            master_timeout: 0,
            reconnect_max_delay: 30,
            max_connections: 512,
            max_replications: 4,
            chunks_per_register_packet: 10_000,
            folder_error_limit: 3,
            fsync_on_finish: false,
            metrics: None,
            scrub_rate: 1,
            scrub_interval: 86_400,
            nice_level: -19,
        }
    }
}

/// A data folder from a `data` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderSpec {
    pub path: PathBuf,
    pub marked_for_removal: bool,
}

impl FolderSpec {
    /// Reads one entry: `*` in front marks the folder for removal.
    pub fn parse(entry: &str) -> Self {
        let entry = entry.trim();
        match entry.strip_prefix('*') {
            Some(path) => FolderSpec {
                path: PathBuf::from(path.trim()),
                marked_for_removal: true,
            },
            None => FolderSpec {
                path: PathBuf::from(entry),
                marked_for_removal: false,
            },
        }
    }
}

impl Config {
    /// Reads a TOML file on top of the defaults.
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }

    /// Applies `MOOSENG_CHUNKSERVER_<KEY>` variables; lists are
    /// comma-separated. Unknown keys with our prefix are errors, so a typo
    /// does not go unnoticed.
    pub fn apply_env(
        &mut self,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<()> {
        for (name, value) in vars {
            let Some(key) = name.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            let bad = |what: &str| format!("{name}={value}: {what}");
            match key {
                "MASTERS" => self.masters = list(&value),
                "LISTEN" => self.listen = value.parse().with_context(|| bad("not ADDR:PORT"))?,
                "DATA" => self.data = list(&value),
                "LABELS" => self.labels = value,
                "AUTH_CODE" => self.auth_code = Some(value),
                "MASTER_TIMEOUT" => {
                    self.master_timeout = value.parse().with_context(|| bad("not a number"))?
                }
                "RECONNECT_MAX_DELAY" => {
                    self.reconnect_max_delay = value.parse().with_context(|| bad("not a number"))?
                }
                "MAX_CONNECTIONS" => {
                    self.max_connections = value.parse().with_context(|| bad("not a number"))?
                }
                "MAX_REPLICATIONS" => {
                    self.max_replications = value.parse().with_context(|| bad("not a number"))?
                }
                "CHUNKS_PER_REGISTER_PACKET" => {
                    self.chunks_per_register_packet =
                        value.parse().with_context(|| bad("not a number"))?
                }
                "FOLDER_ERROR_LIMIT" => {
                    self.folder_error_limit = value.parse().with_context(|| bad("not a number"))?
                }
                "FSYNC_ON_FINISH" => {
                    self.fsync_on_finish = value.parse().with_context(|| bad("not true/false"))?
                }
                "METRICS" => {
                    self.metrics = Some(value.parse().with_context(|| bad("not ADDR:PORT"))?)
                }
                "SCRUB_RATE" => {
                    self.scrub_rate = value.parse().with_context(|| bad("not a number"))?
                }
                "SCRUB_INTERVAL" => {
                    self.scrub_interval = value.parse().with_context(|| bad("not a number"))?
                }
                "NICE_LEVEL" => {
                    self.nice_level = value.parse().with_context(|| bad("not a number"))?
                }
                _ => bail!("unknown setting {name}"),
            }
        }
        Ok(())
    }

    /// Checks what the daemon cannot run without.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.masters.is_empty() {
            bail!("no master address configured");
        }
        if self.data.is_empty() {
            bail!("no data folder configured");
        }
        if self.max_connections == 0
            || self.max_replications == 0
            || self.chunks_per_register_packet == 0
        {
            bail!(
                "max_connections, max_replications and chunks_per_register_packet must be positive"
            );
        }
        label_mask(&self.labels)?;
        Ok(())
    }

    /// The data folders.
    pub fn folders(&self) -> Vec<FolderSpec> {
        self.data
            .iter()
            .map(|entry| FolderSpec::parse(entry))
            .collect()
    }

    /// The time from one scrub pass's start to the next one's.
    pub fn scrub_interval(&self) -> Duration {
        Duration::from_secs(self.scrub_interval)
    }

    /// The longest wait between connection attempts.
    pub fn reconnect_max_delay(&self) -> Duration {
        Duration::from_secs(self.reconnect_max_delay.max(1))
    }
}

/// Values given on the command line; each replaces the configured one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    pub masters: Vec<String>,
    pub listen: Option<SocketAddr>,
    pub data: Vec<String>,
    pub labels: Option<String>,
    pub metrics: Option<SocketAddr>,
}

impl Config {
    /// Defaults, then `file`, then the environment `vars`, then `flags`.
    pub fn layered(
        file: Option<&Path>,
        vars: impl IntoIterator<Item = (String, String)>,
        flags: Overrides,
    ) -> anyhow::Result<Self> {
        let mut config = match file {
            Some(path) => Config::from_file(path)?,
            None => Config::default(),
        };
        config.apply_env(vars)?;
        if !flags.masters.is_empty() {
            config.masters = flags.masters;
        }
        if let Some(listen) = flags.listen {
            config.listen = listen;
        }
        if !flags.data.is_empty() {
            config.data = flags.data;
        }
        if let Some(labels) = flags.labels {
            config.labels = labels;
        }
        if let Some(metrics) = flags.metrics {
            config.metrics = Some(metrics);
        }
        config.validate()?;
        Ok(config)
    }
}

/// The `CSTOMA_LABELS` bit mask of a label string: bit n for letter `'A'+n`.
/// Commas and spaces between letters are allowed, as in MooseFS's `LABELS`.
pub fn label_mask(labels: &str) -> anyhow::Result<u32> {
    let mut mask = 0u32;
    for c in labels.chars().filter(|c| !matches!(c, ',' | ' ' | ';')) {
        let upper = c.to_ascii_uppercase();
        if !upper.is_ascii_uppercase() {
            bail!("label {c:?} is not a letter A..Z");
        }
        mask |= 1 << (upper as u8 - b'A');
    }
    Ok(mask)
}

fn list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_keys_override_defaults_and_keep_the_rest() {
        let config: Config =
            toml::from_str("masters = [\"10.0.0.1:9420\"]\nlabels = \"AB\"\n").unwrap();
        assert_eq!(config.masters, ["10.0.0.1:9420"]);
        assert_eq!(config.labels, "AB");
        assert_eq!(config.listen, Config::default().listen);
        assert!(toml::from_str::<Config>("nonsense = 1").is_err());
    }

    #[test]
    fn env_overrides_and_splits_lists() {
        let mut config = Config::default();
        let vars = [
            ("PATH".to_owned(), "/bin".to_owned()),
            (format!("{ENV_PREFIX}DATA"), "/a, */b".to_owned()),
            (format!("{ENV_PREFIX}MAX_CONNECTIONS"), "7".to_owned()),
        ];
        config.apply_env(vars).unwrap();
        assert_eq!(config.data, ["/a", "*/b"]);
        assert_eq!(config.max_connections, 7);
        let folders = config.folders();
        assert!(!folders[0].marked_for_removal);
        assert_eq!(folders[1].path, PathBuf::from("/b"));
        assert!(folders[1].marked_for_removal);

        let observe = [
            (format!("{ENV_PREFIX}METRICS"), "127.0.0.1:9425".to_owned()),
            (format!("{ENV_PREFIX}SCRUB_RATE"), "0".to_owned()),
            (format!("{ENV_PREFIX}SCRUB_INTERVAL"), "5".to_owned()),
            (format!("{ENV_PREFIX}NICE_LEVEL"), "-5".to_owned()),
        ];
        assert_eq!(config.nice_level, -19);
        config.apply_env(observe).unwrap();
        assert_eq!(
            config.metrics,
            Some(SocketAddr::from(([127, 0, 0, 1], 9425)))
        );
        assert_eq!((config.scrub_rate, config.scrub_interval), (0, 5));
        assert_eq!(config.nice_level, -5);

        let typo = [(format!("{ENV_PREFIX}MAX_CONECTIONS"), "7".to_owned())];
        assert!(config.apply_env(typo).is_err());
        let bad = [(format!("{ENV_PREFIX}LISTEN"), "nowhere".to_owned())];
        assert!(config.apply_env(bad).is_err());
    }

    #[test]
    fn flags_beat_environment_which_beats_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("cs.toml");
        std::fs::write(
            &file,
            "data = [\"/file\"]\nlabels = \"F\"\nmax_replications = 9\n",
        )
        .unwrap();
        let vars = [(format!("{ENV_PREFIX}LABELS"), "E".to_owned())];
        let flags = Overrides {
            masters: vec!["m:9420".to_owned()],
            ..Overrides::default()
        };
        let config = Config::layered(Some(&file), vars.clone(), flags).unwrap();
        assert_eq!((config.labels.as_str(), config.max_replications), ("E", 9));
        assert_eq!(
            (config.data[0].as_str(), config.masters[0].as_str()),
            ("/file", "m:9420")
        );

        let flags = Overrides {
            data: vec!["/flag".to_owned()],
            labels: Some("L".to_owned()),
            ..Overrides::default()
        };
        let config = Config::layered(Some(&file), vars, flags).unwrap();
        assert_eq!(
            (config.labels.as_str(), config.data[0].as_str()),
            ("L", "/flag")
        );
        assert!(
            Config::layered(None, [], Overrides::default()).is_err(),
            "no data folder"
        );
    }

    #[test]
    fn labels_become_a_bit_mask() {
        assert_eq!(label_mask("").unwrap(), 0);
        assert_eq!(label_mask("A,c").unwrap(), 0b101);
        assert_eq!(label_mask("Z").unwrap(), 1 << 25);
        assert!(label_mask("A1").is_err());
    }
}
