//! The OPTIONS column of mfsexports.cfg, parsed into an [`ExportRule`]'s fields.

use mooseng_wire::Version;

use super::users::UserDb;
use super::{ExportRule, ExportsError};

/// `SESFLAG_*` bits a session carries, as MooseFS sends them to mounts.
pub mod sesflag {
    pub const READONLY: u8 = 0x01;
    pub const DYNAMICIP: u8 = 0x02;
    pub const IGNOREGID: u8 = 0x04;
    pub const ADMIN: u8 = 0x08;
    pub const MAPALL: u8 = 0x10;
}

/// Operation names of `disable=`, in `DISABLE_*` bit order.
pub const DISABLE_NAMES: [&str; 25] = [
    "chown",
    "chmod",
    "symlink",
    "mkfifo",
    "mkdev",
    "mksock",
    "mkdir",
    "unlink",
    "rmdir",
    "rename",
    "move",
    "link",
    "create",
    "readdir",
    "read",
    "write",
    "truncate",
    "setlength",
    "appendchunks",
    "snapshot",
    "settrash",
    "setsclass",
    "seteattr",
    "setxattr",
    "setfacl",
];

/// Applies a comma-separated option list to `rule`.
pub(super) fn apply(
    rule: &mut ExportRule,
    options: &str,
    users: &UserDb,
    line: usize,
) -> Result<(), ExportsError> {
    for option in options.split(',').filter(|o| !o.is_empty()) {
        let bad = || ExportsError::BadOption {
            line,
            option: option.to_owned(),
        };
        let (key, value) = match option.split_once('=') {
            Some((key, value)) => (key, Some(value)),
            None => (option, None),
        };
        match (key, value) {
            ("ro" | "readonly", None) => rule.sesflags |= sesflag::READONLY,
            ("rw" | "readwrite", None) => rule.sesflags &= !sesflag::READONLY,
            ("dynamicip", None) => rule.sesflags |= sesflag::DYNAMICIP,
            // Options that make no sense for the meta file system are
            // accepted and ignored there, as MooseFS does.
            ("ignoregid", None) if !rule.meta => rule.sesflags |= sesflag::IGNOREGID,
            ("alldirs", None) if !rule.meta => rule.alldirs = true,
            ("admin" | "canchangequota", None) if !rule.meta => rule.sesflags |= sesflag::ADMIN,
            ("ignoregid" | "alldirs" | "admin" | "canchangequota", None) => {}
            ("maproot", Some(spec)) if !rule.meta => {
                (rule.root_uid, rule.root_gid) = users.resolve(spec).ok_or_else(bad)?;
                rule.root_redefined = true;
            }
            ("mapall", Some(spec)) if !rule.meta => {
                (rule.mapall_uid, rule.mapall_gid) = users.resolve(spec).ok_or_else(bad)?;
                rule.sesflags |= sesflag::MAPALL;
            }
            ("disable", Some(list)) if !rule.meta => {
                rule.disables |= parse_disables(list).ok_or_else(bad)?
            }
            ("maproot" | "mapall" | "disable", Some(_)) => {}
            ("password", Some(password)) => rule.password = Some(md5_of(password.as_bytes())),
            ("md5pass", Some(hex)) => rule.password = Some(parse_md5(hex).ok_or_else(bad)?),
            ("minversion", Some(v)) => rule.min_version = parse_version(v).ok_or_else(bad)?,
            ("mingoal", Some(g)) => rule.min_goal = parse_goal(g).ok_or_else(bad)?,
            ("maxgoal", Some(g)) => rule.max_goal = parse_goal(g).ok_or_else(bad)?,
            ("mintrashtime", Some(t)) => rule.min_trashtime = parse_duration(t).ok_or_else(bad)?,
            ("maxtrashtime", Some(t)) => rule.max_trashtime = parse_duration(t).ok_or_else(bad)?,
            ("umask", Some(u)) => rule.umask = parse_umask(u).ok_or_else(bad)?,
            _ => return Err(bad()),
        }
        if rule.min_goal > rule.max_goal || rule.min_trashtime > rule.max_trashtime {
            return Err(bad());
        }
    }
    Ok(())
}

