//! Which program plays each role of a cluster the suite runs on, written
//! `MASTER/CHUNKSERVERS/MOUNT` with one flavor per chunkserver:
//! `ng/mfs,mfs,mfs/mfs` is mooseng-master, three MooseFS chunkservers and
//! mfsmount.

use std::fmt;
use std::str::FromStr;

use clap::ValueEnum;
use mooseng_tools::{Flavor, Role};

/// The programs of one cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setup {
    pub master: Flavor,
    pub chunkservers: Vec<Flavor>,
    pub mount: Flavor,
}

impl Setup {
    /// The all-Debian cluster every other setup is compared with.
    pub fn baseline() -> Setup {
        Setup {
            master: Flavor::Mfs,
            chunkservers: vec![Flavor::Mfs; 3],
            mount: Flavor::Mfs,
        }
    }

    /// The baseline with `master` and `mount` played by other programs.
    pub fn with(master: Flavor, mount: Flavor) -> Setup {
        Setup {
            master,
            mount,
            ..Setup::baseline()
        }
    }

    /// A name fit for a directory: the text form with `_` for `/`.
    pub fn id(&self) -> String {
        self.to_string().replace('/', "_")
    }

    /// The master's program, as tables name it.
    pub fn master_program(&self) -> &'static str {
        Role::Master.program(self.master)
    }

    /// The mount's program, as tables name it.
    pub fn mount_program(&self) -> &'static str {
        Role::Mount(1).program(self.mount)
    }

    /// The chunkservers, comma separated.
    pub fn chunkserver_list(&self) -> String {
        let names: Vec<String> = self.chunkservers.iter().map(Flavor::to_string).collect();
        names.join(",")
    }
}

impl fmt::Display for Setup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}",
            self.master,
            self.chunkserver_list(),
            self.mount
        )
    }
}

impl FromStr for Setup {
    type Err = String;

    fn from_str(text: &str) -> Result<Setup, String> {
        let usage =
            || format!("`{text}`: expected MASTER/CHUNKSERVERS/MOUNT, e.g. ng/mfs,mfs,mfs/mfs");
        let flavor = |name: &str| Flavor::from_str(name, false).map_err(|_| usage());
        let mut parts = text.split('/');
        let (Some(master), Some(chunkservers), Some(mount), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(usage());
        };
        Ok(Setup {
            master: flavor(master)?,
            chunkservers: chunkservers
                .split(',')
                .map(flavor)
                .collect::<Result<_, _>>()?,
            mount: flavor(mount)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_the_same_text() {
        let setup: Setup = "ng/mfs,ng,mfs/mfs".parse().expect("parses");
        assert_eq!(setup.master, Flavor::Ng);
        assert_eq!(setup.chunkservers, [Flavor::Mfs, Flavor::Ng, Flavor::Mfs]);
        assert_eq!(setup.mount, Flavor::Mfs);
        assert_eq!(setup.to_string(), "ng/mfs,ng,mfs/mfs");
        assert_eq!(setup.id(), "ng_mfs,ng,mfs_mfs");
        assert_eq!(Setup::baseline().to_string(), "mfs/mfs,mfs,mfs/mfs");
        assert_eq!(
            Setup::with(Flavor::Mfs, Flavor::Ng).mount_program(),
            "mooseng-mount"
        );
    }

    #[test]
    fn refuses_other_shapes() {
        for text in [
            "ng/mfs",
            "ng/mfs/mfs/mfs",
            "ng/mfs,xx/mfs",
            "NG/mfs/mfs",
            "",
        ] {
            assert!(text.parse::<Setup>().is_err(), "{text}");
        }
    }
}
