//! Debian's mfsmount and three Debian mfschunkservers against three of
//! our masters as real processes, every MooseFS program finding the group
//! by the name `mfsmaster`, which resolves to all three masters' addresses
//! (each sees a hosts file of its own, `mooseng_tools::hosts`). The leader
//! is killed with SIGKILL while files are written; another master takes
//! over; the chunkservers, which resolve the name again, follow the
//! followers' MATOCS_MASTER_ACK redirect to it and the mount follows the
//! REGISTER redirect; the writes finish, more follow, everything reads
//! back by SHA-256 with two valid copies of its chunk, `mfscli` given the
//! name shows the new leader's chunkservers and the mount in the session
//! it had before the kill, and the killed master comes back as a
//! follower. Files are created before the kill (failover.rs says why).
//! Needs root, network namespaces, FUSE and the MooseFS packages.

mod support;

use std::ffi::OsString;
use std::net::Ipv4Addr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use mooseng_tools::{hosts, readiness, Flavor, Layout, Role, Subnet};
use support::group::{self, wait_for, write_file};

const SUBNET: &str = "10.233.76.0/24";
const PREFIX: &str = "dgr";
/// State directories of this test go here.
const STATE_ROOT: &str = "/run/dgr";
/// Files made before the kill: the first three are written before it,
/// the next seven by a writer the kill interrupts (mfsmount reconnects
/// with its session to the new leader and sends again what was in
/// flight), the others once another master leads.
const CREATED: u64 = 13;
const WRITTEN_BEFORE: u64 = 10;
/// Copies of every chunk at the default goal.
const GOAL: usize = 2;

/// `mfscli -H mfsmaster SET`, resolving the name as the mount does.
fn mfscli_by_name(layout: &Layout, set: &str) -> String {
    let hosts = layout.etc(Role::Mount(1)).join("hosts");
    let args = ["-H", hosts::MASTER_NAME, "-p", set].map(OsString::from);
    let (program, args) = hosts::wrap(&hosts, Path::new("/usr/bin/mfscli"), &args, false);
    let out = Command::new(program)
        .args(args)
        .output()
        .expect("mfscli runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success() && !text.contains("Traceback"),
        "mfscli {set}: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// The id of the session `mfscli -SMS` lists for the mount at `address`
/// (plain text: the id is the field before the address).
fn session_of(layout: &Layout, address: &str) -> String {
    let text = mfscli_by_name(layout, "-SMS");
    text.lines()
        .find_map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let at = fields.iter().position(|field| *field == address)?;
            at.checked_sub(1).map(|id| fields[id].to_owned())
        })
        .unwrap_or_else(|| panic!("no session of {address} in {text}"))
}

/// How often the masters' logs say a mount registered a new session.
fn sessions_registered(layout: &Layout) -> usize {
    std::fs::read_dir(layout.logs())
        .expect("logs")
        .map(|log| std::fs::read_to_string(log.expect("log").path()).unwrap_or_default())
        .map(|text| text.matches("session registered").count())
        .sum()
}

/// `mfscli -SIM` by name shows `master` in `state` (plain text fields
/// are separated by tabs).
fn assert_shown_as(layout: &Layout, master: Ipv4Addr, state: &str) {
    let ip = master.to_string();
    let text = mfscli_by_name(layout, "-SIM");
    let shown = text.lines().any(|l| {
        let fields: Vec<&str> = l.split('\t').collect();
        fields.contains(&ip.as_str()) && fields.contains(&state)
    });
    assert!(shown, "{master} as {state} in {text}");
}

#[test]
fn debian_programs_carry_on_when_the_leader_is_killed() {
    std::fs::create_dir_all(STATE_ROOT).expect("state root");
    let state = tempfile::Builder::new()
        .prefix("failover-")
        .tempdir_in(STATE_ROOT)
        .expect("state dir");
    let _down = support::up_three_masters_with(state.path(), PREFIX, SUBNET, Flavor::Mfs);
    let layout = Layout::new(state.path());
    let mnt = state.path().join("mnt");
    let subnet: Subnet = SUBNET.parse().expect("subnet");
    let chunkservers: Vec<Ipv4Addr> = (1..=3)
        .map(|n| Role::Chunkserver(n).address(&subnet))
        .collect();

    let mount = Role::Mount(1).address(&subnet).to_string();
    let session = session_of(&layout, &mount);

    let masters = group::masters(SUBNET);
    let failover = group::fail_over_while_writing(&layout, &mnt, &masters, CREATED, WRITTEN_BEFORE);
    let leader = failover.leader;
    wait_for(
        "the chunkservers to register with the new leader",
        Duration::from_secs(90),
        || readiness::chunkservers_registered(leader, &chunkservers).then_some(()),
    );
    let mut written = failover.written;
    written.extend((WRITTEN_BEFORE..CREATED).map(|n| (n, write_file(&mnt, n))));
    group::verify(&mnt, &written);
    for (n, _) in &written {
        let file = mnt.join(format!("f{n}"));
        wait_for(
            &format!("{GOAL} valid copies of f{n}"),
            Duration::from_secs(90),
            || (support::cli::valid_copies(&file).len() == GOAL).then_some(()),
        );
    }

    // Only the leader lists chunkservers and mounts: mfscli picked it.
    let servers = mfscli_by_name(&layout, "-SCS");
    for cs in &chunkservers {
        assert!(servers.contains(&cs.to_string()), "{cs} in {servers}");
    }
    // Sessions are metadata: the mount reconnected to the new leader
    // with the session it had, and registered no other.
    assert_eq!(session_of(&layout, &mount), session, "the mount's session");
    assert_eq!(sessions_registered(&layout), 1, "registrations");
    assert_shown_as(&layout, leader, "LEADER");
    assert_shown_as(&layout, failover.killed, "DEAD");

    group::rejoin(&layout, failover.killed, leader);
    assert_shown_as(&layout, failover.killed, "FOLLOWER");
    group::verify(&mnt, &written);
}
