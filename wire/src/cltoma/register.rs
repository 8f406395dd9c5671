//! `CLTOMA_FUSE_REGISTER`: how mounts and tools open, resume and close a
//! session.
//!
//! The payload starts with a 64-byte blob naming the dialect. Current
//! clients send the ACL blob followed by an `rcode:8` that selects the
//! request; the two older blobs are kept so captures of ancient clients
//! still decode (a 3.0.117 master refuses them).

use bytes::BytesMut;

use crate::codec::{malformed, Bytes32, Ctx, Parsed, Wire};
use crate::messages;
use crate::version::Version;

/// Blob of every client since 1.6.x, followed by an `rcode:8`.
pub const BLOB_ACL: &[u8; 64] = b"DjI1GAQDULI5d2YjA26ypc3ovkhjvhciTQVx3CS4nYgtBoUcsljiVpsErJENHaw0";
/// Blob of mounts from before ACL support: `clientid:32 [ version:32 ]`.
pub const BLOB_NOACL: &[u8; 64] =
    b"kFh9mdZsR84l5e675v8bi54VfXaXSYozaU3DSz9AsLLtOtKipzb9aQNkxeOISx64";
/// Blob of tools from before ACL support, with nothing after it.
pub const BLOB_TOOLS_NOACL: &[u8; 64] =
    b"kFh9mdZsR84l5e675v8bi54VfXaXSYozaU3DSz9AsLLtOtKipzb9aQNkxeOISx63";

/// The `rcode` values after [`BLOB_ACL`] (`REGISTER_*`).
pub mod rcode {
    pub const GETRANDOM: u8 = 1;
    pub const NEWSESSION: u8 = 2;
    pub const RECONNECT: u8 = 3;
    pub const TOOLS: u8 = 4;
    pub const NEWMETASESSION: u8 = 5;
    pub const CLOSESESSION: u8 = 6;
}

/// The session a client asks to take over: `sessionid:32 [ metaid:64 ]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct PreviousSession {
    pub sessionid: u32,
    /// Metadata id the session belonged to; the master refuses a mismatch.
    pub metaid: Option<u64>,
}

/// `version:32 ileng:32 info:ilengB [ pleng:32 path:plengB ] [ sessionid:32 [ metaid:64 ] ] [ passcode:16B ]`
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct NewSession {
    pub version: Version,
    /// Free text describing the mount (`mfsmount` sends its mount point).
    pub info: Bytes32,
    /// Exported subfolder to mount; `None` for a meta session.
    pub path: Option<Bytes32>,
    pub previous: Option<PreviousSession>,
    /// `md5(random[0..16] ++ md5(password) ++ random[16..32])`.
    pub passcode: Option<[u8; 16]>,
}

/// What follows [`BLOB_ACL`] and its rcode, or one of the legacy forms.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum RegisterRequest {
    /// `rcode:8` (1) — asks for the 32 random bytes a password is mixed with.
    GetRandom,
    /// rcode 2 (`path` present) or 5 (`path` absent, meta session).
    NewSession(NewSession),
    /// `rcode:8 sessionid:32 version:32 [ metaid:64 ]` (3) — a mount resumes its session.
    Reconnect {
        sessionid: u32,
        version: Version,
        metaid: Option<u64>,
    },
    /// `rcode:8 sessionid:32 version:32 [ metaid:64 ]` (4) — a tool borrows a mount's session.
    Tools {
        sessionid: u32,
        version: Version,
        metaid: Option<u64>,
    },
    /// `rcode:8 sessionid:32 [ metaid:64 ]` (6)
    CloseSession { sessionid: u32, metaid: Option<u64> },
    /// [`BLOB_NOACL`] `clientid:32 [ version:32 ]`
    LegacyMount { clientid: u32, version: Option<u32> },
    /// [`BLOB_TOOLS_NOACL`] alone.
    LegacyTools,
}

