//! The local port MooseFS's tools (`mfsgetgoal`, `mfsfileinfo`, ...) talk
//! to, as mfsmount's master proxy does. `.masterinfo` names this port; a
//! tool registers (answered here: it borrows the mount's session) and each
//! request after that goes to the master over the mount's own session, its
//! answer handed back under the tool's msgid. The tools therefore need no
//! route to the master, and keep working across reconnects and leader
//! changes, which the session follows. A request that does not decode
//! as a MooseFS client-to-master message closes the tool's connection:
//! sent on, it would make the master close the mount's session instead.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::Duration;

use bytes::BytesMut;
use mooseng_wire::cltoma::register::{FuseRegister, RegisterRequest};
use mooseng_wire::matocl::register::{FuseRegisterReply, RegisterReply};
use mooseng_wire::{Ctx, Direction, Frame, Message, Status, Version};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

use super::Master;
use crate::frame_io;

/// Largest request a tool may send (mfsmount's limit).
const MAX_TOOL_REQUEST: u32 = 50_000;
/// A tool connection idle this long is closed, as mfsmount does; the
/// tools connect again when they need to.
const IDLE: Duration = Duration::from_secs(20);

/// The listening proxy; it serves for the life of the runtime.
#[derive(Debug, Clone, Copy)]
pub struct ToolsProxy {
    addr: SocketAddrV4,
}

impl ToolsProxy {
    /// Listens on an ephemeral port of `ip` and serves every tool that
    /// connects with `master`'s session.
    pub async fn start(master: Master, ip: Ipv4Addr) -> std::io::Result<ToolsProxy> {
        let listener = TcpListener::bind((ip, 0)).await?;
        let SocketAddr::V4(addr) = listener.local_addr()? else {
            return Err(std::io::Error::other(
                "tools proxy bound to a non-IPv4 address",
            ));
        };
        tokio::spawn(accept(listener, master));
        Ok(ToolsProxy { addr })
    }

    /// Where the tools connect, as `.masterinfo` tells them.
    pub fn addr(&self) -> SocketAddrV4 {
        self.addr
    }
}

async fn accept(listener: TcpListener, master: Master) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let master = master.clone();
                tokio::spawn(async move {
                    if let Err(e) = serve(stream, &master).await {
                        tracing::info!("tool connection from {peer} closed: {e}");
                    }
                });
            }
            Err(e) => {
                tracing::warn!("tools proxy cannot accept: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Answers one tool until it hangs up, goes idle or sends something we
/// cannot pass on.
async fn serve(mut stream: TcpStream, master: &Master) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    // Requests are decoded by the version the tool registers with.
    let mut ctx = Ctx::default();
    loop {
        let request =
            match tokio::time::timeout(IDLE, frame_io::read_frame(&mut stream, MAX_TOOL_REQUEST))
                .await
            {
                Err(_) => return Ok(()),
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
                Ok(read) => read?,
            };
        let answer = if request.kind == FuseRegister::CODE {
            let (answer, version) = register(&request)?;
            ctx.peer_version = version;
            answer
        } else {
            check(&request, ctx)?;
            forward(&request, master).await?
        };
        let mut buf = BytesMut::new();
        answer.write_to(&mut buf);
        stream.write_all(&buf).await?;
    }
}

/// A tool's REGISTER_TOOLS is accepted without asking the master: its
/// requests travel in the mount's session, which is registered already.
/// Returns the answer and the version the tool announced.
fn register(request: &Frame) -> std::io::Result<(Frame, Version)> {
    let asked: FuseRegister = frame_io::decode(request, Ctx::default())?;
    match asked.request {
        RegisterRequest::Tools { version, .. } => {
            let answer = FuseRegisterReply {
                reply: RegisterReply::Status(Status::OK),
            };
            Ok((answer.to_frame(), version))
        }
        other => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("a tool may only register as a tool, not {other:?}"),
        )),
    }
}

/// Refuses what is not a well-formed client-to-master message.
fn check(request: &Frame, ctx: Ctx) -> std::io::Result<()> {
    Direction::ClientToMaster
        .decode(request.kind, &request.payload, ctx)
        .map(drop)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

/// Sends the request to the master under a msgid of the session and
/// returns the answer under the tool's msgid.
async fn forward(request: &Frame, master: &Master) -> std::io::Result<Frame> {
    let Some((msgid, body)) = request.payload.split_first_chunk::<4>() else {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("message {} without a msgid", request.kind),
        ));
    };
    let answer = master
        .forward(request.kind, body)
        .await
        .map_err(|e| std::io::Error::other(format!("master did not answer (errno {})", e.0)))?;
    let rest = answer.payload.get(4..).unwrap_or_default();
    let mut payload = Vec::with_capacity(4 + rest.len());
    payload.extend_from_slice(msgid);
    payload.extend_from_slice(rest);
    Ok(Frame::new(answer.kind, payload))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mooseng_wire::cltoma::node::{FuseGetattr, GetattrCaller};
    use mooseng_wire::cltoma::register::BLOB_ACL;

    /// REGISTER_TOOLS as Debian's mfsgetgoal sends it: the ACL blob,
    /// rcode 4, the session id and the tools' version.
    fn tools_register(sessionid: u32) -> Frame {
        let mut payload = BLOB_ACL.to_vec();
        payload.push(4);
        payload.extend_from_slice(&sessionid.to_be_bytes());
        payload.extend_from_slice(&[0, 3, 0, 234]);
        Frame::new(FuseRegister::CODE, payload)
    }

    #[test]
    fn a_tool_registers_without_the_master() {
        let (answer, version) = register(&tools_register(7)).unwrap();
        assert_eq!(answer.kind, FuseRegisterReply::CODE);
        assert_eq!(answer.payload.as_ref(), &[0]);
        assert_eq!(version, Version::MOOSEFS_3_0_117);
    }

    #[test]
    fn a_tool_may_not_open_a_session() {
        let mut payload = BLOB_ACL.to_vec();
        payload.push(1);
        assert!(register(&Frame::new(FuseRegister::CODE, payload)).is_err());
    }

    #[test]
    fn only_well_formed_client_requests_pass() {
        let getattr = FuseGetattr {
            msgid: 0,
            inode: 1,
            caller: GetattrCaller::Opened {
                opened: 0,
                uid: 0,
                gid: 0,
            },
        }
        .to_frame();
        assert!(check(&getattr, Ctx::default()).is_ok());
        let cut = Frame::new(getattr.kind, getattr.payload.slice(..6));
        assert!(check(&cut, Ctx::default()).is_err());
        assert!(check(&Frame::new(0xDEAD, vec![0; 8]), Ctx::default()).is_err());
    }
}
