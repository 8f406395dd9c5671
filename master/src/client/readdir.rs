//! READDIR, with or without attributes, paged by `maxentries` and an edge
//! cursor.
//!
//! The cursor is MooseFS's: 0 starts at `.`, 1 continues at `..`, and
//! [`END`] means the listing is complete. Beyond that MooseFS uses edge
//! ids; here `2 + n` continues at the n-th entry in name order. MooseFS
//! 3.0.117 echoes the request's cursor instead of the next one (the mount
//! always asks for everything at once and skips the field); this master
//! sends the cursor to continue from, so paging works for any client.
//!
//! A listing of a large directory is the biggest answer a mount asks for,
//! so it is written straight from the directory's index into a buffer of
//! its exact size: no record is built per entry, and the buffer becomes
//! the frame's payload without another copy.

use bytes::{BufMut, Bytes, BytesMut};
use mooseng_wire::cltoma::{getdir_flag, FuseReaddir};
use mooseng_wire::direction::Direction;
use mooseng_wire::matocl::FuseReaddirReply;
use mooseng_wire::types::node_type;
use mooseng_wire::{Attr, Frame, Status, Wire};

use super::reply::reply;
use super::{disable, Action, Request};
use crate::namespace::{Directory, Inode, Node, MAY_EXEC, MAY_READ};
use crate::session::Identity;
use crate::view::View;

/// MooseFS's `EDGEID_MAX`: nothing left to list.
pub const END: u64 = 0x7FFF_FFFF_FFFF_FFFF;
/// Cursor of the first real entry, after `.` and `..`.
const FIRST_ENTRY: u64 = 2;
/// `msgid:32 nedgeid:64` before the entries.
const HEAD_LEN: usize = 12;
/// `length:8` before a name and `inode:32` after it.
const NAME_AND_INODE_LEN: usize = 5;

impl Request<'_> {
    pub(super) async fn readdir(self, m: FuseReaddir) -> Action {
        let who = self.session.identity(m.uid, m.gids.gids());
        let payload = if self.disabled(disable::READDIR) {
            Err(Status::EPERM)
        } else {
            let ns = self.master.store.read().await;
            let view = View::new(&ns, self.session, self.version);
            listing(&view, &who, &m)
        };
        match payload {
            Ok(payload) => Action::Reply(Frame::new(FuseReaddirReply::CODE, payload)),
            Err(status) => reply(FuseReaddirReply {
                msgid: m.msgid,
                reply: mooseng_wire::Reply::Status(status),
            }),
        }
    }
}

/// One page of a directory: the entries asked for and where the next
/// page starts.
struct Page<'a> {
    dir: Inode,
    parent: Inode,
    dot: bool,
    dot_dot: bool,
    /// Position in name order of the first listed entry, and how many.
    start: usize,
    count: usize,
    next_edge: u64,
    listed: &'a Directory,
}

impl<'a> Page<'a> {
    /// The page `m.next_edge` and `m.max_entries` select.
    fn select(m: &FuseReaddir, dir: Inode, parent: Inode, listed: &'a Directory) -> Self {
        let mut cursor = m.next_edge;
        let mut budget = m.max_entries;
        let dot = cursor == 0 && budget > 0;
        if dot {
            (cursor, budget) = (1, budget - 1);
        }
        let dot_dot = cursor == 1 && budget > 0;
        if dot_dot {
            (cursor, budget) = (FIRST_ENTRY, budget - 1);
        }
        let len = listed.entries.len();
        let (mut start, mut count) = (len, 0);
        if (FIRST_ENTRY..END).contains(&cursor) {
            start = usize::try_from(cursor - FIRST_ENTRY).unwrap_or(usize::MAX);
            count = usize::try_from(budget)
                .unwrap_or(usize::MAX)
                .min(len.saturating_sub(start));
            cursor += count as u64;
            if cursor - FIRST_ENTRY >= len as u64 {
                cursor = END;
            }
        }
        Page {
            dir,
            parent,
            dot,
            dot_dot,
            start,
            count,
            next_edge: cursor,
            listed,
        }
    }

    /// Every listed name with its inode, in the order they are sent.
    fn names(&self) -> impl Iterator<Item = (&'a [u8], Inode)> + '_ {
        let dot = self.dot.then_some((&b"."[..], self.dir));
        let dot_dot = self.dot_dot.then_some((&b".."[..], self.parent));
        let entries = self
            .listed
            .entries
            .iter()
            .skip(self.start)
            .take(self.count)
            .map(|(name, inode)| (&name[..], *inode));
        dot.into_iter().chain(dot_dot).chain(entries)
    }
}

/// The whole answer payload: `msgid:32 nedgeid:64` and the entries, each
/// `name:NAME inode:32` followed by `attr:ATTR` or `type:8`.
fn listing(view: &View<'_>, who: &Identity, m: &FuseReaddir) -> Result<Bytes, Status> {
    let with_attr = m.flags & getdir_flag::WITHATTR != 0;
    let (dir, node) = view.node(m.inode)?;
    let listed = node.dir().ok_or(Status::ENOTDIR)?;
    if m.next_edge == 0 {
        let wanted = if with_attr {
            MAY_READ | MAY_EXEC
        } else {
            MAY_READ
        };
        if !who.caller.may(node, wanted) {
            return Err(Status::EACCES);
        }
    }
    let parent = if dir == view.session.grant.root {
        dir
    } else {
        view.ns.parent_of(dir)
    };
    let page = Page::select(m, dir, parent, listed);
    let tail = if with_attr {
        Attr::record_size(view.client)
    } else {
        1
    };
    let size = HEAD_LEN
        + page
            .names()
            .map(|(name, _)| NAME_AND_INODE_LEN + name.len() + tail)
            .sum::<usize>();
    if size > Direction::MasterToClient.max_payload() as usize {
        return Err(Status::ERANGE);
    }
    let mut out = BytesMut::with_capacity(size);
    out.put_u32(m.msgid);
    out.put_u64(page.next_edge);
    for (name, inode) in page.names() {
        let child = view.ns.get(inode);
        // Names in a directory are at most NAME_MAX (255) bytes long.
        out.put_u8(name.len() as u8);
        out.put_slice(name);
        out.put_u32(view.session.to_client(inode));
        if with_attr {
            let child = child.ok_or(Status::ENOENT)?;
            view.node_attr(who, child, Some(node)).encode(&mut out);
        } else {
            out.put_u8(child.map_or(node_type::FILE, Node::kind));
        }
    }
    Ok(out.freeze())
}
