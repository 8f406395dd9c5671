//! Goals and storage classes: GETSCLASS and SETSCLASS (`mfsgetgoal`,
//! `mfssetgoal`, `mfsgetsclass`, `mfssetsclass`) and the class table
//! requests of `mfsscadmin` (`SCLASS_CREATE`, `CHANGE`, `DELETE`,
//! `DUPLICATE`, `RENAME`, `LIST`), as `matoclserv.c` answers them.

use mooseng_wire::cltoma::{
    gmode, FuseGetsclass, FuseSetsclass, SclassChange, SclassCreate, SclassDelete, SclassDuplicate,
    SclassList, SclassRename, SclassTarget,
};
use mooseng_wire::matocl::{
    FuseGetsclassReply, FuseSetsclassReply, SclassChangeCounts, SclassChangeReply, SclassCount,
    SclassCreateReply, SclassDeleteReply, SclassDuplicateReply, SclassEntries, SclassEntry,
    SclassListReply, SclassRenameReply, SclassState,
};
use mooseng_wire::types::{SclassDef, Tally};
use mooseng_wire::{Name, Status, Version};

use super::node::into_reply;
use super::reply::reply;
use super::{disable, Action, Request};
use crate::exports::sesflag;
use crate::namespace::{
    ClassDef, Classes, Counts, Mutation, Outcome, PolicyTarget, SetKind, SetMode,
    FIRST_CUSTOM_CLASS,
};
use crate::view::View;

/// First client version told the names of non-goal classes in GETSCLASS.
const NAMED_CLASSES_SINCE: Version = Version::new(3, 0, 75);

