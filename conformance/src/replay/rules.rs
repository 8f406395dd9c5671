//! The fields that may legitimately differ between a captured answer and
//! a replayed one, and how each is compared instead of for equality.
//!
//! A field is named by a path of field names from the message down
//! (`MATOCL_FUSE_LOOKUP.reply.attr.mtime`). A selector is a message name
//! (or `*` for any) and the path's last segments, so `*.attr.mtime`
//! covers the modification time of every attribute record in every answer.
//! List positions (`[3]`) are not part of what selectors match. Every
//! field no rule names is compared for equality. The table in
//! docs/conformance-replay.md is [`markdown_table`]'s output.

use super::ids::IdKind;

/// How a field covered by a rule is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Treatment {
    /// An id the server allocates: bound on first sight, then checked
    /// (see [`super::ids`]).
    Id(IdKind),
    /// Present on both sides, value not compared.
    Free,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub name: &'static str,
    pub treatment: Treatment,
    pub selectors: &'static [&'static str],
    pub why: &'static str,
}

pub const RULES: &[Rule] = &[
    Rule {
        name: "node times",
        treatment: Treatment::Free,
        selectors: &["*.atime", "*.mtime", "*.ctime"],
        why: "set from the server's clock when a node is made, read or changed",
    },
    Rule {
        name: "clock",
        treatment: Treatment::Free,
        selectors: &[
            "MATOCL_FUSE_TIME_SYNC.stamp",
            "MATOCL_INFO.clock",
            "MATOCL_INFO.laststore_ts",
            "MATOCL_INFO.laststore_duration",
            "MATOCL_INFO.state_chg_time",
        ],
        why: "the server's clock, and when and how fast it last saved metadata",
    },
    Rule {
        name: "inodes",
        treatment: Treatment::Id(IdKind::Inode),
        selectors: &[
            "*.inode",
            "MATOCL_FUSE_UNLINK.reply",
            "MATOCL_FUSE_RMDIR.reply",
            "MATOCL_FUSE_PARENTS.reply",
        ],
        why: "allocated by the server; a new server may number nodes otherwise",
    },
    Rule {
        name: "chunk ids",
        treatment: Treatment::Id(IdKind::Chunk),
        selectors: &["*.chunkid"],
        why: "allocated by the server",
    },
    Rule {
        name: "sessions",
        treatment: Treatment::Id(IdKind::Session),
        selectors: &["*.sessionid"],
        why: "allocated by the server",
    },
    Rule {
        name: "metadata id",
        treatment: Treatment::Id(IdKind::Metaid),
        selectors: &["*.metaid"],
        why: "random, drawn when the server creates its metadata",
    },
    Rule {
        name: "addresses",
        treatment: Treatment::Free,
        selectors: &["*.ip", "*.port", "*.leaderip", "*.fromip", "*.toip"],
        why: "where the target's chunkservers and clients are; the master also picks chunkservers for new chunks at random",
    },
    Rule {
        name: "chunk copies",
        treatment: Treatment::Free,
        selectors: &["*.servers", "*.copies", "MATOCL_FUSE_CHECK.reply"],
        why: "which chunkservers hold a chunk, and how many, follows replication, which the master runs on its own timers as chunkservers allow; the replay does not move chunk data",
    },
    Rule {
        name: "random challenge",
        treatment: Treatment::Free,
        selectors: &["MATOCL_FUSE_REGISTER.reply.Random"],
        why: "random bytes a password is mixed with",
    },
    Rule {
        name: "disk space",
        treatment: Treatment::Free,
        selectors: &[
            "MATOCL_FUSE_STATFS.total",
            "MATOCL_FUSE_STATFS.avail",
            "MATOCL_FUSE_STATFS.free",
            "MATOCL_INFO.totalspace",
            "MATOCL_INFO.availspace",
            "MATOCL_INFO.freespace",
        ],
        why: "the size and use of the target's chunkserver disks",
    },
    Rule {
        name: "process statistics",
        treatment: Treatment::Free,
        selectors: &[
            "MATOCL_INFO.memusage",
            "MATOCL_INFO.syscpu",
            "MATOCL_INFO.usercpu",
            "MATOCL_INFO.exports_checksum",
        ],
        why: "memory and CPU the server used so far; the exports file names the target's subnet",
    },
];

/// The rule covering `path` (field names below the message `message`).
pub fn rule_for(message: &str, path: &[&str]) -> Option<&'static Rule> {
    RULES
        .iter()
        .find(|rule| rule.selectors.iter().any(|s| selects(s, message, path)))
}

fn selects(selector: &str, message: &str, path: &[&str]) -> bool {
    let mut parts = selector.split('.');
    let Some(scope) = parts.next() else {
        return false;
    };
    if scope != "*" && scope != message {
        return false;
    }
    let suffix: Vec<&str> = parts.collect();
    !suffix.is_empty() && path.ends_with(&suffix)
}

/// The rules as a Markdown table, for the documentation.
pub fn markdown_table() -> String {
    let mut table = String::from("| Rule | Fields | Compared as | Why they differ |\n");
    table.push_str("|------|--------|-------------|-----------------|\n");
    for rule in RULES {
        let fields: Vec<String> = rule.selectors.iter().map(|s| format!("`{s}`")).collect();
        let compared = match rule.treatment {
            Treatment::Id(kind) => format!("{kind}, bound then checked"),
            Treatment::Free => "present, value free".to_owned(),
        };
        table.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            rule.name,
            fields.join(", "),
            compared,
            rule.why
        ));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_match_the_end_of_a_path_within_their_message() {
        let mtime = rule_for("MATOCL_FUSE_LOOKUP", &["reply", "attr", "mtime"]);
        assert_eq!(mtime.map(|r| r.name), Some("node times"));
        let inode = rule_for("MATOCL_FUSE_LOOKUP", &["reply", "inode"]);
        assert_eq!(
            inode.map(|r| r.treatment),
            Some(Treatment::Id(IdKind::Inode))
        );
        let unlinked = rule_for("MATOCL_FUSE_UNLINK", &["reply"]);
        assert_eq!(unlinked.map(|r| r.name), Some("inodes"));
        // `reply` of another message is compared for equality.
        assert_eq!(rule_for("MATOCL_FUSE_READLINK", &["reply"]), None);
        // Disk space of STATFS only, not the trash size next to it.
        assert!(rule_for("MATOCL_FUSE_STATFS", &["reply", "Current", "total"]).is_some());
        assert_eq!(rule_for("MATOCL_FUSE_STATFS", &["reply", "trash"]), None);
        assert_eq!(
            rule_for("MATOCL_FUSE_GETDIRSTATS", &["reply", "total"]),
            None
        );
    }

    #[test]
    fn fields_no_rule_names_are_compared_exactly() {
        for path in [["reply", "attr", "mode"], ["reply", "attr", "length"]] {
            assert_eq!(rule_for("MATOCL_FUSE_GETATTR", &path), None);
        }
        assert_eq!(rule_for("MATOCL_FUSE_GETATTR", &["msgid"]), None);
    }

    #[test]
    fn the_documentation_holds_the_current_table() {
        let doc = include_str!("../../../docs/conformance-replay.md");
        assert!(
            doc.contains(&markdown_table()),
            "docs/conformance-replay.md must hold:\n{}",
            markdown_table()
        );
    }
}
