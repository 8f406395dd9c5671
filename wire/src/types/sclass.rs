//! Storage-class definitions as the `SCLASS_*` commands carry them.
//!
//! The three label counts come first and the masks after them, in the
//! order `matoclserv.c` reads and writes them (the comment in
//! MFSCommunication.h interleaves counts and masks, but no side does):
//! `admin_only:8 mode:8 arch_delay:16 create_labelscnt:8 keep_labelscnt:8
//! arch_labelscnt:8 create_labelscnt * [ MASKORGROUP * [ labelmask:32 ] ]
//! keep_labelscnt * [ ... ] arch_labelscnt * [ ... ]`.

use bytes::BytesMut;

use crate::codec::{malformed, Ctx, Parsed, Wire};

/// One label expression: `MASKORGROUP` (4) alternatives of label bits.
pub type LabelExpr = [u32; 4];

/// How strictly the master keeps copies on matching servers (`SCLASS_MODE_*`).
pub mod mode {
    pub const LOOSE: u8 = 0;
    pub const STD: u8 = 1;
    pub const STRICT: u8 = 2;
}

/// Bits of `chgmask` in `CLTOMA_SCLASS_CHANGE` (`SCLASS_CHG_*`).
pub mod change {
    pub const ADMIN_ONLY: u16 = 0x0001;
    pub const MODE: u16 = 0x0002;
    pub const CREATE_MASKS: u16 = 0x0004;
    pub const KEEP_MASKS: u16 = 0x0008;
    pub const ARCH_MASKS: u16 = 0x0010;
    pub const ARCH_DELAY: u16 = 0x0020;
    pub const FORCE: u16 = 0x8000;
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct SclassDef {
    pub admin_only: u8,
    /// One of [`mode`].
    pub mode: u8,
    /// Hours before chunks are moved to the archive labels.
    pub arch_delay: u16,
    #[cfg_attr(
        test,
        proptest(
            strategy = "proptest::collection::vec(proptest::prelude::any::<LabelExpr>(), 0..4)"
        )
    )]
    pub create: Vec<LabelExpr>,
    #[cfg_attr(
        test,
        proptest(
            strategy = "proptest::collection::vec(proptest::prelude::any::<LabelExpr>(), 0..4)"
        )
    )]
    pub keep: Vec<LabelExpr>,
    #[cfg_attr(
        test,
        proptest(
            strategy = "proptest::collection::vec(proptest::prelude::any::<LabelExpr>(), 0..4)"
        )
    )]
    pub arch: Vec<LabelExpr>,
}

fn decode_exprs(mut input: &[u8], count: u8, ctx: Ctx) -> Parsed<'_, Vec<LabelExpr>> {
    if usize::from(count) * 16 > input.len() {
        return Err(malformed(input));
    }
    let mut exprs = Vec::with_capacity(count.into());
    for _ in 0..count {
        let (rest, expr) = LabelExpr::decode(input, ctx)?;
        exprs.push(expr);
        input = rest;
    }
    Ok((input, exprs))
}

impl Wire for SclassDef {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        let (input, admin_only) = u8::decode(input, ctx)?;
        let (input, mode) = u8::decode(input, ctx)?;
        let (input, arch_delay) = u16::decode(input, ctx)?;
        let (input, [create_cnt, keep_cnt, arch_cnt]) = <[u8; 3]>::decode(input, ctx)?;
        let (input, create) = decode_exprs(input, create_cnt, ctx)?;
        let (input, keep) = decode_exprs(input, keep_cnt, ctx)?;
        let (input, arch) = decode_exprs(input, arch_cnt, ctx)?;
        let def = SclassDef {
            admin_only,
            mode,
            arch_delay,
            create,
            keep,
            arch,
        };
        Ok((input, def))
    }

    fn encode(&self, out: &mut BytesMut) {
        self.admin_only.encode(out);
        self.mode.encode(out);
        self.arch_delay.encode(out);
        for list in [&self.create, &self.keep, &self.arch] {
            (list.len() as u8).encode(out);
        }
        for list in [&self.create, &self.keep, &self.arch] {
            list.iter().for_each(|expr| expr.encode(out));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_come_before_all_masks() {
        let def = SclassDef {
            admin_only: 1,
            mode: mode::STRICT,
            arch_delay: 24,
            create: vec![[1, 0, 0, 0]],
            keep: vec![[2, 0, 0, 0], [4, 0, 0, 0]],
            arch: Vec::new(),
        };
        let mut out = BytesMut::new();
        def.encode(&mut out);
        assert_eq!(&out[..7], &[1, 2, 0, 24, 1, 2, 0]);
        assert_eq!(out.len(), 7 + 3 * 16);
        assert_eq!(SclassDef::decode(&out, Ctx::default()).unwrap().1, def);
    }
}
