//! The cluster's network, built with `ip`. MooseFS refuses a master in
//! 127.0.0.0/8, so the daemons cannot share the host's loopback: each gets
//! a network namespace joined by a veth pair to a bridge.
//!
//! The bridge lives in a namespace of its own, the hub, rather than on the
//! host: a host with Docker has `br_netfilter` on and a FORWARD policy of
//! DROP, which would silently drop traffic between the daemons, while a new
//! namespace has no firewall rules. The host reaches the subnet through one
//! more veth pair into the hub, holding the subnet's first address; mounts
//! run on the host and use it.

use std::net::Ipv4Addr;
use std::process::Command;

use crate::command::{output, run, CommandError};
use crate::role::Role;
use crate::subnet::Subnet;

/// Name of a daemon's interface inside its own namespace.
const INNER_IF: &str = "eth0";
/// Name of the hub's end of the host's veth pair.
const UPLINK_IF: &str = "uplink";

/// Names of the cluster's network objects, all starting with one prefix so
/// several clusters (and other users of the machine) do not collide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Naming {
    prefix: String,
}

/// Interface names are at most 15 bytes; the longest suffix is `-cs254`.
const MAX_PREFIX: usize = 8;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("prefix `{0}` must be 1 to 8 lowercase letters or digits")]
pub struct PrefixError(String);

impl Naming {
    pub fn new(prefix: &str) -> Result<Naming, PrefixError> {
        let ok = (1..=MAX_PREFIX).contains(&prefix.len())
            && prefix
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if ok {
            Ok(Naming {
                prefix: prefix.to_owned(),
            })
        } else {
            Err(PrefixError(prefix.to_owned()))
        }
    }

    /// The namespace holding the bridge.
    pub fn hub(&self) -> String {
        format!("{}-hub", self.prefix)
    }

    /// The bridge, inside the hub.
    pub fn bridge(&self) -> String {
        format!("{}-br", self.prefix)
    }

    /// The host's end of its veth pair into the hub.
    pub fn host_link(&self) -> String {
        format!("{}-host", self.prefix)
    }

    pub fn netns(&self, role: Role) -> String {
        format!("{}-{}", self.prefix, role.name())
    }

    /// The hub's end of `role`'s veth pair.
    pub fn veth(&self, role: Role) -> String {
        let tag = match role {
            Role::Master => "ma".to_owned(),
            Role::Peer(n) => format!("ma{n}"),
            Role::Metalogger => "ml".to_owned(),
            other => other.name(),
        };
        format!("{}-{tag}", self.prefix)
    }
}

fn ip() -> Command {
    Command::new("ip")
}

/// Whether a network interface of that name exists on the host.
pub fn link_exists(name: &str) -> Result<bool, CommandError> {
    Ok(output(ip().args(["link", "show", "dev", name]))?
        .status
        .success())
}

/// Whether a named network namespace exists.
pub fn netns_exists(name: &str) -> Result<bool, CommandError> {
    let list = run(ip().args(["netns", "list"]))?;
    // Lines read `NAME` or `NAME (id: N)`.
    Ok(list
        .lines()
        .any(|line| line.split_whitespace().next() == Some(name)))
}

/// IPv4 addresses configured on the host, with their prefix lengths.
pub fn host_addresses() -> Result<Vec<(String, Ipv4Addr, u8)>, CommandError> {
    let out = run(ip().args(["-o", "-4", "addr", "show"]))?;
    // Lines read `2: eth0    inet 10.0.0.5/24 brd ... scope global eth0`.
    Ok(out
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let dev = words.nth(1)?.to_owned();
            let cidr = words.skip_while(|w| *w != "inet").nth(1)?;
            let (addr, len) = cidr.split_once('/')?;
            Some((dev, addr.parse().ok()?, len.parse().ok()?))
        })
        .collect())
}

