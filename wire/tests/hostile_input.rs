//! Random bytes thrown at every decoder: nothing panics, and whatever decodes
//! re-encodes to exactly the bytes it came from (the property the capture
//! decoder relies on, checked here for inputs no capture holds).

use bytes::BytesMut;
use mooseng_wire::{Ctx, Direction, FrameCodec};
use proptest::collection::vec;
use proptest::prelude::*;
use tokio_util::codec::Decoder;

fn check_payload(direction: Direction, code: u32, payload: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(message) = direction.decode(code, payload, Ctx::default()) {
        let mut out = BytesMut::new();
        message.encode_payload(&mut out);
        prop_assert_eq!(
            &out[..],
            payload,
            "{} {} re-encoded differently",
            direction,
            message.name()
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_payloads_never_panic_and_decoded_ones_reencode_identically(
        payload in vec(any::<u8>(), 0..160),
    ) {
        for direction in Direction::ALL {
            for info in direction.messages() {
                check_payload(direction, info.code, &payload)?;
            }
        }
    }

    #[test]
    fn short_payloads_hit_every_length_branch(payload in vec(any::<u8>(), 0..12)) {
        for direction in Direction::ALL {
            for info in direction.messages() {
                check_payload(direction, info.code, &payload)?;
            }
        }
    }

    #[test]
    fn frame_codec_survives_any_stream(stream in vec(any::<u8>(), 0..512), limit in 0u32..1000) {
        let mut codec = FrameCodec::new(limit);
        let mut buf = BytesMut::from(&stream[..]);
        while let Ok(Some(frame)) = codec.decode(&mut buf) {
            prop_assert!(frame.payload.len() as u32 <= limit);
        }
    }
}
