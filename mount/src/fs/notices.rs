//! Acting on the master's notices: another mount changed a file this one
//! holds open, so its chunk locations, read window and the kernel's pages
//! and attributes of it are dropped, as mfsmount's `ep_thread` does, and
//! the next read fetches the new bytes.

use std::sync::Arc;

use fuser::{INodeNo, Notifier};
use tokio::sync::mpsc::UnboundedReceiver;

use crate::data::DataPath;
use crate::master::Notice;

/// Follows `notices` for as long as the master session lives.
pub async fn follow(data: Arc<DataPath>, mut notices: UnboundedReceiver<Notice>, kernel: Notifier) {
    while let Some(notice) = notices.recv().await {
        data.forget_cached(notice.inode);
        let kernel = kernel.clone();
        // The kernel may wait for pages a read of ours holds locked while
        // it invalidates, so it is told off the runtime's threads.
        let told = tokio::task::spawn_blocking(move || {
            let (from, len) = (to_kernel(notice.from), to_kernel(notice.len));
            kernel.inval_inode(INodeNo(notice.inode), from, len)
        })
        .await;
        if let Ok(Err(error)) = told {
            // ENOENT: the kernel holds nothing of the inode.
            tracing::debug!(inode = notice.inode, %error, "kernel cache not invalidated");
        }
    }
}

fn to_kernel(bytes: u64) -> i64 {
    i64::try_from(bytes).unwrap_or(i64::MAX)
}
