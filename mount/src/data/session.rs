//! A chunk's write session: the lease the master gave (WRITE_CHUNK) and the
//! open chain, kept from one flush of a file to the next while the file is
//! being written, as mfsmount's write worker keeps them. Each lease of a
//! chunk makes the master step the chunk's version on every chunkserver,
//! so a lease per flush cost a master round trip, a chain set-up and a
//! version step every 8 MiB.

use std::time::Duration;

use super::chain::Chain;
use super::cs::ChunkRef;

/// How long a session stays open without a write before it is ended. Well
/// under the 5 s after which a chunkserver drops a silent connection.
pub const SESSION_IDLE: Duration = Duration::from_millis(500);

/// A lease and its chain, for one chunk of one file.
#[derive(Debug)]
pub struct Session {
    pub chunk: ChunkRef,
    /// The file length the master gave with the lease.
    pub file_length: u64,
    pub chain: Chain,
    /// End, as a file offset, of the data the chain has acknowledged.
    pub acked_end: u64,
}

impl Session {
    pub fn new(chunk: ChunkRef, file_length: u64, chain: Chain) -> Self {
        Session {
            chunk,
            file_length,
            chain,
            acked_end: 0,
        }
    }

    /// The length to give back with the lease: what the master said, or the
    /// end of what we wrote if further; 0 (no change) if nothing was written.
    pub fn length(&self) -> u64 {
        returned_length(self.file_length, self.acked_end)
    }
}

/// The length a lease goes back with (the master only ever grows a file
/// by it, and 0 changes nothing).
fn returned_length(file_length: u64, acked_end: u64) -> u64 {
    match acked_end {
        0 => 0,
        end => end.max(file_length),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_goes_back_with_the_furthest_end() {
        assert_eq!(returned_length(100, 0), 0, "nothing written");
        assert_eq!(returned_length(100, 40), 100, "written inside the file");
        assert_eq!(returned_length(100, 150), 150, "written past its end");
    }
}
