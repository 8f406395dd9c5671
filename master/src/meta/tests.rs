use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use proptest::prelude::*;

use super::format::{self, FileKind};
use super::record::{self, Damage};
use super::*;
use super::{segment, snapshot};
use crate::chunks::{ChunkEntry, ChunkTable, FileRef};
use crate::namespace::{Caller, Entry, Mutation, Namespace, NewNode, Outcome};
use crate::store::{MetadataStore, Opened};

fn frame(payloads: &[Vec<u8>]) -> (Vec<u8>, Vec<usize>) {
    let mut bytes = Vec::new();
    let mut ends = Vec::new();
    for payload in payloads {
        record::push(&mut bytes, payload).unwrap();
        ends.push(bytes.len());
    }
    (bytes, ends)
}

fn payloads() -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::collection::vec(prop::collection::vec(any::<u8>(), 1..64), 1..12)
}

fn caller() -> impl Strategy<Value = Caller> {
    prop_oneof![
        Just(Caller::root()),
        Just(Caller {
            uid: 1000,
            gids: vec![1000]
        }),
    ]
}

fn name() -> impl Strategy<Value = Box<[u8]>> {
    const NAMES: [&[u8]; 4] = [b"a", b"b", b"c", b"\xff\x00"];
    prop::sample::select(&NAMES[..]).prop_map(Box::from)
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let node = prop_oneof![
        Just(NewNode::File),
        Just(NewNode::Directory),
        Just(NewNode::Symlink(Box::from(&b"t"[..]))),
    ];
    prop_oneof![
        4 => (1u32..16, name(), node, any::<bool>()).prop_map(|(parent, name, node, copy_sgid)| {
            Mutation::Create { parent, name, node, mode: 0o755, umask: 0o022, copy_sgid }
        }),
        1 => (1u32..16, 1u32..16, name()).prop_map(|(inode, parent, name)| Mutation::Link { inode, parent, name }),
        2 => (1u32..16, name()).prop_map(|(parent, name)| Mutation::Unlink { parent, name }),
        2 => (1u32..16, name()).prop_map(|(parent, name)| Mutation::Rmdir { parent, name }),
        2 => (1u32..16, name(), 1u32..16, name()).prop_map(|(src_parent, src_name, dst_parent, dst_name)| {
            Mutation::Rename { src_parent, src_name, dst_parent, dst_name }
        }),
        1 => (1u32..16, any::<u64>()).prop_map(|(inode, length)| Mutation::SetLength { inode, length }),
        1 => (1u32..16, any::<u64>(), any::<bool>(), any::<bool>()).prop_map(|(inode, length, opened, keep_times)| {
            Mutation::Truncate { inode, length, opened, keep_times }
        }),
        1 => (1u32..16, any::<u32>(), any::<u32>()).prop_map(|(inode, atime, mtime)| {
            Mutation::AmTime { inode, atime, mtime }
        }),
    ]
}

fn chunk_entry() -> impl Strategy<Value = ChunkEntry> {
    prop_oneof![
        (1u32..16, 0u32..4, 1u8..4).prop_map(|(inode, index, class)| ChunkEntry::Create {
            file: FileRef { inode, index },
            class
        }),
        (1u64..4).prop_map(|chunk| ChunkEntry::IncreaseVersion { chunk }),
        (proptest::collection::vec(1u64..4, 0..3), any::<bool>())
            .prop_map(|(chunks, archived)| ChunkEntry::Archive { chunks, archived }),
    ]
}

fn log_entry() -> impl Strategy<Value = LogEntry> {
    prop_oneof![
        4 => (any::<u32>(), caller(), mutation())
            .prop_map(|(ts, caller, mutation)| LogEntry::Namespace(Entry { ts, caller, mutation })),
        1 => chunk_entry().prop_map(LogEntry::Chunk),
    ]
}