impl Request<'_> {
    fn admin(&self) -> bool {
        self.session.grant.sesflags & sesflag::ADMIN != 0
    }

    pub(super) async fn get_sclass(self, m: FuseGetsclass) -> Action {
        let result = async {
            if m.gmode > gmode::RECURSIVE {
                return Err(Status::EINVAL);
            }
            let ns = self.master.store.read().await;
            let inode = View::new(&ns, self.session, self.version).resolve(m.inode)?;
            let tally = ns.sclass_tally(inode, m.gmode == gmode::RECURSIVE)?;
            let named = self.version >= NAMED_CLASSES_SINCE;
            let records = |counts: &std::collections::BTreeMap<u8, u32>| {
                counts
                    .iter()
                    .filter_map(|(&id, &count)| class_count(ns.classes(), id, count, named))
                    .collect()
            };
            Ok(Tally::new(records(&tally.files), records(&tally.dirs)))
        }
        .await;
        reply(FuseGetsclassReply {
            msgid: m.msgid,
            reply: into_reply(result),
        })
    }

    pub(super) async fn set_sclass(self, m: FuseSetsclass) -> Action {
        let result = self
            .change_sclass(&m)
            .await
            .map(|counts| SclassChangeCounts {
                changed: counts.changed,
                not_changed: counts.not_changed,
                not_permitted: counts.not_permitted,
                quota_exceeded: None,
            });
        reply(FuseSetsclassReply {
            msgid: m.msgid,
            reply: into_reply(result),
        })
    }

    /// The checks of `matoclserv_fuse_setsclass` in its order: disabled,
    /// unknown class, the export's goal range for simple goals, then
    /// read-only and the namespace's own rules.
    async fn change_sclass(&self, m: &FuseSetsclass) -> Result<crate::namespace::Counts, Status> {
        let (smode, class, exchanged) = {
            let ns = self.master.store.read().await;
            let classes = ns.classes();
            let by_name = |name: &Name| classes.find(name.as_bytes()).unwrap_or(0);
            match &m.target {
                SclassTarget::Goal { goal, smode } => (*smode, *goal, *goal),
                SclassTarget::Named { smode, name } => (*smode, by_name(name), 1),
                SclassTarget::Exchange { smode, old, new } => (*smode, by_name(new), by_name(old)),
            }
        };
        if self.disabled(disable::SETSCLASS) {
            return Err(Status::EPERM);
        }
        let simple = matches!(m.target, SclassTarget::Goal { .. });
        if class == 0 || exchanged == 0 || (simple && !(1..FIRST_CUSTOM_CLASS).contains(&class)) {
            return Err(Status::EINVAL);
        }
        let mode = SetMode::from_wire(smode).ok_or(Status::EINVAL)?;
        if class < FIRST_CUSTOM_CLASS && !self.goal_allowed(mode.kind, class) {
            return Err(Status::EPERM);
        }
        let admin = self.admin();
        self.set_policy(m.inode, m.uid, mode, |target| Mutation::SetSclass {
            target,
            class,
            exchanged,
            admin,
        })
        .await
    }

    /// The shared end of the recursive SET requests (class, trash time):
    /// refuse on a read-only session, resolve the node as the session
    /// sees it, log the change and return its counts.
    pub(super) async fn set_policy(
        &self,
        inode: u32,
        uid: u32,
        mode: SetMode,
        mutation: impl FnOnce(PolicyTarget) -> Mutation,
    ) -> Result<Counts, Status> {
        if self.read_only() {
            return Err(Status::EROFS);
        }
        let inode = {
            let ns = self.master.store.read().await;
            View::new(&ns, self.session, self.version).resolve(inode)?
        };
        let who = self.session.identity(uid, &[]);
        let target = PolicyTarget {
            inode,
            uid: who.caller.uid,
            mode,
        };
        match self.change(&who.caller, mutation(target)).await? {
            Outcome::Changed { counts, .. } => Ok(counts),
            _ => Err(Status::EINVAL),
        }
    }

    /// `sessions_check_goal`: the export's `mingoal`/`maxgoal`.
    fn goal_allowed(&self, kind: SetKind, goal: u8) -> bool {
        let grant = &self.session.grant;
        match kind {
            SetKind::Set | SetKind::Exchange => (grant.min_goal..=grant.max_goal).contains(&goal),
            SetKind::Increase => goal <= grant.max_goal,
            SetKind::Decrease => goal >= grant.min_goal,
        }
    }

    pub(super) async fn sclass_create(self, m: SclassCreate) -> Action {
        let status = if !self.admin() {
            Status::EPERM_NOTADMIN
        } else if m.fver != 0 {
            Status::EINVAL
        } else {
            let mutation = Mutation::SclassCreate {
                name: m.name.as_bytes().into(),
                def: class_def(&m.def),
            };
            self.class_change(mutation).await
        };
        reply(SclassCreateReply {
            msgid: m.msgid,
            status,
        })
    }

    /// A change with `chgmask` 0 only reads the class, and needs no admin.
    pub(super) async fn sclass_change(self, m: SclassChange) -> Action {
        let result = async {
            if m.fver != 0 {
                return Err(Status::EINVAL);
            }
            if !self.admin() && m.chgmask != 0 {
                return Err(Status::EPERM_NOTADMIN);
            }
            let name = m.name.as_bytes();
            if m.chgmask == 0 {
                let ns = self.master.store.read().await;
                if name.is_empty() || name.contains(&0) {
                    return Err(Status::EINVAL);
                }
                let id = ns.classes().find(name).ok_or(Status::NOSUCHCLASS)?;
                return ns
                    .classes()
                    .get(id)
                    .map(|class| wire_def(&class.def))
                    .ok_or(Status::NOSUCHCLASS);
            }
            let mutation = Mutation::SclassChange {
                name: name.into(),
                chgmask: m.chgmask,
                def: class_def(&m.def),
            };
            self.change(&self.root_caller(), mutation).await?;
            let ns = self.master.store.read().await;
            let id = ns.classes().find(name).ok_or(Status::NOSUCHCLASS)?;
            ns.classes()
                .get(id)
                .map(|class| wire_def(&class.def))
                .ok_or(Status::NOSUCHCLASS)
        }
        .await;
        reply(SclassChangeReply {
            msgid: m.msgid,
            reply: into_reply(result.map(|def| SclassState { fver: 0, def })),
        })
    }

    pub(super) async fn sclass_delete(self, m: SclassDelete) -> Action {
        let status = if self.admin() {
            let name = m.name.as_bytes().into();
            self.class_change(Mutation::SclassDelete { name }).await
        } else {
            Status::EPERM_NOTADMIN
        };
        reply(SclassDeleteReply {
            msgid: m.msgid,
            status,
        })
    }

    pub(super) async fn sclass_duplicate(self, m: SclassDuplicate) -> Action {
        let status = if self.admin() {
            let mutation = Mutation::SclassDuplicate {
                old: m.old_name.as_bytes().into(),
                new: m.new_name.as_bytes().into(),
            };
            self.class_change(mutation).await
        } else {
            Status::EPERM_NOTADMIN
        };
        reply(SclassDuplicateReply {
            msgid: m.msgid,
            status,
        })
    }

    pub(super) async fn sclass_rename(self, m: SclassRename) -> Action {
        let status = if self.admin() {
            let mutation = Mutation::SclassRename {
                old: m.old_name.as_bytes().into(),
                new: m.new_name.as_bytes().into(),
            };
            self.class_change(mutation).await
        } else {
            Status::EPERM_NOTADMIN
        };
        reply(SclassRenameReply {
            msgid: m.msgid,
            status,
        })
    }

    /// Names only for `fver` 0, with definitions otherwise (MooseFS tests
    /// the low bit).
    pub(super) async fn sclass_list(self, m: SclassList) -> Action {
        let ns = self.master.store.read().await;
        let classes = ns.classes().iter();
        let entries = if m.fver & 1 == 0 {
            SclassEntries::Names(classes.map(|(_, c)| Name::new(c.name.to_vec())).collect())
        } else {
            SclassEntries::Defined(
                classes
                    .map(|(_, c)| SclassEntry {
                        name: Name::new(c.name.to_vec()),
                        def: wire_def(&c.def),
                    })
                    .collect(),
            )
        };
        reply(SclassListReply::new(m.msgid, &entries))
    }

    async fn class_change(&self, mutation: Mutation) -> Status {
        match self.change(&self.root_caller(), mutation).await {
            Ok(_) => Status::OK,
            Err(status) => status,
        }
    }

    /// Class table changes are checked by session flags, not by a caller.
    fn root_caller(&self) -> crate::namespace::Caller {
        crate::namespace::Caller::root()
    }
}

/// One GETSCLASS record; non-goal classes only for clients that know names.
fn class_count(classes: &Classes, id: u8, count: u32, named: bool) -> Option<SclassCount> {
    if id == 0 {
        return None;
    }
    if id < FIRST_CUSTOM_CLASS {
        return Some(SclassCount::Goal { goal: id, count });
    }
    let class = classes.get(id)?;
    named.then(|| SclassCount::Named {
        name: Name::new(class.name.to_vec()),
        count,
    })
}

fn class_def(def: &SclassDef) -> ClassDef {
    ClassDef {
        admin_only: def.admin_only != 0,
        mode: def.mode,
        arch_delay: def.arch_delay,
        create: def.create.clone(),
        keep: def.keep.clone(),
        arch: def.arch.clone(),
    }
}

fn wire_def(def: &ClassDef) -> SclassDef {
    SclassDef {
        admin_only: u8::from(def.admin_only),
        mode: def.mode,
        arch_delay: def.arch_delay,
        create: def.create.clone(),
        keep: def.keep.clone(),
        arch: def.arch.clone(),
    }
}
