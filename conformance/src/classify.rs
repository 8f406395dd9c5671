//! Telling which MooseFS channel, and which side of it, a TCP stream is.
//!
//! The server's port decides: traffic to it is [`Direction::towards`] that
//! port, traffic from it the reverse. Captures of clusters on other ports
//! name them with `PORT=ROLE` overrides, which win over the defaults.

use std::collections::HashMap;
use std::str::FromStr;

use mooseng_wire::Direction;

use crate::reassembly::StreamKey;

/// What listens on a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The master's client port (9421 by default).
    MasterClient,
    /// The master's chunkserver port (9420).
    MasterChunkserver,
    /// The master's metalogger port (9419).
    MasterMetalogger,
    /// A chunkserver's data port (9422).
    Chunkserver,
}

impl Role {
    pub const NAMES: [&'static str; 4] = [
        "master-client",
        "master-chunkserver",
        "master-metalogger",
        "chunkserver",
    ];

    /// Direction of traffic sent to a server in this role.
    pub fn inbound(self) -> Direction {
        match self {
            Role::MasterClient => Direction::ClientToMaster,
            Role::MasterChunkserver => Direction::ChunkserverToMaster,
            Role::MasterMetalogger => Direction::MetaloggerToMaster,
            Role::Chunkserver => Direction::ToChunkserver,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OverrideError {
    #[error("expected PORT=ROLE, got {0:?}")]
    Syntax(String),
    #[error("{0:?} is not a port number")]
    Port(String),
    #[error("unknown role {0:?}; expected one of: {names}", names = Role::NAMES.join(", "))]
    Role(String),
}

impl FromStr for Role {
    type Err = OverrideError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "master-client" => Ok(Role::MasterClient),
            "master-chunkserver" => Ok(Role::MasterChunkserver),
            "master-metalogger" => Ok(Role::MasterMetalogger),
            "chunkserver" => Ok(Role::Chunkserver),
            other => Err(OverrideError::Role(other.to_owned())),
        }
    }
}

/// `PORT=ROLE`, as given on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortRole {
    pub port: u16,
    pub role: Role,
}

impl FromStr for PortRole {
    type Err = OverrideError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (port, role) = s
            .split_once('=')
            .ok_or_else(|| OverrideError::Syntax(s.to_owned()))?;
        Ok(PortRole {
            port: port
                .parse()
                .map_err(|_| OverrideError::Port(port.to_owned()))?,
            role: role.parse()?,
        })
    }
}

/// Maps streams to directions.
#[derive(Debug, Clone, Default)]
pub struct Classifier {
    overrides: HashMap<u16, Direction>,
}

impl Classifier {
    pub fn new(overrides: &[PortRole]) -> Self {
        Classifier {
            overrides: overrides
                .iter()
                .map(|o| (o.port, o.role.inbound()))
                .collect(),
        }
    }

    fn towards(&self, port: u16) -> Option<Direction> {
        self.overrides
            .get(&port)
            .copied()
            .or_else(|| Direction::towards(port))
    }

    /// The destination port is tried first: a client's ephemeral port may
    /// happen to equal a MooseFS port, the server's port is always one.
    pub fn classify(&self, key: &StreamKey) -> Option<Direction> {
        self.towards(key.dst.port())
            .or_else(|| self.towards(key.src.port()).map(Direction::reverse))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(src: u16, dst: u16) -> StreamKey {
        StreamKey {
            src: ([10, 0, 0, 1], src).into(),
            dst: ([10, 0, 0, 2], dst).into(),
        }
    }

    #[test]
    fn default_ports_give_both_sides() {
        let classifier = Classifier::default();
        assert_eq!(
            classifier.classify(&key(40000, 9421)),
            Some(Direction::ClientToMaster)
        );
        assert_eq!(
            classifier.classify(&key(9422, 40000)),
            Some(Direction::FromChunkserver)
        );
        assert_eq!(classifier.classify(&key(40000, 80)), None);
    }

    #[test]
    fn overrides_name_other_ports_and_win() {
        let overrides: Vec<PortRole> = ["19421=master-client", "9421=chunkserver"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        let classifier = Classifier::new(&overrides);
        assert_eq!(
            classifier.classify(&key(19421, 40000)),
            Some(Direction::MasterToClient)
        );
        assert_eq!(
            classifier.classify(&key(40000, 9421)),
            Some(Direction::ToChunkserver)
        );
    }

    #[test]
    fn roles_agree_with_the_default_ports() {
        for (name, port) in Role::NAMES.iter().zip([9421, 9420, 9419, 9422]) {
            let role: Role = name.parse().unwrap();
            assert_eq!(Some(role.inbound()), Direction::towards(port));
        }
    }

    #[test]
    fn malformed_overrides_are_refused() {
        assert!(matches!(
            "9421".parse::<PortRole>(),
            Err(OverrideError::Syntax(_))
        ));
        assert!(matches!(
            "x=chunkserver".parse::<PortRole>(),
            Err(OverrideError::Port(_))
        ));
        assert!(matches!(
            "9421=client".parse::<PortRole>(),
            Err(OverrideError::Role(_))
        ));
    }
}
