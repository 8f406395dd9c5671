//! The fields that may legitimately differ between a captured answer and
//! a replayed one, and how each is compared instead of for equality.
//!
//! A field is named by a path of field names from the message down
//! (`MATOCL_FUSE_LOOKUP.reply.attr.mtime`). A selector is a message name
//! (or `*` for any) and the path's last segments, so `*.attr.mtime`
//! covers the modification time of every attribute record in every answer.
//! List positions (`[3]`) are not part of what selectors match. The first
//! rule with a matching selector decides, so a rule for one message's field
//! comes before a `*` rule the same field name would otherwise fall under.
//! Every field no rule names is compared for equality. The table in
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
    /// The same shape on both sides (the same variants, list lengths and
    /// fields), the numbers in it not compared.
    Counts,
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
            "ANTOCL_CHART_DATA.time",
        ],
        why: "the server's clock, when and how fast it last saved metadata, and the minute its newest chart entry stands for",
    },
    Rule {
        name: "chart samples",
        treatment: Treatment::Counts,
        selectors: &["ANTOCL_CHART_DATA.values.items"],
        why: "a chart holds the master's samples, one a minute: whether the newest minute has one yet depends on when in the minute it is asked",
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
        name: "chunkserver addresses",
        treatment: Treatment::Id(IdKind::Chunkserver),
        selectors: &["MATOCL_CSERV_LIST.ip"],
        why: "the target's chunkservers have addresses of their own; bound by their place in the list (the master orders it by a hash of the address), so a request naming a captured chunkserver (CSSERV_COMMAND) names the target's",
    },
    Rule {
        name: "chunkserver ids",
        treatment: Treatment::Id(IdKind::Csid),
        selectors: &["MATOCL_CSERV_LIST.csid"],
        why: "numbered by the master in the order the chunkservers first registered, which they race for",
    },
    Rule {
        name: "addresses",
        treatment: Treatment::Free,
        selectors: &["*.ip", "*.port", "*.leaderip", "*.fromip", "*.toip"],
        why: "where the target's chunkservers, metaloggers and clients are; the master also picks chunkservers for new chunks at random",
    },
    Rule {
        name: "chunk copies",
        treatment: Treatment::Free,
        selectors: &[
            "MATOCL_FUSE_READ_CHUNK.servers",
            "MATOCL_FUSE_WRITE_CHUNK.servers",
            "*.chunk.servers",
            "*.copies",
            "MATOCL_FUSE_CHECK.reply",
            "MATOCL_INFO.chunkcopies",
            "MATOCL_INFO.tdcopies",
            "MATOCL_CSERV_LIST.chunks",
            "MATOCL_MEMORY_INFO.cs_lists.used",
        ],
        why: "which chunkservers hold a chunk, and how many, follows replication, which the master runs on its own timers as chunkservers allow, and chunkservers report what they hold on timers of their own; the replay does not move chunk data",
    },
    Rule {
        name: "chunk states",
        treatment: Treatment::Counts,
        selectors: &["MATOCL_CHUNKS_MATRIX.ChunkMatrix", "MATOCL_SCLASS_INFO.chunks"],
        why: "chunks counted by goal and valid copies, or by storage class and whether they are under, at or over their goal, move between the cells as replication and the chunk loop go on",
    },
    Rule {
        name: "chunk loop",
        treatment: Treatment::Free,
        selectors: &[
            "MATOCL_INFO.chunks",
            "MATOCL_MEMORY_INFO.chunk_hash.used",
            "MATOCL_MEMORY_INFO.chunks.used",
        ],
        why: "the master forgets the chunks of deleted files once its chunk loop, on its own timer, has had their copies deleted",
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
            "MATOCL_CSERV_LIST.used",
            "MATOCL_CSERV_LIST.total",
        ],
        why: "the size and use of the target's chunkserver disks, as the chunkservers last reported them",
    },
    Rule {
        name: "chunkserver load",
        treatment: Treatment::Free,
        selectors: &["MATOCL_CSERV_LIST.load"],
        why: "the jobs a chunkserver had running when it last reported, on its own timer; replication and deletions the master starts on its timers keep it busy at moments a replay cannot copy",
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
    Rule {
        name: "change count",
        treatment: Treatment::Free,
        selectors: &["MATOCL_INFO.meta_version"],
        why: "counts every change the master logged, among them some whose timing a replay cannot copy: atime updates, logged only when the clock has moved on since the node changed (the replay does in seconds what took the capture a minute), the chunk loop's deletions, and sessions it finds closed",
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
            Treatment::Counts => "same shape, counts free".to_owned(),
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
    fn a_message_s_own_rule_comes_before_a_general_one() {
        let entry = ["servers", "Typed", "CservTable", "Rest"];
        let field = |name: &'static str| [&entry[..], &[name]].concat();
        assert_eq!(
            rule_for("MATOCL_CSERV_LIST", &field("ip")).map(|r| r.treatment),
            Some(Treatment::Id(IdKind::Chunkserver))
        );
        assert_eq!(
            rule_for("MATOCL_SESSION_LIST", &["table", "Rest", "ip"]).map(|r| r.name),
            Some("addresses")
        );
        // A chunkserver's state and version are compared; only what the
        // chunk copies and disks decide is free.
        for exact in ["flags", "major", "minor", "errorcount", "labelmask"] {
            assert_eq!(
                rule_for("MATOCL_CSERV_LIST", &field(exact)),
                None,
                "{exact}"
            );
        }
        assert!(rule_for("MATOCL_CSERV_LIST", &field("chunks")).is_some());
        // The whole list is not free as chunk locations are.
        assert_eq!(rule_for("MATOCL_CSERV_LIST", &["servers"]), None);
    }

    #[test]
    fn chunk_state_counts_keep_their_shape_and_neighbours() {
        let matrix = ["matrices", "matrices", "ChunkMatrix"];
        assert_eq!(
            rule_for("MATOCL_CHUNKS_MATRIX", &matrix).map(|r| r.treatment),
            Some(Treatment::Counts)
        );
        assert_eq!(
            rule_for("MATOCL_CHUNKS_MATRIX", &["matrices", "progress"]),
            None
        );
        assert_eq!(
            rule_for("MATOCL_SCLASS_INFO", &["classes", "Rest", "files"]),
            None
        );
        // Of the memory pools only the chunk ones' use is free.
        assert!(rule_for("MATOCL_MEMORY_INFO", &["pools", "cs_lists", "used"]).is_some());
        assert_eq!(
            rule_for("MATOCL_MEMORY_INFO", &["pools", "cs_lists", "allocated"]),
            None
        );
        assert_eq!(
            rule_for("MATOCL_MEMORY_INFO", &["pools", "nodes", "used"]),
            None
        );
    }

    #[test]
    fn fields_no_rule_names_are_compared_exactly() {
        for path in [["reply", "attr", "mode"], ["reply", "attr", "length"]] {
            assert_eq!(rule_for("MATOCL_FUSE_GETATTR", &path), None);
        }
        assert_eq!(rule_for("MATOCL_FUSE_GETATTR", &["msgid"]), None);
        let chart = rule_for("ANTOCL_CHART_DATA", &["series", "values", "items"]);
        assert_eq!(chart.map(|rule| rule.name), Some("chart samples"));
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
