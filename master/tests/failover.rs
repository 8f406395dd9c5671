//! Three of our masters as real processes under `mooseng-cluster`, with
//! our chunkservers and our mount (given every master's address): the
//! leader is killed with SIGKILL while files are written, another master
//! takes over, the writes finish and read back by SHA-256, and the killed
//! master comes back as a follower and catches up with the log.
//!
//! The files are created before the kill, so what the kill interrupts
//! is writes; a change the old leader made but did not answer, sent
//! again to the new one, is `resend_debian.rs`'s subject.
//! Needs root, network namespaces and FUSE.

mod support;

use support::group;

const SUBNET: &str = "10.233.183.0/24";

#[test]
fn the_mount_carries_on_when_the_leader_is_killed() {
    let state = tempfile::Builder::new()
        .prefix("failover-")
        .tempdir_in("/run")
        .expect("state dir");
    let _down = support::up_three_masters(state.path(), "fo3", SUBNET);
    let layout = mooseng_tools::Layout::new(state.path());
    let mnt = state.path().join("mnt");

    let masters = group::masters(SUBNET);
    let failover = group::fail_over_while_writing(&layout, &mnt, &masters, 10, 10);
    group::verify(&mnt, &failover.written);
    group::rejoin(&layout, failover.killed, failover.leader);
}
