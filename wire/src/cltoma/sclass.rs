//! Storage-class administration requests (`CLTOMA_SCLASS_*`, 350-360).

use crate::codec::Name;
use crate::messages;
use crate::types::SclassDef;

messages! {
    /// `msgid:32 storage_class_name:NAME fver:8 admin_only:8 mode:8 arch_delay:16 create_labelscnt:8 keep_labelscnt:8 arch_labelscnt:8 create_labelscnt * [ MASKORGROUP * [ labelmask:32 ] ] keep_labelscnt * [ MASKORGROUP * [ labelmask:32 ] ] arch_labelscnt * [ MASKORGROUP * [ labelmask:32 ] ]` (fver==0, the only format)
    SclassCreate = 350 CLTOMA_SCLASS_CREATE { msgid: u32, name: Name, fver: u8, def: SclassDef }

    /// `msgid:32 storage_class_name:NAME fver:8 chgmask:16 admin_only:8 mode:8 arch_delay:16 create_labelscnt:8 keep_labelscnt:8 arch_labelscnt:8 create_labelscnt * [ MASKORGROUP * [ labelmask:32 ] ] keep_labelscnt * [ ... ] arch_labelscnt * [ ... ]` (fver==0; chgmask==0 only reads the class)
    SclassChange = 352 CLTOMA_SCLASS_CHANGE { msgid: u32, name: Name, fver: u8, chgmask: u16, def: SclassDef }

    /// `msgid:32 storage_class_name:NAME`
    SclassDelete = 354 CLTOMA_SCLASS_DELETE { msgid: u32, name: Name }

    /// `msgid:32 storage_class_oldname:NAME storage_class_newname:NAME`
    SclassDuplicate = 356 CLTOMA_SCLASS_DUPLICATE { msgid: u32, old_name: Name, new_name: Name }

    /// `msgid:32 storage_class_oldname:NAME storage_class_newname:NAME`
    SclassRename = 358 CLTOMA_SCLASS_RENAME { msgid: u32, old_name: Name, new_name: Name }

    /// `msgid:32 fver:8` — fver 0 asks for names only, anything else for definitions too.
    SclassList = 360 CLTOMA_SCLASS_LIST { msgid: u32, fver: u8 }
}
