//! `mfsexports.cfg`: who may mount what, and with which session rights.
//!
//! The syntax and the choice between several matching lines follow
//! MooseFS 3.0.117, so an existing exports file works unchanged.

mod net;
mod options;
mod users;

use std::net::Ipv4Addr;
use std::path::Path;

use mooseng_wire::{Status, Version};

pub use net::AddressRange;
pub use options::{parse_duration, sesflag, DISABLE_NAMES};
pub use users::UserDb;

#[derive(Debug, thiserror::Error)]
pub enum ExportsError {
    #[error("mfsexports line {line}: incomplete definition")]
    Incomplete { line: usize },
    #[error("mfsexports line {line}: incorrect address {address:?}")]
    BadAddress { line: usize, address: String },
    #[error("mfsexports line {line}: incorrect option {option:?}")]
    BadOption { line: usize, option: String },
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
}

/// One line of the file, with every default filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRule {
    pub addresses: AddressRange,
    /// The exported directory relative to the root, without slashes at
    /// either end; empty for the root itself.
    pub path: String,
    /// The `.` line: the MFSMETA file system (trash and sustained files).
    pub meta: bool,
    pub alldirs: bool,
    pub sesflags: u8,
    pub umask: u16,
    pub root_uid: u32,
    pub root_gid: u32,
    pub root_redefined: bool,
    pub mapall_uid: u32,
    pub mapall_gid: u32,
    pub min_goal: u8,
    pub max_goal: u8,
    pub min_trashtime: u32,
    pub max_trashtime: u32,
    /// `DISABLE_*` bits of operations this export refuses.
    pub disables: u32,
    pub min_version: Version,
    /// MD5 of the password, when one is required.
    pub password: Option<[u8; 16]>,
}

impl Default for ExportRule {
    /// MooseFS's defaults: `ro,maproot=999:999,mingoal=1,maxgoal=9,
    /// mintrashtime=0,maxtrashtime=4294967295`.
    fn default() -> Self {
        ExportRule {
            addresses: AddressRange::ANY,
            path: String::new(),
            meta: false,
            alldirs: false,
            sesflags: sesflag::READONLY,
            umask: 0,
            root_uid: 999,
            root_gid: 999,
            root_redefined: false,
            mapall_uid: 999,
            mapall_gid: 999,
            min_goal: 1,
            max_goal: 9,
            min_trashtime: 0,
            max_trashtime: u32::MAX,
            disables: 0,
            min_version: Version(0),
            password: None,
        }
    }
}

/// What a mount asks for when it registers.
#[derive(Debug, Clone, Copy)]
pub struct MountRequest<'a> {
    pub ip: Ipv4Addr,
    pub version: Version,
    /// The subfolder asked for; `None` for the meta file system.
    pub path: Option<&'a str>,
    /// The 32-byte challenge the master sent and the client's answer.
    pub challenge: Option<(&'a [u8; 32], &'a [u8; 16])>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exports {
    rules: Vec<ExportRule>,
}

/// The `mfsexports.cfg` MooseFS ships: everyone may mount everything
/// read-write with root kept as root, and the meta file system.
pub const MOOSEFS_DEFAULT: &str = "* / rw,alldirs,admin,maproot=0:0\n* . rw\n";

impl Exports {
    /// The rules of [`MOOSEFS_DEFAULT`], used when no exports file is given.
    pub fn moosefs_default() -> Exports {
        Exports::parse(MOOSEFS_DEFAULT, &UserDb::default())
            .unwrap_or_else(|e| unreachable!("the built-in exports do not parse: {e}"))
    }

