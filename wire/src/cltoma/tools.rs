//! Requests of the `mfs*` tools and the meta mount: trash, storage
//! classes, extra attributes, quotas, paths, archiving
//! (`CLTOMA_FUSE_*` 442-462, 470-476, 484-486, 496).

use bytes::BytesMut;

use crate::codec::{Bytes32, Ctx, Name, Parsed, Wire};
use crate::messages;
use crate::types::quota::QuotaSetting;

/// `gmode` of the recursive GET commands (`GMODE_*`).
pub mod gmode {
    pub const NORMAL: u8 = 0;
    pub const RECURSIVE: u8 = 1;
}

/// `smode` of the SET commands (`SMODE_*`): a type in the low two bits,
/// recursion in bit 2.
pub mod smode {
    pub const SET: u8 = 0;
    pub const INCREASE: u8 = 1;
    pub const DECREASE: u8 = 2;
    pub const EXCHANGE: u8 = 3;
    pub const TYPE_MASK: u8 = 3;
    pub const RECURSIVE: u8 = 4;
}

/// `dtype` of GETDETACHEDATTR (`DTYPE_*`).
pub mod dtype {
    pub const UNKNOWN: u8 = 0;
    pub const TRASH: u8 = 1;
    pub const SUSTAINED: u8 = 2;
}

/// `cmd` of ARCHCTL (`ARCHCTL_*`).
pub mod archctl {
    pub const CLR: u8 = 0;
    pub const SET: u8 = 1;
    pub const GET: u8 = 2;
}

/// Marks a storage class given by name in SETSCLASS and GETSCLASS.
pub const NAMED_CLASS: u8 = 0xFF;

/// What SETSCLASS assigns: `goal:8 smode:8`, `0xFF:8 smode:8
/// storage_class:NAME`, or with an exchange `smode` two names.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum SclassTarget {
    /// A simple goal class by id (1-9); never 0xFF.
    #[cfg_attr(test, proptest(strategy = "simple_goal()"))]
    Goal { goal: u8, smode: u8 },
    /// A class by name; `smode`'s type is not EXCHANGE.
    #[cfg_attr(test, proptest(strategy = "named()"))]
    Named { smode: u8, name: Name },
    /// Replace `old` with `new`; `smode`'s type is EXCHANGE.
    #[cfg_attr(test, proptest(strategy = "exchange()"))]
    Exchange { smode: u8, old: Name, new: Name },
}

impl Wire for SclassTarget {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        let (input, id) = u8::decode(input, ctx)?;
        let (input, mode) = u8::decode(input, ctx)?;
        if id != NAMED_CLASS {
            return Ok((
                input,
                SclassTarget::Goal {
                    goal: id,
                    smode: mode,
                },
            ));
        }
        let (input, name) = Name::decode(input, ctx)?;
        if mode & smode::TYPE_MASK != smode::EXCHANGE {
            return Ok((input, SclassTarget::Named { smode: mode, name }));
        }
        let (input, new) = Name::decode(input, ctx)?;
        Ok((
            input,
            SclassTarget::Exchange {
                smode: mode,
                old: name,
                new,
            },
        ))
    }

    fn encode(&self, out: &mut BytesMut) {
        match self {
            SclassTarget::Goal { goal, smode } => {
                goal.encode(out);
                smode.encode(out);
            }
            SclassTarget::Named { smode, name } => {
                NAMED_CLASS.encode(out);
                smode.encode(out);
                name.encode(out);
            }
            SclassTarget::Exchange { smode, old, new } => {
                NAMED_CLASS.encode(out);
                smode.encode(out);
                old.encode(out);
                new.encode(out);
            }
        }
    }
}

#[cfg(test)]
fn simple_goal() -> impl proptest::strategy::Strategy<Value = SclassTarget> {
    use proptest::prelude::*;
    (0u8..0xFF, any::<u8>()).prop_map(|(goal, smode)| SclassTarget::Goal { goal, smode })
}

#[cfg(test)]
fn named() -> impl proptest::strategy::Strategy<Value = SclassTarget> {
    use proptest::prelude::*;
    (any::<u8>(), any::<Name>())
        .prop_filter("not an exchange", |(mode, _)| {
            mode & smode::TYPE_MASK != smode::EXCHANGE
        })
        .prop_map(|(smode, name)| SclassTarget::Named { smode, name })
}

#[cfg(test)]
fn exchange() -> impl proptest::strategy::Strategy<Value = SclassTarget> {
    use proptest::prelude::*;
    (any::<u8>(), any::<Name>(), any::<Name>()).prop_map(|(mode, old, new)| {
        SclassTarget::Exchange {
            smode: mode | smode::EXCHANGE,
            old,
            new,
        }
    })
}

