//! Field-by-field comparison of a captured answer with a replayed one.
//!
//! Both answers are walked together as [`Value`] trees. Where the shapes
//! part (another enum variant, a list of another length, a field only one
//! side has) the whole subtree is one difference; where two leaves differ
//! the field's [`rules`](super::rules) decide whether that is allowed.

use super::ids::IdMap;
use super::rules::{rule_for, Treatment};
use super::tree::Value;

/// One field that differs against the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// `MATOCL_FUSE_LOOKUP.reply.attr.mode`.
    pub path: String,
    pub captured: String,
    pub replayed: String,
    /// Why the values are not accepted as equal.
    pub reason: String,
}

/// Wrappers that say nothing a path needs: `Some(x)`, `Ok(x)`.
const TRANSPARENT: &[&str] = &["", "Some", "Ok"];

/// Compares the decoded answers `captured` and `replayed` of message type
/// `message`, binding the ids they carry in `ids`.
pub fn compare(
    message: &str,
    captured: &Value,
    replayed: &Value,
    ids: &mut IdMap,
) -> Vec<Difference> {
    let mut walk = Walk {
        message,
        ids,
        path: Vec::new(),
        counts_free: false,
        differences: Vec::new(),
    };
    walk.node(captured, replayed);
    walk.differences
}

struct Walk<'a> {
    message: &'a str,
    ids: &'a mut IdMap,
    /// Field names and variant names, each with the list positions after it.
    path: Vec<(String, String)>,
    /// Inside a subtree compared for its shape only: leaves may differ.
    counts_free: bool,
    differences: Vec<Difference>,
}

impl Walk<'_> {
    /// The field and variant names of the path, without the empty ones
    /// that transparent wrappers leave, as the rendered path shows them.
    fn names(&self) -> Vec<&str> {
        self.path
            .iter()
            .map(|(name, _)| name.as_str())
            .filter(|name| !name.is_empty())
            .collect()
    }

    fn rendered_path(&self) -> String {
        let mut text = self.message.to_owned();
        for (name, positions) in &self.path {
            if !name.is_empty() {
                text.push('.');
                text.push_str(name);
            }
            text.push_str(positions);
        }
        text
    }

    fn differ(&mut self, captured: &Value, replayed: &Value, reason: impl Into<String>) {
        self.differences.push(Difference {
            path: self.rendered_path(),
            captured: render(captured),
            replayed: render(replayed),
            reason: reason.into(),
        });
    }

    fn within(&mut self, name: &str, f: impl FnOnce(&mut Self)) {
        self.path.push((name.to_owned(), String::new()));
        f(self);
        self.path.pop();
    }

    fn at_position(&mut self, index: usize, f: impl FnOnce(&mut Self)) {
        if self.path.is_empty() {
            self.path.push((String::new(), String::new()));
        }
        let last = self.path.len() - 1;
        let before = self.path[last].1.len();
        self.path[last].1.push_str(&format!("[{index}]"));
        f(self);
        self.path[last].1.truncate(before);
    }

    fn node(&mut self, captured: &Value, replayed: &Value) {
        if let Some(rule) = rule_for(self.message, &self.names()) {
            return match rule.treatment {
                Treatment::Free => {}
                Treatment::Counts => {
                    let outer = std::mem::replace(&mut self.counts_free, true);
                    self.structure(captured, replayed);
                    self.counts_free = outer;
                }
                Treatment::Id(kind) => match (captured.id(), replayed.id()) {
                    (Some(c), Some(r)) => {
                        if let Err(conflict) = self.ids.bind(kind, c, r) {
                            self.differ(captured, replayed, conflict.to_string());
                        }
                    }
                    _ => self.structure(captured, replayed),
                },
            };
        }
        self.structure(captured, replayed);
    }

    fn structure(&mut self, captured: &Value, replayed: &Value) {
        match (captured, replayed) {
            (Value::Leaf(c), Value::Leaf(r)) => {
                if c != r && !self.counts_free {
                    self.differ(captured, replayed, "values differ");
                }
            }
            (Value::Struct(cn, cf), Value::Struct(rn, rf))
                if cn == rn && cf.iter().map(|f| &f.0).eq(rf.iter().map(|f| &f.0)) =>
            {
                for ((name, c), (_, r)) in cf.iter().zip(rf) {
                    self.within(name, |w| w.node(c, r));
                }
            }
            (Value::Tuple(cn, ci), Value::Tuple(rn, ri)) if cn == rn && ci.len() == ri.len() => {
                let segment = if TRANSPARENT.contains(&cn.as_str()) {
                    ""
                } else {
                    cn.as_str()
                };
                self.within(segment, |w| match ci.len() {
                    1 => w.node(&ci[0], &ri[0]),
                    _ => w.items(ci, ri),
                });
            }
            (Value::List(ci), Value::List(ri)) if ci.len() == ri.len() => self.items(ci, ri),
            (Value::Map(ce), Value::Map(re)) if ce.len() == re.len() => {
                for (index, ((ck, cv), (rk, rv))) in ce.iter().zip(re).enumerate() {
                    self.at_position(index, |w| {
                        w.node(ck, rk);
                        w.node(cv, rv);
                    });
                }
            }
            _ => self.differ(captured, replayed, "shapes differ"),
        }
    }

    fn items(&mut self, captured: &[Value], replayed: &[Value]) {
        for (index, (c, r)) in captured.iter().zip(replayed).enumerate() {
            self.at_position(index, |w| w.node(c, r));
        }
    }
}

