//! Storage classes, as MooseFS 3.0.117 keeps them: a table of at most 255
//! named classes where ids 1-9 are the fixed "goal" classes named "1" to
//! "9" (goal `n` keeps `n` copies anywhere) and ids from 10 on are made by
//! `mfsscadmin`. A class keeps as many copies as it has keep labels.
//!
//! The chunk table counts references by class id, so a changed definition
//! changes no chunk reference: the chunk service holds a copy of this
//! table (refreshed whenever a class mutation applies) and places copies
//! by its create and keep labels (see `chunks::labels`).

use mooseng_wire::Status;
use serde::{Deserialize, Serialize};

use super::mutation::Outcome;
use super::Namespace;

/// One label expression: four alternatives of label bits (`MASKORGROUP`).
pub type LabelExpr = [u32; 4];

/// Ids below this are the fixed goal classes (`FIRSTSCLASSID`).
pub const FIRST_CUSTOM_CLASS: u8 = 10;
/// Most labels one list of a class may hold (`MAXLABELSCNT`), so most copies.
pub const MAX_LABELS: usize = 9;
/// The standard placement mode (`SCLASS_MODE_STD`), the default of classes.
const MODE_STD: u8 = 1;
/// `SCLASS_MODE_STRICT`: copies only ever go to servers matching the labels.
pub const MODE_STRICT: u8 = 2;
/// `SCLASS_CHG_*` bits of a change request.
pub mod change {
    pub const ADMIN_ONLY: u16 = 0x0001;
    pub const MODE: u16 = 0x0002;
    pub const CREATE: u16 = 0x0004;
    pub const KEEP: u16 = 0x0008;
    pub const ARCH: u16 = 0x0010;
    pub const ARCH_DELAY: u16 = 0x0020;
    /// Allows changing one of the fixed goal classes.
    pub const FORCE: u16 = 0x8000;
}

/// What a class says about copies: where new chunks go (`create`), where
/// copies are kept (`keep`) and where after `arch_delay` days without a change (`arch`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassDef {
    pub admin_only: bool,
    pub mode: u8,
    pub arch_delay: u16,
    pub create: Vec<LabelExpr>,
    pub keep: Vec<LabelExpr>,
    pub arch: Vec<LabelExpr>,
}

impl ClassDef {
    /// The fixed class of goal `n`: `n` copies with any labels.
    fn goal(n: u8) -> Self {
        let any = vec![[0; 4]; usize::from(n)];
        ClassDef {
            admin_only: false,
            mode: MODE_STD,
            arch_delay: 0,
            create: any.clone(),
            keep: any.clone(),
            arch: any,
        }
    }

    /// Copies the planner keeps: the longer of the keep and archive lists
    /// (`sclass_get_keepmax_goal`).
    pub fn copies(&self) -> u8 {
        self.keep.len().max(self.arch.len()) as u8
    }

    fn valid_lists(&self) -> bool {
        [&self.create, &self.keep, &self.arch]
            .iter()
            .all(|list| (1..=MAX_LABELS).contains(&list.len()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageClass {
    pub name: Box<[u8]>,
    pub def: ClassDef,
}

/// The class table; slot `i` holds class id `i + 1`, `None` a deleted one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classes {
    slots: Vec<Option<StorageClass>>,
}

impl Default for Classes {
    fn default() -> Self {
        let slots = (1..FIRST_CUSTOM_CLASS)
            .map(|n| {
                Some(StorageClass {
                    name: n.to_string().into_bytes().into(),
                    def: ClassDef::goal(n),
                })
            })
            .collect();
        Classes { slots }
    }
}

/// Highest class id (`MAXSCLASS - 1`).
const MAX_CLASS: usize = 255;

impl Classes {
    pub fn get(&self, id: u8) -> Option<&StorageClass> {
        let slot = usize::from(id).checked_sub(1)?;
        self.slots.get(slot)?.as_ref()
    }

    /// Classes in id order, as SCLASS_LIST sends them.
    pub fn iter(&self) -> impl Iterator<Item = (u8, &StorageClass)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.as_ref().map(|c| ((i + 1) as u8, c)))
    }

    pub fn find(&self, name: &[u8]) -> Option<u8> {
        self.iter()
            .find(|(_, class)| &*class.name == name)
            .map(|(id, _)| id)
    }

    /// Copies a file of class `id` should have; 0 for an unknown class.
    pub fn copies(&self, id: u8) -> u8 {
        self.get(id).map_or(0, |class| class.def.copies())
    }

    pub fn is_admin_only(&self, id: u8) -> bool {
        self.get(id).is_some_and(|class| class.def.admin_only)
    }

    /// The lowest free slot, reusing deleted ones first as MooseFS does;
    /// may be one past the end.
    fn free_slot(&self) -> Result<usize, Status> {
        match self.slots.iter().position(Option::is_none) {
            Some(slot) => Ok(slot),
            None if self.slots.len() >= MAX_CLASS => Err(Status::CLASSLIMITREACH),
            None => Ok(self.slots.len()),
        }
    }

    fn put(&mut self, slot: usize, class: StorageClass) {
        if slot == self.slots.len() {
            self.slots.push(Some(class));
        } else {
            self.slots[slot] = Some(class);
        }
    }

    fn slot_of(&self, name: &[u8]) -> Result<usize, Status> {
        check_class_name(name)?;
        self.find(name)
            .map(|id| usize::from(id) - 1)
            .ok_or(Status::NOSUCHCLASS)
    }

    fn refuse_existing(&self, name: &[u8]) -> Result<(), Status> {
        match self.find(name) {
            Some(_) => Err(Status::CLASSEXISTS),
            None => Ok(()),
        }
    }
}

/// MooseFS's class name rule: 1 to 255 bytes without NUL.
fn check_class_name(name: &[u8]) -> Result<(), Status> {
    if name.is_empty() || name.len() > 255 || name.contains(&0) {
        Err(Status::EINVAL)
    } else {
        Ok(())
    }
}

/// A slot index below the fixed classes' end.
fn is_fixed(slot: usize) -> bool {
    slot + 1 < usize::from(FIRST_CUSTOM_CLASS)
}

impl Namespace {
    pub fn classes(&self) -> &Classes {
        &self.classes
    }

