//! Tells the master once a minute which files this mount holds open
//! (CLTOMA_FUSE_SUSTAINED_INODES), as mfsmount does: the master keeps
//! those (an unlinked one's data survives while it is open here) and
//! releases every other file the session had opened, so a file unlinked
//! elsewhere after we closed it is freed instead of being kept for the
//! rest of the session.

use std::sync::Arc;
use std::time::Duration;

use mooseng_wire::cltoma::FuseSustainedInodes;
use mooseng_wire::{Message, Rest, Version};

use super::DataPath;

/// How often the list goes out (mfsmount's: every 60 s).
const EVERY: Duration = Duration::from_secs(60);
/// First master version that reads the list under this code.
const SUSTAINED_SINCE: Version = Version::new(3, 0, 74);

/// Reports the open files every [`EVERY`], for the life of the mount.
pub async fn report_open_files_forever(data: Arc<DataPath>) {
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        if data.master.session().master_version < SUSTAINED_SINCE {
            continue;
        }
        let inodes = data
            .held_inodes()
            .into_iter()
            .filter_map(|inode| u32::try_from(inode).ok())
            .collect();
        let list = FuseSustainedInodes {
            inodes: Rest(inodes),
        };
        if !data.master.tell(&list.to_frame()).await {
            tracing::debug!("open files not reported: no connection to the master");
        }
    }
}
