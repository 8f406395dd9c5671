//! QUOTACONTROL (`mfssetquota`, `mfsgetquota`, `mfsdelquota`) and
//! QUOTA_INFO (`mfscli -SQU`, answered in any registration state).

use mooseng_wire::cltoma::FuseQuotacontrol;
use mooseng_wire::codec::{Bytes32, Rest};
use mooseng_wire::info_lists::{QuotaEntry, QuotaValues};
use mooseng_wire::matocl::FuseQuotacontrolReply;
use mooseng_wire::matocl_info;
use mooseng_wire::types::quota::{QuotaLimits, QuotaState, QuotaUsage};
use mooseng_wire::{Status, Version};

use super::node::into_reply;
use super::reply::reply;
use super::{Action, Master, Request};
use crate::exports::sesflag;
use crate::namespace::{Caller, Mutation, QuotaChange, Usage};
use crate::store::now;
use crate::view::View;

/// Clients from 3.0.9 on get the grace period in the answer.
const GRACE_SINCE: Version = Version::new(3, 0, 9);

impl Request<'_> {
    pub(super) async fn quotacontrol(self, m: FuseQuotacontrol) -> Action {
        let result = self.quota_change(&m).await;
        let result = match result {
            Ok(()) => {
                let ns = self.master.store.read().await;
                View::new(&ns, self.session, self.version)
                    .resolve(m.inode)
                    .and_then(|inode| ns.quota_state(inode))
            }
            Err(status) => Err(status),
        };
        let with_grace = self.version >= GRACE_SINCE;
        let result = result.map(|(quota, usage)| QuotaState {
            qflags: quota.flags,
            grace_period: with_grace.then_some(quota.grace_period),
            limits: to_limits(&quota.soft, &quota.hard),
            usage: QuotaUsage {
                inodes: usage.inodes,
                length: usage.length,
                size: usage.size,
                real_size: usage.real_size,
            },
        });
        reply(FuseQuotacontrolReply {
            msgid: m.msgid,
            reply: into_reply(result),
        })
    }

    /// The change a request asks for, when it asks for one: only admin
    /// sessions whose root is not remapped may change quotas.
    async fn quota_change(&self, m: &FuseQuotacontrol) -> Result<(), Status> {
        if m.qflags == 0 {
            return Ok(());
        }
        if self.session.grant.root_uid != 0 {
            return Err(Status::EACCES);
        }
        if self.read_only() {
            return Err(Status::EROFS);
        }
        if self.session.grant.sesflags & sesflag::ADMIN == 0 {
            return Err(Status::EPERM);
        }
        let change = match &m.setting {
            None => QuotaChange {
                delete: true,
                flags: m.qflags,
                grace_period: 0,
                soft: Usage::default(),
                hard: Usage::default(),
            },
            Some(setting) => {
                let l = &setting.limits;
                QuotaChange {
                    delete: false,
                    flags: m.qflags,
                    grace_period: setting.grace_period.unwrap_or(0),
                    soft: usage(l.soft_inodes, l.soft_length, l.soft_size, l.soft_real_size),
                    hard: usage(l.hard_inodes, l.hard_length, l.hard_size, l.hard_real_size),
                }
            }
        };
        let mutation = |inode| Mutation::SetQuota { inode, change };
        self.change_node(&Caller::root(), m.inode, mutation)
            .await
            .map(|_| ())
    }
}

/// `timetoblock` while no soft limit is exceeded.
const NEVER_BLOCKS: u32 = u32::MAX;

/// Every quota with its path, limits and usage. `exceeded` and the time
/// left before the soft limit blocks come from when the soft limit was
/// first exceeded, as `fsnodes_check_quotanode` sets them.
pub(super) async fn quota_info(master: &Master) -> Action {
    let ns = master.store.read().await;
    let at = now();
    let quotas = ns
        .quotas()
        .into_iter()
        .map(|(inode, quota, current, since)| {
            let deadline = since.map(|s| s.saturating_add(quota.grace_period));
            QuotaEntry {
                inode,
                path: Bytes32::new(ns.dir_path(inode)),
                graceperiod: quota.grace_period,
                exceeded: u8::from(deadline.is_some_and(|d| d < at)),
                qflags: quota.flags,
                timetoblock: deadline.map_or(NEVER_BLOCKS, |d| d.saturating_sub(at)),
                soft: values(&quota.soft),
                hard: values(&quota.hard),
                current: values(&current),
            }
        })
        .collect();
    reply(matocl_info::QuotaInfo {
        quotas: Rest(quotas),
    })
}

fn values(usage: &Usage) -> QuotaValues {
    QuotaValues {
        inodes: usage.inodes,
        length: usage.length,
        size: usage.size,
        realsize: usage.real_size,
    }
}

fn usage(inodes: u32, length: u64, size: u64, real_size: u64) -> Usage {
    Usage {
        inodes,
        length,
        size,
        real_size,
    }
}

fn to_limits(soft: &Usage, hard: &Usage) -> QuotaLimits {
    QuotaLimits {
        soft_inodes: soft.inodes,
        soft_length: soft.length,
        soft_size: soft.size,
        soft_real_size: soft.real_size,
        hard_inodes: hard.inodes,
        hard_length: hard.length,
        hard_size: hard.size,
        hard_real_size: hard.real_size,
    }
}
