//! Resolving the user and group names an exports line may use, from the
//! master host's /etc/passwd and /etc/group as MooseFS does.

use std::collections::HashMap;

/// Names known on this host, with each user's uid and primary gid.
#[derive(Debug, Clone, Default)]
pub struct UserDb {
    users: HashMap<String, (u32, u32)>,
    groups: HashMap<String, u32>,
}

impl UserDb {
    /// Reads the host's databases; a missing file simply knows no names.
    pub fn from_host() -> Self {
        let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
        let group = std::fs::read_to_string("/etc/group").unwrap_or_default();
        UserDb::from_files(&passwd, &group)
    }

    pub fn from_files(passwd: &str, group: &str) -> Self {
        let users = passwd
            .lines()
            .filter_map(|line| {
                let mut fields = line.split(':');
                let name = fields.next()?;
                let uid = fields.nth(1)?.parse().ok()?;
                let gid = fields.next()?.parse().ok()?;
                Some((name.to_owned(), (uid, gid)))
            })
            .collect();
        let groups = group
            .lines()
            .filter_map(|line| {
                let mut fields = line.split(':');
                let name = fields.next()?;
                Some((name.to_owned(), fields.nth(1)?.parse().ok()?))
            })
            .collect();
        UserDb { users, groups }
    }

    /// `USER[:GROUP]`, each a name or a number; without a group, a named
    /// user's primary group (and for a bare number, the same number).
    pub fn resolve(&self, spec: &str) -> Option<(u32, u32)> {
        let (user, group) = match spec.split_once(':') {
            Some((user, group)) => (user, Some(group)),
            None => (spec, None),
        };
        let (uid, primary_gid) = match user.parse::<u32>() {
            Ok(uid) => (uid, None),
            Err(_) => {
                let (uid, gid) = *self.users.get(user)?;
                (uid, Some(gid))
            }
        };
        let gid = match group {
            Some(group) => group
                .parse::<u32>()
                .ok()
                .or_else(|| self.groups.get(group).copied())?,
            None => primary_gid.unwrap_or(uid),
        };
        Some((uid, gid))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_resolve() {
        let db = UserDb::from_files(
            "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n",
            "root:x:0:\nstaff:x:50:\n",
        );
        assert_eq!(db.resolve("0"), Some((0, 0)));
        assert_eq!(db.resolve("1000:50"), Some((1000, 50)));
        assert_eq!(db.resolve("nobody"), Some((65534, 65534)));
        assert_eq!(db.resolve("nobody:staff"), Some((65534, 50)));
        assert_eq!(db.resolve("ghost"), None);
        assert_eq!(db.resolve("0:ghosts"), None);
    }
}
