//! Property-test support: `Arbitrary` for the shared building blocks and the
//! round-trip check every message type goes through.

use std::fmt::Debug;

use bytes::{Bytes, BytesMut};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::codec::{CountPrefix, Counted, Ctx, LenBytes, Rest, Tail, Wire};
use crate::message::{decode_payload, Message, MessageInfo};
use crate::types::{Attr, Reply, Status};
use crate::version::Version;

/// Encodes random values of `M`, decodes them back and re-encodes: both the
/// value and the bytes must survive.
pub fn roundtrip<M>()
where
    M: Message + Arbitrary + Debug + PartialEq,
{
    let mut runner = TestRunner::new(Config {
        cases: 48,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&any::<M>(), |message| {
        let frame = message.to_frame();
        let back: M = decode_payload(&frame.payload, Ctx::default())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&back, &message);
        prop_assert_eq!(back.to_frame().payload, frame.payload);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{} does not round-trip: {e}", M::NAME);
    }
}

pub fn assert_unique_codes(messages: &[MessageInfo]) {
    for (i, a) in messages.iter().enumerate() {
        for b in &messages[i + 1..] {
            assert_ne!(a.code, b.code, "{} and {} share a code", a.name, b.name);
        }
    }
}

fn small_bytes(max: usize) -> impl Strategy<Value = Bytes> {
    vec(any::<u8>(), 0..=max).prop_map(Bytes::from)
}

/// The largest count a prefix of type `C` can carry, capped to keep tests fast.
fn max_items<C: CountPrefix>(cap: usize) -> usize {
    let mut out = BytesMut::new();
    C::from_usize(usize::MAX).encode(&mut out);
    if out.len() == 1 {
        cap.min(255)
    } else {
        cap
    }
}

impl Arbitrary for Tail {
    type Parameters = ();
    type Strategy = BoxedStrategy<Self>;
    fn arbitrary_with(_: ()) -> Self::Strategy {
        small_bytes(64).prop_map(Tail).boxed()
    }
}

impl<C: CountPrefix + Debug + 'static> Arbitrary for LenBytes<C> {
    type Parameters = ();
    type Strategy = BoxedStrategy<Self>;
    fn arbitrary_with(_: ()) -> Self::Strategy {
        small_bytes(max_items::<C>(300))
            .prop_map(LenBytes::new)
            .boxed()
    }
}

impl<T: Arbitrary + 'static> Arbitrary for Rest<T> {
    type Parameters = ();
    type Strategy = BoxedStrategy<Self>;
    fn arbitrary_with(_: ()) -> Self::Strategy {
        vec(any::<T>(), 0..6).prop_map(Rest).boxed()
    }
}

impl<C: CountPrefix + Debug + 'static, T: Arbitrary + 'static> Arbitrary for Counted<C, T> {
    type Parameters = ();
    type Strategy = BoxedStrategy<Self>;
    fn arbitrary_with(_: ()) -> Self::Strategy {
        vec(any::<T>(), 0..6).prop_map(Counted::new).boxed()
    }
}

impl Arbitrary for Status {
    type Parameters = ();
    type Strategy = BoxedStrategy<Self>;
    fn arbitrary_with(_: ()) -> Self::Strategy {
        any::<u8>().prop_map(Status).boxed()
    }
}

impl Arbitrary for Version {
    type Parameters = ();
    type Strategy = BoxedStrategy<Self>;
    fn arbitrary_with(_: ()) -> Self::Strategy {
        any::<u32>().prop_map(Version).boxed()
    }
}

impl Arbitrary for Attr {
    type Parameters = ();
    type Strategy = BoxedStrategy<Self>;
    fn arbitrary_with(_: ()) -> Self::Strategy {
        (
            any::<u8>(),
            0u8..16,
            0u16..0x1000,
            any::<[u32; 6]>(),
            any::<u64>(),
            any::<u8>(),
        )
            .prop_map(
                |(flags, kind, mode, [uid, gid, atime, mtime, ctime, nlink], length, winattr)| {
                    Attr {
                        flags,
                        kind,
                        mode,
                        uid,
                        gid,
                        atime,
                        mtime,
                        ctime,
                        nlink,
                        length,
                        winattr: Some(winattr),
                    }
                },
            )
            .boxed()
    }
}

impl<T: Arbitrary + Wire + Clone + Debug + 'static> Arbitrary for Reply<T> {
    type Parameters = ();
    type Strategy = BoxedStrategy<Self>;
    fn arbitrary_with(_: ()) -> Self::Strategy {
        // A one-byte payload is a status by definition, so `Ok` values that
        // encode to one byte cannot exist on the wire.
        let ok = any::<T>().prop_filter("encodes to one byte", |value| {
            let mut out = BytesMut::new();
            value.encode(&mut out);
            out.len() != 1
        });
        prop_oneof![
            any::<Status>().prop_map(Reply::Status),
            ok.prop_map(Reply::Ok)
        ]
        .boxed()
    }
}

/// Decodes `payload` as `M` and checks that encoding it gives back exactly
/// `payload`, so a test can then assert on the fields.
pub fn decode_exact<M: Message + Debug>(payload: &[u8]) -> M {
    let message: M = decode_payload(payload, Ctx::default())
        .unwrap_or_else(|e| panic!("{} does not decode: {e}", M::NAME));
    assert_eq!(
        &message.to_frame().payload[..],
        payload,
        "{} re-encodes differently: {message:?}",
        M::NAME
    );
    message
}
