//! The caller's groups in client requests, in the two shapes the master accepts.
//!
//! Since 2.0 a request carries `gcnt:32 gcnt * [ gid:32 ]`, but the master
//! still accepts the older single `gid:32` and tells the two apart by the
//! packet length: when exactly the fixed fields that follow the groups remain
//! after one `u32`, that `u32` is a lone gid. `mfsmount` relies on this and
//! sends a lone `0xFFFFFFFF` when it knows no groups. `TAIL` is the size of
//! the fixed fields after the groups, so the rule can be applied here.

use bytes::BytesMut;

use crate::codec::{malformed, Ctx, Parsed, Wire};

/// The gid `mfsmount` sends when it has no group to report.
pub const NO_GROUP: u32 = 0xFFFF_FFFF;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Groups<const TAIL: usize> {
    /// The old `gid:32` form (and what `mfsmount` sends with no groups).
    Single(u32),
    /// `gcnt:32 gcnt * [ gid:32 ]`; never empty, since an empty list would
    /// be read back as a single gid 0, exactly as the master reads it.
    List(Vec<u32>),
}

impl<const TAIL: usize> Groups<TAIL> {
    /// The shape `mfsmount` 3.0.117 would send for these groups.
    pub fn from_gids(gids: Vec<u32>) -> Self {
        if gids.is_empty() {
            Groups::Single(NO_GROUP)
        } else {
            Groups::List(gids)
        }
    }

    /// The gids as the master uses them.
    pub fn gids(&self) -> &[u32] {
        match self {
            Groups::Single(gid) => std::slice::from_ref(gid),
            Groups::List(gids) => gids,
        }
    }
}

impl<const TAIL: usize> Wire for Groups<TAIL> {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        let (mut rest, first) = u32::decode(input, ctx)?;
        if rest.len() == TAIL {
            return Ok((rest, Groups::Single(first)));
        }
        let count = first as usize;
        if count > rest.len() / 4 {
            return Err(malformed(rest));
        }
        let mut gids = Vec::with_capacity(count);
        for _ in 0..count {
            let (after, gid) = u32::decode(rest, ctx)?;
            gids.push(gid);
            rest = after;
        }
        Ok((rest, Groups::List(gids)))
    }

    fn encode(&self, out: &mut BytesMut) {
        match self {
            Groups::Single(gid) => gid.encode(out),
            Groups::List(gids) => {
                (gids.len() as u32).encode(out);
                for gid in gids {
                    gid.encode(out);
                }
            }
        }
    }
}

#[cfg(test)]
mod arbitrary {
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;

    impl<const TAIL: usize> Arbitrary for Groups<TAIL> {
        type Parameters = ();
        type Strategy = BoxedStrategy<Self>;
        fn arbitrary_with(_: ()) -> Self::Strategy {
            prop_oneof![
                any::<u32>().prop_map(Groups::Single),
                vec(any::<u32>(), 1..5).prop_map(Groups::List),
            ]
            .boxed()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_u32_before_the_tail_is_a_single_gid() {
        let bytes = [0xff, 0xff, 0xff, 0xff, 7];
        let (rest, groups) = Groups::<1>::decode(&bytes, Ctx::default()).unwrap();
        assert_eq!(groups, Groups::Single(NO_GROUP));
        assert_eq!(rest, &[7]);
    }

    #[test]
    fn a_count_is_followed_by_that_many_gids() {
        let bytes = [0, 0, 0, 2, 0, 0, 0, 10, 0, 0, 0, 20, 7];
        let (rest, groups) = Groups::<1>::decode(&bytes, Ctx::default()).unwrap();
        assert_eq!(groups.gids(), &[10, 20]);
        assert_eq!(rest, &[7]);
    }

    #[test]
    fn an_empty_list_reads_back_as_gid_zero_like_the_master() {
        let mut out = BytesMut::new();
        Groups::<0>::List(Vec::new()).encode(&mut out);
        let (_, back) = Groups::<0>::decode(&out, Ctx::default()).unwrap();
        assert_eq!(back, Groups::Single(0));
        assert_eq!(Groups::<0>::from_gids(Vec::new()), Groups::Single(NO_GROUP));
    }

    #[test]
    fn a_lying_count_is_refused() {
        let bytes = [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 9];
        assert!(Groups::<0>::decode(&bytes, Ctx::default()).is_err());
    }
}
