//! The order a mount gets a chunk's copies in, as mfsmaster gives it
//! without a topology file: a copy on the mount's own machine first, the
//! others in a random order drawn anew for each answer. mfsmount reads
//! from the least busy copy and, among equally busy ones, keeps the
//! master's order, so a fixed order would send every idle mount's reads
//! to the same chunkserver.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::net::Ipv4Addr;

use crate::chunks::Holder;

/// `holders`, the one on `client`'s address first, the rest shuffled.
pub fn nearest_first(holders: &[Holder], client: Ipv4Addr) -> Vec<&Holder> {
    let draw = RandomState::new();
    let mut ordered: Vec<(bool, u64, &Holder)> = holders
        .iter()
        .map(|h| (*h.addr.ip() != client, draw.hash_one(h.addr), h))
        .collect();
    ordered.sort_unstable_by_key(|(far, key, _)| (*far, *key));
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
            let order = nearest_first(&holders, client);
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
}
