//! Any payload, any message code, any direction: decoding must not panic, and
//! a successful decode must re-encode to the same bytes.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use mooseng_wire::{Ctx, Direction};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let direction = Direction::ALL[usize::from(selector) % Direction::ALL.len()];
    let messages = direction.messages();
    let Some((&index, payload)) = rest.split_first() else {
        return;
    };
    let code = messages[usize::from(index) % messages.len()].code;
    if let Ok(message) = direction.decode(code, payload, Ctx::default()) {
        let mut out = BytesMut::new();
        message.encode_payload(&mut out);
        assert_eq!(&out[..], payload, "{} re-encoded differently", message.name());
    }
});
