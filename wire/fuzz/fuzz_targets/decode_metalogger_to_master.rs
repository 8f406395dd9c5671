//! Any payload of any MetaloggerToMaster message, under any peer version.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mooseng_wire::Direction;
use mooseng_wire_fuzz::decode_in;

fuzz_target!(|data: &[u8]| decode_in(Direction::MetaloggerToMaster, data));
