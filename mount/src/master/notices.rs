//! What a master tells a mount unasked about files it holds open:
//! another session wrote a chunk of one (MATOCL_FUSE_CHUNK_HAS_CHANGED)
//! or changed its length (MATOCL_FUSE_FLENG_HAS_CHANGED). The mount then
//! forgets what it cached of the file, as mfsmount does.

use mooseng_wire::matocl::{FuseChunkHasChanged, FuseFlengHasChanged};
use mooseng_wire::{Ctx, Frame};

use crate::frame_io;
use crate::geometry::CHUNK_SIZE;

/// A file whose bytes from `from` on, `len` of them (0: to the end), may
/// differ from what the mount cached; its attributes too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notice {
    pub inode: u64,
    pub from: u64,
    pub len: u64,
}

impl Notice {
    /// The notice `frame` carries, if it is one; mfsmount's ranges: a
    /// written chunk, everything from a cut chunk on, everything past a
    /// new length.
    pub fn decode(frame: &Frame, ctx: Ctx) -> Option<Notice> {
        match frame.kind {
            FuseChunkHasChanged::CODE => {
                let chunk: FuseChunkHasChanged = frame_io::decode(frame, ctx).ok()?;
                Some(Notice {
                    inode: chunk.inode.into(),
                    from: u64::from(chunk.index) * CHUNK_SIZE,
                    len: if chunk.truncated == 0 { CHUNK_SIZE } else { 0 },
                })
            }
            FuseFlengHasChanged::CODE => {
                let length: FuseFlengHasChanged = frame_io::decode(frame, ctx).ok()?;
                Some(Notice {
                    inode: length.inode.into(),
                    from: length.file_length,
                    len: 0,
                })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use mooseng_wire::{Message, Version};

    use super::*;

    const CTX: Ctx = Ctx {
        peer_version: Version::MOOSEFS_3_0_117,
    };

    fn chunk(truncated: u8) -> Frame {
        FuseChunkHasChanged {
            zero: 0,
            inode: 9,
            index: 2,
            chunkid: 77,
            version: 3,
            file_length: 5,
            truncated,
        }
        .to_frame()
    }

    #[test]
    fn a_written_chunk_is_its_range_and_a_cut_one_all_from_it() {
        let written = Notice::decode(&chunk(0), CTX);
        let range = (2 * CHUNK_SIZE, CHUNK_SIZE);
        assert_eq!(
            written.map(|n| (n.inode, n.from, n.len)),
            Some((9, range.0, range.1))
        );
        let cut = Notice::decode(&chunk(1), CTX);
        assert_eq!(cut.map(|n| (n.from, n.len)), Some((2 * CHUNK_SIZE, 0)));
    }

    #[test]
    fn a_new_length_is_everything_past_it_and_other_frames_are_none() {
        let length = FuseFlengHasChanged {
            zero: 0,
            inode: 4,
            file_length: 1000,
        };
        let notice = Notice::decode(&length.to_frame(), CTX);
        let expected = Notice {
            inode: 4,
            from: 1000,
            len: 0,
        };
        assert_eq!(notice, Some(expected));
        assert_eq!(Notice::decode(&Frame::new(0, vec![0; 4]), CTX), None);
    }
}
