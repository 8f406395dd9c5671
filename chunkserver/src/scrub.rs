//! Background scrubbing, MooseFS's "chunk tester": a task that walks every
//! chunk and checks each stored block against its CRC, so damage on disk
//! is found and repaired (the master makes a new copy from a good one)
//! before a client needs the data and before the other copies fail too.
//!
//! The pace is a byte rate (`scrub_rate` MiB/s; MooseFS's `HDD_TEST_SPEED`,
//! whose default of 1 MiB/s we share): after each slice of
//! [`STEP_BLOCKS`] blocks the task sleeps as long as the rate allows for
//! them. A pass takes a snapshot of the chunk ids and goes through them in
//! id order; the next pass starts `scrub_interval` seconds after this one
//! started (default a day, like MooseFS's `HDD_MIN_TEST_INTERVAL`), or a
//! second after this one ended if the pass took longer. Checking happens on blocking threads, one
//! slice per lock of the chunk, so clients reading or writing the chunk
//! wait at most for one slice. A damaged chunk is reported to the master
//! (`CSTOMA_CHUNK_DAMAGED`, by the storage layer) and counted; it is
//! reported again on each pass until the master has it deleted.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mooseng_wire::Status;
use tokio::sync::watch;
use tracing::{debug, info, warn};

use crate::chunk_file::BLOCK_SIZE;
use crate::storage::Store;

/// The least pause between two passes, so a small store with a short
/// interval does not keep a core busy listing its chunks.
const MIN_PASS_GAP: Duration = Duration::from_secs(1);

/// Blocks checked per step: 1 MiB, a few milliseconds of CRC work.
pub const STEP_BLOCKS: u16 = 16;

/// The scrubbing task.
#[derive(Debug)]
pub struct Scrubber {
    store: Arc<Store>,
    /// Bytes per second; 0 disables scrubbing.
    rate: u64,
    interval: Duration,
    shutdown: watch::Receiver<bool>,
}

impl Scrubber {
    /// A scrubber checking `rate_mib` MiB per second and starting a pass at
    /// most every `interval`.
    pub fn new(
        store: Arc<Store>,
        rate_mib: u32,
        interval: Duration,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        Scrubber {
            store,
            rate: u64::from(rate_mib) << 20,
            interval,
            shutdown,
        }
    }

    /// Scrubs until shutdown; returns at once when the rate is 0.
    pub async fn run(mut self) {
        if self.rate == 0 {
            info!("scrubbing disabled (scrub_rate = 0)");
            return;
        }
        loop {
            let started = Instant::now();
            let mut ids = self.store.chunk_ids();
            ids.sort_unstable();
            for chunkid in &ids {
                if self.chunk(*chunkid).await.is_break() {
                    return;
                }
            }
            self.store.metrics().scrub_passes.inc();
            debug!(chunks = ids.len(), took = ?started.elapsed(), "scrub pass done");
            let rest = self
                .interval
                .saturating_sub(started.elapsed())
                .max(MIN_PASS_GAP);
            if self.pause(rest).await.is_break() {
                return;
            }
        }
    }

    /// Checks one chunk slice by slice; breaks on shutdown.
    async fn chunk(&mut self, chunkid: u64) -> ControlFlow<()> {
        let store = Arc::clone(&self.store);
        let mut handle = match store.run(move |s| s.scrub_open(chunkid)).await {
            Ok(handle) => handle,
            Err(status) => {
                self.failed(chunkid, status);
                return ControlFlow::Continue(());
            }
        };
        let mut first = 0u16;
        loop {
            let step = store
                .run(move |s| {
                    s.scrub_blocks(&handle, first, STEP_BLOCKS)
                        .map(|checked| (handle, checked))
                })
                .await;
            let checked = match step {
                Ok((back, checked)) => {
                    handle = back;
                    checked
                }
                Err(status) => {
                    self.failed(chunkid, status);
                    return ControlFlow::Continue(());
                }
            };
            let bytes = u64::from(checked) * u64::from(BLOCK_SIZE);
            store.metrics().scrub_bytes.inc_by(bytes);
            self.pause(Duration::from_secs_f64(bytes as f64 / self.rate as f64))
                .await?;
            if checked < STEP_BLOCKS {
                break;
            }
            first += checked;
        }
        drop(handle);
        store.metrics().scrub_chunks.inc();
        ControlFlow::Continue(())
    }

