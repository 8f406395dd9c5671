//! An open deleted file: its content is the path it will be restored to,
//! followed by a newline. Writing replaces that path (the first write
//! starts it afresh); the new path goes to the master when the file is
//! closed, without the trailing newline an editor or `echo` adds.

use crate::error::{Errno, FsResult};

/// Longest path one may write, as in mfsmount.
const PATH_SIZE_LIMIT: u64 = 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathFile {
    content: Vec<u8>,
    changed: bool,
}

impl PathFile {
    /// The file as opened: the master's path and a newline.
    pub fn new(path: &[u8]) -> Self {
        let mut content = path.to_vec();
        content.push(b'\n');
        PathFile {
            content,
            changed: false,
        }
    }

    pub fn read(&self, offset: u64, size: u32) -> &[u8] {
        let len = self.content.len();
        let start = usize::try_from(offset).map_or(len, |o| o.min(len));
        let end = start.saturating_add(size as usize).min(len);
        &self.content[start..end]
    }

    /// Stores `data` at `offset`; the hole before it, if any, is zeros.
    pub fn write(&mut self, offset: u64, data: &[u8]) -> FsResult<u32> {
        let end = offset.saturating_add(data.len() as u64);
        if end > PATH_SIZE_LIMIT {
            return Err(Errno::EINVAL);
        }
        if !self.changed {
            self.content.clear();
            self.changed = true;
        }
        let (offset, end) = (offset as usize, end as usize);
        if self.content.len() < end {
            self.content.resize(end, 0);
        }
        self.content[offset..end].copy_from_slice(data);
        Ok(data.len() as u32)
    }

    /// The path to send to the master at close, if it was written: up to
    /// the first NUL, without one trailing newline.
    pub fn new_path(&self) -> Option<&[u8]> {
        if !self.changed {
            return None;
        }
        let text = self.content.strip_suffix(b"\n").unwrap_or(&self.content);
        let end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
        Some(&text[..end])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_path_and_a_newline() {
        let file = PathFile::new(b"dir/file");
        assert_eq!(file.read(0, 100), b"dir/file\n");
        assert_eq!(file.read(4, 2), b"fi");
        assert_eq!(file.read(50, 2), b"");
        assert_eq!(file.new_path(), None);
    }

    #[test]
    fn a_write_replaces_the_path() {
        let mut file = PathFile::new(b"a/very/long/old/path");
        assert_eq!(file.write(0, b"new\n"), Ok(4));
        assert_eq!(file.read(0, 100), b"new\n");
        assert_eq!(file.new_path(), Some(&b"new"[..]));
        file.write(3, b"er").unwrap();
        assert_eq!(file.new_path(), Some(&b"newer"[..]));
    }

    #[test]
    fn paths_past_1024_bytes_are_refused() {
        let mut file = PathFile::new(b"x");
        assert_eq!(file.write(1020, b"12345"), Err(Errno::EINVAL));
        assert_eq!(file.write(1020, b"1234"), Ok(4));
        assert_eq!(file.new_path(), Some(&b""[..]));
    }
}