    pub fn load(path: &Path, users: &UserDb) -> Result<Exports, ExportsError> {
        let text = std::fs::read_to_string(path).map_err(|source| ExportsError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Exports::parse(&text, users)
    }

    pub fn parse(text: &str, users: &UserDb) -> Result<Exports, ExportsError> {
        let mut defaults = ExportRule::default();
        let mut rules = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let mut fields = raw.split_whitespace();
            let Some(address) = fields.next().filter(|a| !a.starts_with('#')) else {
                continue;
            };
            let rest: Vec<&str> = fields.collect();
            if address.eq_ignore_ascii_case("DEFAULTS") {
                let mut rule = defaults.clone();
                options::apply(&mut rule, &rest.join(","), users, line)?;
                apply_mapall_to_root(&mut rule);
                defaults = rule;
                continue;
            }
            let (directory, opts) = match rest.as_slice() {
                [] => return Err(ExportsError::Incomplete { line }),
                [directory] => (*directory, String::new()),
                [directory, opts @ ..] => (*directory, opts.join(",")),
            };
            let mut rule = defaults.clone();
            rule.addresses =
                AddressRange::parse(address).ok_or_else(|| ExportsError::BadAddress {
                    line,
                    address: address.to_owned(),
                })?;
            if directory == "." {
                rule.meta = true;
                if !rule.root_redefined {
                    (rule.root_uid, rule.root_gid) = (0, 0);
                }
            } else {
                rule.path = directory.trim_matches('/').to_owned();
            }
            options::apply(&mut rule, &opts, users, line)?;
            apply_mapall_to_root(&mut rule);
            rules.push(rule);
        }
        Ok(Exports { rules })
    }

    pub fn rules(&self) -> &[ExportRule] {
        &self.rules
    }

    /// The rule a mount gets, or the status MooseFS refuses it with.
    ///
    /// Among matching lines MooseFS prefers read-write over read-only, then
    /// unrestricted root, then admin, then password-protected, then the
    /// longest path; so do we.
    pub fn authorize(&self, request: &MountRequest<'_>) -> Result<&ExportRule, Status> {
        let wanted = request.path.map(|p| p.trim_matches('/'));
        let mut best: Option<&ExportRule> = None;
        let mut password_refused = false;
        for rule in &self.rules {
            if !rule.addresses.contains(request.ip)
                || request.version < rule.min_version
                || rule.meta != wanted.is_none()
                || !wanted.is_none_or(|path| path_matches(rule, path))
            {
                continue;
            }
            if let Some(digest) = &rule.password {
                if !challenge_answered(digest, request.challenge) {
                    password_refused = true;
                    continue;
                }
            }
            if best.is_none_or(|current| prefer(rule, current)) {
                best = Some(rule);
            }
        }
        match best {
            Some(rule) => Ok(rule),
            None if password_refused => Err(match request.challenge {
                Some((random, _)) if random.iter().any(|b| *b != 0) => Status::BADPASSWORD,
                _ => Status::NOPASSWORD,
            }),
            None => Err(Status::EACCES),
        }
    }
}

/// `mapall` without `maproot` maps root the same way.
fn apply_mapall_to_root(rule: &mut ExportRule) {
    if rule.sesflags & sesflag::MAPALL != 0 && !rule.root_redefined {
        (rule.root_uid, rule.root_gid) = (rule.mapall_uid, rule.mapall_gid);
    }
}

fn path_matches(rule: &ExportRule, wanted: &str) -> bool {
    if rule.path.is_empty() {
        return wanted.is_empty() || rule.alldirs;
    }
    wanted == rule.path
        || (rule.alldirs
            && wanted
                .strip_prefix(rule.path.as_str())
                .is_some_and(|below| below.starts_with('/')))
}

fn prefer(candidate: &ExportRule, current: &ExportRule) -> bool {
    let rw = |r: &ExportRule| r.sesflags & sesflag::READONLY == 0;
    let admin = |r: &ExportRule| r.sesflags & sesflag::ADMIN != 0;
    (rw(candidate) && !rw(current))
        || (candidate.root_uid == 0 && current.root_uid != 0)
        || (admin(candidate) && !admin(current))
        || (candidate.password.is_some() && current.password.is_none())
        || candidate.path.len() > current.path.len()
}

/// The mount proves it knows the password by sending
/// MD5(random[0..16] + MD5(password) + random[16..32]).
fn challenge_answered(digest: &[u8; 16], challenge: Option<(&[u8; 32], &[u8; 16])>) -> bool {
    let Some((random, answer)) = challenge else {
        return false;
    };
    if random.iter().all(|b| *b == 0) {
        return false;
    }
    let mut material = Vec::with_capacity(48);
    material.extend_from_slice(&random[..16]);
    material.extend_from_slice(digest);
    material.extend_from_slice(&random[16..]);
    options::md5_of(&material) == *answer
}

#[cfg(test)]
mod tests;
