//! A byte stream of any shape through the frame codec: no panic, no frame
//! above the limit, and every decodable frame round-trips.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use mooseng_wire::{Ctx, Direction, FrameCodec};
use tokio_util::codec::Decoder;

fuzz_target!(|data: &[u8]| {
    for direction in Direction::ALL {
        let limit = direction.max_payload();
        let mut codec = FrameCodec::new(limit);
        let mut buf = BytesMut::from(data);
        while let Ok(Some(frame)) = codec.decode(&mut buf) {
            assert!(frame.payload.len() as u64 <= u64::from(limit));
            if let Ok(message) = direction.decode(frame.kind, &frame.payload, Ctx::default()) {
                let mut out = BytesMut::new();
                message.encode_payload(&mut out);
                assert_eq!(&out[..], &frame.payload[..]);
            }
        }
    }
});