proptest! {
    #[test]
    fn records_round_trip(payloads in payloads()) {
        let (bytes, _) = frame(&payloads);
        let scan = record::scan(&bytes, usize::MAX);
        prop_assert_eq!(scan.damage, None);
        prop_assert_eq!(scan.valid_len, bytes.len());
        prop_assert_eq!(scan.records, payloads.iter().map(|p| &p[..]).collect::<Vec<_>>());
    }

    #[test]
    fn a_cut_tail_drops_only_the_cut_record(payloads in payloads(), cut in any::<prop::sample::Index>()) {
        let (bytes, ends) = frame(&payloads);
        let cut = cut.index(bytes.len());
        let scan = record::scan(&bytes[..cut], usize::MAX);
        let whole = ends.iter().filter(|&&end| end <= cut).count();
        prop_assert_eq!(scan.records.len(), whole);
        prop_assert_eq!(scan.valid_len, if whole == 0 { 0 } else { ends[whole - 1] });
        let expected = if scan.valid_len == cut { None } else { Some(Damage::Torn { at: scan.valid_len }) };
        prop_assert_eq!(scan.damage, expected);
    }

    #[test]
    fn a_flipped_byte_is_always_detected(
        payloads in payloads(),
        at in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let (mut bytes, ends) = frame(&payloads);
        let at = at.index(bytes.len());
        bytes[at] ^= flip;
        let damaged = ends.iter().position(|&end| at < end).unwrap();
        let scan = record::scan(&bytes, usize::MAX);
        prop_assert_eq!(scan.records.len(), damaged);
        prop_assert!(scan.damage.is_some());
        // With no allowance for a torn tail, damage is never dropped quietly.
        let strict = record::scan(&bytes, 0);
        prop_assert_eq!(strict.damage, Some(Damage::Corrupt { at: strict.valid_len }));
    }

    #[test]
    fn damage_before_intact_records_is_corruption(payloads in payloads(), flip in 1u8..=255) {
        prop_assume!(payloads.len() >= 2);
        let (mut bytes, _) = frame(&payloads);
        // A payload byte of the first record: its length still leads on.
        bytes[record::RECORD_HEADER] ^= flip;
        let scan = record::scan(&bytes, usize::MAX);
        prop_assert_eq!(scan.damage, Some(Damage::Corrupt { at: 0 }));
    }

    #[test]
    fn log_entries_round_trip(entry in log_entry()) {
        let bytes = format::encode(&entry).unwrap();
        prop_assert_eq!(format::decode::<LogEntry>(&bytes).unwrap(), entry);
    }
}

#[test]
fn trailing_bytes_after_a_value_are_refused() {
    let entry = LogEntry::Chunk(ChunkEntry::Remove { chunk: 7 });
    let mut bytes = format::encode(&entry).unwrap();
    bytes.push(0);
    assert!(format::decode::<LogEntry>(&bytes).is_err());
}

