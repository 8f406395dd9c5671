//! The (direction, message) pairs that no MooseFS 3.0.117 program sends,
//! and why, as read in the source at tag `v3.0.117`.
//!
//! "The programs" are the ones Debian ships and the corpus captures:
//! mfsmaster, mfschunkserver, mfsmount with the mfs tools it proxies,
//! mfscli and mfsmetalogger. A pair listed here cannot appear in a capture
//! of them, so `docs/protocol.md` gives the reason instead of a frame count
//! and leaves the pair out of the coverage figure; the corpus test checks
//! that no listed pair shows up in the corpus and that every pair missing
//! from it is listed.

use mooseng_wire::Direction;

/// Why a message is never sent in one direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// Receivers handle it, but no program has code that builds it.
    NoSender,
    /// Code that builds it exists but is never reached.
    Unreachable,
    /// The answer to a request that is itself never sent.
    AnswerToUnsent,
    /// Only the CGI (`chart.cgi`, package moosefs-cgi) asks for it, and
    /// the CGI is not one of the programs.
    CgiOnly,
}

impl Why {
    /// The words the protocol page uses for the reason.
    pub fn label(self) -> &'static str {
        match self {
            Why::NoSender => "no sender",
            Why::Unreachable => "unreachable sender",
            Why::AnswerToUnsent => "answer to an unsent request",
            Why::CgiOnly => "CGI only",
        }
    }
}

/// One reason, for one message in each of the listed directions.
#[derive(Debug, Clone, Copy)]
pub struct Unsent {
    pub directions: &'static [Direction],
    pub name: &'static str,
    pub why: Why,
    /// Where the source shows it.
    pub detail: &'static str,
}

/// The reason `name` is never sent in `direction`, if it never is.
pub fn reason(direction: Direction, name: &str) -> Option<&'static Unsent> {
    UNSENT
        .iter()
        .find(|row| row.name == name && row.directions.contains(&direction))
}

const REQUESTS: &[Direction] = &[
    Direction::ClientToMaster,
    Direction::ChunkserverToMaster,
    Direction::ToChunkserver,
    Direction::MetaloggerToMaster,
];
const ANSWERS: &[Direction] = &[
    Direction::MasterToClient,
    Direction::MasterToChunkserver,
    Direction::FromChunkserver,
    Direction::MasterToMetalogger,
];
const PEER_REQUESTS: &[Direction] = &[
    Direction::ChunkserverToMaster,
    Direction::ToChunkserver,
    Direction::MetaloggerToMaster,
];
const CLIENT_ASKS: &[Direction] = &[Direction::ClientToMaster, Direction::ToChunkserver];
const ANSWERS_TO_CLIENT: &[Direction] = &[Direction::MasterToClient, Direction::FromChunkserver];

