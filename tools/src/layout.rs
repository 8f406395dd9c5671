//! Where things go inside the state directory.

use std::path::{Path, PathBuf};

use crate::role::Role;

/// Paths inside the state directory: `state.json`, `logs/<role>.log`,
/// `etc/<role>/` for configuration and `data/<role>/` for daemon data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    root: PathBuf,
}

impl Layout {
    pub fn new(root: impl Into<PathBuf>) -> Layout {
        Layout { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The record of what `up` started, read by `status` and `down`.
    pub fn state_file(&self) -> PathBuf {
        self.root.join("state.json")
    }

    pub fn logs(&self) -> PathBuf {
        self.root.join("logs")
    }

    pub fn log(&self, role: Role) -> PathBuf {
        self.logs().join(format!("{}.log", role.name()))
    }

    pub fn etc(&self, role: Role) -> PathBuf {
        self.root.join("etc").join(role.name())
    }

    pub fn data(&self, role: Role) -> PathBuf {
        self.root.join("data").join(role.name())
    }

    /// Where mounts go when `--mountpoint` is not given.
    pub fn default_mountpoint(&self) -> PathBuf {
        self.root.join("mnt")
    }

    /// Everything `up` recreates from scratch; logs of the previous run are
    /// replaced too, so a log always belongs to the cluster that is up.
    pub fn generated(&self) -> [PathBuf; 3] {
        [self.root.join("etc"), self.root.join("data"), self.logs()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_per_role() {
        let layout = Layout::new("/run/x");
        assert_eq!(
            layout.log(Role::Chunkserver(2)),
            Path::new("/run/x/logs/cs2.log")
        );
        assert_eq!(layout.etc(Role::Master), Path::new("/run/x/etc/master"));
        assert_eq!(
            layout.data(Role::Metalogger),
            Path::new("/run/x/data/metalogger")
        );
        assert_eq!(layout.state_file(), Path::new("/run/x/state.json"));
    }
}
