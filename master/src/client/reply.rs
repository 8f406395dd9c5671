//! Small answers that need no namespace access, and the generic refusal
//! for requests this master does not serve yet.

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::{BufMut, BytesMut};
use mooseng_wire::antoan::VersionAnswer;
use mooseng_wire::direction::ClientToMaster;
use mooseng_wire::matocl::{FuseFsyncReply, FuseTimeSyncReply, TimeStamp};
use mooseng_wire::message::Message;
use mooseng_wire::{Frame, Status, Tail};

use super::{Action, MASTER_VERSION};

pub(super) fn reply(message: impl Message) -> Action {
    Action::Reply(message.to_frame())
}

/// `msgid:32 status:8` under the answer code of `request_code`: every
/// `CLTOMA_FUSE_*` answer takes this shape on failure, and its code is the
/// request's plus one.
pub fn generic_status(request_code: u32, msgid: u32, status: Status) -> Frame {
    let mut out = BytesMut::with_capacity(5);
    out.put_u32(msgid);
    out.put_u8(status.0);
    Frame::new(request_code + 1, out.freeze())
}

/// A request this master does not implement: refused with ENOTSUP so the
/// caller gets an error instead of waiting forever.
pub(super) fn unsupported(message: &ClientToMaster) -> Action {
    tracing::warn!(command = message.name(), "request not supported yet");
    refuse(message, Status::ENOTSUP)
}

/// MFSMETA mounts (trash and sustained files) are registered but their
/// requests are not served yet.
pub(super) fn meta_unsupported(message: &ClientToMaster) -> Action {
    tracing::warn!(
        command = message.name(),
        "meta session request not supported yet"
    );
    refuse(message, Status::ENOTSUP)
}

pub(super) fn refuse(message: &ClientToMaster, status: Status) -> Action {
    let mut payload = BytesMut::new();
    message.encode_payload(&mut payload);
    match payload.get(..4) {
        Some(id) => {
            let msgid = u32::from_be_bytes([id[0], id[1], id[2], id[3]]);
            Action::Reply(generic_status(message.code(), msgid, status))
        }
        None => Action::Nothing,
    }
}

/// `ANTOAN_VERSION`: `[ msgid:32 ] version:32 strversion`.
pub(super) fn version(msgid: Option<u32>) -> Action {
    let mut body = BytesMut::new();
    if let Some(msgid) = msgid {
        body.put_u32(msgid);
    }
    body.put_u32(MASTER_VERSION.0);
    body.put_slice(MASTER_VERSION.to_string().as_bytes());
    reply(VersionAnswer {
        body: Tail(body.freeze()),
    })
}

/// Metadata lives in memory and every change is applied before it is
/// answered, so there is nothing to flush.
pub(super) fn fsync(msgid: u32) -> Action {
    reply(FuseFsyncReply {
        msgid,
        status: Status::OK,
    })
}

/// The master's clock in microseconds; the msgid is echoed when sent.
pub(super) fn time_sync(msgid: Option<u32>) -> Action {
    let micros = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
    reply(FuseTimeSyncReply {
        stamp: TimeStamp { msgid, micros },
    })
}
