//! The local port MooseFS's tools (`mfsgetgoal`, `mfsfileinfo`, ...) talk
//! to, as mfsmount's master proxy does. `.masterinfo` names this port; a
//! tool registers (answered here: it borrows the mount's session) and each
//! request after that goes to the master over the mount's own session, its
//! answer handed back under the tool's msgid. The tools therefore need no
//! route to the master, and keep working across reconnects and leader
//! changes, which the session follows.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::Duration;

use bytes::BytesMut;
use mooseng_wire::cltoma::register::{FuseRegister, RegisterRequest};
use mooseng_wire::matocl::register::{FuseRegisterReply, RegisterReply};
use mooseng_wire::{Ctx, Frame, Message, Status};
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
            register(&request)?
        } else {
            forward(&request, master).await?
        };
        let mut buf = BytesMut::new();
        answer.write_to(&mut buf);
        stream.write_all(&buf).await?;
    }
}

/// A tool's REGISTER_TOOLS is accepted without asking the master: its
/// requests travel in the mount's session, which is registered already.
fn register(request: &Frame) -> std::io::Result<Frame> {
    let asked: FuseRegister = frame_io::decode(request, Ctx::default())?;
    match asked.request {
        RegisterRequest::Tools { .. } => Ok(FuseRegisterReply {
            reply: RegisterReply::Status(Status::OK),
        }
        .to_frame()),
        other => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("a tool may only register as a tool, not {other:?}"),
        )),
    }
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
