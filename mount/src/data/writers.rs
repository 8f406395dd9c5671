//! The chunk writers of one open file, by chunk index.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::chunk_writer::ChunkWriter;
use super::files::lock;

#[derive(Debug, Default)]
pub struct Writers {
    map: Mutex<BTreeMap<u32, ChunkWriter>>,
}

impl Writers {
    /// The writer of chunk `index`, made by `start` if there is none.
    pub fn get(&self, index: u32, start: impl FnOnce() -> ChunkWriter) -> ChunkWriter {
        lock(&self.map).entry(index).or_insert_with(start).clone()
    }

    /// Every writer, in chunk order.
    pub fn all(&self) -> Vec<ChunkWriter> {
        lock(&self.map).values().cloned().collect()
    }

    /// Drops the writers that hold no lease and have nothing queued, which
    /// ends their tasks.
    pub fn forget_idle(&self) {
        lock(&self.map).retain(|_, writer| !writer.is_idle());
    }

    /// Whether there is no writer at all.
    pub fn is_empty(&self) -> bool {
        lock(&self.map).is_empty()
    }

    /// Whether no chunk holds a lease or has a write queued.
    pub fn is_idle(&self) -> bool {
        lock(&self.map).values().all(ChunkWriter::is_idle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_writers_are_forgotten_and_busy_ones_kept() {
        let writers = Writers::default();
        writers.get(1, || ChunkWriter::detached(false, 0));
        writers.get(2, || ChunkWriter::detached(true, 0));
        writers.get(3, || ChunkWriter::detached(false, 2));
        assert!(!writers.is_idle());
        writers.forget_idle();
        assert_eq!(writers.all().len(), 2);
        assert!(!writers.is_empty());
        let kept = writers.get(2, || unreachable!("chunk 2 has its writer"));
        assert!(!kept.is_idle());
    }
}