/// Freezes the version-6 layout: if this fails, a persisted type changed
/// shape and old logs would be misread. Bump `format::VERSION` instead.
#[test]
fn version_6_layout_is_frozen() {
    let entry = LogEntry::Namespace(Entry {
        ts: 1_700_000_000,
        caller: Caller {
            uid: 1000,
            gids: vec![1000, 5],
        },
        mutation: Mutation::Rename {
            src_parent: 1,
            src_name: Box::from(&b"a"[..]),
            dst_parent: 300,
            dst_name: Box::from(&b"bc"[..]),
        },
    });
    let hex: String = format::encode(&entry)
        .unwrap()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        hex,
        concat!(
            "00",         // LogEntry::Namespace
            "80e2cfaa06", // ts, varint
            "e807",       // uid 1000
            "02e80705",   // gids: count 2, 1000, 5
            "04",         // Mutation::Rename
            "01",         // src_parent
            "0161",       // src_name "a"
            "ac02",       // dst_parent 300
            "026263",     // dst_name "bc"
        )
    );
    let close = LogEntry::Namespace(Entry {
        ts: 1,
        caller: Caller::root(),
        mutation: Mutation::CloseSession { session: 300 },
    });
    assert_eq!(
        format::encode(&close).unwrap(),
        [0, 1, 0, 1, 0, 31, 0xac, 2],
        "Namespace, ts 1, uid 0, gids [0], CloseSession (31), session 300"
    );
    let chunk = format::encode(&LogEntry::Chunk(ChunkEntry::IncreaseVersion { chunk: 9 })).unwrap();
    assert_eq!(
        chunk,
        [1, 1, 9],
        "LogEntry::Chunk, IncreaseVersion, chunk 9"
    );
    let refs = [
        ChunkEntry::Create {
            file: FileRef {
                inode: 300,
                index: 2,
            },
            class: 10,
        },
        ChunkEntry::AddRef {
            chunk: 9,
            class: 11,
        },
        ChunkEntry::DropRef { chunk: 9, class: 2 },
        ChunkEntry::ChangeClass {
            chunk: 9,
            from: 2,
            to: 12,
        },
    ];
    let encoded: Vec<Vec<u8>> = refs.iter().map(|e| format::encode(e).unwrap()).collect();
    assert_eq!(
        encoded,
        [
            vec![0, 0xac, 2, 2, 10], // Create, inode 300, index 2, class 10
            vec![2, 9, 11],          // AddRef, chunk 9, class 11
            vec![3, 9, 2],           // DropRef, chunk 9, class 2
            vec![4, 9, 2, 12],       // ChangeClass, chunk 9, from 2, to 12
        ]
    );
    let mut table = ChunkTable::default();
    table.apply(&refs[0]).unwrap();
    table
        .apply(&ChunkEntry::AddRef {
            chunk: 1,
            class: 11,
        })
        .unwrap();
    let archive = ChunkEntry::Archive {
        chunks: vec![1],
        archived: true,
    };
    assert_eq!(
        format::encode(&archive).unwrap(),
        [7, 1, 1, 1],
        "Archive, 1 chunk, chunk 1, archived"
    );
    table.apply(&archive).unwrap();
    assert_eq!(
        format::encode(&table).unwrap(),
        [1, 1, 1, 2, 10, 1, 11, 1, 1, 2],
        "ChunkTable: 1 record, chunk 1, version 1, refs (class 10: 1, \
         class 11: 1), archived; next id 2"
    );
    let control = Mutation::ArchiveControl {
        inode: 300,
        archived: false,
    };
    assert_eq!(
        format::encode(&control).unwrap(),
        [32, 0xac, 2, 0],
        "ArchiveControl (32), inode 300, not archived"
    );
    let record = crate::raft::Entry {
        log_id: openraft::LogId::new(openraft::CommittedLeaderId::new(3, 1), 7),
        payload: openraft::EntryPayload::Normal(vec![LogEntry::Chunk(
            ChunkEntry::IncreaseVersion { chunk: 9 },
        )]),
    };
    assert_eq!(
        format::encode(&record).unwrap(),
        ENTRY_GOLDEN,
        "term 3, node 1, index 7, Normal, a batch of 1, then the entry above"
    );
}

#[test]
fn a_borrowed_image_encodes_like_an_owned_one() {
    let mut image = Image::new(5, 1_700_000_000);
    image.apply(&LogEntry::Namespace(mkdir("d")));
    image.apply(&LogEntry::Chunk(ChunkEntry::Create {
        file: FileRef { inode: 2, index: 0 },
        class: 2,
    }));
    let body = snapshot::encode(image.borrow()).unwrap();
    assert_eq!(body, format::encode(&image).unwrap());
    // Allocated once, at its size: no grown buffer for glibc to keep.
    assert_eq!(body.capacity(), body.len());
    assert_eq!(format::decode::<Image>(&body).unwrap(), image);
}

