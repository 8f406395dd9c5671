//! `mfstopology.cfg`: which rack, or path of groups (`US|CHICAGO|R1A`),
//! each address is in, and so how far a chunkserver is from a client. A
//! chunk's copies go to a mount nearest first (`client/nearest.rs`), as
//! mfsmaster orders them.
//!
//! A line is `ADDRESSES PATH`, the addresses written as in mfsexports.cfg
//! (`a.b.c.d`, `/bits`, `/mask`, `from-to`); a later line wins where two
//! overlap; an address on no line is in the empty path. The distance of
//! two addresses is 0 for the same address, 1 in the same path, and
//! otherwise one plus the larger number of path elements either has left
//! after their common beginning (MooseFS's definition, with its examples
//! in the tests).

use std::net::Ipv4Addr;
use std::path::Path;

use crate::exports::AddressRange;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Topology {
    /// In file order; the last one holding an address names its path.
    rules: Vec<(AddressRange, Box<str>)>,
}

impl Topology {
    /// Reads `path`; lines that do not parse are skipped with a warning, as
    /// mfsmaster skips them.
    pub fn load(path: &Path) -> std::io::Result<Topology> {
        Ok(Topology::parse(&std::fs::read_to_string(path)?))
    }

    pub fn parse(text: &str) -> Topology {
        let mut rules = Vec::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or_default();
            let mut fields = line.split_whitespace();
            let Some(addresses) = fields.next() else {
                continue;
            };
            let (Some(range), Some(path), None) =
                (AddressRange::parse(addresses), fields.next(), fields.next())
            else {
                tracing::warn!(line = number + 1, "mfstopology: line skipped: {line}");
                continue;
            };
            rules.push((range, path.into()));
        }
        Topology { rules }
    }

    fn path_of(&self, ip: Ipv4Addr) -> &str {
        self.rules
            .iter()
            .rev()
            .find(|(range, _)| range.contains(ip))
            .map_or("", |(_, path)| path)
    }

    pub fn distance(&self, a: Ipv4Addr, b: Ipv4Addr) -> u32 {
        if a == b {
            return 0;
        }
        let (a, b) = (self.path_of(a), self.path_of(b));
        if a == b {
            return 1;
        }
        let (a, b) = (elements(a), elements(b));
        let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
        1 + (a.len() - common).max(b.len() - common) as u32
    }
}

/// A path's elements; the empty path has none.
fn elements(path: &str) -> Vec<&str> {
    path.split('|').filter(|e| !e.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The examples of MooseFS's shipped mfstopology.cfg.
    const SHIPPED: &str = "\
192.168.1.0/24\t\tUS|CHICAGO|WTOWER|R1A
192.168.2.0-192.168.2.255\tPL|WARSAW|GROCHOWSKA|R154
192.168.3.0/255.255.255.0\t123 # a comment
192.168.1.1\t\t\tA|B|C
192.168.2.1\t\t\tA|B|C
192.168.3.1\t\t\tA|B|C
not-an-address\tX
";

    fn ip(text: &str) -> Ipv4Addr {
        text.parse().unwrap()
    }

    #[test]
    fn later_lines_win_and_unknown_addresses_are_in_the_empty_path() {
        let topology = Topology::parse(SHIPPED);
        assert_eq!(topology.rules.len(), 6, "the bad line is skipped");
        assert_eq!(topology.path_of(ip("192.168.1.7")), "US|CHICAGO|WTOWER|R1A");
        assert_eq!(topology.path_of(ip("192.168.1.1")), "A|B|C");
        assert_eq!(topology.path_of(ip("192.168.3.9")), "123");
        assert_eq!(topology.path_of(ip("10.0.0.1")), "");
    }

    #[test]
    fn distances_are_mooses_examples() {
        let paths = [
            ("US", "DE", 2),
            ("US", "", 2),
            ("US|PHOENIX|AT&T|RACK1", "US|PHOENIX|AT&T|RACK2", 2),
            ("US|PHOENIX|AT&T|RACK1", "US|PHOENIX|ATM|RACK7", 3),
            ("US|PHOENIX|AT&T|RACK1", "US|CHICAGO|AT&T|RACK2", 4),
            ("US|PHOENIX|AT&T|RACK1", "US|ATM", 4),
            ("US|PHOENIX|AT&T|RACK1", "DE|BERLIN|ATM|RACK175", 5),
            ("R1", "R1", 1),
        ];
        for (a, b, distance) in paths {
            let lines = [("10.0.0.1", a), ("10.0.0.2", b)];
            let text: String = lines
                .iter()
                .filter(|(_, path)| !path.is_empty())
                .map(|(ip, path)| format!("{ip} {path}\n"))
                .collect();
            let topology = Topology::parse(&text);
            assert_eq!(
                topology.distance(ip("10.0.0.1"), ip("10.0.0.2")),
                distance,
                "{a} {b}"
            );
        }
        let topology = Topology::parse(SHIPPED);
        assert_eq!(topology.distance(ip("10.0.0.1"), ip("10.0.0.1")), 0);
        assert_eq!(topology.distance(ip("10.0.0.1"), ip("10.0.0.2")), 1);
    }
}
