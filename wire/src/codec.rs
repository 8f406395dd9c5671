//! The `Wire` trait: how one value is read from and written to a payload.
//!
//! Decoding is nom over a borrowed slice; it never reserves more than the
//! bytes actually present, so a lying count in a packet cannot make us
//! allocate. Encoding appends to a `BytesMut`.

use bytes::{BufMut, Bytes, BytesMut};
use nom::bytes::complete::take;
use nom::number::complete::{be_u16, be_u32, be_u64, be_u8};
use std::net::Ipv4Addr;

use crate::version::Version;

/// Result of decoding one value: the rest of the input and the value.
pub type Parsed<'a, T> = nom::IResult<&'a [u8], T>;

/// What the decoder knows about the conversation beyond the bytes of one
/// packet. MooseFS picks several layouts by the peer's version, as fuser picks
/// by negotiated flags, so the caller passes what was negotiated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ctx {
    /// Version of the program that sent (or will receive) the packet.
    pub peer_version: Version,
}

impl Default for Ctx {
    fn default() -> Self {
        Ctx {
            peer_version: Version::MOOSEFS_3_0_117,
        }
    }
}

/// A value with a MooseFS byte layout.
pub trait Wire: Sized {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self>;
    fn encode(&self, out: &mut BytesMut);
}

macro_rules! wire_int {
    ($($ty:ty => $parse:ident, $put:ident;)*) => {$(
        impl Wire for $ty {
            fn decode(input: &[u8], _: Ctx) -> Parsed<'_, Self> {
                $parse(input)
            }
            fn encode(&self, out: &mut BytesMut) {
                out.$put(*self);
            }
        }
    )*};
}

wire_int! {
    u8 => be_u8, put_u8;
    u16 => be_u16, put_u16;
    u32 => be_u32, put_u32;
    u64 => be_u64, put_u64;
}

impl Wire for Ipv4Addr {
    fn decode(input: &[u8], _: Ctx) -> Parsed<'_, Self> {
        let (rest, ip) = be_u32(input)?;
        Ok((rest, Ipv4Addr::from(ip)))
    }
    fn encode(&self, out: &mut BytesMut) {
        out.put_u32(u32::from(*self));
    }
}

/// Fixed-size byte strings: register blobs, passcodes, random challenges.
impl<const N: usize> Wire for [u8; N] {
    fn decode(input: &[u8], _: Ctx) -> Parsed<'_, Self> {
        let (rest, bytes) = take(N)(input)?;
        let mut array = [0u8; N];
        array.copy_from_slice(bytes);
        Ok((rest, array))
    }
    fn encode(&self, out: &mut BytesMut) {
        out.put_slice(self);
    }
}

/// Fixed tables of 32-bit values: label expressions, per-copy counts.
impl<const N: usize> Wire for [u32; N] {
    fn decode(mut input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        let mut values = [0u32; N];
        for value in values.iter_mut() {
            let (rest, v) = u32::decode(input, ctx)?;
            *value = v;
            input = rest;
        }
        Ok((input, values))
    }
    fn encode(&self, out: &mut BytesMut) {
        self.iter().for_each(|v| v.encode(out));
    }
}

/// A field that MooseFS appends only in newer versions: present exactly when
/// bytes remain. Only valid as the last field (or last group) of a layout.
impl<T: Wire> Wire for Option<T> {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        if input.is_empty() {
            return Ok((input, None));
        }
        let (rest, value) = T::decode(input, ctx)?;
        Ok((rest, Some(value)))
    }
    fn encode(&self, out: &mut BytesMut) {
        if let Some(value) = self {
            value.encode(out);
        }
    }
}

/// Everything up to the end of the payload, uninterpreted: file data, PNG
/// charts, strings that run to the end of the packet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tail(pub Bytes);

impl Wire for Tail {
    fn decode(input: &[u8], _: Ctx) -> Parsed<'_, Self> {
        Ok((&input[input.len()..], Tail(Bytes::copy_from_slice(input))))
    }
    fn encode(&self, out: &mut BytesMut) {
        out.put_slice(&self.0);
    }
}

/// Records repeated until the end of the payload (`N*[ ... ]` in MooseFS's
/// notation, where N follows from the packet length).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rest<T>(pub Vec<T>);

impl<T: Wire> Wire for Rest<T> {
    fn decode(mut input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        let mut items = Vec::new();
        while !input.is_empty() {
            let (rest, item) = T::decode(input, ctx)?;
            if rest.len() == input.len() {
                return Err(malformed(input));
            }
            items.push(item);
            input = rest;
        }
        Ok((input, Rest(items)))
    }
    fn encode(&self, out: &mut BytesMut) {
        for item in &self.0 {
            item.encode(out);
        }
    }
}

