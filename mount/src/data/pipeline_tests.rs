//! The write pipeline against a fake chunkserver: random writes go through
//! the write-back buffer in two flushes, are cut and grouped per chunk, and
//! every chunk is sent concurrently through one [`Chain`] kept open across
//! both flushes, the second sent before the first is acknowledged; the bytes that arrive (CRC checked) must equal a plain
//! sequential model of the same writes.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use mooseng_wire::cltocs::{Write, WriteData, WriteFinish};
use mooseng_wire::cstocl::WriteStatus;
use mooseng_wire::{Ctx, Direction, Status};
use proptest::prelude::*;
use tokio::net::{TcpListener, TcpStream};

use super::chain::Chain;
use super::cs::ChunkRef;
use super::extents::Extents;
use super::write::by_chunk;
use crate::frame_io;
use crate::geometry::{BLOCK_SIZE, CHUNK_SIZE};

/// Bytes stored by the fake chunkserver, by absolute file offset.
type Stored = Arc<Mutex<HashMap<u64, u8>>>;

/// Serves one CLTOCS_WRITE session: acknowledges the chain, stores every
/// WRITE_DATA after checking its CRC and that its write id is new, stops
/// at WRITE_FINISH.
async fn serve(mut stream: TcpStream, stored: Stored) {
    let max = Direction::ToChunkserver.max_payload();
    let Ok(frame) = frame_io::read_frame(&mut stream, max).await else {
        return;
    };
    let Ok(open) = frame_io::decode::<Write>(&frame, Ctx::default()) else {
        return;
    };
    // The fake keeps chunk `i` as chunkid `i + 1`.
    let base = (open.chunkid - 1) * CHUNK_SIZE;
    let status = |writeid, status| WriteStatus {
        chunkid: open.chunkid,
        writeid,
        status,
    };
    if frame_io::send(&mut stream, &status(0, Status::OK))
        .await
        .is_err()
    {
        return;
    }
    let mut last_id = 0;
    while let Ok(frame) = frame_io::read_frame(&mut stream, max).await {
        if frame.kind == WriteFinish::CODE {
            return;
        }
        let Ok(data) = frame_io::decode::<WriteData>(&frame, Ctx::default()) else {
            return;
        };
        // Write ids keep growing on one connection, also across flushes.
        let ok = crc32fast::hash(&data.block.data) == data.block.crc && data.writeid > last_id;
        last_id = data.writeid;
        if ok {
            let at = base + u64::from(data.blocknum) * BLOCK_SIZE + u64::from(data.offset);
            let mut stored = stored.lock().unwrap();
            for (i, byte) in data.block.data.iter().enumerate() {
                stored.insert(at + i as u64, *byte);
            }
        }
        let answer = status(data.writeid, if ok { Status::OK } else { Status::CRC });
        if frame_io::send(&mut stream, &answer).await.is_err() {
            return;
        }
    }
}

async fn pipeline(writes: &[(u64, Vec<u8>)]) -> HashMap<u64, u8> {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let stored = Stored::default();
    let server = {
        let stored = stored.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, stored.clone()));
            }
        })
    };
    // Two flushes through each chunk's one chain: the second continues
    // the first's write ids on the same connection.
    let (first, second) = writes.split_at(writes.len() / 2);
    let mut flushes = Vec::new();
    for part in [first, second] {
        let mut extents = Extents::default();
        for (offset, data) in part {
            extents.insert(*offset, data);
        }
        flushes.push(by_chunk(extents.take()));
    }
    let mut chunks: HashMap<u32, Vec<Vec<(u32, Bytes)>>> = HashMap::new();
    for flush in flushes {
        for (index, pieces) in flush {
            chunks.entry(index).or_default().push(pieces);
        }
    }
    let sends = chunks.into_iter().map(|(index, flushes)| {
        let chunk = ChunkRef {
            chunkid: u64::from(index) + 1,
            version: 1,
        };
        tokio::spawn(async move {
            let mut chain = Chain::open(&[addr], chunk).await?;
            let mut last = 0;
            for pieces in flushes {
                last = chain.send(&pieces).await?;
            }
            // Acknowledgements come in order, one per write id.
            for expected in 1..=last {
                assert_eq!(chain.next_ack().await?, expected);
            }
            chain.finish().await
        })
    });
    for send in sends.collect::<Vec<_>>() {
        send.await.unwrap().unwrap();
    }
    server.abort();
    let result = stored.lock().unwrap().clone();
    result
}

/// Offsets near the start, a block boundary and the chunk boundaries of
/// the first three chunks, so pieces straddle both kinds of boundary.
fn offset() -> impl Strategy<Value = u64> {
    (
        0u64..3,
        prop_oneof![
            0u64..300,
            BLOCK_SIZE - 200..BLOCK_SIZE + 200,
            CHUNK_SIZE - 300..CHUNK_SIZE
        ],
    )
        .prop_map(|(chunk, at)| chunk * CHUNK_SIZE + at)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    #[test]
    fn concurrent_chunk_writes_match_a_sequential_model(
        writes in proptest::collection::vec(
            (offset(), proptest::collection::vec(any::<u8>(), 1..700)),
            1..24,
        )
    ) {
        let mut model = HashMap::new();
        for (offset, data) in &writes {
            for (i, byte) in data.iter().enumerate() {
                model.insert(offset + i as u64, *byte);
            }
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let stored = runtime.block_on(pipeline(&writes));
        prop_assert_eq!(stored, model);
    }
}
