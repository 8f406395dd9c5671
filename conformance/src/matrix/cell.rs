//! The cells of the matrix: every client x master x chunkserver set, each
//! with its own network names so no two cells (or a cluster someone else
//! runs) share a namespace or an address.

use std::fmt;

use mooseng_tools::{Flavor, Role, Subnet};

/// Which chunkservers a cell runs: three of them, so goal 3 is reachable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chunkservers {
    /// `mfs,mfs,mfs`.
    AllMfs,
    /// `ng,ng,ng`.
    AllNg,
    /// `mfs,ng,ng`: copies of one chunk on both implementations.
    Mixed,
}

impl Chunkservers {
    pub const ALL: [Chunkservers; 3] = [
        Chunkservers::AllMfs,
        Chunkservers::AllNg,
        Chunkservers::Mixed,
    ];

    /// The flavor of each chunkserver, in order.
    pub fn flavors(self) -> Vec<Flavor> {
        match self {
            Chunkservers::AllMfs => vec![Flavor::Mfs; 3],
            Chunkservers::AllNg => vec![Flavor::Ng; 3],
            Chunkservers::Mixed => vec![Flavor::Mfs, Flavor::Ng, Flavor::Ng],
        }
    }

    /// The chunkservers (numbered from 1) played by `flavor`.
    pub fn numbered(self, flavor: Flavor) -> Vec<u8> {
        (1u8..)
            .zip(self.flavors())
            .filter(|(_, f)| *f == flavor)
            .map(|(n, _)| n)
            .collect()
    }

    /// Whether any chunkserver is played by `flavor`.
    pub fn has(self, flavor: Flavor) -> bool {
        !self.numbered(flavor).is_empty()
    }
}

impl fmt::Display for Chunkservers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self.flavors().iter().map(Flavor::to_string).collect();
        f.write_str(&names.join(","))
    }
}

/// Where the cells' clusters live: each cell takes `prefix` plus its two
/// digit index for its names, and the index-th /24 from `10.233.<first>.0`
/// for its addresses, so two runs on one host can be kept apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    /// At most 6 characters.
    pub prefix: String,
    /// The third byte of cell 0's subnet; at most 244, so all twelve fit.
    pub first: u8,
}

impl Default for Network {
    /// `mfsmx00`.. on 10.233.120.0/24..10.233.131.0/24.
    fn default() -> Self {
        Network {
            prefix: "mfsmx".into(),
            first: 120,
        }
    }
}

/// One combination of client, master and chunkservers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    pub client: Flavor,
    pub master: Flavor,
    pub chunkservers: Chunkservers,
}

impl Cell {
    /// Every cell, in the order the table lists them: Debian's programs
    /// first, so the reference cell comes before the cells that use it.
    pub fn all() -> Vec<Cell> {
        let mut cells = Vec::new();
        for master in [Flavor::Mfs, Flavor::Ng] {
            for client in [Flavor::Mfs, Flavor::Ng] {
                for chunkservers in Chunkservers::ALL {
                    cells.push(Cell {
                        client,
                        master,
                        chunkservers,
                    });
                }
            }
        }
        cells
    }

    /// Its position in [`Cell::all`], which picks its network.
    pub fn index(&self) -> u8 {
        let position = Cell::all().iter().position(|c| c == self).unwrap_or(0);
        u8::try_from(position).unwrap_or(u8::MAX)
    }

    /// Short name used on the command line and in directory names:
    /// `CLIENT-MASTER-CHUNKSERVERS`, e.g. `mfs-mfs-mixed`.
    pub fn id(&self) -> String {
        let chunkservers = match self.chunkservers {
            Chunkservers::AllMfs => "mfs",
            Chunkservers::AllNg => "ng",
            Chunkservers::Mixed => "mixed",
        };
        format!("{}-{}-{chunkservers}", self.client, self.master)
    }

    /// Prefix of the cell's namespaces and links in `network` (at most 8
    /// characters, as `mooseng-cluster` requires).
    pub fn prefix(&self, network: &Network) -> String {
        format!("{}{:02}", network.prefix, self.index())
    }

    /// The cell's subnet in `network`: `10.233.<first + index>.0/24`.
    pub fn subnet(&self, network: &Network) -> Subnet {
        let third = network.first.saturating_add(self.index());
        // A /24 with a zero host part always parses.
        format!("10.233.{third}.0/24")
            .parse()
            .unwrap_or_else(|_| unreachable!("10.233.{third}.0/24 is a valid subnet"))
    }

    /// Every program the cell runs, with the role it plays.
    pub fn programs(&self) -> Vec<(Role, Flavor)> {
        let chunkservers = (1u8..)
            .zip(self.chunkservers.flavors())
            .map(|(n, f)| (Role::Chunkserver(n), f));
        std::iter::once((Role::Master, self.master))
            .chain(chunkservers)
            .chain([(Role::Mount(1), self.client)])
            .collect()
    }

    /// The client's program, as the table names it.
    pub fn client_program(&self) -> &'static str {
        Role::Mount(1).program(self.client)
    }

    /// The master's program, as the table names it.
    pub fn master_program(&self) -> &'static str {
        Role::Master.program(self.master)
    }
}

impl std::str::FromStr for Cell {
    type Err = String;

    /// Parses an [`Cell::id`].
    fn from_str(text: &str) -> Result<Cell, String> {
        Cell::all()
            .into_iter()
            .find(|c| c.id() == text)
            .ok_or_else(|| {
                let ids: Vec<String> = Cell::all().iter().map(Cell::id).collect();
                format!("unknown cell `{text}`; cells are {}", ids.join(", "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn twelve_distinct_cells_with_distinct_networks() {
        let cells = Cell::all();
        assert_eq!(cells.len(), 12);
        let ids: BTreeSet<String> = cells.iter().map(Cell::id).collect();
        let net = Network::default();
        let prefixes: BTreeSet<String> = cells.iter().map(|c| c.prefix(&net)).collect();
        let subnets: BTreeSet<String> = cells.iter().map(|c| c.subnet(&net).to_string()).collect();
        assert_eq!((ids.len(), prefixes.len(), subnets.len()), (12, 12, 12));
        assert!(prefixes.iter().all(|p| p.len() <= 8));
        assert_eq!(cells[0].id(), "mfs-mfs-mfs");
        assert_eq!(cells[0].subnet(&net).to_string(), "10.233.120.0/24");
        assert_eq!(cells[11].subnet(&net).to_string(), "10.233.131.0/24");
    }

    #[test]
    fn another_network_moves_names_and_subnets() {
        let net = Network {
            prefix: "trmx".into(),
            first: 194,
        };
        let cell: Cell = "mfs-ng-mixed".parse().unwrap();
        assert_eq!(cell.prefix(&net), "trmx08");
        assert_eq!(cell.subnet(&net).to_string(), "10.233.202.0/24");
    }

    #[test]
    fn ids_parse_back() {
        for cell in Cell::all() {
            assert_eq!(cell.id().parse::<Cell>(), Ok(cell));
        }
        assert!("mfs-mfs-none".parse::<Cell>().is_err());
    }

    #[test]
    fn mixed_numbers_its_chunkservers() {
        assert_eq!(Chunkservers::Mixed.numbered(Flavor::Mfs), [1]);
        assert_eq!(Chunkservers::Mixed.numbered(Flavor::Ng), [2, 3]);
        assert!(!Chunkservers::AllMfs.has(Flavor::Ng));
        assert_eq!(Chunkservers::Mixed.to_string(), "mfs,ng,ng");
    }
}
