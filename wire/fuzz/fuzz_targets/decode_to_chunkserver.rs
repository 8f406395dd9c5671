//! Any payload of any ToChunkserver message, under any peer version, and
//! the WRITE_DATA decoder that keeps the block in the frame.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mooseng_wire::Direction;
use mooseng_wire_fuzz::{decode_in, shared_write_data_agrees};

fuzz_target!(|data: &[u8]| {
    decode_in(Direction::ToChunkserver, data);
    shared_write_data_agrees(data);
});
