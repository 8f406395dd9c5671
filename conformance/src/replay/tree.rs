//! Decoded messages as trees of named fields, read from their `Debug` text.
//!
//! The wire crate gives every message a derived `Debug` and nothing else
//! that walks its fields, so the replayer reads the compact `{:?}` text
//! back into a [`Value`] tree. Derived `Debug` output is regular: structs
//! are `Name { field: value, .. }`, tuple structs and enum variants
//! `Name(value, ..)`, sequences `[..]`, maps `{key: value, ..}`, and leaves
//! are numbers, identifiers (unit variants, `None`, `true`), string and
//! byte-string literals, or dotted addresses.

use std::fmt::Debug;

/// One node of a decoded message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A leaf, as `Debug` printed it (`42`, `ENOENT`, `"name"`, `10.0.0.1`).
    Leaf(String),
    /// `Name { field: value, .. }`.
    Struct(String, Vec<(String, Value)>),
    /// `Name(value, ..)`; the name is empty for a bare tuple.
    Tuple(String, Vec<Value>),
    /// `[value, ..]`.
    List(Vec<Value>),
    /// `{key: value, ..}`.
    Map(Vec<(Value, Value)>),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unexpected {found:?} at byte {at} of a Debug text")]
pub struct ParseError {
    pub at: usize,
    pub found: String,
}

impl Value {
    /// The tree of anything whose `Debug` is derived (or prints like it).
    pub fn of(value: &dyn Debug) -> Result<Value, ParseError> {
        let text = format!("{value:?}");
        let mut parser = Parser {
            text: &text,
            pos: 0,
        };
        let value = parser.value()?;
        parser.skip_spaces();
        match parser.pos == text.len() {
            true => Ok(value),
            false => Err(parser.error()),
        }
    }

    /// The field `name` of a struct.
    pub fn field(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Struct(_, fields) => fields.iter().find(|(n, _)| n == name).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The number this node holds, looking through one-element wrappers
    /// such as `Some(7)`.
    pub fn number(&self) -> Option<u64> {
        match self {
            Value::Leaf(text) => text.parse().ok(),
            Value::Tuple(_, items) if items.len() == 1 => items[0].number(),
            _ => None,
        }
    }

    /// The id this node holds: a number, or an IPv4 address read as the
    /// 32-bit number it is on the wire.
    pub fn id(&self) -> Option<u64> {
        self.number().or_else(|| match self {
            Value::Leaf(text) => text
                .parse::<std::net::Ipv4Addr>()
                .ok()
                .map(|a| u32::from(a).into()),
            _ => None,
        })
    }
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

/// Characters that end a bare token (number, identifier, address).
const DELIMITERS: &[char] = &[' ', ',', ':', '{', '}', '[', ']', '(', ')', '"', '\''];

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.text[self.pos..]
    }

    fn error(&self) -> ParseError {
        ParseError {
            at: self.pos,
            found: self.rest().chars().take(20).collect(),
        }
    }

    fn skip_spaces(&mut self) {
        let trimmed = self.rest().trim_start();
        self.pos = self.text.len() - trimmed.len();
    }

    /// Consumes `token` (after spaces) if it comes next.
    fn eat(&mut self, token: &str) -> bool {
        self.skip_spaces();
        let found = self.rest().starts_with(token);
        if found {
            self.pos += token.len();
        }
        found
    }

    fn expect(&mut self, token: &str) -> Result<(), ParseError> {
        match self.eat(token) {
            true => Ok(()),
            false => Err(self.error()),
        }
    }

    fn value(&mut self) -> Result<Value, ParseError> {
        self.skip_spaces();
        let rest = self.rest();
        if rest.starts_with('"') || rest.starts_with("b\"") || rest.starts_with('\'') {
            return self.literal().map(Value::Leaf);
        }
        if self.eat("[") {
            return self.items("]").map(Value::List);
        }
        if self.eat("(") {
            return self
                .items(")")
                .map(|items| Value::Tuple(String::new(), items));
        }
        if self.eat("{") {
            return self.map().map(Value::Map);
        }
        let token = self.token()?;
        if self.eat("{") {
            return self.fields().map(|fields| Value::Struct(token, fields));
        }
        if self.eat("(") {
            return self.items(")").map(|items| Value::Tuple(token, items));
        }
        Ok(Value::Leaf(token))
    }

    fn token(&mut self) -> Result<String, ParseError> {
        let len = self.rest().find(DELIMITERS).unwrap_or(self.rest().len());
        if len == 0 {
            return Err(self.error());
        }
        let token = self.rest()[..len].to_owned();
        self.pos += len;
        Ok(token)
    }

