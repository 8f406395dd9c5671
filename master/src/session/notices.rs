//! Notices a master sends a mount unasked (msgid 0): another session
//! changed a file this one holds open, so the mount drops what it cached
//! of it, as mfsmaster's `matoclserv_fuse_chunk_has_changed` and
//! `matoclserv_fuse_fleng_has_changed` tell mfsmount.

use std::sync::PoisonError;

use mooseng_wire::{Frame, Version};

use super::{Session, Sessions};
use crate::locks::LateReplies;
use crate::namespace::Inode;

/// First mount version that reads these notices.
const NOTICES_SINCE: Version = Version::new(3, 0, 74);

impl Session {
    /// Sends the session's notices to `connection` from now on.
    pub fn listen(&self, connection: LateReplies) {
        *self.notices.lock().unwrap_or_else(PoisonError::into_inner) = Some(connection);
    }

    fn notify(&self, notice: &Frame) {
        let notices = self.notices.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(connection) = notices.as_ref() {
            // A closed connection has nobody left to tell.
            let _ = connection.send(notice.clone());
        }
    }
}

impl Sessions {
    /// Sends `notice` to every session holding `inode` open but `except`.
    pub fn notify_holders(&self, inode: Inode, except: Option<u32>, notice: &Frame) {
        self.registry()
            .by_id
            .values()
            .filter(|s| Some(s.id) != except && s.version >= NOTICES_SINCE && s.holds(inode))
            .for_each(|s| s.notify(notice));
    }
}