#[test]
fn headers_name_kind_version_and_index() {
    let header = format::header(FileKind::Log, 42);
    assert_eq!(format::parse_header(FileKind::Log, &header), Ok(42));
    assert!(format::parse_header(FileKind::Snapshot, &header).is_err());
    // Version 4 counted chunk references by goal; 7 is not written yet.
    for other in [4u8, 7] {
        let mut header = header;
        header[8] = other;
        let error = format::parse_header(FileKind::Log, &header).unwrap_err();
        assert!(error.contains(&format!("version {other}")), "{error}");
    }
    // Version 5 lacked the archive flags: its logs read as they are.
    let mut older = header;
    older[8] = 5;
    assert_eq!(
        format::parse_versioned_header(FileKind::Log, &older),
        Ok((5, 42))
    );
    assert!(format::parse_header(FileKind::Log, &header[..19]).is_err());
}

fn policy(every_entries: u64) -> SnapshotPolicy {
    SnapshotPolicy { every_entries }
}

async fn open(dir: &Path, every: u64) -> Opened {
    MetadataStore::open(dir, policy(every), 77).await.unwrap()
}

fn last_segment(dir: &Path) -> std::path::PathBuf {
    let first = *segment::list(dir).unwrap().segments.last().unwrap();
    segment::log_path(dir, first)
}

fn mkdir(name: &str) -> Entry {
    Entry {
        ts: 5,
        caller: Caller::root(),
        mutation: Mutation::Create {
            parent: 1,
            name: Box::from(name.as_bytes()),
            node: NewNode::Directory,
            mode: 0o755,
            umask: 0,
            copy_sgid: false,
        },
    }
}

/// Submits the namespace entries from concurrent tasks and journals the
/// chunk entries in order; returns the state every answer reflected.
async fn run(store: Arc<MetadataStore>, entries: Vec<LogEntry>) -> (Namespace, ChunkTable) {
    let mut chunks = ChunkTable::default();
    let mut tasks = Vec::new();
    for entry in entries {
        match entry {
            LogEntry::Namespace(entry) => {
                let store = store.clone();
                tasks.push(tokio::spawn(async move { store.submit(entry).await }));
            }
            LogEntry::Chunk(entry) => {
                // The chunk service journals only what applied to its table.
                if chunks.apply(&entry).is_ok() {
                    store.journal_chunk(entry).unwrap();
                }
            }
        }
    }
    for task in tasks {
        let _ = task.await.unwrap();
    }
    let namespace = store.read().await.clone();
    store.shutdown().await;
    (namespace, chunks)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Random entries, concurrent submits, snapshots every few entries, a
    /// stop without any shutdown step and maybe a torn write at the end:
    /// reopening gives back exactly the acknowledged state.
    #[test]
    fn reopening_restores_every_acknowledged_change(
        entries in prop::collection::vec(log_entry(), 1..200),
        every in 1u64..60,
        torn in prop::option::of(prop::collection::vec(any::<u8>(), 1..40)),
    ) {
        let rt = runtime();
        let dir = tempfile::tempdir().unwrap();
        let (namespace, expected_chunks) = rt.block_on(async {
            run(Arc::new(open(dir.path(), every).await.store), entries).await
        });
        if let Some(garbage) = torn {
            let mut file = OpenOptions::new().append(true).open(last_segment(dir.path())).unwrap();
            file.write_all(&garbage).unwrap();
        }
        for _ in 0..2 {
            let Opened { store, chunks, meta_id } = rt.block_on(open(dir.path(), every));
            prop_assert_eq!(meta_id, 77);
            let after = rt.block_on(store.read()).clone();
            rt.block_on(store.shutdown());
            prop_assert!(after.check().is_empty());
            prop_assert_eq!(&after, &namespace);
            prop_assert_eq!(&chunks, &expected_chunks);
        }
        let listing = segment::list(dir.path()).unwrap();
        prop_assert_eq!(listing.snapshots.len(), 1, "{:?}", listing);
    }
}