messages! {
    /// `msgid:32 inode:32 gmode:8`
    FuseGettrashtime = 442 CLTOMA_FUSE_GETTRASHTIME { msgid: u32, inode: u32, gmode: u8 }

    /// `msgid:32 inode:32 uid:32 trashtimeout:32 smode:8`
    FuseSettrashtime = 444 CLTOMA_FUSE_SETTRASHTIME { msgid: u32, inode: u32, uid: u32, trashtime: u32, smode: u8 }

    /// `msgid:32 inode:32 gmode:8`
    FuseGetsclass = 446 CLTOMA_FUSE_GETSCLASS { msgid: u32, inode: u32, gmode: u8 }

    /// `msgid:32 inode:32 uid:32 goal:8 smode:8`
    /// `msgid:32 inode:32 uid:32 0xFF:8 smode:8 storage_class:NAME` (version >= 3.0.75 && (smode & SMODE_TMASK) != SMODE_EXCHANGE)
    /// `msgid:32 inode:32 uid:32 0xFF:8 smode:8 old_storage_class:NAME new_storage_class:NAME` (version >= 3.0.75 && (smode & SMODE_TMASK) == SMODE_EXCHANGE)
    FuseSetsclass = 448 CLTOMA_FUSE_SETSCLASS { msgid: u32, inode: u32, uid: u32, target: SclassTarget }

    /// `msgid:32 [ trash_id:32 ]` — trash_id (one of 4096 buckets, 0xFFFFFFFF for all) since 3.0.64
    FuseGettrash = 450 CLTOMA_FUSE_GETTRASH { msgid: u32, trash_id: Option<u32> }

    /// `msgid:32 inode:32 [ dtype:8 ]`
    FuseGetdetachedattr = 452 CLTOMA_FUSE_GETDETACHEDATTR { msgid: u32, inode: u32, dtype: Option<u8> }

    /// `msgid:32 inode:32`
    FuseGettrashpath = 454 CLTOMA_FUSE_GETTRASHPATH { msgid: u32, inode: u32 }

    /// `msgid:32 inode:32 length:32 path:lengthB`
    FuseSettrashpath = 456 CLTOMA_FUSE_SETTRASHPATH { msgid: u32, inode: u32, path: Bytes32 }

    /// `msgid:32 inode:32`
    FuseUndel = 458 CLTOMA_FUSE_UNDEL { msgid: u32, inode: u32 }

    /// `msgid:32 inode:32`
    FusePurge = 460 CLTOMA_FUSE_PURGE { msgid: u32, inode: u32 }

    /// `msgid:32 inode:32`
    FuseGetdirstats = 462 CLTOMA_FUSE_GETDIRSTATS { msgid: u32, inode: u32 }

    /// `msgid:32`
    FuseGetsustained = 470 CLTOMA_FUSE_GETSUSTAINED { msgid: u32 }

    /// `msgid:32 inode:32 gmode:8`
    FuseGeteattr = 472 CLTOMA_FUSE_GETEATTR { msgid: u32, inode: u32, gmode: u8 }

    /// `msgid:32 inode:32 uid:32 eattr:8 smode:8`
    FuseSeteattr = 474 CLTOMA_FUSE_SETEATTR { msgid: u32, inode: u32, uid: u32, eattr: u8, smode: u8 }

    /// `msgid:32 inode:32 qflags:8` — delete quota
    /// `msgid:32 inode:32 qflags:8 sinodes:32 slength:64 ssize:64 srealsize:64 hinodes:32 hlength:64 hsize:64 hrealsize:64` — set quota (older tools)
    /// `msgid:32 inode:32 qflags:8 graceperiod:32 sinodes:32 ... hrealsize:64` — set quota (3.0.117 tools)
    FuseQuotacontrol = 476 CLTOMA_FUSE_QUOTACONTROL { msgid: u32, inode: u32, qflags: u8, setting: Option<QuotaSetting> }

    /// `msgid:32 inode:32`
    FuseParents = 484 CLTOMA_FUSE_PARENTS { msgid: u32, inode: u32 }

    /// `msgid:32 inode:32`
    FusePaths = 486 CLTOMA_FUSE_PATHS { msgid: u32, inode: u32 }

    /// `msgid:32 inode:32 cmd:8` (cmd==ARCHCTL_GET)
    /// `msgid:32 inode:32 cmd:8 uid:32` (cmd==ARCHCTL_SET or cmd==ARCHCTL_CLR)
    FuseArchctl = 496 CLTOMA_FUSE_ARCHCTL { msgid: u32, inode: u32, cmd: u8, uid: Option<u32> }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{decode_payload, Message};

    fn setsclass(target: &[u8]) -> Vec<u8> {
        let mut bytes = vec![0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0];
        bytes.extend_from_slice(target);
        bytes
    }

    #[test]
    fn setsclass_target_follows_id_and_smode() {
        let goal: FuseSetsclass = decode_payload(&setsclass(&[3, 0]), Ctx::default()).unwrap();
        assert_eq!(goal.target, SclassTarget::Goal { goal: 3, smode: 0 });

        let bytes = setsclass(&[0xFF, smode::RECURSIVE, 1, b'a']);
        let named: FuseSetsclass = decode_payload(&bytes, Ctx::default()).unwrap();
        let expected = SclassTarget::Named {
            smode: smode::RECURSIVE,
            name: Name::new(&b"a"[..]),
        };
        assert_eq!(named.target, expected);

        let bytes = setsclass(&[0xFF, smode::EXCHANGE, 1, b'a', 1, b'b']);
        let exchange: FuseSetsclass = decode_payload(&bytes, Ctx::default()).unwrap();
        assert!(matches!(exchange.target, SclassTarget::Exchange { .. }));
        assert_eq!(&exchange.to_frame().payload[..], &bytes[..]);
    }

    #[test]
    fn archctl_uid_is_there_for_set_and_clear() {
        let get = [0, 0, 0, 1, 0, 0, 0, 2, archctl::GET];
        let message: FuseArchctl = decode_payload(&get, Ctx::default()).unwrap();
        assert_eq!(message.uid, None);
        let set = [0, 0, 0, 1, 0, 0, 0, 2, archctl::SET, 0, 0, 0, 7];
        let message: FuseArchctl = decode_payload(&set, Ctx::default()).unwrap();
        assert_eq!(message.uid, Some(7));
    }
}