fn parse_disables(list: &str) -> Option<u32> {
    list.split(':').try_fold(0u32, |bits, name| {
        let bit = DISABLE_NAMES.iter().position(|n| *n == name)?;
        Some(bits | 1 << bit)
    })
}

fn parse_goal(text: &str) -> Option<u8> {
    match text.as_bytes() {
        [digit @ b'1'..=b'9'] => Some(digit - b'0'),
        _ => None,
    }
}

/// Only the octal `0ddd` form, as MooseFS accepts it.
fn parse_umask(text: &str) -> Option<u16> {
    let digits = text.strip_prefix('0')?;
    if digits.len() != 3 {
        return None;
    }
    u16::from_str_radix(digits, 8).ok()
}

/// `MAJOR[.MID[.MINOR]]`, each part 0-255.
fn parse_version(text: &str) -> Option<Version> {
    let mut parts = [0u8; 3];
    let mut pieces = text.split('.');
    for (i, piece) in pieces.by_ref().take(3).enumerate() {
        if piece.is_empty() || !piece.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        parts[i] = piece.parse().ok()?;
    }
    pieces
        .next()
        .is_none()
        .then_some(Version::new(u16::from(parts[0]), parts[1], parts[2]))
}

/// Seconds, or `[#W][#D][#H][#M][#S]` in that order, case-insensitive.
pub fn parse_duration(text: &str) -> Option<u32> {
    const UNITS: [(u8, u64); 5] = [
        (b'W', 604_800),
        (b'D', 86_400),
        (b'H', 3_600),
        (b'M', 60),
        (b'S', 1),
    ];
    let text = text.to_ascii_uppercase();
    let mut rest = text.as_bytes();
    let mut total: u64 = 0;
    let mut next_unit = 0;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        let number: u64 = std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()?;
        rest = &rest[digits..];
        let multiplier = match rest.first() {
            None => 1,
            Some(letter) => {
                let at = UNITS[next_unit..].iter().position(|(u, _)| u == letter)? + next_unit;
                next_unit = at + 1;
                rest = &rest[1..];
                UNITS[at].1
            }
        };
        total = total.checked_add(number.checked_mul(multiplier)?)?;
    }
    u32::try_from(total).ok()
}

fn parse_md5(hex: &str) -> Option<[u8; 16]> {
    if hex.len() != 32 {
        return None;
    }
    let mut digest = [0u8; 16];
    for (i, byte) in digest.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(digest)
}

pub(super) fn md5_of(data: &[u8]) -> [u8; 16] {
    use md5::{Digest, Md5};
    Md5::digest(data).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_follow_the_man_page() {
        assert_eq!(parse_duration("3600"), Some(3600));
        assert_eq!(parse_duration("2h30m"), Some(9000));
        assert_eq!(parse_duration("2w"), Some(1_209_600));
        assert_eq!(parse_duration("1d1s"), Some(86_401));
        assert_eq!(parse_duration("1m1h"), None, "units out of order");
        assert_eq!(parse_duration("1h1h"), None, "unit repeated");
        assert_eq!(parse_duration("h"), None);
        assert_eq!(parse_duration("99999999w"), None, "overflows 32 bits");
    }

    #[test]
    fn small_values() {
        assert_eq!(parse_goal("1"), Some(1));
        assert_eq!(parse_goal("0"), None);
        assert_eq!(parse_goal("10"), None);
        assert_eq!(parse_umask("0022"), Some(0o022));
        assert_eq!(parse_umask("022"), None);
        assert_eq!(parse_version("1.6.27"), Some(Version::new(1, 6, 27)));
        assert_eq!(parse_version("3"), Some(Version::new(3, 0, 0)));
        assert_eq!(parse_version("1.2.3.4"), None);
        assert_eq!(parse_disables("unlink:rmdir"), Some(1 << 7 | 1 << 8));
        assert_eq!(parse_disables("unlink:nope"), None);
    }
}
