//! Questions and commands the administration tools (`mfscli`, the CGI,
//! `mfscheckfile`-style tools) send to the master on port 9421 without
//! registering a session.
//!
//! Several answers have a layout chosen by a byte of the request (`vmode`,
//! `matrix_id`, `mode`): the request types keep those bytes optional exactly
//! as the master reads them (absent = the oldest layout).

use std::net::Ipv4Addr;

use bytes::BytesMut;

use crate::codec::{malformed, Ctx, Parsed, Rest, Wire};
use crate::messages;
use crate::variants::LeadingMsgid;

/// `MFS_CSSERV_COMMAND_*`: what `CLTOMA_CSSERV_COMMAND` asks the master to do.
pub mod csserv_command {
    pub const REMOVE: u8 = 0;
    pub const BACKTOWORK: u8 = 1;
    pub const MAINTENANCEON: u8 = 2;
    pub const MAINTENANCEOFF: u8 = 3;
}

/// `MFS_SESSION_COMMAND_REMOVE`, the only session command.
pub const SESSION_COMMAND_REMOVE: u8 = 0;

messages! {
    /// `-`
    CservList = 500 CLTOMA_CSERV_LIST {}

    /// `[ vmode:8 ]` — mfscli 3.0.117 sends vmode 4 to a 3.0.117 master; the
    /// master treats any vmode above 4 as 4.
    SessionList = 508 CLTOMA_SESSION_LIST { vmode: Option<u8> }

    /// `-`
    Info = 510 CLTOMA_INFO {}

    /// `[ version:8 ]` — any byte asks for the answer with the trash and
    /// sustained missing-file counters; mfscli 3.0.117 sends 0.
    FstestInfo = 512 CLTOMA_FSTEST_INFO { version: Option<u8> }

    /// `-`
    ChunkstestInfo = 514 CLTOMA_CHUNKSTEST_INFO {}

    /// `[ matrix_id:8 ]` — with the byte the master sends that one matrix,
    /// without it (mfscli 3.0.117) both matrices and a progress byte.
    ChunksMatrix = 516 CLTOMA_CHUNKS_MATRIX { matrix_id: Option<u8> }

    /// `-`
    QuotaInfo = 518 CLTOMA_QUOTA_INFO {}

    /// `[ vmode:8 ]` — mfscli 3.0.117 sends vmode 3 to a 3.0.117 master; the
    /// master treats any vmode above 3 as 3.
    ExportsInfo = 520 CLTOMA_EXPORTS_INFO { vmode: Option<u8> }

    /// `-`
    MlogList = 522 CLTOMA_MLOG_LIST {}

    /// `ip:32 port:16` (version < 1.6.28, means "remove")
    /// `commandid:8 ip:32 port:16` (version >= 1.6.28)
    CsservCommand = 524 CLTOMA_CSSERV_COMMAND { command: CsservCommandArgs }

    /// `commandid:8 sessionid:32`
    SessionCommand = 526 CLTOMA_SESSION_COMMAND { command: u8, sessionid: u32 }

    /// `-`
    MemoryInfo = 528 CLTOMA_MEMORY_INFO {}

    /// `[ msgid:32 ] sessionid:32` — sessionid 0 lists the files of every session.
    ListOpenFiles = 532 CLTOMA_LIST_OPEN_FILES { msgid: LeadingMsgid<4>, sessionid: u32 }

    /// `[ msgid:32 ] inode:32` — inode 0 lists the locks of every inode.
    ListAcquiredLocks = 534 CLTOMA_LIST_ACQUIRED_LOCKS {
        msgid: LeadingMsgid<4>,
        inode: u32,
    }

    /// `N*[ inode:32 ]`
    MassResolvePaths = 536 CLTOMA_MASS_RESOLVE_PATHS { inodes: Rest<u32> }

    /// `-`
    SclassInfo = 542 CLTOMA_SCLASS_INFO {}

    /// `[ mode:8 ]` — mode 1 (mfscli 3.0.117) adds the type of each missing chunk.
    MissingChunks = 544 CLTOMA_MISSING_CHUNKS { mode: Option<u8> }

    /// `[ msgid:32 ] inode:32 maxentries:32 continueid:64`
    NodeInfo = 546 CLTOMA_NODE_INFO {
        msgid: LeadingMsgid<16>,
        inode: u32,
        maxentries: u32,
        continueid: u64,
    }
}

/// The body of `CLTOMA_CSSERV_COMMAND`, whose form the master picks by
/// length: 6 bytes is the old "remove this server", 7 bytes carries a command.
/// The form also decides whether the answer carries a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum CsservCommandArgs {
    /// `ip:32 port:16`
    LegacyRemove { ip: Ipv4Addr, port: u16 },
    /// `commandid:8 ip:32 port:16`, `commandid` one of [`csserv_command`].
    Command {
        command: u8,
        ip: Ipv4Addr,
        port: u16,
    },
}

impl Wire for CsservCommandArgs {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        match input.len() {
            6 => {
                let (input, ip) = Ipv4Addr::decode(input, ctx)?;
                let (input, port) = u16::decode(input, ctx)?;
                Ok((input, CsservCommandArgs::LegacyRemove { ip, port }))
            }
            7 => {
                let (input, command) = u8::decode(input, ctx)?;
                let (input, ip) = Ipv4Addr::decode(input, ctx)?;
                let (input, port) = u16::decode(input, ctx)?;
                Ok((input, CsservCommandArgs::Command { command, ip, port }))
            }
            _ => Err(malformed(input)),
        }
    }

    fn encode(&self, out: &mut BytesMut) {
        match *self {
            CsservCommandArgs::LegacyRemove { ip, port } => {
                ip.encode(out);
                port.encode(out);
            }
            CsservCommandArgs::Command { command, ip, port } => {
                command.encode(out);
                ip.encode(out);
                port.encode(out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::decode_payload;

    #[test]
    fn csserv_command_form_follows_the_length() {
        let old: CsservCommand =
            decode_payload(&[10, 0, 0, 1, 0x24, 0xce], Ctx::default()).unwrap();
        assert_eq!(
            old.command,
            CsservCommandArgs::LegacyRemove {
                ip: Ipv4Addr::new(10, 0, 0, 1),
                port: 9422
            }
        );
        let new: CsservCommand =
            decode_payload(&[2, 10, 0, 0, 1, 0x24, 0xce], Ctx::default()).unwrap();
        assert_eq!(
            new.command,
            CsservCommandArgs::Command {
                command: csserv_command::MAINTENANCEON,
                ip: Ipv4Addr::new(10, 0, 0, 1),
                port: 9422
            }
        );
        assert!(decode_payload::<CsservCommand>(&[0; 5], Ctx::default()).is_err());
    }

    #[test]
    fn node_info_msgid_is_present_in_the_20_byte_form() {
        let mut long = vec![0, 0, 0, 0];
        long.extend_from_slice(&[0, 0, 0, 1, 0, 0, 1, 0xf4, 0, 0, 0, 0, 0, 0, 0, 0]);
        let with: NodeInfo = decode_payload(&long, Ctx::default()).unwrap();
        assert_eq!(
            (with.msgid.0, with.inode, with.maxentries),
            (Some(0), 1, 500)
        );
        let without: NodeInfo = decode_payload(&long[4..], Ctx::default()).unwrap();
        assert_eq!((without.msgid.0, without.inode), (None, 1));
    }
}