#[tokio::test]
async fn snapshots_remove_the_segments_they_cover() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), 10).await.store;
    for n in 0..35 {
        store.submit(mkdir(&format!("d{n}"))).await.unwrap();
    }
    // openraft builds snapshots in the background, one at a time: on a
    // loaded machine the one after entry 20 may still be to come.
    let snapshot_after_20 = || {
        segment::list(dir.path())
            .unwrap()
            .snapshots
            .iter()
            .any(|&s| s >= 20)
    };
    for _ in 0..300 {
        if snapshot_after_20() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    store.shutdown().await;
    // Which entry the last snapshot ends at depends on when openraft
    // built it; what it leaves behind does not.
    let listing = segment::list(dir.path()).unwrap();
    let [last] = listing.snapshots[..] else {
        panic!("one snapshot expected: {:?}", listing.snapshots)
    };
    assert!(last >= 20, "no snapshot after entry 20: {last}");
    // A purge closes the segment it reaches into and removes it at the
    // next purge: at most that one and the open one remain.
    assert!(listing.segments.len() <= 2, "{:?}", listing.segments);
    assert!(
        listing.segments[0] > 0,
        "the first segment was never removed"
    );
    assert!(listing.segments[0] <= last, "entry {last} is missing");
    let reopened = MetadataStore::open(dir.path(), policy(10), 99)
        .await
        .unwrap();
    assert_eq!(reopened.meta_id, 77, "the id drawn at initialisation stays");
    assert_eq!(reopened.store.read().await.node_count(), 36);
    reopened.store.shutdown().await;
}

/// A mount's session is metadata: after a restart the master still knows
/// it, by the id it had, and gives the next mount a new id.
#[tokio::test]
async fn registered_sessions_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let record = crate::namespace::SessionRecord {
        grant: crate::session::Grant::from_rule(&crate::exports::ExportRule::default(), 1),
        peer: std::net::Ipv4Addr::new(10, 0, 0, 5),
        version: 0x0003_0075,
        info: Box::from(&b"/mnt/a"[..]),
    };
    let register = |previous| Mutation::OpenSession {
        previous,
        record: Box::new(record.clone()),
    };
    let opened = open(dir.path(), 1000).await;
    let first = opened.store.change(&Caller::root(), register(None)).await;
    let second = opened.store.change(&Caller::root(), register(None)).await;
    assert_eq!(
        (first, second),
        (Ok(Outcome::Session(1)), Ok(Outcome::Session(2)))
    );
    let closed = opened
        .store
        .change(&Caller::root(), Mutation::CloseSession { session: 2 })
        .await;
    assert_eq!(closed, Ok(Outcome::Session(2)));
    opened.store.shutdown().await;

    let reopened = open(dir.path(), 1000).await;
    assert_eq!(reopened.store.read().await.session(1), Some(&record));
    assert_eq!(reopened.store.read().await.session(2), None);
    let next = reopened.store.change(&Caller::root(), register(None)).await;
    assert_eq!(next, Ok(Outcome::Session(3)), "id 2 is not given again");
    reopened.store.shutdown().await;
}

/// Chunk references count by storage class (format 5): after a restart,
/// from the log and from a snapshot, a chunk of a custom class and a
/// goal class still follows the custom one, which keeps three copies.
#[tokio::test]
async fn chunk_references_by_class_survive_a_restart() {
    for every in [1, 1000] {
        let dir = tempfile::tempdir().unwrap();
        let opened = open(dir.path(), every).await;
        let def = crate::namespace::ClassDef {
            mode: 1,
            create: vec![[0; 4]],
            keep: vec![[1, 0, 0, 0], [2, 0, 0, 0], [0; 4]],
            arch: vec![[0; 4]],
            ..Default::default()
        };
        let create = Mutation::SclassCreate {
            name: Box::from(&b"three"[..]),
            def,
        };
        opened.store.change(&Caller::root(), create).await.unwrap();
        let three = opened.store.read().await.classes().find(b"three").unwrap();
        let file = FileRef { inode: 2, index: 0 };
        let entries = [
            ChunkEntry::Create { file, class: three },
            ChunkEntry::AddRef { chunk: 1, class: 2 },
        ];
        for entry in entries {
            opened.store.journal_chunk(entry).unwrap();
        }
        opened.store.shutdown().await;

        let reopened = open(dir.path(), every).await;
        let classes = reopened.store.read().await.classes().clone();
        let record = reopened.chunks.get(1).unwrap();
        assert_eq!(record.ref_count(), 2);
        assert_eq!(record.class(&classes), three, "snapshot every {every}");
        let mut state = crate::chunks::ChunkState::new(reopened.chunks.clone());
        state.set_classes(classes);
        assert_eq!(state.placement(record).goal(), 3);
        reopened.store.shutdown().await;
    }
}

