//! `mount.mooseng`, the helper mount(8) runs for file systems of type
//! `mooseng` (an /etc/fstab line or `mount -t mooseng`). mount(8) looks for
//! it in /sbin only, and Cargo cannot name a program with a dot, so it is
//! `mooseng-mount` itself under that name (a symlink, as ntfs-3g installs
//! `mount.ntfs-3g`): called so, it turns the helper's calling convention,
//! `mount.mooseng SPEC DIR [-sfnv] [-o OPTS]`, into its own command line.
//!
//! SPEC names the master and what to mount: `HOST[:PORT][:/PATH]`, e.g.
//! `mfsmaster`, `10.0.0.2:9421` or `mfsmaster:/projects`. The options are
//! mooseng-mount's `-o` items; the ones meant for mount(8) itself, which it
//! may pass on (`_netdev`, `nofail`, `x-systemd.*`, ...), are dropped here
//! so they do not show up as "ignored option" warnings.

use std::path::Path;

use thiserror::Error;

/// The name mount(8) runs for type `mooseng`.
pub const HELPER_NAME: &str = "mount.mooseng";

/// Whether the program was started as `mount.mooseng` (`argv[0]`).
pub fn invoked_as_helper(argv0: &str) -> bool {
    Path::new(argv0)
        .file_name()
        .is_some_and(|name| name == HELPER_NAME)
}

/// Why the helper's command line cannot be turned into a mount.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum HelperError {
    #[error("usage: mount.mooseng HOST[:PORT][:/PATH] DIR [-sfnv] [-o OPTIONS]")]
    Usage,
    #[error("{0}: not supported by mount.mooseng")]
    Unsupported(String),
}

/// What the helper is to do.
#[derive(Debug, PartialEq, Eq)]
pub enum Helper {
    /// Mount as `mooseng-mount` with these arguments would.
    Mount(Vec<String>),
    /// `-f`: mount(8) asks us to do everything but mount.
    Fake,
}

/// Options that belong to mount(8), fstab or systemd, not to the file
/// system.
fn for_mount_itself(option: &str) -> bool {
    matches!(
        option,
        "defaults"
            | "auto"
            | "noauto"
            | "_netdev"
            | "nofail"
            | "user"
            | "nouser"
            | "users"
            | "owner"
            | "group"
    ) || option.starts_with("x-")
        || option.starts_with("comment=")
}

/// Splits SPEC into the master (`HOST` or `HOST:PORT`) and the subfolder.
fn split_spec(spec: &str) -> Result<(&str, Option<&str>), HelperError> {
    let (master, path) = match spec.find(":/") {
        Some(at) => (&spec[..at], Some(&spec[at + 1..])),
        None => (spec, None),
    };
    if master.is_empty() {
        return Err(HelperError::Usage);
    }
    Ok((master, path))
}

/// The `mooseng-mount` arguments for the helper's arguments (after its own
/// name). Without `-f` the mount goes to the background once it is up,
/// which is what mount(8) waits for.
pub fn translate(args: &[String]) -> Result<Helper, HelperError> {
    let mut positional = Vec::new();
    let mut options = Vec::new();
    let mut fake = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-o" => options.push(args.next().ok_or(HelperError::Usage)?.clone()),
            // The type mount(8) may repeat; we are only ever `mooseng`.
            "-t" => {
                args.next().ok_or(HelperError::Usage)?;
            }
            "-N" => return Err(HelperError::Unsupported("-N".into())),
            flag if flag.starts_with('-') && flag.len() > 1 => {
                for letter in flag[1..].chars() {
                    match letter {
                        'f' => fake = true,
                        // Sloppy, no mtab, verbose: nothing to do.
                        's' | 'n' | 'v' => {}
                        other => return Err(HelperError::Unsupported(format!("-{other}"))),
                    }
                }
            }
            _ => positional.push(arg.clone()),
        }
    }
    let [spec, dir] = positional.as_slice() else {
        return Err(HelperError::Usage);
    };
    let (master, path) = split_spec(spec)?;
    if fake {
        return Ok(Helper::Fake);
    }
    let mut out = vec![dir.clone(), "-H".into(), master.into()];
    if let Some(path) = path {
        out.extend(["-S".into(), path.into()]);
    }
    let kept: Vec<&str> = options
        .iter()
        .flat_map(|list| list.split(','))
        .filter(|o| !o.is_empty() && !for_mount_itself(o))
        .collect();
    if !kept.is_empty() {
        out.extend(["-o".into(), kept.join(",")]);
    }
    Ok(Helper::Mount(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(String::from).collect()
    }

    fn mount(line: &str) -> Vec<String> {
        match translate(&args(line)).unwrap() {
            Helper::Mount(out) => out,
            Helper::Fake => panic!("fake"),
        }
    }

    #[test]
    fn what_mount_8_passes_becomes_a_mooseng_mount_line() {
        // As util-linux 2.38 calls a helper for
        // `10.0.0.2:9421:/x /mnt mooseng ro,mfsattrcacheto=2,_netdev,noauto 0 0`.
        assert_eq!(
            mount("10.0.0.2:9421:/x /mnt -o ro,mfsattrcacheto=2,_netdev"),
            args("/mnt -H 10.0.0.2:9421 -S /x -o ro,mfsattrcacheto=2")
        );
        assert_eq!(mount("mfsmaster /m"), args("/m -H mfsmaster"));
        assert_eq!(
            mount("mfsmaster:/ /m -sv -o defaults,x-systemd.automount -t mooseng"),
            args("/m -H mfsmaster -S /")
        );
        assert_eq!(
            mount("mfs:9521 /m -o mfspassword=pw -o rw"),
            args("/m -H mfs:9521 -o mfspassword=pw,rw")
        );
    }

    #[test]
    fn known_by_its_name() {
        assert!(invoked_as_helper("/sbin/mount.mooseng"));
        assert!(invoked_as_helper("mount.mooseng"));
        assert!(!invoked_as_helper("/usr/bin/mooseng-mount"));
        assert!(!invoked_as_helper("mount.mooseng2"));
    }

    #[test]
    fn fake_and_bad_lines() {
        assert_eq!(translate(&args("m /d -f")), Ok(Helper::Fake));
        assert_eq!(translate(&args("m")), Err(HelperError::Usage));
        assert_eq!(translate(&args("m /d /e")), Err(HelperError::Usage));
        assert_eq!(translate(&args(":/x /d")), Err(HelperError::Usage));
        assert_eq!(translate(&args("m /d -o")), Err(HelperError::Usage));
        assert!(matches!(
            translate(&args("m /d -N 5")),
            Err(HelperError::Unsupported(_))
        ));
        assert!(matches!(
            translate(&args("m /d -w")),
            Err(HelperError::Unsupported(_))
        ));
    }
}
