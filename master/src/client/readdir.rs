//! READDIR, with or without attributes, paged by `maxentries` and an edge
//! cursor.
//!
//! The cursor is MooseFS's: 0 starts at `.`, 1 continues at `..`, and
//! [`END`] means the listing is complete. Beyond that MooseFS uses edge
//! ids; here `2 + n` continues at the n-th entry in name order. MooseFS
//! 3.0.117 echoes the request's cursor instead of the next one (the mount
//! always asks for everything at once and skips the field); this master
//! sends the cursor to continue from, so paging works for any client.

use mooseng_wire::cltoma::{getdir_flag, FuseReaddir};
use mooseng_wire::direction::Direction;
use mooseng_wire::matocl::{DirEntries, DirEntry, DirEntryAttr, Directory, FuseReaddirReply};
use mooseng_wire::types::node_type;
use mooseng_wire::{Name, Status};

use super::reply::reply;
use super::{disable, Action, Request};
use crate::namespace::{Inode, MAY_EXEC, MAY_READ};
use crate::session::Identity;
use crate::view::View;

/// MooseFS's `EDGEID_MAX`: nothing left to list.
pub const END: u64 = 0x7FFF_FFFF_FFFF_FFFF;
/// Cursor of the first real entry, after `.` and `..`.
const FIRST_ENTRY: u64 = 2;

impl Request<'_> {
    pub(super) async fn readdir(self, m: FuseReaddir) -> Action {
        let who = self.session.identity(m.uid, m.gids.gids());
        let result = if self.disabled(disable::READDIR) {
            Err(Status::EPERM)
        } else {
            let ns = self.master.store.read().await;
            let view = View::new(&ns, self.session, self.version);
            list(&view, &who, &m)
        };
        let answer = match result {
            Ok(directory) => FuseReaddirReply::new(m.msgid, &directory),
            Err(status) => FuseReaddirReply {
                msgid: m.msgid,
                reply: mooseng_wire::Reply::Status(status),
            },
        };
        if answer_too_big(&answer) {
            return reply(FuseReaddirReply {
                msgid: m.msgid,
                reply: mooseng_wire::Reply::Status(Status::ERANGE),
            });
        }
        reply(answer)
    }
}

fn answer_too_big(answer: &FuseReaddirReply) -> bool {
    let body = match &answer.reply {
        mooseng_wire::Reply::Ok(tail) => tail.0.len(),
        mooseng_wire::Reply::Status(_) => 0,
    };
    body + 4 > Direction::MasterToClient.max_payload() as usize
}

fn list(view: &View<'_>, who: &Identity, m: &FuseReaddir) -> Result<Directory, Status> {
    let with_attr = m.flags & getdir_flag::WITHATTR != 0;
    let (dir, node) = view.node(m.inode)?;
    let entries = &node.dir().ok_or(Status::ENOTDIR)?.entries;
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
    let mut listed: Vec<(Name, Inode)> = Vec::new();
    let mut cursor = m.next_edge;
    let mut budget = m.max_entries;
    if cursor == 0 && budget > 0 {
        listed.push((Name::new(&b"."[..]), dir));
        (cursor, budget) = (1, budget - 1);
    }
    if cursor == 1 && budget > 0 {
        listed.push((Name::new(&b".."[..]), parent));
        (cursor, budget) = (FIRST_ENTRY, budget - 1);
    }
    if (FIRST_ENTRY..END).contains(&cursor) {
        let start = usize::try_from(cursor - FIRST_ENTRY).unwrap_or(usize::MAX);
        let count = usize::try_from(budget).unwrap_or(usize::MAX);
        for (name, child) in entries.iter().skip(start).take(count) {
            listed.push((Name::new(name.to_vec()), *child));
            cursor += 1;
        }
        if cursor - FIRST_ENTRY >= entries.len() as u64 {
            cursor = END;
        }
    }
    let entries = if with_attr {
        let mut out = Vec::with_capacity(listed.len());
        for (name, inode) in listed {
            let attr = view.attr(who, inode, Some(dir))?;
            let inode = view.session.to_client(inode);
            out.push(DirEntryAttr { name, inode, attr });
        }
        DirEntries::WithAttr(out)
    } else {
        let entries = listed
            .into_iter()
            .map(|(name, inode)| DirEntry {
                name,
                inode: view.session.to_client(inode),
                kind: view
                    .ns
                    .get(inode)
                    .map_or(node_type::FILE, |node| node.kind()),
            })
            .collect();
        DirEntries::Plain(entries)
    };
    Ok(Directory {
        next_edge: Some(cursor),
        entries,
    })
}
