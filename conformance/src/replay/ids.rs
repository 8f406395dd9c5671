//! Identifiers the server allocates, mapped from the capture to the replay.
//!
//! A fresh server may hand out other inode numbers, chunk ids or session
//! ids than the captured one did and still be right. What must hold is
//! that it is consistent: the first time a captured id shows up in an
//! answer it is bound to the id the replayed answer has at the same place,
//! and from then on every answer must agree with that binding in both
//! directions (two captured ids may not share one replayed id). Requests
//! are rewritten through the same bindings before they are sent, so a
//! request that names captured inode 7 names the inode bound to 7.

use std::collections::HashMap;
use std::fmt;
use std::net::Ipv4Addr;

/// What kind of object an id names; each kind has its own bindings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdKind {
    Inode,
    Chunk,
    Session,
    /// The random 64-bit id a master gives its metadata when it creates it.
    Metaid,
    /// A chunkserver's IPv4 address: the target's chunkservers have other
    /// addresses than the captured ones.
    Chunkserver,
    /// The number a master gives a chunkserver when it first registers.
    Csid,
}

impl fmt::Display for IdKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IdKind::Inode => "inode",
            IdKind::Chunk => "chunk id",
            IdKind::Session => "session id",
            IdKind::Metaid => "metaid",
            IdKind::Chunkserver => "chunkserver address",
            IdKind::Csid => "chunkserver id",
        })
    }
}

/// A binding that an answer contradicts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    #[error("captured {kind} {captured} is bound to {bound}, the answer has {replayed}")]
    Captured {
        kind: IdKind,
        captured: u64,
        bound: u64,
        replayed: u64,
    },
    #[error("replayed {kind} {replayed} is already bound to captured {bound}, not {captured}")]
    Replayed {
        kind: IdKind,
        captured: u64,
        bound: u64,
        replayed: u64,
    },
}

/// Captured ids and the replayed ids bound to them, both ways.
#[derive(Debug, Clone, Default)]
pub struct IdMap {
    forward: HashMap<(IdKind, u64), u64>,
    backward: HashMap<(IdKind, u64), u64>,
}

impl IdMap {
    pub fn new() -> Self {
        IdMap::default()
    }

    /// Binds `captured` to `replayed` if neither is bound yet, otherwise
    /// checks the existing binding. Zero means "none" (no inode, no
    /// session) in every MooseFS message, so it only ever matches itself.
    pub fn bind(&mut self, kind: IdKind, captured: u64, replayed: u64) -> Result<(), Conflict> {
        if captured == 0 || replayed == 0 {
            return match captured == replayed {
                true => Ok(()),
                false if captured == 0 => Err(Conflict::Replayed {
                    kind,
                    captured,
                    bound: captured,
                    replayed,
                }),
                false => Err(Conflict::Captured {
                    kind,
                    captured,
                    bound: captured,
                    replayed,
                }),
            };
        }
        if let Some(&bound) = self.forward.get(&(kind, captured)) {
            return match bound == replayed {
                true => Ok(()),
                false => Err(Conflict::Captured {
                    kind,
                    captured,
                    bound,
                    replayed,
                }),
            };
        }
        if let Some(&bound) = self.backward.get(&(kind, replayed)) {
            return Err(Conflict::Replayed {
                kind,
                captured,
                bound,
                replayed,
            });
        }
        self.forward.insert((kind, captured), replayed);
        self.backward.insert((kind, replayed), captured);
        Ok(())
    }

    /// The replayed id for a captured id a request names. An id no answer
    /// has bound yet names an object the server did not allocate during
    /// the replay (the root inode 1, an object of the starting state), so
    /// it stands for itself, and is bound so later answers must agree.
    pub fn translate(&mut self, kind: IdKind, captured: u64) -> u64 {
        if captured == 0 {
            return 0;
        }
        if let Some(&bound) = self.forward.get(&(kind, captured)) {
            return bound;
        }
        match self.bind(kind, captured, captured) {
            Ok(()) => captured,
            // The same number was already allocated to another captured
            // object; sending it unchanged is the only honest choice, and
            // the answer will show the difference.
            Err(_) => captured,
        }
    }

    /// [`IdMap::translate`] for a 32-bit field.
    pub fn translate32(&mut self, kind: IdKind, field: &mut u32) {
        // A replayed id bound to a 32-bit field was read from a 32-bit
        // field of the same kind, so it fits.
        *field = u32::try_from(self.translate(kind, u64::from(*field))).unwrap_or(*field);
    }

