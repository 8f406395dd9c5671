//! Field types for layouts that MooseFS chooses by the packet's own length:
//! a msgid the tools may or may not put first, a record framed by its own
//! 16-bit size, and answers typed when they have the shape the 3.0.117 tools
//! expect but kept raw otherwise.

use bytes::{BufMut, BytesMut};
use nom::bytes::complete::take;

use crate::codec::{malformed, Ctx, Parsed, Tail, Wire};

/// `[ msgid:32 ]` in front of a fixed-size body of `BODY` bytes: present
/// exactly when the payload is `BODY + 4` bytes long, which is how the
/// master tells the tools that send one (mfstools) from those that do not
/// (mfscli). Only valid as the first field of a fixed-size layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LeadingMsgid<const BODY: usize>(pub Option<u32>);

impl<const BODY: usize> Wire for LeadingMsgid<BODY> {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        if input.len() == BODY + 4 {
            let (rest, msgid) = u32::decode(input, ctx)?;
            return Ok((rest, LeadingMsgid(Some(msgid))));
        }
        Ok((input, LeadingMsgid(None)))
    }
    fn encode(&self, out: &mut BytesMut) {
        self.0.encode(out);
    }
}

/// `entrysize:16 entry:entrysizeB` where the entry must be exactly one `T`:
/// the chunkserver's disk records announce their own size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sized16<T>(pub T);

impl<T: Wire> Wire for Sized16<T> {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        let (input, size) = u16::decode(input, ctx)?;
        let (rest, entry) = take(size)(input)?;
        match T::decode(entry, ctx)? {
            ([], value) => Ok((rest, Sized16(value))),
            (left, _) => Err(malformed(left)),
        }
    }
    fn encode(&self, out: &mut BytesMut) {
        let mut entry = BytesMut::new();
        self.0.encode(&mut entry);
        // An entry is a few hundred bytes (a NAME and fixed counters), so
        // its size always fits the 16-bit prefix.
        out.put_u16(entry.len() as u16);
        out.put_slice(&entry);
    }
}

/// An answer read as `T` when the whole payload has `T`'s shape, as the
/// 3.0.117 tools read it, and kept byte for byte otherwise (answers of older
/// masters, or of requests with another mode byte).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrRaw<T> {
    Typed(T),
    Raw(Tail),
}

impl<T> OrRaw<T> {
    pub fn typed(&self) -> Option<&T> {
        match self {
            OrRaw::Typed(value) => Some(value),
            OrRaw::Raw(_) => None,
        }
    }
}

impl<T: Wire> Wire for OrRaw<T> {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        match T::decode(input, ctx) {
            Ok(([], value)) => Ok((&input[input.len()..], OrRaw::Typed(value))),
            _ => Tail::decode(input, ctx).map(|(rest, raw)| (rest, OrRaw::Raw(raw))),
        }
    }
    fn encode(&self, out: &mut BytesMut) {
        match self {
            OrRaw::Typed(value) => value.encode(out),
            OrRaw::Raw(raw) => raw.encode(out),
        }
    }
}

/// Reads `count` 32-bit words, refusing counts the input cannot hold before
/// reserving memory for them.
pub(crate) fn words(input: &[u8], count: usize, ctx: Ctx) -> Parsed<'_, Vec<u32>> {
    if count.saturating_mul(4) > input.len() {
        return Err(malformed(input));
    }
    let mut input = input;
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let (rest, word) = u32::decode(input, ctx)?;
        out.push(word);
        input = rest;
    }
    Ok((input, out))
}

/// Reads `T` when the layout in force has it (`present`), nothing otherwise.
pub(crate) fn optional<T: Wire>(present: bool, input: &[u8], ctx: Ctx) -> Parsed<'_, Option<T>> {
    if !present {
        return Ok((input, None));
    }
    let (input, value) = T::decode(input, ctx)?;
    Ok((input, Some(value)))
}

#[cfg(test)]
mod arbitrary {
    use super::*;
    use proptest::prelude::*;

    impl<const BODY: usize> Arbitrary for LeadingMsgid<BODY> {
        type Parameters = ();
        type Strategy = BoxedStrategy<Self>;
        fn arbitrary_with(_: ()) -> Self::Strategy {
            any::<Option<u32>>().prop_map(LeadingMsgid).boxed()
        }
    }

    impl<T: Arbitrary + 'static> Arbitrary for Sized16<T> {
        type Parameters = ();
        type Strategy = BoxedStrategy<Self>;
        fn arbitrary_with(_: ()) -> Self::Strategy {
            any::<T>().prop_map(Sized16).boxed()
        }
    }

    impl<T: Arbitrary + Wire + 'static> Arbitrary for OrRaw<T> {
        type Parameters = ();
        type Strategy = BoxedStrategy<Self>;
        fn arbitrary_with(_: ()) -> Self::Strategy {
            // Raw bytes that happen to have T's shape would come back typed.
            let raw = any::<Tail>().prop_filter("has the typed shape", |raw| {
                !matches!(T::decode(&raw.0, Ctx::default()), Ok(([], _)))
            });
            prop_oneof![any::<T>().prop_map(OrRaw::Typed), raw.prop_map(OrRaw::Raw)].boxed()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_msgid_is_there_only_when_the_length_says_so() {
        let (rest, short) = LeadingMsgid::<4>::decode(&[0, 0, 0, 9], Ctx::default()).unwrap();
        assert_eq!((short, rest.len()), (LeadingMsgid(None), 4));
        let (rest, long) =
            LeadingMsgid::<4>::decode(&[0, 0, 0, 7, 0, 0, 0, 9], Ctx::default()).unwrap();
        assert_eq!((long, rest.len()), (LeadingMsgid(Some(7)), 4));
    }

    #[test]
    fn sized_entry_must_be_used_exactly() {
        let exact = [0, 4, 0, 0, 0, 1];
        let (_, value) = Sized16::<u32>::decode(&exact, Ctx::default()).unwrap();
        assert_eq!(value, Sized16(1));
        let loose = [0, 5, 0, 0, 0, 1, 0];
        assert!(Sized16::<u32>::decode(&loose, Ctx::default()).is_err());
    }

    #[test]
    fn or_raw_keeps_what_does_not_fit() {
        let (_, typed) = OrRaw::<u32>::decode(&[0, 0, 0, 3], Ctx::default()).unwrap();
        assert_eq!(typed.typed(), Some(&3));
        let (_, raw) = OrRaw::<u32>::decode(&[1, 2, 3], Ctx::default()).unwrap();
        assert_eq!(raw, OrRaw::Raw(Tail(bytes::Bytes::from_static(&[1, 2, 3]))));
    }

    #[test]
    fn words_refuse_counts_beyond_the_input() {
        assert!(words(&[0; 8], 3, Ctx::default()).is_err());
        assert_eq!(words(&[0, 0, 0, 1], 1, Ctx::default()).unwrap().1, vec![1]);
    }
}
