//! mount(8) with `mooseng-mount` as its `mount.mooseng` helper: an fstab
//! line of type `mooseng` (`mount -T FSTAB DIR`) and `mount -t mooseng` on
//! a Debian MooseFS 3.0.117 cluster mount what they name, with the
//! subfolder and options of the line, and read a file written through
//! Debian's `mfsmount`. Like mfsmount, the background mount lets go of
//! its caller's stderr once it is mounted: a pipe from it reaches its end.
//!
//! util-linux 2.38's mount(8) looks for helpers in /sbin only (not in
//! `PATH`), so the mounts run in a private mount namespace in which a
//! read-only overlay adds the helper symlink to /usr/sbin; nothing on the
//! host changes. Needs root, network namespaces, FUSE, overlayfs,
//! `unshare`, `findmnt` and the MooseFS packages (scripts/setup.sh).

// The helpers below are test code too; a failed step should stop the test.
#![allow(clippy::unwrap_used)]

mod support;

use std::fs;
use std::path::Path;
use std::process::Command;

use support::{payload, Cluster, Setup};

const PREFIX: &str = "mntfstab";
const SUBNET: &str = "10.233.171.0/24";
const MASTER: &str = "10.233.171.2";

/// Runs `script` with `sh -ex` (each command shown) in a private mount namespace where /sbin
/// has `mount.mooseng` (a symlink to this build's `mooseng-mount`).
fn in_namespace_with_helper(root: &Path, script: &str) {
    let sbin = root.join("sbin");
    fs::create_dir(&sbin).unwrap();
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_mooseng-mount"),
        sbin.join("mount.mooseng"),
    )
    .unwrap();
    let overlay = format!(
        "mount -t overlay overlay -o lowerdir={}:/usr/sbin /usr/sbin",
        sbin.display()
    );
    let status = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-exc"])
        .arg(format!("{overlay}\n{script}"))
        .status()
        .unwrap();
    assert!(status.success(), "{script}");
}

#[test]
fn mount_8_mounts_an_fstab_line_through_the_helper() {
    let root = tempfile::Builder::new()
        .prefix("mount-fstab")
        .tempdir_in("/tmp")
        .unwrap();
    let setup = Setup {
        chunkservers: 2,
        mounts: 0,
        ..Setup::new(PREFIX, SUBNET)
    };
    let mut cluster = Cluster::up(root.path(), &setup);
    let mfs = root.path().join("mfs");
    fs::create_dir(&mfs).unwrap();
    cluster.unmount_at_end(&mfs);
    let status = Command::new("timeout")
        .args(["60", "sh", "-c"])
        .arg(format!(
            "mfsmount {} -H {MASTER} -P 9421 2>&1 | cat",
            mfs.display()
        ))
        .status()
        .unwrap();
    assert!(status.success());
    let data = payload((1 << 20) + 17, 7);
    fs::create_dir(mfs.join("sub")).unwrap();
    fs::write(mfs.join("sub/hello"), &data).unwrap();

    let (by_fstab, by_type) = (root.path().join("by-fstab"), root.path().join("by-type"));
    let out = root.path().join("out");
    for dir in [&by_fstab, &by_type, &out] {
        fs::create_dir(dir).unwrap();
    }
    let fstab = root.path().join("fstab");
    fs::write(
        &fstab,
        format!(
            "{MASTER}:9421:/sub {} mooseng ro,mfsattrcacheto=2,_netdev,nofail 0 0\n",
            by_fstab.display()
        ),
    )
    .unwrap();
    let (f, t, o) = (by_fstab.display(), by_type.display(), out.display());
    let script = format!(
        "trap 'umount -l {f} {t} 2>/dev/null || true' EXIT
         mount -T {fstab} {f}
         cat {f}/hello > {o}/fstab-hello
         findmnt -n -o SOURCE,OPTIONS {f} > {o}/fstab-mnt
         touch {f}/refused 2> {o}/fstab-touch || true
         timeout 60 sh -c 'mount -t mooseng {MASTER} {t} -o mfsioretries=5 2>&1 | cat'
         cat {t}/sub/hello > {o}/type-hello
         findmnt -n -o SOURCE {t} > {o}/type-mnt
         umount {f}
         umount {t}",
        fstab = fstab.display()
    );
    in_namespace_with_helper(root.path(), &script);

    let read = |name: &str| fs::read(out.join(name)).unwrap();
    assert_eq!(read("fstab-hello"), data);
    assert_eq!(read("type-hello"), data);
    let mnt = String::from_utf8(read("fstab-mnt")).unwrap();
    let (source, options) = mnt.trim().split_once(' ').unwrap();
    assert_eq!(source, format!("{MASTER}:9421:/sub"));
    assert!(options.trim().split(',').any(|o| o == "ro"), "{options}");
    let refused = String::from_utf8(read("fstab-touch")).unwrap();
    assert!(refused.contains("Read-only file system"), "{refused}");
    let source = String::from_utf8(read("type-mnt")).unwrap();
    assert_eq!(source.trim(), format!("{MASTER}:9421:/"));
    drop(cluster);
}