/// A subtree in one line, for the difference list.
fn render(value: &Value) -> String {
    match value {
        Value::Leaf(text) => text.clone(),
        Value::Struct(name, fields) => {
            let inner: Vec<String> = fields
                .iter()
                .map(|(n, v)| format!("{n}: {}", render(v)))
                .collect();
            format!("{name} {{ {} }}", inner.join(", "))
        }
        Value::Tuple(name, items) => format!("{name}({})", join(items)),
        Value::List(items) => format!("[{}]", join(items)),
        Value::Map(entries) => {
            let inner: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}: {}", render(k), render(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
    }
}

fn join(items: &[Value]) -> String {
    items.iter().map(render).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::ids::IdKind;
    use mooseng_wire::matocl::{FuseLookupReply, Lookup};
    use mooseng_wire::{Attr, Reply, Status};

    fn lookup(inode: u32, mtime: u32, mode: u16) -> Value {
        Value::of(&FuseLookupReply {
            msgid: 3,
            reply: Reply::Ok(Lookup {
                inode,
                attr: Attr {
                    kind: 1,
                    mode,
                    mtime,
                    ..Attr::default()
                },
                extra: None,
            }),
        })
        .unwrap()
    }

    #[test]
    fn times_may_differ_and_ids_are_bound() {
        let mut ids = IdMap::new();
        let found = compare(
            "MATOCL_FUSE_LOOKUP",
            &lookup(7, 100, 0o644),
            &lookup(9, 200, 0o644),
            &mut ids,
        );
        assert_eq!(found, vec![]);
        assert_eq!(ids.translate(IdKind::Inode, 7), 9);
    }

    #[test]
    fn a_differing_field_is_named_by_its_path() {
        let mut ids = IdMap::new();
        let found = compare(
            "MATOCL_FUSE_LOOKUP",
            &lookup(7, 100, 0o644),
            &lookup(7, 100, 0o600),
            &mut ids,
        );
        assert_eq!(
            found,
            vec![Difference {
                path: "MATOCL_FUSE_LOOKUP.reply.attr.mode".into(),
                captured: "420".into(),
                replayed: "384".into(),
                reason: "values differ".into(),
            }]
        );
    }

    #[test]
    fn an_id_against_its_binding_is_a_difference() {
        let mut ids = IdMap::new();
        ids.bind(IdKind::Inode, 7, 8).unwrap();
        let found = compare(
            "MATOCL_FUSE_LOOKUP",
            &lookup(7, 1, 1),
            &lookup(9, 1, 1),
            &mut ids,
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].path, "MATOCL_FUSE_LOOKUP.reply.inode");
        assert!(found[0].reason.contains("bound to 8"), "{:?}", found[0]);
    }

    #[test]
    fn another_variant_is_one_difference_for_the_whole_subtree() {
        let mut ids = IdMap::new();
        let failed = Value::of(&FuseLookupReply {
            msgid: 3,
            reply: Reply::Status(Status::ENOENT),
        })
        .unwrap();
        let found = compare("MATOCL_FUSE_LOOKUP", &lookup(7, 1, 1), &failed, &mut ids);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].path, "MATOCL_FUSE_LOOKUP.reply");
        assert_eq!(found[0].replayed, "Status(ENOENT)");
    }

    #[test]
    fn rules_select_through_optional_wrappers() {
        use mooseng_wire::matocl::{LookupExtra, ZeroChunk};
        use mooseng_wire::types::chunk::LabeledServer;
        let with_servers = |last: u8| {
            let server = LabeledServer {
                ip: std::net::Ipv4Addr::new(10, 0, 0, last),
                port: 9422,
                version: 1,
                labelmask: 0,
            };
            Value::of(&FuseLookupReply {
                msgid: 3,
                reply: Reply::Ok(Lookup {
                    inode: 7,
                    attr: Attr::default(),
                    extra: Some(LookupExtra {
                        lflags: 0,
                        chunk: Some(ZeroChunk {
                            protocol_id: 2,
                            chunkid: 5,
                            version: 1,
                            servers: mooseng_wire::Rest(vec![server; usize::from(last)]),
                        }),
                    }),
                }),
            })
            .unwrap()
        };
        let mut ids = IdMap::new();
        let found = compare(
            "MATOCL_FUSE_LOOKUP",
            &with_servers(2),
            &with_servers(3),
            &mut ids,
        );
        assert_eq!(found, vec![]);
    }

    #[test]
    fn counts_may_differ_but_not_the_shape_around_them() {
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Class {
            files: u32,
            chunks: Vec<u64>,
        }
        let class = |files, chunks: &[u64]| {
            Value::of(&Class {
                files,
                chunks: chunks.to_vec(),
            })
            .unwrap()
        };
        let mut ids = IdMap::new();
        let message = "MATOCL_SCLASS_INFO";
        let moved = compare(message, &class(1, &[1, 0]), &class(1, &[0, 1]), &mut ids);
        assert_eq!(moved, vec![]);
        let longer = compare(message, &class(1, &[1, 0]), &class(1, &[1, 0, 0]), &mut ids);
        assert_eq!(longer.len(), 1);
        assert_eq!(longer[0].reason, "shapes differ");
        let files = compare(message, &class(1, &[1]), &class(2, &[1]), &mut ids);
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].path, "MATOCL_SCLASS_INFO.files");
    }

    #[test]
    fn list_positions_show_in_paths() {
        let mut ids = IdMap::new();
        let c = Value::of(&vec![(1u8, 2u8), (3, 4)]).unwrap();
        let r = Value::of(&vec![(1u8, 2u8), (3, 5)]).unwrap();
        let found = compare("X", &c, &r, &mut ids);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].path, "X[1][1]");
    }
}