    pub(super) fn sclass_create(&mut self, name: &[u8], def: &ClassDef) -> Result<Outcome, Status> {
        check_class_name(name)?;
        self.classes.refuse_existing(name)?;
        let slot = self.classes.free_slot()?;
        if !def.valid_lists() {
            return Err(Status::EINVAL);
        }
        let class = StorageClass {
            name: name.into(),
            def: def.clone(),
        };
        self.classes.put(slot, class);
        Ok(Outcome::Node(0))
    }

    /// Changes the fields `chgmask` names. Chunks refer to the class by id,
    /// so their references stay; the planner follows the new definition.
    pub(super) fn sclass_change(
        &mut self,
        name: &[u8],
        chgmask: u16,
        def: &ClassDef,
    ) -> Result<Outcome, Status> {
        let slot = self.classes.slot_of(name)?;
        if is_fixed(slot) && chgmask & change::FORCE == 0 && chgmask != 0 {
            return Err(Status::EPERM);
        }
        let lists = [
            (change::CREATE, &def.create),
            (change::KEEP, &def.keep),
            (change::ARCH, &def.arch),
        ];
        if lists
            .iter()
            .any(|(bit, list)| chgmask & bit != 0 && !(1..=MAX_LABELS).contains(&list.len()))
        {
            return Err(Status::EINVAL);
        }
        let Some(class) = self.classes.slots[slot].as_mut() else {
            return Err(Status::NOSUCHCLASS);
        };
        let current = &mut class.def;
        if chgmask & change::ADMIN_ONLY != 0 {
            current.admin_only = def.admin_only;
        }
        if chgmask & change::MODE != 0 {
            current.mode = def.mode;
        }
        if chgmask & change::CREATE != 0 {
            current.create.clone_from(&def.create);
        }
        if chgmask & change::KEEP != 0 {
            current.keep.clone_from(&def.keep);
        }
        if chgmask & change::ARCH != 0 {
            current.arch.clone_from(&def.arch);
        }
        if chgmask & change::ARCH_DELAY != 0 {
            current.arch_delay = def.arch_delay;
        }
        Ok(Outcome::Node(0))
    }

    pub(super) fn sclass_delete(&mut self, name: &[u8]) -> Result<Outcome, Status> {
        let slot = self.classes.slot_of(name)?;
        if is_fixed(slot) {
            return Err(Status::EPERM);
        }
        let id = (slot + 1) as u8;
        if self.nodes.values().any(|node| node.sclass == id) {
            return Err(Status::CLASSINUSE);
        }
        self.classes.slots[slot] = None;
        Ok(Outcome::Node(0))
    }

    pub(super) fn sclass_duplicate(&mut self, old: &[u8], new: &[u8]) -> Result<Outcome, Status> {
        let from = self.classes.slot_of(old)?;
        check_class_name(new)?;
        self.classes.refuse_existing(new)?;
        let def = self.classes.slots[from]
            .as_ref()
            .map(|class| class.def.clone())
            .ok_or(Status::NOSUCHCLASS)?;
        let slot = self.classes.free_slot()?;
        let class = StorageClass {
            name: new.into(),
            def,
        };
        self.classes.put(slot, class);
        Ok(Outcome::Node(0))
    }

    pub(super) fn sclass_rename(&mut self, old: &[u8], new: &[u8]) -> Result<Outcome, Status> {
        check_class_name(new)?;
        let slot = self.classes.slot_of(old)?;
        if is_fixed(slot) {
            return Err(Status::EPERM);
        }
        self.classes.refuse_existing(new)?;
        if let Some(class) = self.classes.slots[slot].as_mut() {
            class.name = new.into();
        }
        Ok(Outcome::Node(0))
    }
}
