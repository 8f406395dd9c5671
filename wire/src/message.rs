//! What every message type has in common, and the macros that declare them.
//!
//! A message is a struct whose fields are decoded in order; the `messages!`
//! macro turns a table row into the struct, its `Wire` impl, its code and its
//! MooseFS name. `direction!` gathers the messages one side of a channel may
//! send into an enum that dispatches on the frame type.

use bytes::BytesMut;

use crate::codec::{Ctx, Wire};
use crate::frame::Frame;

/// A message type of the MooseFS protocol.
pub trait Message: Wire {
    /// The frame type (`CLTOMA_FUSE_LOOKUP` = 406).
    const CODE: u32;
    /// MooseFS's name for it, as in `MFSCommunication.h`.
    const NAME: &'static str;
    /// The layout in MooseFS's notation, from the type's doc comment.
    const LAYOUT: &'static str;

    fn to_frame(&self) -> Frame {
        let mut out = BytesMut::new();
        self.encode(&mut out);
        Frame::new(Self::CODE, out.freeze())
    }
}

/// Static facts about one message type, for documentation and tooling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageInfo {
    pub code: u32,
    pub name: &'static str,
    pub layout: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("unknown message type {code} from {direction}")]
    UnknownType { code: u32, direction: &'static str },
    #[error("{message}: malformed payload at byte {offset} of {len}")]
    Malformed {
        message: &'static str,
        offset: usize,
        len: usize,
    },
    #[error("{message}: {extra} bytes left over after a {len}-byte payload was decoded")]
    Trailing {
        message: &'static str,
        extra: usize,
        len: usize,
    },
}

/// Decodes one whole payload as `M`, insisting that every byte is used.
pub fn decode_payload<M: Message>(payload: &[u8], ctx: Ctx) -> Result<M, DecodeError> {
    decode_named(M::NAME, payload, ctx)
}

/// [`decode_payload`] for types that are not messages themselves.
pub fn decode_named<T: Wire>(
    name: &'static str,
    payload: &[u8],
    ctx: Ctx,
) -> Result<T, DecodeError> {
    match T::decode(payload, ctx) {
        Ok(([], value)) => Ok(value),
        Ok((rest, _)) => Err(DecodeError::Trailing {
            message: name,
            extra: rest.len(),
            len: payload.len(),
        }),
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(DecodeError::Malformed {
            message: name,
            offset: payload.len() - e.input.len(),
            len: payload.len(),
        }),
        Err(nom::Err::Incomplete(_)) => Err(DecodeError::Malformed {
            message: name,
            offset: payload.len(),
            len: payload.len(),
        }),
    }
}

/// Declares records: structs whose fields are decoded and encoded in order.
///
/// ```text
/// records! {
///     /// `ip:32 port:16`
///     Location { ip: Ipv4Addr, port: u16 }
/// }
/// ```
#[macro_export]
macro_rules! records {
    ($(
        $(#[$meta:meta])*
        $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty),* $(,)? }
    )*) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[cfg_attr(test, derive(proptest_derive::Arbitrary))]
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
        }

        impl $crate::codec::Wire for $name {
            #[allow(unused_variables)]
            fn decode(input: &[u8], ctx: $crate::codec::Ctx) -> $crate::codec::Parsed<'_, Self> {
                $(let (input, $field) = <$ty as $crate::codec::Wire>::decode(input, ctx)?;)*
                Ok((input, $name { $($field,)* }))
            }

            #[allow(unused_variables)]
            fn encode(&self, out: &mut ::bytes::BytesMut) {
                $($crate::codec::Wire::encode(&self.$field, out);)*
            }
        }
    )*};
}

/// Declares message types: a record plus its code and MooseFS name.
///
/// ```text
/// messages! {
///     /// `msgid:32 inode:32 name:NAME uid:32 gcnt:32 gcnt * [ gid:32 ]`
///     FuseLookup = 406 CLTOMA_FUSE_LOOKUP {
///         msgid: u32, parent: u32, name: Name, uid: u32, gids: Gids,
///     }
/// }
/// ```
#[macro_export]
macro_rules! messages {
    ($(
        $(#[doc = $doc:expr])*
        $name:ident = $code:literal $mfs:ident {
            $($(#[$fmeta:meta])* $field:ident : $ty:ty),* $(,)?
        }
    )*) => {$(
        $crate::records! {
            $(#[doc = $doc])*
            $name { $($(#[$fmeta])* $field: $ty),* }
        }

        impl $name {
            pub const CODE: u32 = $code;
        }

        impl $crate::message::Message for $name {
            const CODE: u32 = $code;
            const NAME: &'static str = stringify!($mfs);
            const LAYOUT: &'static str = concat!($($doc, "\n"),*);
        }
    )*};
}

/// Declares the enum of everything one side of a channel may send.
///
/// ```text
/// direction! {
///     /// Client to master, port 9421.
///     ClientToMaster {
///         FuseLookup(cltoma::FuseLookup),
///         Nop(antoan::Nop),
///     }
/// }
/// ```
#[macro_export]
macro_rules! direction {
    (
        $(#[$meta:meta])*
        $name:ident { $($variant:ident($ty:ty)),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[cfg_attr(test, derive(proptest_derive::Arbitrary))]
        pub enum $name {
            $($variant($ty),)*
        }

        impl $name {
            /// Every message type this side may send, in table order.
            pub const MESSAGES: &'static [$crate::message::MessageInfo] = &[$(
                $crate::message::MessageInfo {
                    code: <$ty as $crate::message::Message>::CODE,
                    name: <$ty as $crate::message::Message>::NAME,
                    layout: <$ty as $crate::message::Message>::LAYOUT,
                },
            )*];

            /// Decodes the payload of a frame of type `code`.
            pub fn decode(
                code: u32,
                payload: &[u8],
                ctx: $crate::codec::Ctx,
            ) -> Result<Self, $crate::message::DecodeError> {
                $(
                    if code == <$ty as $crate::message::Message>::CODE {
                        return $crate::message::decode_payload::<$ty>(payload, ctx)
                            .map($name::$variant);
                    }
                )*
                Err($crate::message::DecodeError::UnknownType {
                    code,
                    direction: stringify!($name),
                })
            }

            pub fn decode_frame(
                frame: &$crate::frame::Frame,
                ctx: $crate::codec::Ctx,
            ) -> Result<Self, $crate::message::DecodeError> {
                Self::decode(frame.kind, &frame.payload, ctx)
            }

            pub fn code(&self) -> u32 {
                match self {
                    $($name::$variant(_) => <$ty as $crate::message::Message>::CODE,)*
                }
            }

            pub fn name(&self) -> &'static str {
                match self {
                    $($name::$variant(_) => <$ty as $crate::message::Message>::NAME,)*
                }
            }

            /// The payload bytes, without the frame header.
            pub fn encode_payload(&self, out: &mut ::bytes::BytesMut) {
                match self {
                    $($name::$variant(m) => $crate::codec::Wire::encode(m, out),)*
                }
            }

            pub fn to_frame(&self) -> $crate::frame::Frame {
                let mut out = ::bytes::BytesMut::new();
                self.encode_payload(&mut out);
                $crate::frame::Frame::new(self.code(), out.freeze())
            }

            /// Round-trips random values of every variant; called from tests.
            #[cfg(test)]
            pub(crate) fn roundtrip_every_message() {
                $crate::testing::assert_unique_codes(Self::MESSAGES);
                $($crate::testing::roundtrip::<$ty>();)*
            }
        }

        $(
            impl From<$ty> for $name {
                fn from(message: $ty) -> Self {
                    $name::$variant(message)
                }
            }
        )*
    };
}
