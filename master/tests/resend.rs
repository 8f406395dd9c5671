//! A change the old leader made but whose answer never reached the mount,
//! sent again to the new leader: the new leader answers it as the old one
//! did, where it used to refuse a resent MKDIR with EEXIST.
//!
//! Three of our masters and three chunkservers, with Debian's mfsmount
//! (and Debian chunkservers) or with our mount (and ours). The host drops
//! the leader's MKDIR answers; the mount makes a directory, which the
//! leader commits and answers into the void; the leader is killed. The
//! mount hears nothing more for its receive timeout (10 s, the same in
//! both), reconnects with its session to the new leader and sends the
//! MKDIR again. Needs root, network namespaces, nftables, FUSE and the
//! MooseFS packages; under a minute.

mod support;

use std::fs;
use std::io::ErrorKind;
use std::net::Ipv4Addr;
use std::process::Command;
use std::time::Duration;

use mooseng_tools::{member, Flavor, Layout};
use mooseng_wire::matocl::FuseMkdirReply;
use support::group::{self, wait_for};

/// State directories of these tests go here.
const STATE_ROOT: &str = "/run/resend";
/// What the new leader logs when it answers a resend from its record.
const ANSWERED_AGAIN: &str = "a resent change answered as the first time";

fn nft(args: &[&str]) -> bool {
    Command::new("nft")
        .args(args)
        .status()
        .is_ok_and(|status| status.success())
}

/// While it lives, the host drops every segment `master` sends from its
/// client port that starts with a MKDIR answer: the mount never gets
/// that answer, and as TCP delivers in order, nothing the master sends
/// after it either. The rules live in the host's nftables table `table`.
struct Unheard {
    table: String,
}

impl Unheard {
    fn new(table: &str, master: Ipv4Addr) -> Unheard {
        let chain = "{ type filter hook input priority 0 ; }";
        let source = master.to_string();
        let answer = format!("{:#x}", FuseMkdirReply::CODE);
        let added = nft(&["add", "table", "inet", table])
            && nft(&["add", "chain", "inet", table, "answers", chain])
            && nft(&[
                "add", "rule", "inet", table, "answers", "ip", "saddr", &source, "tcp", "sport",
                "9421", "@ih,0,32", &answer, "drop",
            ]);
        let unheard = Unheard {
            table: table.to_owned(),
        };
        assert!(added, "nft refused the table {table}");
        unheard
    }
}

impl Drop for Unheard {
    fn drop(&mut self) {
        nft(&["delete", "table", "inet", &self.table]);
    }
}

/// How often the masters' logs say a resend was answered from the record.
fn answered_again(layout: &Layout) -> usize {
    fs::read_dir(layout.logs())
        .expect("logs")
        .map(|log| fs::read_to_string(log.expect("log").path()).unwrap_or_default())
        .map(|text| text.matches(ANSWERED_AGAIN).count())
        .sum()
}

#[test]
fn mfsmount_gets_the_answer_of_a_mkdir_the_old_leader_made() {
    mkdir_across_a_failover("rsd", "10.233.188.0/24", Flavor::Mfs);
}

#[test]
fn our_mount_gets_the_answer_of_a_mkdir_the_old_leader_made() {
    mkdir_across_a_failover("rsn", "10.233.189.0/24", Flavor::Ng);
}

/// The test, with the mount and chunkservers of `flavor`.
fn mkdir_across_a_failover(prefix: &str, subnet: &str, flavor: Flavor) {
    fs::create_dir_all(STATE_ROOT).expect("state root");
    let state = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(STATE_ROOT)
        .expect("state dir");
    let _down = support::up_three_masters_with(state.path(), prefix, subnet, flavor);
    let layout = Layout::new(state.path());
    let made = state.path().join("mnt/made");
    let masters = group::masters(subnet);
    let leader = wait_for("a leader", Duration::from_secs(30), || {
        group::leader(&masters)
    });
    let followers: Vec<Ipv4Addr> = masters.into_iter().filter(|m| *m != leader).collect();
    let logged = group::last_index(leader).expect("the leader's log index");

    let unheard = Unheard::new(&format!("mooseng_{prefix}_test"), leader);
    let mkdir = std::thread::spawn({
        let made = made.clone();
        move || fs::create_dir(made)
    });
    wait_for(
        "the MKDIR in the followers' logs",
        Duration::from_secs(10),
        || {
            let grown = |m: &Ipv4Addr| group::last_index(*m).is_some_and(|i| i > logged);
            followers.iter().all(grown).then_some(())
        },
    );
    // Committed within milliseconds; the margin is for a loaded machine.
    std::thread::sleep(Duration::from_secs(2));
    member::kill(&layout, leader).expect("kill -9 the leader");
    let new_leader = wait_for("a new leader", Duration::from_secs(30), || {
        group::leader(&masters).filter(|l| *l != leader)
    });
    let answer = mkdir.join().expect("the mkdir thread");
    drop(unheard);

    assert!(answer.is_ok(), "mkdir after the failover: {answer:?}");
    assert!(made.is_dir(), "{} is a directory", made.display());
    assert_eq!(
        answered_again(&layout),
        1,
        "resends answered by {new_leader}"
    );
    let again = fs::create_dir(&made).expect_err("a second mkdir is new");
    assert_eq!(again.kind(), ErrorKind::AlreadyExists);
}
