//! Text of the configuration files the daemons read. The variable names are
//! the ones MooseFS 3.0.117 looks up; MooseNG daemons read the same files.

use std::fmt::Write;
use std::net::Ipv4Addr;
use std::path::PathBuf;

use crate::subnet::Subnet;

/// Every daemon runs as root: the state directory may live anywhere (a test's
/// temporary directory, say) and need not be reachable by the `mfs` user.
const RUN_AS: [(&str, &str); 2] = [("WORKING_USER", "root"), ("WORKING_GROUP", "root")];

/// Lines of `KEY = value`, the format of every `mfs*.cfg` file.
fn key_values(pairs: &[(&str, String)]) -> String {
    let mut text = String::from("# Written by mooseng-cluster; rewritten on every `up`.\n");
    for (key, value) in RUN_AS
        .iter()
        .map(|(k, v)| (*k, v.to_string()))
        .chain(pairs.iter().cloned())
    {
        // Writing to a String cannot fail.
        let _ = writeln!(text, "{key} = {value}");
    }
    text
}

fn path(p: &std::path::Path) -> String {
    p.display().to_string()
}

/// How soon mfsmaster replicates. MooseFS's defaults suit a production
/// cluster whose chunkservers take a while to come back: it waits a
/// minute after starting before it replicates anything, and takes five
/// minutes for a pass over all chunks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Replication {
    /// MooseFS's defaults. The capture corpus was made with quick
    /// replication, but its replay uses these: replication running during
    /// a replay makes answers differ from run to run.
    #[default]
    Default,
    /// At once, for tests that change goals and wait for the copies:
    /// `REPLICATIONS_DELAY_INIT = 0` and the shortest pass mfsmaster
    /// accepts (a goal change queues its chunks at once anyway, the pass
    /// only catches what the queue missed).
    Quick,
}

impl Replication {
    fn settings(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Replication::Default => &[],
            Replication::Quick => &[
                ("REPLICATIONS_DELAY_INIT", "0"),
                ("CHUNKS_LOOP_MIN_TIME", "60"),
            ],
        }
    }
}

/// `mfsmaster.cfg`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MasterConfig {
    pub data_path: PathBuf,
    pub exports: PathBuf,
    pub topology: PathBuf,
    pub replication: Replication,
}

impl MasterConfig {
    pub fn render(&self) -> String {
        let files = [
            ("DATA_PATH", path(&self.data_path)),
            ("EXPORTS_FILENAME", path(&self.exports)),
            ("TOPOLOGY_FILENAME", path(&self.topology)),
        ];
        let replication = self
            .replication
            .settings()
            .iter()
            .map(|(k, v)| (*k, (*v).to_owned()));
        key_values(&files.into_iter().chain(replication).collect::<Vec<_>>())
    }
}

/// Options of the `/` export unless told otherwise: any directory,
/// read-write, as root.
pub const DEFAULT_ROOT_EXPORT: &str = "rw,alldirs,maproot=0";

/// `mfsexports.cfg`: every address of the cluster's subnet (the host side of
/// the bridge included, where the mounts run) may mount `/` with
/// `root_options`, and the meta file system read-write.
pub fn exports(subnet: &Subnet, root_options: &str) -> String {
    format!(
        "# Written by mooseng-cluster; rewritten on every `up`.\n\
         {subnet} / {root_options}\n\
         {subnet} . rw\n"
    )
}

/// `mfschunkserver.cfg`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkserverConfig {
    /// The master's address, or a name for a group of masters.
    pub master: String,
    pub listen: Ipv4Addr,
    pub data_path: PathBuf,
    pub hdd_conf: PathBuf,
}

impl ChunkserverConfig {
    pub fn render(&self) -> String {
        key_values(&[
            ("MASTER_HOST", self.master.clone()),
            ("CSSERV_LISTEN_HOST", self.listen.to_string()),
            ("DATA_PATH", path(&self.data_path)),
            ("HDD_CONF_FILENAME", path(&self.hdd_conf)),
        ])
    }
}