    /// A quoted literal, escapes and all, kept verbatim.
    fn literal(&mut self) -> Result<String, ParseError> {
        let start = self.pos;
        let prefix = usize::from(self.rest().starts_with('b'));
        let quote = self.rest()[prefix..]
            .chars()
            .next()
            .ok_or_else(|| self.error())?;
        let mut escaped = false;
        for (i, c) in self.rest()[prefix + 1..].char_indices() {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, c) if c == quote => {
                    self.pos += prefix + 1 + i + c.len_utf8();
                    return Ok(self.text[start..self.pos].to_owned());
                }
                _ => {}
            }
        }
        Err(self.error())
    }

    fn items(&mut self, close: &str) -> Result<Vec<Value>, ParseError> {
        let mut items = Vec::new();
        while !self.eat(close) {
            items.push(self.value()?);
            if !self.eat(",") {
                self.expect(close)?;
                break;
            }
        }
        Ok(items)
    }

    fn fields(&mut self) -> Result<Vec<(String, Value)>, ParseError> {
        let mut fields = Vec::new();
        while !self.eat("}") {
            if self.eat("..") {
                self.expect("}")?;
                break;
            }
            self.skip_spaces();
            let name = self.token()?;
            self.expect(":")?;
            fields.push((name, self.value()?));
            if !self.eat(",") {
                self.expect("}")?;
                break;
            }
        }
        Ok(fields)
    }

    fn map(&mut self) -> Result<Vec<(Value, Value)>, ParseError> {
        let mut entries = Vec::new();
        while !self.eat("}") {
            let key = self.value()?;
            self.expect(":")?;
            entries.push((key, self.value()?));
            if !self.eat(",") {
                self.expect("}")?;
                break;
            }
        }
        Ok(entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::net::Ipv4Addr;

    #[derive(Debug)]
    #[allow(dead_code)]
    struct Sample {
        n: u32,
        name: String,
        raw: bytes::Bytes,
        ip: Ipv4Addr,
        list: Vec<Option<u8>>,
        unit: (),
        map: BTreeMap<u8, &'static str>,
        kind: Kind,
    }

    #[derive(Debug)]
    #[allow(dead_code)]
    enum Kind {
        Plain,
        Pair(u8, i8),
    }

    fn leaf(s: &str) -> Value {
        Value::Leaf(s.to_owned())
    }

    #[test]
    fn derived_debug_text_reads_back_as_a_tree() {
        let sample = Sample {
            n: 7,
            name: "a \"quoted\", {odd} name".into(),
            raw: bytes::Bytes::from_static(b"x\"\\\0"),
            ip: Ipv4Addr::new(10, 0, 0, 1),
            list: vec![Some(1), None],
            unit: (),
            map: [(1, "one")].into_iter().collect(),
            kind: Kind::Pair(2, -3),
        };
        let tree = Value::of(&sample).unwrap();
        assert_eq!(tree.field("n"), Some(&leaf("7")));
        assert_eq!(
            tree.field("name"),
            Some(&leaf(r#""a \"quoted\", {odd} name""#))
        );
        assert_eq!(tree.field("raw"), Some(&leaf(r#"b"x\"\\\0""#)));
        assert_eq!(tree.field("ip"), Some(&leaf("10.0.0.1")));
        assert_eq!(
            tree.field("list"),
            Some(&Value::List(vec![
                Value::Tuple("Some".into(), vec![leaf("1")]),
                leaf("None")
            ]))
        );
        assert_eq!(
            tree.field("unit"),
            Some(&Value::Tuple(String::new(), vec![]))
        );
        assert_eq!(
            tree.field("map"),
            Some(&Value::Map(vec![(leaf("1"), leaf("\"one\""))]))
        );
        assert_eq!(
            tree.field("kind"),
            Some(&Value::Tuple("Pair".into(), vec![leaf("2"), leaf("-3")]))
        );
        assert_eq!(Value::of(&Kind::Plain).unwrap(), leaf("Plain"));
    }

    #[test]
    fn numbers_are_found_through_wrappers() {
        assert_eq!(Value::of(&Some(5u32)).unwrap().number(), Some(5));
        assert_eq!(Value::of(&"5").unwrap().number(), None);
    }

    #[test]
    fn addresses_are_ids_as_their_wire_number() {
        let address = Value::of(&Ipv4Addr::new(10, 0, 0, 1)).unwrap();
        assert_eq!(address.number(), None);
        assert_eq!(address.id(), Some(0x0a00_0001));
        assert_eq!(Value::of(&Some(5u32)).unwrap().id(), Some(5));
    }

    #[test]
    fn a_wire_message_reads_back() {
        use mooseng_wire::{Direction, Status};
        let payload = [0, 0, 0, 9, Status::ENOENT.0];
        let message = Direction::MasterToClient
            .decode(407, &payload, Default::default())
            .unwrap();
        let tree = Value::of(&message).unwrap();
        let Value::Tuple(_, inner) = &tree else {
            panic!("{tree:?}");
        };
        let Value::Tuple(_, lookup) = &inner[0] else {
            panic!("{tree:?}");
        };
        assert_eq!(lookup[0].field("msgid"), Some(&leaf("9")));
        assert_eq!(
            lookup[0].field("reply"),
            Some(&Value::Tuple("Status".into(), vec![leaf("ENOENT")]))
        );
    }
}
