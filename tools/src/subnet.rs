//! The IPv4 subnet the cluster's bridge and namespaces live in, and which
//! host number each member gets.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An IPv4 network written `a.b.c.d/len`; at least a /24 so every member of
/// a cluster has an address (the host numbers used go up to 254).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Subnet {
    base: Ipv4Addr,
    len: u8,
}

/// Why a subnet was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SubnetError {
    #[error("subnet `{0}` is not of the form a.b.c.d/len")]
    Syntax(String),
    #[error("subnet `{0}` must be a /24 or larger (prefix length 8..=24)")]
    Size(String),
    #[error("subnet `{0}` has host bits set in its base address")]
    HostBits(String),
    #[error("subnet `{0}` is inside 127.0.0.0/8, which MooseFS refuses as a master address")]
    Loopback(String),
}

impl Subnet {
    /// The address of host number `host` (1..=254) inside the subnet.
    pub fn host(&self, host: u8) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.base) | u32::from(host))
    }

    /// The prefix length, for `ip addr add ADDR/LEN`.
    pub fn prefix_len(&self) -> u8 {
        self.len
    }

    /// Whether `addr` belongs to this subnet.
    pub fn contains(&self, addr: Ipv4Addr) -> bool {
        u32::from(addr) & self.mask() == u32::from(self.base)
    }

    /// Whether the network `addr/len` (say an address of some host
    /// interface) shares any address with this subnet.
    pub fn overlaps(&self, addr: Ipv4Addr, len: u8) -> bool {
        let mask = self.mask() & mask(len);
        u32::from(self.base) & mask == u32::from(addr) & mask
    }

    fn mask(&self) -> u32 {
        mask(self.len)
    }
}

/// The netmask of a prefix length; lengths past 32 count as 32.
fn mask(len: u8) -> u32 {
    u32::MAX
        .checked_shl(32 - u32::from(len.min(32)))
        .unwrap_or(0)
}

impl FromStr for Subnet {
    type Err = SubnetError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let syntax = || SubnetError::Syntax(text.to_owned());
        let (addr, len) = text.split_once('/').ok_or_else(syntax)?;
        let base: Ipv4Addr = addr.parse().map_err(|_| syntax())?;
        let len: u8 = len.parse().map_err(|_| syntax())?;
        if !(8..=24).contains(&len) {
            return Err(SubnetError::Size(text.to_owned()));
        }
        let subnet = Subnet { base, len };
        if u32::from(base) & !subnet.mask() != 0 {
            return Err(SubnetError::HostBits(text.to_owned()));
        }
        if base.octets()[0] == 127 {
            return Err(SubnetError::Loopback(text.to_owned()));
        }
        Ok(subnet)
    }
}

impl fmt::Display for Subnet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.base, self.len)
    }
}

impl TryFrom<String> for Subnet {
    type Error = SubnetError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<Subnet> for String {
    fn from(subnet: Subnet) -> String {
        subnet.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_numbers_hosts() {
        let subnet: Subnet = "10.233.0.0/24".parse().unwrap();
        assert_eq!(subnet.host(2), Ipv4Addr::new(10, 233, 0, 2));
        assert_eq!(subnet.prefix_len(), 24);
        assert_eq!(subnet.to_string(), "10.233.0.0/24");
        assert!(subnet.contains(Ipv4Addr::new(10, 233, 0, 77)));
        assert!(!subnet.contains(Ipv4Addr::new(10, 233, 1, 1)));
    }

    #[test]
    fn refuses_bad_subnets() {
        assert!(matches!(
            "10.0.0.0".parse::<Subnet>(),
            Err(SubnetError::Syntax(_))
        ));
        assert!(matches!(
            "10.0.0.0/25".parse::<Subnet>(),
            Err(SubnetError::Size(_))
        ));
        assert!(matches!(
            "10.0.0.1/24".parse::<Subnet>(),
            Err(SubnetError::HostBits(_))
        ));
        assert!(matches!(
            "127.1.0.0/16".parse::<Subnet>(),
            Err(SubnetError::Loopback(_))
        ));
    }

    #[test]
    fn overlap_follows_the_shorter_prefix() {
        let a: Subnet = "10.233.0.0/16".parse().unwrap();
        let b: Subnet = "10.233.100.0/24".parse().unwrap();
        assert!(a.overlaps(Ipv4Addr::new(10, 233, 100, 1), 24));
        assert!(b.overlaps(Ipv4Addr::new(10, 233, 0, 1), 16));
        assert!(b.overlaps(Ipv4Addr::new(10, 233, 100, 7), 32));
        assert!(!b.overlaps(Ipv4Addr::new(10, 233, 0, 1), 24));
        assert!(a.overlaps(Ipv4Addr::new(192, 168, 1, 1), 0));
    }
}
