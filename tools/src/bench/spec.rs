//! A cluster configuration to benchmark, written `MASTER/CS,CS,.../MOUNT`
//! with each part `mfs` or `ng`, e.g. `mfs/mfs,mfs,mfs/ng`.

use std::fmt;
use std::str::FromStr;

use crate::role::Flavor;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterSpec {
    pub master: Flavor,
    pub chunkservers: Vec<Flavor>,
    pub mount: Flavor,
}

fn flavor(text: &str) -> Result<Flavor, String> {
    match text {
        "mfs" => Ok(Flavor::Mfs),
        "ng" => Ok(Flavor::Ng),
        other => Err(format!("`{other}` is neither mfs nor ng")),
    }
}

impl FromStr for ClusterSpec {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let parts: Vec<&str> = text.split('/').collect();
        let [master, chunkservers, mount] = parts[..] else {
            return Err(format!("`{text}` is not MASTER/CS,CS,.../MOUNT"));
        };
        let chunkservers = chunkservers
            .split(',')
            .map(flavor)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ClusterSpec {
            master: flavor(master)?,
            chunkservers,
            mount: flavor(mount)?,
        })
    }
}

impl fmt::Display for ClusterSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cs: Vec<String> = self.chunkservers.iter().map(Flavor::to_string).collect();
        write!(f, "{}/{}/{}", self.master, cs.join(","), self.mount)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_back() {
        let spec: ClusterSpec = "mfs/mfs,ng,ng/ng".parse().unwrap();
        assert_eq!(spec.master, Flavor::Mfs);
        assert_eq!(spec.chunkservers, [Flavor::Mfs, Flavor::Ng, Flavor::Ng]);
        assert_eq!(spec.mount, Flavor::Ng);
        assert_eq!(spec.to_string(), "mfs/mfs,ng,ng/ng");
    }

    #[test]
    fn refuses_malformed() {
        assert!("mfs/mfs".parse::<ClusterSpec>().is_err());
        assert!("mfs/xx/mfs".parse::<ClusterSpec>().is_err());
        assert!("mfs/mfs/mfs/mfs".parse::<ClusterSpec>().is_err());
    }
}
