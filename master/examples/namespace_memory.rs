//! Measures what the namespace costs per file: applies FILES creates
//! (default 1,000,000) of empty files named `entry<i>` in one directory,
//! as `mooseng-bench` fills its listed directory, and prints the growth of
//! this process's resident memory divided by the number of files.
//!
//! `cargo run --release -p mooseng-master --example namespace_memory [FILES]`
//!
//! Only the tree is counted: the daemon also holds log entries not yet
//! covered by a snapshot and the last snapshot image (see docs/master.md).

use std::fs;

use mooseng_master::namespace::{Caller, Entry, Mutation, Namespace, NewNode, Node, ROOT};

fn resident_bytes() -> u64 {
    let status = fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .expect("VmRSS in /proc/self/status");
    kib * 1024
}

fn create(name: String) -> Entry {
    Entry {
        ts: 1_700_000_000,
        caller: Caller::root(),
        mutation: Mutation::Create {
            parent: ROOT + 1,
            name: name.into_bytes().into(),
            node: NewNode::File,
            mode: 0o644,
            umask: 0o022,
            copy_sgid: false,
        },
    }
}

fn main() {
    let files: u32 = std::env::args()
        .nth(1)
        .map_or(1_000_000, |arg| arg.parse().expect("FILES is a number"));
    let mut namespace = Namespace::new(1_700_000_000);
    let big = Entry {
        mutation: Mutation::Create {
            parent: ROOT,
            name: b"big".to_vec().into(),
            node: NewNode::Directory,
            mode: 0o755,
            umask: 0o022,
            copy_sgid: false,
        },
        ..create(String::new())
    };
    namespace.apply(&big).expect("mkdir big");
    let before = resident_bytes();
    for i in 0..files {
        namespace
            .apply(&create(format!("entry{i}")))
            .expect("create");
    }
    let after = resident_bytes();
    println!(
        "{files} files: {} bytes of resident memory per file (a node is {} bytes)",
        (after - before) / u64::from(files),
        std::mem::size_of::<Node>()
    );
}
