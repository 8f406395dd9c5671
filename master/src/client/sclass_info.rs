//! SCLASS_INFO (`mfscli -SSC`): every storage class with its members,
//! how its chunks stand against its copy count, and whether the
//! connected chunkservers can hold its label sets. Answered in any
//! registration state as MooseFS does.

use mooseng_wire::codec::{Name, Rest};
use mooseng_wire::info_lists::{LabelExpr as ListedExpr, LabelMasks, LabelSet, SclassEntry};
use mooseng_wire::matocl_info;

use super::reply::reply;
use super::{Action, Master};
use crate::chunks::labels::{assign, matches};
use crate::chunks::Server;
use crate::namespace::{LabelExpr, StorageClass};

/// `canbefulfilled`: every label can have its own server with room.
const FULFILLED: u8 = 3;
/// Only if servers without room are counted.
const FULFILLED_WITHOUT_SPACE: u8 = 1;
const NOT_FULFILLED: u8 = 0;

/// `HLSTATUS_OVERLOADED`: a server that takes no new chunks for now.
const OVERLOADED: u8 = 2;
/// Free space a server needs to take a chunk (`MFSCHUNKSIZE`).
const CHUNK_ROOM: u64 = 64 << 20;

/// Servers `mfsmaster` counts for classes: connected, with space, not
/// using more than they have.
fn usable(servers: &[Server]) -> Vec<&Server> {
    servers
        .iter()
        .filter(|s| s.registered && s.usage.total > 0 && s.usage.used <= s.usage.total)
        .collect()
}

pub(super) async fn sclass_info(master: &Master) -> Action {
    let servers: Vec<Server> = master
        .chunks
        .servers()
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    let all = usable(&servers);
    let with_room: Vec<&Server> = all
        .iter()
        .copied()
        .filter(|s| s.usage.free() > CHUNK_ROOM && s.hlstatus != OVERLOADED)
        .collect();
    let regular = master.chunks.regular_copies();
    let ns = master.store.read().await;
    let members = ns.class_members();
    // Per class, `[under, archived under, exact, archived exact, over,
    // archived over]` of the chunks counted under it: archived chunks
    // against the archive labels' count, the others against the keep
    // labels'.
    let mut standing = [[0u64; 6]; 256];
    let (chunks, classes): (Vec<u64>, Vec<u8>) = ns.chunk_classes().into_iter().unzip();
    let archived = master.chunks.archived(&chunks);
    for ((chunk, class), archived) in chunks.iter().zip(classes).zip(archived) {
        let Some(def) = ns.classes().get(class).map(|c| &c.def) else {
            continue;
        };
        let archived = archived == Some(true);
        let goal = if archived {
            def.arch.len()
        } else {
            def.keep.len()
        };
        let copies = regular.get(chunk).copied().unwrap_or(0);
        let slot = 2 * (copies.cmp(&goal) as i8 + 1) as usize + usize::from(archived);
        standing[usize::from(class)][slot] += 1;
    }
    let classes = ns
        .classes()
        .iter()
        .map(|(id, class)| {
            let counted = members.get(&id).copied().unwrap_or_default();
            entry(
                id,
                class,
                [counted.files, counted.dirs],
                standing[usize::from(id)],
                &all,
                &with_room,
            )
        })
        .collect();
    reply(matocl_info::SclassInfo {
        allservers: all.len() as u16,
        classes: Rest(classes),
    })
}

/// One class.
fn entry(
    id: u8,
    class: &StorageClass,
    [files, dirs]: [u32; 2],
    chunks: [u64; 6],
    all: &[&Server],
    with_room: &[&Server],
) -> SclassEntry {
    let def = &class.def;
    let set = |labels: &[LabelExpr]| LabelSet {
        can_be_fulfilled: fulfilment(labels, all, with_room),
        labels: labels
            .iter()
            .map(|expr| ListedExpr {
                masks: LabelMasks(*expr),
                matching_servers: all.iter().filter(|s| matches(expr, s.labels)).count() as u16,
            })
            .collect(),
    };
    SclassEntry {
        id,
        name: Name::new(class.name.to_vec()),
        files,
        dirs,
        chunks,
        admin_only: u8::from(def.admin_only),
        mode: def.mode,
        arch_delay: def.arch_delay,
        sets: [set(&def.create), set(&def.keep), set(&def.arch)],
    }
}

fn fulfilment(labels: &[LabelExpr], all: &[&Server], with_room: &[&Server]) -> u8 {
    if perfect_match(labels, with_room) {
        FULFILLED
    } else if perfect_match(labels, all) {
        FULFILLED_WITHOUT_SPACE
    } else {
        NOT_FULFILLED
    }
}

/// Whether every label expression can have a server of its own that
/// satisfies it.
fn perfect_match(labels: &[LabelExpr], servers: &[&Server]) -> bool {
    let masks: Vec<u32> = servers.iter().map(|s| s.labels).collect();
    assign(labels, &masks).iter().all(Option::is_some)
}
