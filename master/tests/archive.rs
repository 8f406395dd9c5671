//! Archive flags against `mooseng-master`, compared with Debian's
//! `mfsmaster` doing the same, each under `mooseng-cluster` with three
//! Debian chunkservers labelled A, B and C and a Debian mount: a storage
//! class keeps two copies on A and B and archives to one on C.
//! `mfschkarchive`, `mfssetarchive` and `mfsclrarchive` must print the same
//! on both (a non-owner's refusal included), the archived file's copies
//! must move to C and back on both, and `mfscli -SSC` must count the
//! archived chunk alike.
//!
//! Needs root, network namespaces, FUSE and the MooseFS packages
//! (scripts/setup.sh); a few minutes, as mfsmaster deletes surplus copies
//! on its chunk loop of a minute.

// The helpers below are test code too; a failed step should stop the test.
#![allow(clippy::unwrap_used)]

mod support;

use std::fs;
use std::path::Path;
use std::time::Duration;

use mooseng_tools::Flavor;
use support::cli::mfscli;
use support::compared::{placed, same, Side};
use support::{eventually, payload};

const NG: (&str, &str) = ("arcng", "10.233.154.0/24");
const MFS: (&str, &str) = ("arcmf", "10.233.155.0/24");

const LABELS: [(u8, &str); 3] = [(1, "A"), (2, "B"), (3, "C")];
/// Long enough for mfsmaster to replicate and then delete on its chunk
/// loop of a minute.
const SETTLE: Duration = Duration::from_secs(180);

/// A side with the class `cold` on directory `d` and three files in it.
fn up(root: &Path, net: (&str, &str), flavor: Flavor) -> Side {
    let side = Side::up(root, net, flavor, &LABELS);
    side.tool(&[
        "mfsscadmin",
        "create",
        "-K",
        "A,B",
        "-A",
        "C",
        "-d",
        "30",
        "cold",
    ]);
    fs::create_dir(side.mnt.join("d")).unwrap();
    side.tool(&["mfssetsclass", "cold", "d"]);
    fs::write(side.mnt.join("d/one"), payload(100_000, 1)).unwrap();
    fs::write(side.mnt.join("d/two"), payload(2_000, 2)).unwrap();
    fs::write(side.mnt.join("d/empty"), b"").unwrap();
    side
}

/// `mfscli -SSC`'s lines with the subnet taken out.
fn classes(side: &Side) -> String {
    let net = side.subnet.to_string();
    let prefix = net.rsplit_once('.').unwrap().0;
    mfscli(side.master, "-SSC").replace(prefix, "NET")
}

#[test]
fn archive_flags_move_copies_as_mfsmaster_does() {
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let ng = up(dirs[0].path(), NG, Flavor::Ng);
    let mfs = up(dirs[1].path(), MFS, Flavor::Mfs);
    placed(&ng, &mfs, "d/one", &[1, 2], SETTLE);
    placed(&ng, &mfs, "d/two", &[1, 2], SETTLE);

    let none = same(&ng, &mfs, &["mfschkarchive", "d"]);
    assert!(
        none.contains(" files with all chunks not archived:          2\n"),
        "{none}"
    );
    let set = same(&ng, &mfs, &["mfssetarchive", "d/one"]);
    assert!(set.starts_with("Some(0)"), "{set}");
    let refused = (
        ng.tool_as_user(&["mfssetarchive", "d/two"]),
        mfs.tool_as_user(&["mfssetarchive", "d/two"]),
    );
    assert_eq!(refused.0, refused.1, "a non-owner's mfssetarchive");
    assert!(!refused.0.starts_with("Some(0)"), "{}", refused.0);

    placed(&ng, &mfs, "d/one", &[3], SETTLE);
    placed(&ng, &mfs, "d/two", &[1, 2], SETTLE);
    let partly = same(&ng, &mfs, &["mfschkarchive", "d"]);
    for line in [
        " files with all chunks archived:              1\n",
        " files with all chunks not archived:          1\n",
        " archived chunks:                             1\n",
    ] {
        assert!(partly.contains(line), "{partly}");
    }
    same(&ng, &mfs, &["mfschkarchive", "d/one"]);
    eventually(SETTLE, || classes(&ng) == classes(&mfs));
    assert_eq!(classes(&ng), classes(&mfs), "mfscli -SSC");

    same(&ng, &mfs, &["mfsclrarchive", "d"]);
    placed(&ng, &mfs, "d/one", &[1, 2], SETTLE);
    same(&ng, &mfs, &["mfschkarchive", "d"]);
}
