//! Opening a session with the master: connect, answer the password
//! challenge, register or resume, and follow a follower's pointer to the
//! leader.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use md5::{Digest, Md5};
use mooseng_wire::cltoma::register::{FuseRegister, NewSession, PreviousSession, RegisterRequest};
use mooseng_wire::matocl::register::{FuseRegisterReply, RegisterReply};
use mooseng_wire::{Bytes32, Ctx, Direction, Status, Version};
use tokio::net::TcpStream;

use crate::frame_io;

/// The version we announce: the MooseFS release whose protocol we speak.
pub const CLIENT_VERSION: Version = Version::MOOSEFS_3_0_117;

/// How many leader redirects one registration follows before giving up.
const MAX_REDIRECTS: usize = 8;

/// What a session is opened with.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Masters to try, in order.
    pub masters: Vec<SocketAddr>,
    /// Directory of the MooseFS tree to mount (`/` for the root).
    pub subfolder: String,
    /// MD5 of the password, when the export asks for one.
    pub password_md5: Option<[u8; 16]>,
    /// Free text the master shows for the session (mfsmount sends the mount point).
    pub info: String,
    /// A meta session (trash and sustained files) instead of one on the tree;
    /// `subfolder` is then not sent.
    pub meta: bool,
}

/// What the master told us about the session.
#[derive(Debug, Clone, Copy)]
pub struct Registered {
    pub sessionid: u32,
    pub master_version: Version,
    /// `SESFLAG_*` bits: read-only export, ...
    pub sesflags: u8,
}

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("cannot reach master: {0}")]
    Io(#[from] std::io::Error),
    #[error("master refused the session: {0}")]
    Refused(&'static str),
    #[error("too many leader redirects")]
    Redirects,
}

/// A NUL-terminated string as MooseFS sends paths and labels.
fn c_string(text: &str) -> Bytes32 {
    let mut bytes = text.as_bytes().to_vec();
    bytes.push(0);
    Bytes32::new(bytes)
}

/// MooseFS's answer to a challenge: MD5 over the first half of the random
/// blob, the password's MD5, then the second half.
pub fn challenge_answer(random: &[u8; 32], password_md5: &[u8; 16]) -> [u8; 16] {
    let mut md5 = Md5::new();
    md5.update(&random[..16]);
    md5.update(password_md5);
    md5.update(&random[16..]);
    md5.finalize().into()
}

/// MD5 of a password as typed.
pub fn password_digest(password: &str) -> [u8; 16] {
    Md5::digest(password.as_bytes()).into()
}

async fn ask(stream: &mut TcpStream, request: RegisterRequest) -> std::io::Result<RegisterReply> {
    frame_io::send(stream, &FuseRegister { request }).await?;
    let frame = frame_io::read_frame(stream, Direction::MasterToClient.max_payload()).await?;
    let reply: FuseRegisterReply = frame_io::decode(&frame, Ctx::default())?;
    Ok(reply.reply)
}

fn refused(status: Status) -> RegisterError {
    RegisterError::Refused(status.message())
}

/// Opens a new session, or resumes `previous` when given, on one master
/// address. `Ok(Err(ip))` means that master is a follower pointing at `ip`.
async fn register_at(
    addr: SocketAddr,
    config: &SessionConfig,
    previous: Option<u32>,
) -> Result<(TcpStream, Result<Registered, Ipv4Addr>), RegisterError> {
    let mut stream = tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(addr))
        .await
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
    stream.set_nodelay(true)?;
    if let Some(sessionid) = previous {
        let resume = RegisterRequest::Reconnect {
            sessionid,
            version: CLIENT_VERSION,
            metaid: None,
        };
        match ask(&mut stream, resume).await? {
            RegisterReply::Reconnected { version, status } if status.is_ok() => {
                let registered = Registered {
                    sessionid,
                    master_version: version,
                    sesflags: 0,
                };
                return Ok((stream, Ok(registered)));
            }
            RegisterReply::Redirect(ip) => return Ok((stream, Err(ip))),
            _ => {}
        }
        // The master forgot the session: open a new one naming the old id
        // so it can hand over what it still keeps.
        stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
    }
    let passcode = match &config.password_md5 {
        None => None,
        Some(digest) => match ask(&mut stream, RegisterRequest::GetRandom).await? {
            RegisterReply::Random(random) => Some(challenge_answer(&random, digest)),
            RegisterReply::Redirect(ip) => return Ok((stream, Err(ip))),
            RegisterReply::Status(status) => return Err(refused(status)),
            _ => {
                return Err(RegisterError::Refused(
                    "unexpected answer to the password challenge",
                ))
            }
        },
    };
    let request = RegisterRequest::NewSession(NewSession {
        version: CLIENT_VERSION,
        info: c_string(&config.info),
        path: (!config.meta).then(|| c_string(&config.subfolder)),
        previous: previous.map(|sessionid| PreviousSession {
            sessionid,
            metaid: None,
        }),
        passcode,
    });
    match ask(&mut stream, request).await? {
        RegisterReply::Session(session) => {
            let registered = Registered {
                sessionid: session.sessionid,
                master_version: session.version,
                sesflags: session.sesflags,
            };
            Ok((stream, Ok(registered)))
        }
        RegisterReply::MetaSession(session) if config.meta => {
            let registered = Registered {
                sessionid: session.sessionid,
                master_version: session.version,
                sesflags: session.sesflags,
            };
            Ok((stream, Ok(registered)))
        }
        RegisterReply::Redirect(ip) => Ok((stream, Err(ip))),
        RegisterReply::Status(status) => Err(refused(status)),
        _ => Err(RegisterError::Refused(
            "unexpected answer to the registration",
        )),
    }
}

/// Registers with the first master that answers, following leader
/// redirects and waiting out elections.
pub async fn register(
    config: &SessionConfig,
    previous: Option<u32>,
) -> Result<(TcpStream, Registered), RegisterError> {
    let mut last = RegisterError::Refused("no master address");
    for &first in &config.masters {
        let mut addr = first;
        for _ in 0..MAX_REDIRECTS {
            match register_at(addr, config, previous).await {
                Ok((stream, Ok(registered))) => return Ok((stream, registered)),
                Ok((_, Err(ip))) if ip.is_unspecified() => {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    last = RegisterError::Redirects;
                }
                Ok((_, Err(ip))) => {
                    addr = SocketAddr::new(ip.into(), addr.port());
                    last = RegisterError::Redirects;
                }
                Err(RegisterError::Io(e)) => {
                    last = RegisterError::Io(e);
                    break;
                }
                Err(e) => return Err(e),
            }
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_answer_hashes_the_halves_around_the_digest() {
        let random: [u8; 32] = std::array::from_fn(|i| i as u8);
        let digest = password_digest("secret");
        let mut joined = random[..16].to_vec();
        joined.extend_from_slice(&digest);
        joined.extend_from_slice(&random[16..]);
        let expected: [u8; 16] = Md5::digest(&joined).into();
        assert_eq!(challenge_answer(&random, &digest), expected);
        assert_ne!(
            challenge_answer(&random, &password_digest("other")),
            expected
        );
    }

    #[test]
    fn strings_are_sent_with_a_nul() {
        assert_eq!(c_string("/a").bytes.as_ref(), b"/a\0");
    }
}
