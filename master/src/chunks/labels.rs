//! Storage-class labels as the chunk placement reads them.
//!
//! A class lists label expressions: `create` for the copies of a new chunk,
//! `keep` for the copies the planner maintains (one copy per expression),
//! `arch` instead of `keep` for archived chunks.
//! Each copy must sit on a server of its own, so placing copies is a
//! bipartite matching of expressions to servers, as in MooseFS's
//! `do_perfect_match`. The chunk state holds a copy of the namespace's
//! class table (refreshed by [`ChunkState::set_classes`] whenever a class
//! mutation applies) and looks each chunk's class up in it.

use super::{ChunkRecord, ChunkState};
use crate::namespace::{Classes, LabelExpr, MODE_STRICT};

/// One copy on any server: what a class the table lacks keeps, so that a
/// referenced chunk is never taken for garbage.
const ANYWHERE: [LabelExpr; 1] = [[0; 4]];

/// Where the copies of one chunk belong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement<'a> {
    /// Where a new chunk's copies go.
    pub create: &'a [LabelExpr],
    /// Where the copies are kept; its length is the goal.
    pub keep: &'a [LabelExpr],
    /// `SCLASS_MODE_STRICT`: copies never go to a server matching none of
    /// the expressions; the other modes fall back to any server.
    pub strict: bool,
}

impl Placement<'_> {
    /// Copies wanted.
    pub fn goal(&self) -> usize {
        self.keep.len()
    }
}

impl ChunkState {
    /// Replaces the class table placement follows.
    pub fn set_classes(&mut self, classes: Classes) {
        self.classes = classes;
    }

    /// The placement of the chunks of class `class`, archived or not.
    pub fn class_placement(&self, class: u8, archived: bool) -> Placement<'_> {
        match self.classes.get(class) {
            Some(found) => Placement {
                create: &found.def.create,
                keep: if archived {
                    &found.def.arch
                } else {
                    &found.def.keep
                },
                strict: found.def.mode == MODE_STRICT,
            },
            None => Placement {
                create: &ANYWHERE,
                keep: &ANYWHERE,
                strict: false,
            },
        }
    }

    /// The placement a chunk follows, from the classes of its files; a
    /// chunk no file refers to wants no copy at all.
    pub fn placement(&self, record: &ChunkRecord) -> Placement<'_> {
        if record.ref_count() == 0 {
            return Placement {
                create: &[],
                keep: &[],
                strict: false,
            };
        }
        self.class_placement(record.class(&self.classes), record.archived)
    }
}

/// Whether a server with `labels` satisfies `expr`: `*` (no mask) takes
/// any server, otherwise one of the OR-ed masks must be all present.
pub fn matches(expr: &LabelExpr, labels: u32) -> bool {
    expr[0] == 0
        || expr
            .iter()
            .take_while(|mask| **mask != 0)
            .any(|mask| labels & mask == *mask)
}

/// Whether any expression asks for a label.
pub fn any_labels(exprs: &[LabelExpr]) -> bool {
    exprs.iter().any(|expr| expr[0] != 0)
}

/// Gives as many expressions as possible a server of their own among
/// `servers` (their label masks): the result holds, per expression, the
/// index of its server. Earlier servers are preferred, so callers list
/// them best first; expressions asking for labels choose before `*`,
/// which any server left over satisfies.
pub fn assign(exprs: &[LabelExpr], servers: &[u32]) -> Vec<Option<usize>> {
    let mut owner: Vec<Option<usize>> = vec![None; servers.len()];
    let (labelled, anywhere): (Vec<usize>, Vec<usize>) =
        (0..exprs.len()).partition(|n| exprs[*n][0] != 0);
    for expr in labelled.into_iter().chain(anywhere) {
        let mut seen = vec![false; servers.len()];
        augment(expr, exprs, servers, &mut owner, &mut seen);
    }
    let mut taken = vec![None; exprs.len()];
    for (server, expr) in owner.iter().enumerate() {
        if let Some(expr) = expr {
            taken[*expr] = Some(server);
        }
    }
    taken
}

/// Kuhn's augmenting path from `expr`: takes a free matching server, or
/// one whose expression can move to another server.
fn augment(
    expr: usize,
    exprs: &[LabelExpr],
    servers: &[u32],
    owner: &mut [Option<usize>],
    seen: &mut [bool],
) -> bool {
    for (n, labels) in servers.iter().enumerate() {
        if seen[n] || !matches(&exprs[expr], *labels) {
            continue;
        }
        seen[n] = true;
        let free = match owner[n] {
            None => true,
            Some(other) => augment(other, exprs, servers, owner, seen),
        };
        if free {
            owner[n] = Some(expr);
            return true;
        }
    }
    false
}
