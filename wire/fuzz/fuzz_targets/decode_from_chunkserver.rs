//! Any payload of any FromChunkserver message, under any peer version, and
//! the READ_DATA head a client reads on its own.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mooseng_wire::Direction;
use mooseng_wire_fuzz::{decode_in, read_data_head_agrees};

fuzz_target!(|data: &[u8]| {
    decode_in(Direction::FromChunkserver, data);
    read_data_head_agrees(data);
});
