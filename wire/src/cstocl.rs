//! Chunkserver to client (or to the previous chunkserver of a write chain),
//! port 9422 (`CSTOCL_*`): read data and the status of reads and writes.

use crate::messages;
use crate::types::{CrcData, Status};

messages! {
    /// `chunkid:64 status:8` — ends a read, successful or not.
    ReadStatus = 201 CSTOCL_READ_STATUS { chunkid: u64, status: Status }

    /// `chunkid:64 blocknum:16 offset:16 size:32 crc:32 size*[ databyte:8 ]`
    ReadData = 202 CSTOCL_READ_DATA {
        chunkid: u64,
        blocknum: u16,
        /// Offset inside the 64 KiB block.
        offset: u16,
        block: CrcData,
    }

    /// `chunkid:64 writeid:32 status:8` — writeid 0 acknowledges the WRITE
    /// itself (the chain is connected), others a `CLTOCS_WRITE_DATA`.
    WriteStatus = 211 CSTOCL_WRITE_STATUS { chunkid: u64, writeid: u32, status: Status }
}
