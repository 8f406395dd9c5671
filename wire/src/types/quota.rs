//! Directory quotas as `mfssetquota`/`mfsgetquota` exchange them.
//!
//! 3.0.117 tools send a grace period in front of the limits; older ones
//! do not. The master tells the two apart by length (65 or 69 bytes of
//! request) and answers in the same form, so the grace period is an
//! `Option` decided by the bytes that remain.

use bytes::BytesMut;

use crate::codec::{Ctx, Parsed, Wire};
use crate::records;

records! {
    /// `sinodes:32 slength:64 ssize:64 srealsize:64 hinodes:32 hlength:64 hsize:64 hrealsize:64` — soft then hard limits
    QuotaLimits {
        soft_inodes: u32, soft_length: u64, soft_size: u64, soft_real_size: u64,
        hard_inodes: u32, hard_length: u64, hard_size: u64, hard_real_size: u64,
    }

    /// `curinodes:32 curlength:64 cursize:64 currealsize:64`
    QuotaUsage { inodes: u32, length: u64, size: u64, real_size: u64 }
}

/// Bits of `qflags` (`QUOTA_FLAG_*`): which limits are set.
pub mod quota_flag {
    pub const SINODES: u8 = 0x01;
    pub const SLENGTH: u8 = 0x02;
    pub const SSIZE: u8 = 0x04;
    pub const SREALSIZE: u8 = 0x08;
    pub const HINODES: u8 = 0x10;
    pub const HLENGTH: u8 = 0x20;
    pub const HSIZE: u8 = 0x40;
    pub const HREALSIZE: u8 = 0x80;
}

const LIMITS_LEN: usize = 56;
const USAGE_LEN: usize = 28;
const GRACE_LEN: usize = 4;

/// `[ graceperiod:32 ] sinodes:32 ... hrealsize:64` — what a set request carries.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct QuotaSetting {
    /// Seconds a soft limit may be exceeded; absent from older tools.
    pub grace_period: Option<u32>,
    pub limits: QuotaLimits,
}

impl Wire for QuotaSetting {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        let (input, grace_period) = optional_grace(input, LIMITS_LEN, ctx)?;
        let (input, limits) = QuotaLimits::decode(input, ctx)?;
        Ok((
            input,
            QuotaSetting {
                grace_period,
                limits,
            },
        ))
    }

    fn encode(&self, out: &mut BytesMut) {
        self.grace_period.encode(out);
        self.limits.encode(out);
    }
}

/// `qflags:8 [ graceperiod:32 ] limits usage` — the master's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct QuotaState {
    pub qflags: u8,
    /// Present exactly when the request carried one.
    pub grace_period: Option<u32>,
    pub limits: QuotaLimits,
    pub usage: QuotaUsage,
}

impl Wire for QuotaState {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        let (input, qflags) = u8::decode(input, ctx)?;
        let (input, grace_period) = optional_grace(input, LIMITS_LEN + USAGE_LEN, ctx)?;
        let (input, limits) = QuotaLimits::decode(input, ctx)?;
        let (input, usage) = QuotaUsage::decode(input, ctx)?;
        let state = QuotaState {
            qflags,
            grace_period,
            limits,
            usage,
        };
        Ok((input, state))
    }

    fn encode(&self, out: &mut BytesMut) {
        self.qflags.encode(out);
        self.grace_period.encode(out);
        self.limits.encode(out);
        self.usage.encode(out);
    }
}

/// Reads the grace period when it is there: exactly `fixed` bytes after it.
fn optional_grace(input: &[u8], fixed: usize, ctx: Ctx) -> Parsed<'_, Option<u32>> {
    if input.len() == fixed + GRACE_LEN {
        let (input, grace) = u32::decode(input, ctx)?;
        Ok((input, Some(grace)))
    } else {
        Ok((input, None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cltoma::FuseQuotacontrol;
    use crate::matocl::FuseQuotacontrolReply;
    use crate::message::decode_payload;
    use crate::types::Reply;

    /// `mfssetquota -i 1000 -I 2000 -l 10M -L 20M ...` from Debian's 3.0.117
    /// tools, as captured in conformance/corpus (stream #9, packet 4284).
    const SET_REQUEST: [u8; 69] = [
        0, 0, 0, 7, // msgid
        0, 0, 0, 3,    // inode
        0x77, // qflags: soft inodes/length/size, hard inodes/length/size
        0, 0, 0, 0, // graceperiod
        0, 0, 0x03, 0xe8, // soft inodes 1000
        0, 0, 0, 0, 0, 0x98, 0x96, 0x80, // soft length 10 000 000
        0, 0, 0, 0, 0x01, 0xc9, 0xc3, 0x80, // soft size 30 000 000
        0, 0, 0, 0, 0, 0, 0, 0, // soft real size
        0, 0, 0x07, 0xd0, // hard inodes 2000
        0, 0, 0, 0, 0x01, 0x31, 0x2d, 0, // hard length 20 000 000
        0, 0, 0, 0, 0x02, 0x62, 0x5a, 0, // hard size 40 000 000
        0, 0, 0, 0, 0, 0, 0, 0, // hard real size
    ];

    #[test]
    fn a_captured_set_request_carries_a_grace_period() {
        let request: FuseQuotacontrol = decode_payload(&SET_REQUEST, Ctx::default()).unwrap();
        let setting = request.setting.clone().unwrap();
        assert_eq!(setting.grace_period, Some(0));
        assert_eq!(setting.limits.soft_inodes, 1000);
        assert_eq!(setting.limits.hard_size, 40_000_000);
        let mut out = BytesMut::new();
        request.encode(&mut out);
        assert_eq!(&out[..], &SET_REQUEST[..]);
    }

    #[test]
    fn old_tools_send_no_grace_period_and_delete_sends_nothing() {
        let mut old = SET_REQUEST[..9].to_vec();
        old.extend_from_slice(&SET_REQUEST[13..]);
        let request: FuseQuotacontrol = decode_payload(&old, Ctx::default()).unwrap();
        assert_eq!(request.setting.unwrap().grace_period, None);
        let delete: FuseQuotacontrol = decode_payload(&SET_REQUEST[..9], Ctx::default()).unwrap();
        assert_eq!(delete.setting, None);
    }

    #[test]
    fn the_answer_has_a_grace_period_when_the_request_had_one() {
        let mut answer = vec![0, 0, 0, 7, 0x77, 0, 0, 0, 0];
        answer.extend_from_slice(&SET_REQUEST[13..]);
        answer.extend_from_slice(&[0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 10]);
        answer.extend_from_slice(&[0; 16]);
        let reply: FuseQuotacontrolReply = decode_payload(&answer, Ctx::default()).unwrap();
        let Reply::Ok(state) = reply.reply else {
            panic!("status instead of state");
        };
        assert_eq!(state.grace_period, Some(0));
        assert_eq!(state.usage.inodes, 3);
        assert_eq!(state.usage.length, 10);
    }
}