/// Splits what follows info/path by its length, as the master does:
/// 0, 4 or 12 bytes of previous session, then 0 or 16 of passcode.
fn decode_resume(
    input: &[u8],
    ctx: Ctx,
) -> Parsed<'_, (Option<PreviousSession>, Option<[u8; 16]>)> {
    let with_passcode = matches!(input.len(), 16 | 20 | 28);
    let (input, previous) = match input.len() {
        0 | 16 => (input, None),
        4 | 20 => {
            let (input, sessionid) = u32::decode(input, ctx)?;
            let metaid = None;
            (input, Some(PreviousSession { sessionid, metaid }))
        }
        12 | 28 => {
            let (input, sessionid) = u32::decode(input, ctx)?;
            let (input, metaid) = u64::decode(input, ctx)?;
            let metaid = Some(metaid);
            (input, Some(PreviousSession { sessionid, metaid }))
        }
        _ => return Err(malformed(input)),
    };
    if with_passcode {
        let (input, passcode) = <[u8; 16]>::decode(input, ctx)?;
        return Ok((input, (previous, Some(passcode))));
    }
    Ok((input, (previous, None)))
}

fn decode_acl(input: &[u8], ctx: Ctx) -> Parsed<'_, RegisterRequest> {
    let (input, code) = u8::decode(input, ctx)?;
    match code {
        rcode::GETRANDOM => Ok((input, RegisterRequest::GetRandom)),
        rcode::NEWSESSION | rcode::NEWMETASESSION => {
            let (input, version) = Version::decode(input, ctx)?;
            let (input, info) = Bytes32::decode(input, ctx)?;
            let (input, path) = if code == rcode::NEWSESSION {
                let (input, path) = Bytes32::decode(input, ctx)?;
                (input, Some(path))
            } else {
                (input, None)
            };
            let (input, (previous, passcode)) = decode_resume(input, ctx)?;
            let request = NewSession {
                version,
                info,
                path,
                previous,
                passcode,
            };
            Ok((input, RegisterRequest::NewSession(request)))
        }
        rcode::RECONNECT | rcode::TOOLS => {
            let (input, sessionid) = u32::decode(input, ctx)?;
            let (input, version) = Version::decode(input, ctx)?;
            let (input, metaid) = Option::<u64>::decode(input, ctx)?;
            let request = if code == rcode::RECONNECT {
                RegisterRequest::Reconnect {
                    sessionid,
                    version,
                    metaid,
                }
            } else {
                RegisterRequest::Tools {
                    sessionid,
                    version,
                    metaid,
                }
            };
            Ok((input, request))
        }
        rcode::CLOSESESSION => {
            let (input, sessionid) = u32::decode(input, ctx)?;
            let (input, metaid) = Option::<u64>::decode(input, ctx)?;
            Ok((input, RegisterRequest::CloseSession { sessionid, metaid }))
        }
        _ => Err(malformed(input)),
    }
}

impl Wire for RegisterRequest {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        let (input, blob) = <[u8; 64]>::decode(input, ctx)?;
        if &blob == BLOB_ACL {
            decode_acl(input, ctx)
        } else if &blob == BLOB_NOACL {
            let (input, clientid) = u32::decode(input, ctx)?;
            let (input, version) = Option::<u32>::decode(input, ctx)?;
            Ok((input, RegisterRequest::LegacyMount { clientid, version }))
        } else if &blob == BLOB_TOOLS_NOACL {
            Ok((input, RegisterRequest::LegacyTools))
        } else {
            Err(malformed(input))
        }
    }

    fn encode(&self, out: &mut BytesMut) {
        match self {
            RegisterRequest::LegacyMount { clientid, version } => {
                BLOB_NOACL.encode(out);
                clientid.encode(out);
                version.encode(out);
                return;
            }
            RegisterRequest::LegacyTools => {
                BLOB_TOOLS_NOACL.encode(out);
                return;
            }
            _ => BLOB_ACL.encode(out),
        }
        match self {
            RegisterRequest::GetRandom => rcode::GETRANDOM.encode(out),
            RegisterRequest::NewSession(request) => {
                let code = match request.path {
                    Some(_) => rcode::NEWSESSION,
                    None => rcode::NEWMETASESSION,
                };
                code.encode(out);
                request.version.encode(out);
                request.info.encode(out);
                request.path.encode(out);
                if let Some(previous) = &request.previous {
                    previous.sessionid.encode(out);
                    previous.metaid.encode(out);
                }
                request.passcode.encode(out);
            }
            RegisterRequest::Reconnect {
                sessionid,
                version,
                metaid,
            } => {
                rcode::RECONNECT.encode(out);
                sessionid.encode(out);
                version.encode(out);
                metaid.encode(out);
            }
            RegisterRequest::Tools {
                sessionid,
                version,
                metaid,
            } => {
                rcode::TOOLS.encode(out);
                sessionid.encode(out);
                version.encode(out);
                metaid.encode(out);
            }
            RegisterRequest::CloseSession { sessionid, metaid } => {
                rcode::CLOSESESSION.encode(out);
                sessionid.encode(out);
                metaid.encode(out);
            }
            RegisterRequest::LegacyMount { .. } | RegisterRequest::LegacyTools => {}
        }
    }
}

