//! Messages any MooseFS module may send to any other (`ANTOAN_*`), plus the
//! metadata-download and config queries shared by the master's listeners.
//!
//! Several of them carry a `msgid:32` only on the client channel; whether it
//! is there follows from the request, not from the bytes, so those answers
//! keep their body raw and offer a typed reading given that knowledge.

use crate::codec::{Name, Tail};
use crate::messages;

messages! {
    /// `[ msgid:32 ]` — keep-alive; the master adds a zero msgid on the client channel.
    Nop = 0 ANTOAN_NOP { msgid: Option<u32> }

    /// `[ msgid:32 ] cmdno:32 size:32 version:32` — the peer did not know a command.
    UnknownCommand = 1 ANTOAN_UNKNOWN_COMMAND { body: Tail }

    /// `[ msgid:32 ] cmdno:32 size:32 version:32` — a command arrived with a wrong size.
    BadCommandSize = 2 ANTOAN_BAD_COMMAND_SIZE { body: Tail }

    /// `[ msgid:32 ]` — asks the peer for its version.
    GetVersion = 10 ANTOAN_GET_VERSION { msgid: Option<u32> }

    /// `[ msgid:32 ] version:32 strversion:string` — msgid present iff the request had one.
    VersionAnswer = 11 ANTOAN_VERSION { body: Tail }

    /// `msgid:32 option_name:NAME` — asks the master for a config value.
    GetConfig = 80 ANTOAN_GET_CONFIG { msgid: u32, option: Name }

    /// `msgid:32 option_value:NAME`
    ConfigValue = 81 ANTOAN_CONFIG_VALUE { msgid: u32, value: Name }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::Ctx;
    use crate::message::{decode_payload, DecodeError, Message};

    #[test]
    fn nop_msgid_is_optional() {
        let empty: Nop = decode_payload(&[], Ctx::default()).unwrap();
        assert_eq!(empty.msgid, None);
        let with: Nop = decode_payload(&[0, 0, 0, 0], Ctx::default()).unwrap();
        assert_eq!(with.msgid, Some(0));
        assert_eq!(Nop::NAME, "ANTOAN_NOP");
    }

    #[test]
    fn leftover_bytes_are_an_error() {
        let err = decode_payload::<GetConfig>(&[0, 0, 0, 1, 1, b'x', 9], Ctx::default());
        assert_eq!(
            err,
            Err(DecodeError::Trailing {
                message: "ANTOAN_GET_CONFIG",
                extra: 1,
                len: 7
            })
        );
    }
}