/// Every pair the programs never send. Kept in the order of the page.
pub const UNSENT: &[Unsent] = &[
    Unsent {
        directions: &Direction::ALL,
        name: "ANTOAN_UNKNOWN_COMMAND",
        why: Why::NoSender,
        detail: "every receiver skips it (\"for future use\"); no program builds one",
    },
    Unsent {
        directions: &Direction::ALL,
        name: "ANTOAN_BAD_COMMAND_SIZE",
        why: Why::NoSender,
        detail: "every receiver skips it (\"for future use\"); no program builds one",
    },
    Unsent {
        directions: REQUESTS,
        name: "ANTOAN_GET_VERSION",
        why: Why::NoSender,
        detail: "master and chunkserver answer it; no program asks",
    },
    Unsent {
        directions: ANSWERS,
        name: "ANTOAN_VERSION",
        why: Why::AnswerToUnsent,
        detail: "answers ANTOAN_GET_VERSION",
    },
    Unsent {
        directions: &[Direction::ClientToMaster],
        name: "ANTOAN_GET_CONFIG",
        why: Why::Unreachable,
        detail: "mfsmount's fs_get_cfg (mfsclient/mastercomm.c) has no caller",
    },
    Unsent {
        directions: PEER_REQUESTS,
        name: "ANTOAN_GET_CONFIG",
        why: Why::NoSender,
        detail: "master and chunkserver answer it; no program asks",
    },
    Unsent {
        directions: ANSWERS,
        name: "ANTOAN_CONFIG_VALUE",
        why: Why::AnswerToUnsent,
        detail: "answers ANTOAN_GET_CONFIG",
    },
    Unsent {
        directions: &[Direction::ClientToMaster],
        name: "CLTOMA_FUSE_PARENTS",
        why: Why::NoSender,
        detail: "mfsmaster answers it; neither mfsmount nor the mfs tools ask",
    },
    Unsent {
        directions: &[Direction::ClientToMaster],
        name: "CLTOMA_FUSE_FSYNC",
        why: Why::Unreachable,
        detail: "fs_fsync_send in mfsclient/mastercomm.c is commented out",
    },
    Unsent {
        directions: &[Direction::ClientToMaster],
        name: "CLTOMA_FUSE_SUSTAINED_INODES_DEPRECATED",
        why: Why::Unreachable,
        detail: "mfsmount sends it only to masters before 3.0.74, \
                 CLTOMA_FUSE_SUSTAINED_INODES to 3.0.117",
    },
    Unsent {
        directions: CLIENT_ASKS,
        name: "CLTOAN_MONOTONIC_DATA",
        why: Why::NoSender,
        detail: "master and chunkserver answer it; neither mfscli nor the CGI asks",
    },
    Unsent {
        directions: CLIENT_ASKS,
        name: "CLTOAN_CHART",
        why: Why::CgiOnly,
        detail: "chart.cgi's chart images; mfscli asks for CLTOAN_CHART_DATA",
    },
    Unsent {
        directions: CLIENT_ASKS,
        name: "CLTOAN_MODULE_INFO",
        why: Why::NoSender,
        detail: "master and chunkserver answer it; neither mfscli nor the CGI asks",
    },
    Unsent {
        directions: &[Direction::MasterToClient],
        name: "MATOCL_FUSE_PARENTS",
        why: Why::AnswerToUnsent,
        detail: "answers CLTOMA_FUSE_PARENTS",
    },
    Unsent {
        directions: &[Direction::MasterToClient],
        name: "MATOCL_FUSE_FSYNC",
        why: Why::AnswerToUnsent,
        detail: "answers CLTOMA_FUSE_FSYNC, which mfsmaster does not even handle",
    },
    Unsent {
        directions: ANSWERS_TO_CLIENT,
        name: "ANTOCL_MONOTONIC_DATA",
        why: Why::AnswerToUnsent,
        detail: "answers CLTOAN_MONOTONIC_DATA",
    },
    Unsent {
        directions: ANSWERS_TO_CLIENT,
        name: "ANTOCL_CHART",
        why: Why::CgiOnly,
        detail: "answers chart.cgi's CLTOAN_CHART",
    },
    Unsent {
        directions: ANSWERS_TO_CLIENT,
        name: "ANTOCL_MODULE_INFO",
        why: Why::AnswerToUnsent,
        detail: "answers CLTOAN_MODULE_INFO",
    },
    Unsent {
        directions: &[Direction::MasterToChunkserver],
        name: "MATOCS_CHUNKOP",
        why: Why::Unreachable,
        detail: "matocsserv_send_chunkop (mfsmaster/matocsserv.c) has no caller",
    },
    Unsent {
        directions: &[Direction::ChunkserverToMaster],
        name: "CSTOMA_CHUNKOP",
        why: Why::AnswerToUnsent,
        detail: "answers MATOCS_CHUNKOP",
    },
    Unsent {
        directions: &[Direction::MasterToChunkserver],
        name: "ANTOCS_GET_CHUNK_BLOCKS",
        why: Why::NoSender,
        detail: "mfsmaster never asks; the replicator and mfsfileinfo ask on port 9422",
    },
    Unsent {
        directions: &[Direction::ChunkserverToMaster],
        name: "CSTOAN_CHUNK_BLOCKS",
        why: Why::AnswerToUnsent,
        detail: "answers ANTOCS_GET_CHUNK_BLOCKS from the master",
    },
    Unsent {
        directions: &[Direction::MasterToChunkserver],
        name: "ANTOCS_GET_CHUNK_CHECKSUM",
        why: Why::Unreachable,
        detail: "matocsserv_send_chunk_checksum (\"for future use\") has no caller",
    },
    Unsent {
        directions: &[Direction::ChunkserverToMaster],
        name: "CSTOAN_CHUNK_CHECKSUM",
        why: Why::AnswerToUnsent,
        detail: "answers ANTOCS_GET_CHUNK_CHECKSUM from the master",
    },
    Unsent {
        directions: &[Direction::MasterToChunkserver],
        name: "ANTOCS_GET_CHUNK_CHECKSUM_TAB",
        why: Why::NoSender,
        detail: "mfsmaster never asks; mfsfileinfo -c asks on port 9422",
    },
    Unsent {
        directions: &[Direction::ChunkserverToMaster],
        name: "CSTOAN_CHUNK_CHECKSUM_TAB",
        why: Why::AnswerToUnsent,
        detail: "answers ANTOCS_GET_CHUNK_CHECKSUM_TAB from the master",
    },
    Unsent {
        directions: &[Direction::ToChunkserver],
        name: "ANTOCS_GET_CHUNK_CHECKSUM",
        why: Why::NoSender,
        detail: "mfsfileinfo asks for the whole table (ANTOCS_GET_CHUNK_CHECKSUM_TAB)",
    },
    Unsent {
        directions: &[Direction::FromChunkserver],
        name: "CSTOAN_CHUNK_CHECKSUM",
        why: Why::AnswerToUnsent,
        detail: "answers ANTOCS_GET_CHUNK_CHECKSUM on port 9422",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_pair_is_a_message_of_its_direction() {
        for row in UNSENT {
            for &direction in row.directions {
                assert!(
                    direction.messages().iter().any(|m| m.name == row.name),
                    "{} is not a {direction} message",
                    row.name
                );
            }
        }
    }

    #[test]
    fn no_pair_is_listed_twice() {
        let mut pairs: Vec<(Direction, &str)> = UNSENT
            .iter()
            .flat_map(|row| row.directions.iter().map(|&d| (d, row.name)))
            .collect();
        let listed = pairs.len();
        pairs.sort();
        pairs.dedup();
        assert_eq!(pairs.len(), listed);
    }

    #[test]
    fn reasons_are_found_per_direction() {
        let get_config = reason(Direction::ClientToMaster, "ANTOAN_GET_CONFIG");
        assert_eq!(get_config.map(|r| r.why), Some(Why::Unreachable));
        let from_chunkserver = reason(Direction::ChunkserverToMaster, "ANTOAN_GET_CONFIG");
        assert_eq!(from_chunkserver.map(|r| r.why), Some(Why::NoSender));
        assert!(reason(Direction::ClientToMaster, "CLTOMA_NODE_INFO").is_none());
    }
}