#[tokio::test]
async fn damage_before_acknowledged_entries_stops_recovery() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), 1000).await.store;
    for n in 0..5 {
        store.submit(mkdir(&format!("d{n}"))).await.unwrap();
    }
    store.shutdown().await;
    let path = last_segment(dir.path());
    let mut bytes = fs::read(&path).unwrap();
    bytes[format::HEADER_LEN + record::RECORD_HEADER] ^= 0x40;
    fs::write(&path, bytes).unwrap();
    match MetadataStore::open(dir.path(), policy(1000), 77).await {
        Err(MetaError::Corrupt { offset, .. }) => assert_eq!(offset, format::HEADER_LEN),
        other => panic!("expected corruption, got {other:?}"),
    }
}

#[tokio::test]
async fn a_second_master_cannot_open_a_directory_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let first = open(dir.path(), 1000).await;
    assert!(matches!(
        MetadataStore::open(dir.path(), policy(1000), 77).await,
        Err(MetaError::Locked { .. })
    ));
    first.store.shutdown().await;
    open(dir.path(), 1000).await.store.shutdown().await;
}

#[tokio::test]
async fn an_inconsistent_tree_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut namespace = Namespace::new(1);
    namespace.drop_node_for_test(crate::namespace::ROOT);
    let chunks = ChunkTable::default();
    let body = snapshot::encode(ImageRef {
        meta_id: 1,
        namespace: &namespace,
        chunks: &chunks,
    })
    .unwrap();
    let meta = crate::raft::SnapshotMeta {
        last_log_id: None,
        last_membership: Default::default(),
        snapshot_id: "0".into(),
    };
    snapshot::write(dir.path(), &meta, &body).unwrap();
    match MetadataStore::open(dir.path(), policy(1000), 77).await {
        Err(MetaError::Inconsistent(problems)) => assert!(!problems.is_empty()),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_log_without_its_snapshot_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    open(dir.path(), 1000).await.store.shutdown().await;
    fs::remove_file(segment::snapshot_path(dir.path(), 0)).unwrap();
    assert!(matches!(
        MetadataStore::open(dir.path(), policy(1000), 77).await,
        Err(MetaError::NoSnapshot { .. })
    ));
}

const ENTRY_GOLDEN: [u8; 8] = [3, 1, 7, 1, 1, 1, 1, 9];

fn blank(index: u64) -> crate::raft::Entry {
    crate::raft::Entry {
        log_id: openraft::LogId::new(openraft::CommittedLeaderId::new(1, 1), index),
        payload: openraft::EntryPayload::Blank,
    }
}

fn append_blanks(files: &mut LogFiles, indexes: std::ops::Range<u64>) {
    let mut records = Vec::new();
    let mut sizes = Vec::new();
    for index in indexes {
        let payload = format::encode(&blank(index)).unwrap();
        record::push(&mut records, &payload).unwrap();
        sizes.push(record::RECORD_HEADER + payload.len());
    }
    files.append(&records, &sizes).unwrap();
}

fn indexes(entries: &[crate::raft::Entry]) -> Vec<u64> {
    entries.iter().map(|entry| entry.log_id.index).collect()
}

#[test]
fn truncation_cuts_at_an_entry_across_segments() {
    let dir = tempfile::tempdir().unwrap();
    let (mut files, _) = LogFiles::open(dir.path(), None).unwrap();
    append_blanks(&mut files, 0..4);
    files.purge(1).unwrap();
    append_blanks(&mut files, 4..8);
    assert_eq!(segment::list(dir.path()).unwrap().segments, [0, 4]);
    files.truncate(2).unwrap();
    assert_eq!(files.next(), 2);
    append_blanks(&mut files, 2..3);
    drop(files);
    let (files, entries) = LogFiles::open(dir.path(), Some(1)).unwrap();
    assert_eq!(indexes(&entries), [2]);
    assert_eq!(files.next(), 3);
}