    /// Counts a chunk that could not be verified; the storage layer has
    /// already reported it. A chunk deleted meanwhile is no failure.
    fn failed(&self, chunkid: u64, status: Status) {
        if status == Status::NOCHUNK {
            return;
        }
        self.store.metrics().scrub_damaged.inc();
        warn!(
            chunk = format_args!("{chunkid:016X}"),
            ?status,
            "scrub found a damaged chunk; reported to the master"
        );
    }

    /// Sleeps `time`; breaks if shutdown comes first.
    async fn pause(&mut self, time: Duration) -> ControlFlow<()> {
        if *self.shutdown.borrow() {
            return ControlFlow::Break(());
        }
        tokio::select! {
            _ = tokio::time::sleep(time) => ControlFlow::Continue(()),
            _ = self.shutdown.changed() => ControlFlow::Break(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FolderSpec;

    fn chunk(store: &Store, chunkid: u64, blocks: u16) {
        store.create(chunkid, 1).unwrap();
        let h = store.open_io(chunkid, 1).unwrap();
        let data = vec![9u8; BLOCK_SIZE as usize];
        for block in 0..blocks {
            store
                .write_piece(&h, block, 0, crc32fast::hash(&data), &data)
                .unwrap();
        }
        store.close(h, false).unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_pass_checks_every_chunk_finds_the_damaged_one_and_waits() {
        let dir = tempfile::tempdir().unwrap();
        let spec = FolderSpec::parse(dir.path().to_str().unwrap());
        let store = Arc::new(Store::open(&[spec], 3, false));
        chunk(&store, 1, 20);
        chunk(&store, 2, 1);
        chunk(&store, 3, 0);
        let file = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|sub| {
                sub.unwrap()
                    .path()
                    .join("chunk_0000000000000002_00000001.mfs")
            })
            .find(|path| path.exists())
            .unwrap();
        let mut bytes = std::fs::read(&file).unwrap();
        bytes[8192 + 77] ^= 0x80;
        std::fs::write(&file, bytes).unwrap();

        let (stop, stopped) = watch::channel(false);
        let scrubber = Scrubber::new(Arc::clone(&store), 1, Duration::from_secs(3600), stopped);
        let task = tokio::spawn(scrubber.run());
        let metrics = store.metrics();
        while metrics.scrub_passes.get() == 0 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(metrics.scrub_chunks.get(), 2, "chunks 1 and 3 are clean");
        assert_eq!(metrics.scrub_damaged.get(), 1);
        assert_eq!(metrics.scrub_bytes.get(), 20 * u64::from(BLOCK_SIZE));
        assert_eq!(store.reports().take().damaged, [2]);

        tokio::time::sleep(Duration::from_secs(1800)).await;
        assert_eq!(metrics.scrub_passes.get(), 1, "the next pass waits");
        stop.send(true).unwrap();
        task.await.unwrap();
    }

    #[tokio::test]
    async fn rate_zero_disables_scrubbing() {
        let dir = tempfile::tempdir().unwrap();
        let spec = FolderSpec::parse(dir.path().to_str().unwrap());
        let store = Arc::new(Store::open(&[spec], 3, false));
        let (_stop, stopped) = watch::channel(false);
        Scrubber::new(Arc::clone(&store), 0, Duration::ZERO, stopped)
            .run()
            .await;
        assert_eq!(store.metrics().scrub_passes.get(), 0);
    }
}