    /// [`IdMap::translate`] for a 64-bit field.
    pub fn translate64(&mut self, kind: IdKind, field: &mut u64) {
        *field = self.translate(kind, *field);
    }

    /// [`IdMap::translate`] for an address field.
    pub fn translate_address(&mut self, kind: IdKind, field: &mut Ipv4Addr) {
        let mut number = u32::from(*field);
        self.translate32(kind, &mut number);
        *field = Ipv4Addr::from(number);
    }

    /// The replayed id bound to `captured`, if an answer bound one; unlike
    /// [`IdMap::translate`] this binds nothing.
    pub fn bound(&self, kind: IdKind, captured: u64) -> Option<u64> {
        self.forward.get(&(kind, captured)).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_sighting_binds_and_later_ones_must_agree() {
        let mut ids = IdMap::new();
        assert_eq!(ids.bind(IdKind::Inode, 7, 12), Ok(()));
        assert_eq!(ids.bind(IdKind::Inode, 7, 12), Ok(()));
        assert_eq!(
            ids.bind(IdKind::Inode, 7, 13),
            Err(Conflict::Captured {
                kind: IdKind::Inode,
                captured: 7,
                bound: 12,
                replayed: 13
            })
        );
    }

    #[test]
    fn two_captured_ids_cannot_share_a_replayed_one() {
        let mut ids = IdMap::new();
        ids.bind(IdKind::Chunk, 1, 5).unwrap();
        assert_eq!(
            ids.bind(IdKind::Chunk, 2, 5),
            Err(Conflict::Replayed {
                kind: IdKind::Chunk,
                captured: 2,
                bound: 1,
                replayed: 5
            })
        );
    }

    #[test]
    fn kinds_are_bound_separately() {
        let mut ids = IdMap::new();
        ids.bind(IdKind::Inode, 3, 4).unwrap();
        assert_eq!(ids.bind(IdKind::Session, 3, 9), Ok(()));
        assert_eq!(ids.translate(IdKind::Inode, 3), 4);
        assert_eq!(ids.translate(IdKind::Session, 3), 9);
    }

    #[test]
    fn zero_means_none_and_matches_only_itself() {
        let mut ids = IdMap::new();
        assert_eq!(ids.bind(IdKind::Session, 0, 0), Ok(()));
        assert!(ids.bind(IdKind::Session, 0, 4).is_err());
        assert!(ids.bind(IdKind::Session, 4, 0).is_err());
        assert_eq!(ids.translate(IdKind::Session, 0), 0);
    }

    #[test]
    fn requests_are_rewritten_through_the_bindings() {
        let mut ids = IdMap::new();
        ids.bind(IdKind::Inode, 7, 21).unwrap();
        let mut inode = 7u32;
        ids.translate32(IdKind::Inode, &mut inode);
        assert_eq!(inode, 21);
        let mut chunk = 0x10u64;
        ids.translate64(IdKind::Chunk, &mut chunk);
        assert_eq!(chunk, 0x10);
    }

    #[test]
    fn addresses_are_translated_as_their_32_bit_numbers() {
        let mut ids = IdMap::new();
        let (captured, target) = (Ipv4Addr::new(10, 231, 0, 13), Ipv4Addr::new(10, 233, 0, 12));
        ids.bind(
            IdKind::Chunkserver,
            u32::from(captured).into(),
            u32::from(target).into(),
        )
        .unwrap();
        let mut field = captured;
        ids.translate_address(IdKind::Chunkserver, &mut field);
        assert_eq!(field, target);
        assert_eq!(
            ids.bound(IdKind::Chunkserver, u32::from(captured).into()),
            Some(u32::from(target).into())
        );
        assert_eq!(ids.bound(IdKind::Chunkserver, 1), None);
    }

    #[test]
    fn an_id_first_named_by_a_request_stands_for_itself() {
        let mut ids = IdMap::new();
        assert_eq!(ids.translate(IdKind::Inode, 1), 1);
        // From then on an answer must give inode 1 for captured inode 1.
        assert!(ids.bind(IdKind::Inode, 1, 2).is_err());
        assert_eq!(ids.bind(IdKind::Inode, 1, 1), Ok(()));
    }
}
