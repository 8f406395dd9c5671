//! A hosts file of a program's own. MooseFS's programs reach a group of
//! masters by one name that resolves to every master's address: mfsmount
//! and mfschunkserver pick one of the addresses at random and resolve the
//! name again when they lose their master. The machine's `/etc/hosts` is
//! not the cluster's to change, so such a program sees a file of its own
//! over `/etc/hosts`, bound in a mount namespace of its own.

use std::ffi::OsString;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::command::{run, CommandError};

/// The name MooseFS's programs know a group of masters by (their default
/// master name).
pub const MASTER_NAME: &str = "mfsmaster";

/// A hosts file giving [`MASTER_NAME`] every address of `masters`.
pub fn masters_file(masters: &[Ipv4Addr]) -> String {
    let mut text = String::from("127.0.0.1 localhost\n");
    for ip in masters {
        text.push_str(&format!("{ip} {MASTER_NAME}\n"));
    }
    text
}

/// Binds `$0` over `/etc/hosts`, then becomes the program. `/` is made
/// private first (in the program's mount namespace only), so the bind
/// stays there even on a host whose root mount is shared.
const OVERLAY: &str = r#"mount --make-private / && mount --bind "$0" /etc/hosts && exec "$@""#;

/// The program and arguments that run `program args` with `hosts` as its
/// `/etc/hosts`. Inside a network namespace `ip netns exec` has already
/// given it a mount namespace whose mounts stay there. On the host
/// `unshare` makes one, keeping mount propagation as it is, so that a FUSE
/// mount made on a shared mount point ([`share_mountpoint`]) shows on the
/// host too. Every step `exec`s the next, so the pid stays the program's.
pub fn wrap(
    hosts: &Path,
    program: &Path,
    args: &[OsString],
    in_netns: bool,
) -> (PathBuf, Vec<OsString>) {
    let mut wrapped: Vec<OsString> = Vec::new();
    let launcher = if in_netns {
        PathBuf::from("/bin/sh")
    } else {
        wrapped.extend(["--mount", "--propagation", "unchanged", "/bin/sh"].map(OsString::from));
        PathBuf::from("unshare")
    };
    wrapped.extend(["-c".into(), OVERLAY.into(), hosts.into(), program.into()]);
    wrapped.extend(args.iter().cloned());
    (launcher, wrapped)
}

/// Makes the directory `path` a shared mount of its own (a bind mount onto
/// itself), so that what a program [`wrap`]ped on the host mounts there
/// from its own mount namespace reaches the host's. Unmounting `path`
/// twice removes the program's mount, then this one.
pub fn share_mountpoint(path: &Path) -> Result<(), CommandError> {
    run(Command::new("mount").arg("--bind").arg(path).arg(path))?;
    run(Command::new("mount").arg("--make-shared").arg(path))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_master_answers_to_the_name() {
        let file = masters_file(&[Ipv4Addr::new(10, 9, 0, 2), Ipv4Addr::new(10, 9, 0, 4)]);
        assert_eq!(
            file,
            "127.0.0.1 localhost\n10.9.0.2 mfsmaster\n10.9.0.4 mfsmaster\n"
        );
    }

    #[test]
    fn inside_a_namespace_a_shell_binds_the_file() {
        let args = [OsString::from("-f")];
        let (program, wrapped) = wrap(Path::new("/h"), Path::new("/bin/cs"), &args, true);
        assert_eq!(program, Path::new("/bin/sh"));
        assert_eq!(wrapped, ["-c", OVERLAY, "/h", "/bin/cs", "-f"]);
    }

    #[test]
    fn on_the_host_unshare_makes_the_mount_namespace() {
        let (program, wrapped) = wrap(Path::new("/h"), Path::new("/bin/m"), &[], false);
        assert_eq!(program, Path::new("unshare"));
        assert_eq!(
            wrapped,
            [
                "--mount",
                "--propagation",
                "unchanged",
                "/bin/sh",
                "-c",
                OVERLAY,
                "/h",
                "/bin/m"
            ]
        );
    }

    /// The overlay works where it is used: a shell started as [`wrap`]
    /// starts it on the host resolves the name from the file, and the
    /// host's own `/etc/hosts` is left alone. Needs root.
    #[test]
    fn the_wrapped_program_resolves_the_name() {
        let dir = tempfile::tempdir().unwrap();
        let hosts = dir.path().join("hosts");
        std::fs::write(&hosts, masters_file(&[Ipv4Addr::new(10, 9, 0, 7)])).unwrap();
        let args = ["ahosts", MASTER_NAME].map(OsString::from);
        let (program, wrapped) = wrap(&hosts, Path::new("/usr/bin/getent"), &args, false);
        let resolved = run(Command::new(program).args(wrapped)).unwrap();
        assert!(resolved.starts_with("10.9.0.7 "), "{resolved}");
        let host = std::fs::read_to_string("/etc/hosts").unwrap();
        assert!(!host.contains("10.9.0.7"), "{host}");
    }
}
