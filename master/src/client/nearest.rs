//! The order a mount gets a chunk's copies in, as mfsmaster gives it:
//! nearest first by the topology (a copy on the mount's own machine, then
//! in its rack, ...; [`Topology`]), equally near ones in a random order
//! drawn anew for each answer. mfsmount reads from the least busy copy
//! and, among equally busy ones, keeps the master's order, so a fixed
//! order would send every idle mount's reads to the same chunkserver.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::net::Ipv4Addr;

use crate::chunks::Holder;
use crate::topology::Topology;

/// `holders`, nearest to `client` first, equally near ones shuffled.
pub fn nearest_first<'a>(
    holders: &'a [Holder],
    client: Ipv4Addr,
    topology: &Topology,
) -> Vec<&'a Holder> {
    let draw = RandomState::new();
    let mut ordered: Vec<(u32, u64, &Holder)> = holders
        .iter()
        .map(|h| {
            let distance = topology.distance(*h.addr.ip(), client);
            (distance, draw.hash_one(h.addr), h)
        })
        .collect();
    ordered.sort_unstable_by_key(|(distance, key, _)| (*distance, *key));
    ordered.into_iter().map(|(_, _, h)| h).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::net::SocketAddrV4;

    use mooseng_wire::Version;

    use super::*;

    fn holder(last: u8) -> Holder {
        Holder {
            addr: SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, last), 9422),
            version: Version::MOOSEFS_3_0_117,
            labels: 0,
        }
    }

    #[test]
    fn the_clients_own_copy_leads_and_the_others_take_turns() {
        let holders = [holder(1), holder(2), holder(3)];
        let client = Ipv4Addr::new(10, 0, 0, 3);
        let mut firsts_of_the_rest = HashSet::new();
        for _ in 0..200 {
            let order = nearest_first(&holders, client, &Topology::default());
            assert_eq!(order.len(), 3);
            assert_eq!(*order[0].addr.ip(), client);
            firsts_of_the_rest.insert(*order[1].addr.ip());
        }
        assert_eq!(
            firsts_of_the_rest.len(),
            2,
            "both others come second at times"
        );
    }

    #[test]
    fn a_copy_in_the_clients_rack_comes_before_the_others() {
        let holders = [holder(1), holder(2), holder(3)];
        let topology = Topology::parse("10.0.0.2 R1\n10.0.0.9 R1\n10.0.0.3 R2\n");
        let client = Ipv4Addr::new(10, 0, 0, 9);
        for _ in 0..50 {
            let order = nearest_first(&holders, client, &topology);
            assert_eq!(*order[0].addr.ip(), Ipv4Addr::new(10, 0, 0, 2));
        }
    }
}
