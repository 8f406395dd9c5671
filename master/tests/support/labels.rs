//! Chunkserver labels for tests of label placement.

use std::fs;
use std::time::Duration;

use mooseng_tools::{member, Layout, Role, Subnet};

use super::cli::mfscli;
use super::eventually;

/// Gives each Debian chunkserver `n` of `labels` its labels, restarts it
/// and waits until the master lists them: a file written before would be
/// placed without the labels and moved later, at the master's own pace,
/// while the test counts copies.
pub fn label(layout: &Layout, subnet: &Subnet, labels: &[(u8, &str)]) {
    for (n, labels) in labels {
        let role = Role::Chunkserver(*n);
        let cfg = layout.etc(role).join("mfschunkserver.cfg");
        let mut text = fs::read_to_string(&cfg).expect("chunkserver config");
        text.push_str(&format!("LABELS = {labels}\n"));
        fs::write(&cfg, text).expect("chunkserver config written");
        member::stop(layout, role.address(subnet)).expect("chunkserver stops");
        member::restart(layout, role.address(subnet)).expect("chunkserver restarts");
    }
    let master = Role::Master.address(subnet);
    let labelled = || {
        let text = mfscli(master, "-SCS");
        let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
        labels
            .iter()
            .all(|(_, labels)| rows.iter().any(|row| row.contains(labels)))
    };
    assert!(
        eventually(Duration::from_secs(30), labelled),
        "chunkservers registered with their labels"
    );
}