/// Creates the bridge inside `hub` and brings it up.
pub fn create_bridge(hub: &str, bridge: &str) -> Result<(), CommandError> {
    run(ip().args(["-n", hub, "link", "add", bridge, "type", "bridge"]))?;
    run(ip().args(["-n", hub, "link", "set", bridge, "up"]))?;
    Ok(())
}

/// Creates namespace `netns` with loopback up.
pub fn create_netns(netns: &str) -> Result<(), CommandError> {
    run(ip().args(["netns", "add", netns]))?;
    run(ip().args(["-n", netns, "link", "set", "lo", "up"]))?;
    Ok(())
}

/// Joins the host to `bridge` in `hub` with a veth pair whose host end is
/// `link` and holds the subnet's first address.
pub fn connect_host(
    hub: &str,
    bridge: &str,
    link: &str,
    subnet: &Subnet,
) -> Result<(), CommandError> {
    run(ip().args([
        "link", "add", link, "type", "veth", "peer", "name", UPLINK_IF, "netns", hub,
    ]))?;
    let cidr = format!("{}/{}", subnet.host(1), subnet.prefix_len());
    run(ip().args(["addr", "add", &cidr, "dev", link]))?;
    run(ip().args(["link", "set", link, "up"]))?;
    run(ip().args(["-n", hub, "link", "set", UPLINK_IF, "master", bridge, "up"]))?;
    Ok(())
}

/// Joins `netns` to `bridge` in `hub` with a veth pair whose hub end is
/// `veth`, and gives the namespace end `addr`.
pub fn connect(
    netns: &str,
    hub: &str,
    bridge: &str,
    veth: &str,
    addr: Ipv4Addr,
    subnet: &Subnet,
) -> Result<(), CommandError> {
    run(ip().args([
        "-n", hub, "link", "add", veth, "type", "veth", "peer", "name", INNER_IF, "netns", netns,
    ]))?;
    run(ip().args(["-n", hub, "link", "set", veth, "master", bridge, "up"]))?;
    let cidr = format!("{addr}/{}", subnet.prefix_len());
    run(ip().args(["-n", netns, "addr", "add", &cidr, "dev", INNER_IF]))?;
    run(ip().args(["-n", netns, "link", "set", INNER_IF, "up"]))?;
    Ok(())
}

/// Deletes a namespace if it exists (its veth ends go with it).
pub fn delete_netns(netns: &str) -> Result<(), CommandError> {
    if netns_exists(netns)? {
        run(ip().args(["netns", "delete", netns]))?;
    }
    Ok(())
}

/// Deletes a host interface if it exists. The host end of a veth pair
/// goes by itself when the namespace holding the other end is deleted,
/// which the kernel finishes asynchronously: a link that vanished while we
/// deleted it is gone, as wanted.
pub fn delete_link(name: &str) -> Result<(), CommandError> {
    if link_exists(name)? {
        if let Err(error) = run(ip().args(["link", "delete", name])) {
            if link_exists(name)? {
                return Err(error);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_interface_limits() {
        let naming = Naming::new("abcdefgh").unwrap();
        assert_eq!(naming.veth(Role::Chunkserver(254)), "abcdefgh-cs254");
        assert!(naming.veth(Role::Chunkserver(254)).len() <= 15);
        assert_eq!(naming.veth(Role::Metalogger), "abcdefgh-ml");
        assert_eq!(naming.bridge(), "abcdefgh-br");
        assert_eq!(naming.host_link(), "abcdefgh-host");
        assert_eq!(naming.netns(Role::Metalogger), "abcdefgh-metalogger");
    }

    #[test]
    fn refuses_bad_prefixes() {
        assert!(Naming::new("").is_err());
        assert!(Naming::new("abcdefghi").is_err());
        assert!(Naming::new("Mfs").is_err());
        assert!(Naming::new("a-b").is_err());
        assert!(Naming::new("mfsng").is_ok());
    }

    #[test]
    fn host_has_a_loopback_address() {
        let addrs = host_addresses().unwrap();
        assert!(addrs.iter().any(|(_, a, _)| a.is_loopback()), "{addrs:?}");
    }
}