/// `mfshdd.cfg`: one storage directory per line.
pub fn hdd(dirs: &[PathBuf]) -> String {
    let mut text = String::from("# Written by mooseng-cluster; rewritten on every `up`.\n");
    for dir in dirs {
        let _ = writeln!(text, "{}", dir.display());
    }
    text
}

/// `mfsmetalogger.cfg`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaloggerConfig {
    pub master: Ipv4Addr,
    pub data_path: PathBuf,
}

impl MetaloggerConfig {
    pub fn render(&self) -> String {
        key_values(&[
            ("MASTER_HOST", self.master.to_string()),
            ("DATA_PATH", path(&self.data_path)),
        ])
    }
}

/// The metadata file a master starts from when it has none: MooseFS's
/// header of an empty file system.
pub const EMPTY_METADATA: &[u8] = b"MFSM NEW";

#[cfg(test)]
mod tests {
    use super::*;

    /// The `KEY = value` pairs of a rendered file, comments dropped.
    fn pairs(text: &str) -> Vec<(String, String)> {
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| {
                let (k, v) = l.split_once(" = ").unwrap();
                (k.to_owned(), v.to_owned())
            })
            .collect()
    }

    fn kv(k: &str, v: &str) -> (String, String) {
        (k.to_owned(), v.to_owned())
    }

    #[test]
    fn master_config() {
        let cfg = MasterConfig {
            data_path: "/s/data/master".into(),
            exports: "/s/etc/master/mfsexports.cfg".into(),
            topology: "/s/etc/master/mfstopology.cfg".into(),
            replication: Replication::Default,
        };
        assert_eq!(
            pairs(&cfg.render()),
            [
                kv("WORKING_USER", "root"),
                kv("WORKING_GROUP", "root"),
                kv("DATA_PATH", "/s/data/master"),
                kv("EXPORTS_FILENAME", "/s/etc/master/mfsexports.cfg"),
                kv("TOPOLOGY_FILENAME", "/s/etc/master/mfstopology.cfg"),
            ]
        );
        let quick = MasterConfig {
            replication: Replication::Quick,
            ..cfg
        };
        assert_eq!(
            pairs(&quick.render())[5..],
            [
                kv("REPLICATIONS_DELAY_INIT", "0"),
                kv("CHUNKS_LOOP_MIN_TIME", "60"),
            ]
        );
    }

    #[test]
    fn chunkserver_config() {
        let cfg = ChunkserverConfig {
            master: "10.233.0.2".into(),
            listen: Ipv4Addr::new(10, 233, 0, 11),
            data_path: "/s/data/cs1".into(),
            hdd_conf: "/s/etc/cs1/mfshdd.cfg".into(),
        };
        assert_eq!(
            pairs(&cfg.render())[2..],
            [
                kv("MASTER_HOST", "10.233.0.2"),
                kv("CSSERV_LISTEN_HOST", "10.233.0.11"),
                kv("DATA_PATH", "/s/data/cs1"),
                kv("HDD_CONF_FILENAME", "/s/etc/cs1/mfshdd.cfg"),
            ]
        );
    }

    #[test]
    fn metalogger_config() {
        let cfg = MetaloggerConfig {
            master: Ipv4Addr::new(10, 233, 0, 2),
            data_path: "/s/data/metalogger".into(),
        };
        assert_eq!(
            pairs(&cfg.render())[2..],
            [
                kv("MASTER_HOST", "10.233.0.2"),
                kv("DATA_PATH", "/s/data/metalogger")
            ]
        );
    }

    #[test]
    fn exports_allow_the_subnet_and_meta() {
        let text = exports(&"10.233.0.0/24".parse().unwrap(), DEFAULT_ROOT_EXPORT);
        let rules: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(
            rules,
            ["10.233.0.0/24 / rw,alldirs,maproot=0", "10.233.0.0/24 . rw"]
        );
    }

    #[test]
    fn hdd_lists_one_directory_per_line() {
        let text = hdd(&["/a/hdd".into(), "/b/hdd".into()]);
        assert_eq!(
            text.lines().skip(1).collect::<Vec<_>>(),
            ["/a/hdd", "/b/hdd"]
        );
    }
}