#[test]
fn a_purge_past_the_end_continues_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let (mut files, _) = LogFiles::open(dir.path(), None).unwrap();
    append_blanks(&mut files, 0..3);
    files.purge(10).unwrap();
    assert_eq!(files.next(), 11);
    assert_eq!(segment::list(dir.path()).unwrap().segments, [11]);
    append_blanks(&mut files, 11..13);
    drop(files);
    let (files, entries) = LogFiles::open(dir.path(), Some(10)).unwrap();
    assert_eq!(indexes(&entries), [11, 12]);
    assert_eq!(files.next(), 13);
}

#[test]
fn a_stop_between_purge_state_and_segments_is_recovered() {
    let dir = tempfile::tempdir().unwrap();
    let (mut files, _) = LogFiles::open(dir.path(), None).unwrap();
    append_blanks(&mut files, 0..3);
    drop(files);
    // `logstate` already names entry 10 purged; no segment was touched.
    let (files, entries) = LogFiles::open(dir.path(), Some(10)).unwrap();
    assert!(entries.is_empty());
    assert_eq!(files.next(), 11);
    assert_eq!(segment::list(dir.path()).unwrap().segments, [11]);
}

/// Concurrent submitters share group commits, and each one gets the
/// answer to its own change: of 32 creates of one name exactly one
/// succeeds, and each of 32 creates of its own name gets that node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_submitter_gets_the_answer_to_its_own_change() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open(dir.path(), 1000).await.store);
    let tasks: Vec<_> = (0..64)
        .map(|n| {
            let store = store.clone();
            let name = if n % 2 == 0 {
                "same".to_owned()
            } else {
                format!("own{n}")
            };
            tokio::spawn(async move { (name.clone(), store.submit(mkdir(&name)).await) })
        })
        .collect();
    let mut created_same = 0;
    for task in tasks {
        let (name, outcome) = task.await.unwrap();
        match outcome {
            Ok(crate::namespace::Outcome::Node(inode)) => {
                let found = store
                    .read()
                    .await
                    .lookup(&Caller::root(), 1, name.as_bytes());
                assert_eq!(found, Ok(inode), "{name}");
                created_same += usize::from(name == "same");
            }
            Err(status) => {
                assert_eq!(name, "same", "{status:?}");
                assert_eq!(status, mooseng_wire::Status::EEXIST);
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    assert_eq!(created_same, 1);
    store.shutdown().await;
}

/// A written snapshot's image is not kept in memory: openraft gets it
/// read back from its file, so a damaged file shows.
#[tokio::test]
async fn the_current_snapshot_is_read_back_from_its_file() {
    use openraft::storage::RaftStateMachine;
    use openraft::RaftSnapshotBuilder;

    let dir = tempfile::tempdir().unwrap();
    let stats = Arc::new(LogStats::default());
    let (mut machine, _) = StateMachine::open(dir.path(), Image::new(1, 1), stats).unwrap();
    assert!(machine.get_current_snapshot().await.unwrap().is_none());
    machine.apply(vec![blank(0), blank(1)]).await.unwrap();
    let built = machine
        .get_snapshot_builder()
        .await
        .build_snapshot()
        .await
        .unwrap();
    let image = built.snapshot.into_inner();
    let current = machine.get_current_snapshot().await.unwrap().unwrap();
    assert_eq!(current.meta, built.meta);
    assert_eq!(current.snapshot.into_inner(), image);
    let listing = segment::list(dir.path()).unwrap();
    assert_eq!(listing.snapshots, [2], "the first snapshot was not pruned");

    let path = segment::snapshot_path(dir.path(), 2);
    let mut bytes = fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xFF;
    fs::write(&path, bytes).unwrap();
    assert!(machine.get_current_snapshot().await.is_err());
}