messages! {
    /// `blob:64B ...` — the rest depends on the blob and, after the ACL blob, on `rcode:8`:
    /// `rcode:8` (REGISTER_GETRANDOM)
    /// `rcode:8 version:32 ileng:32 info:ilengB pleng:32 path:plengB [ sessionid:32 [ metaid:64 ] ] [ passcode:16B ]` (REGISTER_NEWSESSION)
    /// `rcode:8 sessionid:32 version:32 [ metaid:64 ]` (REGISTER_RECONNECT, REGISTER_TOOLS)
    /// `rcode:8 version:32 ileng:32 info:ilengB [ sessionid:32 [ metaid:64 ] ] [ passcode:16B ]` (REGISTER_NEWMETASESSION)
    /// `rcode:8 sessionid:32 [ metaid:64 ]` (REGISTER_CLOSESESSION)
    /// `clientid:32 [ version:32 ]` (FUSE_REGISTER_BLOB_NOACL), nothing (FUSE_REGISTER_BLOB_TOOLS_NOACL)
    FuseRegister = 400 CLTOMA_FUSE_REGISTER { request: RegisterRequest }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{decode_payload, Message};

    fn acl(rest: &[u8]) -> Vec<u8> {
        let mut bytes = BLOB_ACL.to_vec();
        bytes.extend_from_slice(rest);
        bytes
    }

    #[test]
    fn resume_fields_are_told_apart_by_length() {
        let mut body = vec![rcode::NEWSESSION, 0, 3, 0, 0xea];
        body.extend_from_slice(&[0, 0, 0, 2, b'/', 0]); // info
        body.extend_from_slice(&[0, 0, 0, 2, b'/', 0]); // path
        body.extend_from_slice(&[0, 0, 0, 9]); // sessionid
        body.extend_from_slice(&[7; 16]); // passcode
        let message: FuseRegister = decode_payload(&acl(&body), Ctx::default()).unwrap();
        let RegisterRequest::NewSession(request) = message.request else {
            panic!("not a new session: {message:?}");
        };
        assert_eq!(request.version, Version::MOOSEFS_3_0_117);
        assert_eq!(
            request.previous,
            Some(PreviousSession {
                sessionid: 9,
                metaid: None
            })
        );
        assert_eq!(request.passcode, Some([7; 16]));
    }

    #[test]
    fn meta_sessions_have_no_path() {
        let mut body = vec![rcode::NEWMETASESSION, 0, 3, 0, 0xea, 0, 0, 0, 1, 0];
        body.extend_from_slice(&[0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 6]);
        let message: FuseRegister = decode_payload(&acl(&body), Ctx::default()).unwrap();
        let RegisterRequest::NewSession(request) = &message.request else {
            panic!("not a new session: {message:?}");
        };
        assert_eq!(request.path, None);
        assert_eq!(request.previous.and_then(|p| p.metaid), Some(6));
        assert_eq!(&message.to_frame().payload[..], &acl(&body)[..]);
    }

    #[test]
    fn odd_resume_lengths_and_unknown_rcodes_are_refused() {
        let mut body = vec![rcode::NEWMETASESSION, 0, 3, 0, 0xea, 0, 0, 0, 0];
        body.extend_from_slice(&[1, 2, 3]);
        assert!(decode_payload::<FuseRegister>(&acl(&body), Ctx::default()).is_err());
        assert!(decode_payload::<FuseRegister>(&acl(&[9]), Ctx::default()).is_err());
        assert!(decode_payload::<FuseRegister>(&[0; 65], Ctx::default()).is_err());
    }

    #[test]
    fn legacy_blobs_decode() {
        let mut bytes = BLOB_NOACL.to_vec();
        bytes.extend_from_slice(&[0, 0, 0, 1]);
        let message: FuseRegister = decode_payload(&bytes, Ctx::default()).unwrap();
        assert_eq!(
            message.request,
            RegisterRequest::LegacyMount {
                clientid: 1,
                version: None
            }
        );
    }
}
