//! "How many files and directories have each value" answers of the
//! recursive GET commands (trash time, storage class, extra attributes):
//! `fcnt dcnt fcnt * [ value count:32 ] dcnt * [ value count:32 ]`, both
//! counts first. `matoclserv.c` writes the file list before the directory
//! list, whatever the field names in MFSCommunication.h suggest.

use bytes::BytesMut;

use crate::codec::{malformed, CountPrefix, Ctx, Parsed, Wire};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally<C, T> {
    pub files: Vec<T>,
    pub dirs: Vec<T>,
    _count: std::marker::PhantomData<C>,
}

impl<C, T> Tally<C, T> {
    pub fn new(files: Vec<T>, dirs: Vec<T>) -> Self {
        Tally {
            files,
            dirs,
            _count: std::marker::PhantomData,
        }
    }
}

fn decode_list<T: Wire>(mut input: &[u8], count: usize, ctx: Ctx) -> Parsed<'_, Vec<T>> {
    // Every record takes at least five bytes.
    if count > input.len() / 5 {
        return Err(malformed(input));
    }
    let mut items = Vec::with_capacity(count);
    for _ in 0..count {
        let (rest, item) = T::decode(input, ctx)?;
        items.push(item);
        input = rest;
    }
    Ok((input, items))
}

impl<C: CountPrefix, T: Wire> Wire for Tally<C, T> {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        let (input, files) = C::decode(input, ctx)?;
        let (input, dirs) = C::decode(input, ctx)?;
        let (input, files) = decode_list(input, files.to_usize(), ctx)?;
        let (input, dirs) = decode_list(input, dirs.to_usize(), ctx)?;
        Ok((input, Tally::new(files, dirs)))
    }

    fn encode(&self, out: &mut BytesMut) {
        C::from_usize(self.files.len()).encode(out);
        C::from_usize(self.dirs.len()).encode(out);
        self.files.iter().for_each(|item| item.encode(out));
        self.dirs.iter().for_each(|item| item.encode(out));
    }
}

#[cfg(test)]
mod arbitrary {
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;

    impl<C: std::fmt::Debug + 'static, T: Arbitrary + 'static> Arbitrary for Tally<C, T> {
        type Parameters = ();
        type Strategy = BoxedStrategy<Self>;
        fn arbitrary_with(_: ()) -> Self::Strategy {
            (vec(any::<T>(), 0..4), vec(any::<T>(), 0..4))
                .prop_map(|(files, dirs)| Tally::new(files, dirs))
                .boxed()
        }
    }
}