/// The integer in front of a counted list: `gcnt:32 gcnt * [ gid:32 ]`.
pub trait CountPrefix: Wire + Copy {
    fn to_usize(self) -> usize;
    fn from_usize(n: usize) -> Self;
}

macro_rules! count_prefix {
    ($($ty:ty),*) => {$(
        impl CountPrefix for $ty {
            fn to_usize(self) -> usize {
                self as usize
            }
            fn from_usize(n: usize) -> Self {
                n as $ty
            }
        }
    )*};
}

count_prefix!(u8, u16, u32);

/// A list preceded by its element count of type `C`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted<C, T> {
    pub items: Vec<T>,
    _count: std::marker::PhantomData<C>,
}

impl<C, T> Counted<C, T> {
    pub fn new(items: Vec<T>) -> Self {
        Counted {
            items,
            _count: std::marker::PhantomData,
        }
    }
}

impl<C, T> Default for Counted<C, T> {
    fn default() -> Self {
        Counted::new(Vec::new())
    }
}

impl<C: CountPrefix, T: Wire> Wire for Counted<C, T> {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        let (mut input, count) = C::decode(input, ctx)?;
        let count = count.to_usize();
        // Every element takes at least one byte, so a count beyond the
        // remaining bytes is a lie and must not size an allocation.
        if count > input.len() {
            return Err(malformed(input));
        }
        let mut items = Vec::with_capacity(count);
        for _ in 0..count {
            let (rest, item) = T::decode(input, ctx)?;
            items.push(item);
            input = rest;
        }
        Ok((input, Counted::new(items)))
    }
    fn encode(&self, out: &mut BytesMut) {
        C::from_usize(self.items.len()).encode(out);
        for item in &self.items {
            item.encode(out);
        }
    }
}

/// Bytes preceded by their length of type `C`: `NAME` is `leng:8 data:lengB`,
/// paths and session info are `length:32 path:lengthB`.
#[derive(Clone, PartialEq, Eq)]
pub struct LenBytes<C> {
    pub bytes: Bytes,
    _len: std::marker::PhantomData<C>,
}

impl<C> LenBytes<C> {
    pub fn new(bytes: impl Into<Bytes>) -> Self {
        LenBytes {
            bytes: bytes.into(),
            _len: std::marker::PhantomData,
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl<C> Default for LenBytes<C> {
    fn default() -> Self {
        LenBytes::new(Bytes::new())
    }
}

impl<C> std::fmt::Debug for LenBytes<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(&self.bytes))
    }
}

impl<C: CountPrefix> Wire for LenBytes<C> {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        let (input, len) = C::decode(input, ctx)?;
        let (rest, bytes) = take(len.to_usize())(input)?;
        Ok((rest, LenBytes::new(Bytes::copy_from_slice(bytes))))
    }
    fn encode(&self, out: &mut BytesMut) {
        C::from_usize(self.bytes.len()).encode(out);
        out.put_slice(&self.bytes);
    }
}

/// MooseFS's `NAME`: `leng:8 data:lengB`.
pub type Name = LenBytes<u8>;
/// `length:32 data:lengthB`, used for paths, symlink targets, session info.
pub type Bytes32 = LenBytes<u32>;
/// The caller's supplementary groups: `gcnt:32 gcnt * [ gid:32 ]`.
pub type Gids = Counted<u32, u32>;

/// A nom error pointing at `input`, for checks nom's combinators cannot do.
pub fn malformed(input: &[u8]) -> nom::Err<nom::error::Error<&[u8]>> {
    nom::Err::Error(nom::error::Error::new(input, nom::error::ErrorKind::Verify))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode<T: Wire>(value: &T) -> Vec<u8> {
        let mut out = BytesMut::new();
        value.encode(&mut out);
        out.to_vec()
    }

    #[test]
    fn counted_list_refuses_a_count_larger_than_the_payload() {
        let bytes = [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1];
        assert!(Gids::decode(&bytes, Ctx::default()).is_err());
    }

    #[test]
    fn name_is_length_prefixed() {
        let name = Name::new(&b"abc"[..]);
        assert_eq!(encode(&name), b"\x03abc");
        let (rest, back) = Name::decode(b"\x03abcZ", Ctx::default()).unwrap();
        assert_eq!((rest, back), (&b"Z"[..], name));
    }

    #[test]
    fn trailing_option_is_absent_at_end_of_input() {
        let (_, value) = Option::<u32>::decode(&[], Ctx::default()).unwrap();
        assert_eq!(value, None);
        let (_, value) = Option::<u32>::decode(&[0, 0, 0, 5], Ctx::default()).unwrap();
        assert_eq!(value, Some(5));
    }
}
