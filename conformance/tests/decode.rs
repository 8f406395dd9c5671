//! The decode pipeline on captures built in memory.

mod common;

use common::*;
use mooseng_conformance::framing::{Header, SkipReason};
use mooseng_conformance::reassembly::Gap;
use mooseng_conformance::report::{Report, Skip};
use mooseng_conformance::{Options, PortRole};
use mooseng_wire::Direction::{ClientToMaster, MasterToClient};
use pcap_file::DataLink;

fn counts(report: &Report, direction: mooseng_wire::Direction, code: u32) -> [u64; 6] {
    let row = report
        .row(direction, code)
        .unwrap_or_else(|| panic!("no row for {direction} {code}"));
    [
        row.seen,
        row.decoded,
        row.identical,
        row.failed,
        row.truncated,
        row.lost,
    ]
}

/// Two requests and a NOP from the client, two answers from the master;
/// the second request is split over two segments.
fn conversation(flow: &Flow) -> Vec<Vec<u8>> {
    let first = [get_config(1, "WORKING_USER"), nop()].concat();
    let second = get_config(2, "DATA_PATH");
    let (head, tail) = second.split_at(5);
    let answer = config_value(1, "mfs");
    let mut packets = flow.handshake();
    packets.push(flow.client_sends(0, &[first.clone(), head.to_vec()].concat()));
    packets.push(flow.server_sends(0, &answer));
    packets.push(flow.client_sends((first.len() + 5) as u32, tail));
    packets.push(flow.server_sends(answer.len() as u32, &config_value(2, "/var/lib/mfs")));
    packets.push(flow.client_fin((first.len() + second.len()) as u32));
    packets
}

fn assert_conversation(report: &Report) {
    assert_eq!(counts(report, ClientToMaster, 80), [2, 2, 2, 0, 0, 0]);
    assert_eq!(counts(report, ClientToMaster, 0), [1, 1, 1, 0, 0, 0]);
    assert_eq!(counts(report, MasterToClient, 81), [2, 2, 2, 0, 0, 0]);
    assert_eq!(report.messages.len(), 3);
    assert_eq!(report.totals.seen, 5);
    assert!(!report.has_failures());
    assert_eq!(report.streams.len(), 2);
    let client = &report.streams[0];
    assert_eq!(client.direction, Some(ClientToMaster));
    assert!(client.syn_seen && client.closed);
    assert_eq!(client.frames, 3);
    assert!(client.gaps.is_empty() && client.skipped.is_empty());
    assert_eq!(report.streams[1].direction, Some(MasterToClient));
}

#[test]
fn every_link_type_ip_version_and_file_format_is_read() {
    let links = [
        DataLink::ETHERNET,
        DataLink::LINUX_SLL,
        DataLink::LINUX_SLL2,
        DataLink::RAW,
        DataLink::NULL,
        DataLink::LOOP,
    ];
    for link in links {
        for flow in [Flow::new(9421), Flow::new(9421).ipv6()] {
            let packets = conversation(&flow);
            for (format, capture) in [
                ("pcap", pcap(link, &packets)),
                ("pcapng", pcapng(link, &packets)),
            ] {
                let report = decode(&capture);
                assert_eq!(report.files[0].packets, 7, "{link:?} {format}");
                assert_eq!(report.files[0].tcp_segments, 7, "{link:?} {format}");
                assert_conversation(&report);
            }
        }
    }
}

#[test]
fn reordered_and_retransmitted_segments_are_put_back_in_order() {
    let flow = Flow::new(9421);
    let stream: Vec<u8> = (1..=4)
        .flat_map(|i| get_config(i, "WORKING_USER"))
        .collect();
    let mut packets = flow.handshake();
    let segments: Vec<(u32, &[u8])> = stream
        .chunks(10)
        .enumerate()
        .map(|(i, c)| (i as u32 * 10, c))
        .collect();
    for &(offset, bytes) in segments.iter().rev() {
        packets.push(flow.client_sends(offset, bytes));
    }
    // A plain retransmission, and one overlapping two earlier segments.
    packets.push(flow.client_sends(segments[2].0, segments[2].1));
    packets.push(flow.client_sends(5, &stream[5..25]));
    let report = decode(&pcap(DataLink::ETHERNET, &packets));
    assert_eq!(counts(&report, ClientToMaster, 80), [4, 4, 4, 0, 0, 0]);
    let s = &report.streams[0];
    assert_eq!(s.retransmitted_bytes, 10 + 20);
    assert_eq!(s.captured_bytes, stream.len() as u64);
    assert!(s.gaps.is_empty());
}

#[test]
fn a_capture_starting_mid_stream_resynchronises() {
    let flow = Flow::new(9421);
    // The cut frame's name holds a decoy: a decodable ANTOAN_GET_CONFIG
    // whose supposed successor is not a header, so rule 4 must refuse it.
    let cut = get_config(7, "\0\0\0\x50\0\0\0\x05\0\0\0\x01\0xxxxxxxxxx");
    let rest: Vec<u8> = (1..=3)
        .flat_map(|i| get_config(i, "WORKING_USER"))
        .collect();
    let stream = [cut.clone(), rest].concat();
    let packets = vec![
        flow.client_sends(3, &stream[3..40]),
        flow.client_sends(40, &stream[40..]),
    ];
    let report = decode(&pcapng(DataLink::ETHERNET, &packets));
    assert_eq!(counts(&report, ClientToMaster, 80), [3, 3, 3, 0, 0, 0]);
    let s = &report.streams[0];
    assert!(!s.syn_seen);
    assert_eq!(
        s.skipped,
        vec![Skip {
            offset: 0,
            len: cut.len() as u64 - 3,
            reason: SkipReason::MidStream
        }]
    );
}

#[test]
fn a_mid_stream_frame_followed_only_by_a_cut_header_is_found() {
    let flow = Flow::new(9421);
    let answer = config_value(1, "mfs");
    let stream = [
        config_value(9, "abcdef"),
        answer.clone(),
        nop()[..5].to_vec(),
    ]
    .concat();
    let start = 6;
    let packets = vec![flow.server_sends(start, &stream[start as usize..])];
    let report = decode(&pcap(DataLink::ETHERNET, &packets));
    assert_eq!(counts(&report, MasterToClient, 81), [1, 1, 1, 0, 0, 0]);
    let s = &report.streams[0];
    assert_eq!(
        s.skipped[0].len,
        (config_value(9, "abcdef").len() - 6) as u64
    );
    assert_eq!(s.truncated.unwrap().captured, 5);
}

#[test]
fn a_lost_segment_inside_a_payload_keeps_framing_in_step() {
    let flow = Flow::new(9421);
    let frames: Vec<Vec<u8>> = (1..=3).map(|i| get_config(i, "WORKING_USER")).collect();
    let len = frames[0].len() as u32;
    let mut packets = flow.handshake();
    packets.push(flow.client_sends(0, &frames[0]));
    packets.push(flow.client_sends(len, &frames[1][..10]));
    // frames[1][10..14] never captured
    packets.push(flow.client_sends(len + 14, &frames[1][14..]));
    packets.push(flow.client_sends(2 * len, &frames[2]));
    let report = decode(&pcap(DataLink::ETHERNET, &packets));
    assert_eq!(counts(&report, ClientToMaster, 80), [2, 2, 2, 0, 0, 1]);
    let s = &report.streams[0];
    assert_eq!(
        s.gaps,
        vec![Gap {
            offset: u64::from(len) + 10,
            missing: 4
        }]
    );
    assert!(s.skipped.is_empty());
    assert_eq!(s.lost_frames, 1);
}

#[test]
fn a_lost_header_is_found_again_after_the_gap() {
    let flow = Flow::new(9421);
    let frames: Vec<Vec<u8>> = (1..=4).map(|i| get_config(i, "WORKING_USER")).collect();
    let len = frames[0].len() as u32;
    let mut packets = flow.handshake();
    packets.push(flow.client_sends(0, &frames[0]));
    packets.push(flow.client_sends(len, &frames[1][..10]));
    // The rest of frames[1] and the header of frames[2] are lost.
    packets.push(flow.client_sends(2 * len + 12, &frames[2][12..]));
    packets.push(flow.client_sends(3 * len, &frames[3]));
    let report = decode(&pcap(DataLink::ETHERNET, &packets));
    assert_eq!(counts(&report, ClientToMaster, 80), [2, 2, 2, 0, 0, 1]);
    let s = &report.streams[0];
    assert_eq!(
        s.skipped,
        vec![Skip {
            offset: u64::from(2 * len + 12),
            len: u64::from(len - 12),
            reason: SkipReason::AfterGap
        }]
    );
}

#[test]
fn a_frame_cut_by_the_end_of_the_capture_is_truncated_not_failed() {
    let flow = Flow::new(9421);
    let frames: Vec<Vec<u8>> = (1..=2).map(|i| get_config(i, "WORKING_USER")).collect();
    let mut packets = flow.handshake();
    packets.push(flow.client_sends(0, &frames[0]));
    packets.push(flow.client_sends(frames[0].len() as u32, &frames[1][..11]));
    let report = decode(&pcap(DataLink::ETHERNET, &packets));
    assert_eq!(counts(&report, ClientToMaster, 80), [1, 1, 1, 0, 1, 0]);
    assert!(!report.has_failures());
    let tail = report.streams[0].truncated.unwrap();
    assert_eq!(tail.offset, frames[0].len() as u64);
    assert_eq!(tail.captured, 11);
    assert_eq!(
        tail.header,
        Some(Header {
            code: 80,
            len: frames[1].len() as u32 - 8
        })
    );
}

#[test]
fn a_cut_header_is_truncated_without_a_type() {
    let flow = Flow::new(9421);
    let mut packets = flow.handshake();
    packets.push(flow.client_sends(0, &nop()));
    packets.push(flow.client_sends(nop().len() as u32, &[0, 0, 0]));
    let report = decode(&pcap(DataLink::ETHERNET, &packets));
    assert_eq!(report.totals.truncated, 0);
    let tail = report.streams[0].truncated.unwrap();
    assert_eq!((tail.header, tail.captured), (None, 3));
}

#[test]
fn undecodable_and_unknown_frames_fail_with_a_hex_dump() {
    let flow = Flow::new(9421);
    let mut bad = get_config(9, "X");
    bad.push(0xab);
    bad[7] += 1;
    let unknown = frame(60000, b"lookup");
    let stream = [get_config(1, "A"), bad, unknown, get_config(2, "B")].concat();
    let mut packets = flow.handshake();
    packets.push(flow.client_sends(0, &stream));
    let report = decode(&pcap(DataLink::ETHERNET, &packets));
    assert_eq!(counts(&report, ClientToMaster, 80), [3, 2, 2, 1, 0, 0]);
    assert_eq!(counts(&report, ClientToMaster, 60000), [1, 0, 0, 1, 0, 0]);
    assert!(report.has_failures());

    let bad_row = report.row(ClientToMaster, 80).unwrap();
    let sample = bad_row.first_failure.as_ref().unwrap();
    assert_eq!(sample.offset, 14);
    assert_eq!(sample.packet, Some(3));
    assert!(sample.error.contains("left over"), "{}", sample.error);
    assert!(
        sample.dump.starts_with("000000  00 00 00 09 01 58 ab "),
        "{}",
        sample.dump
    );

    let unknown_row = report.row(ClientToMaster, 60000).unwrap();
    assert_eq!(unknown_row.name, None);
    let sample = unknown_row.first_failure.as_ref().unwrap();
    assert!(
        sample.error.contains("unknown message type 60000"),
        "{}",
        sample.error
    );

    let text = report.to_string();
    assert!(text.contains("(unknown code)"), "{text}");
    assert!(text.contains("|.....X.|"), "{text}");
    assert!(text.contains("|lookup|"), "{text}");
}

#[test]
fn an_oversized_header_fails_and_framing_recovers() {
    let flow = Flow::new(9421);
    let huge = [80u32.to_be_bytes(), 60_000_000u32.to_be_bytes()].concat();
    let stream = [
        get_config(1, "A"),
        huge,
        get_config(2, "B"),
        get_config(3, "C"),
    ]
    .concat();
    let mut packets = flow.handshake();
    packets.push(flow.client_sends(0, &stream));
    let report = decode(&pcap(DataLink::ETHERNET, &packets));
    assert_eq!(counts(&report, ClientToMaster, 80), [4, 3, 3, 1, 0, 0]);
    let sample = report
        .row(ClientToMaster, 80)
        .unwrap()
        .first_failure
        .as_ref()
        .unwrap();
    assert!(
        sample.error.contains("more than the 50000000"),
        "{}",
        sample.error
    );
    assert_eq!(
        report.streams[0].skipped[0].reason,
        SkipReason::AfterOversized
    );
}

#[test]
fn port_overrides_classify_non_standard_ports() {
    let flow = Flow::new(19421);
    let packets = conversation(&flow);
    let capture = pcap(DataLink::ETHERNET, &packets);
    let ignored = decode(&capture);
    assert!(ignored.messages.is_empty());
    assert!(ignored.streams.iter().all(|s| s.direction.is_none()));

    let options = Options {
        ports: vec!["19421=master-client".parse::<PortRole>().unwrap()],
        ..Options::default()
    };
    assert_conversation(&decode_with(&capture, &options));
}

#[test]
fn a_reused_port_pair_starts_a_new_stream() {
    let first = Flow::new(9421);
    let second = Flow {
        client_isn: 5_000_000,
        ..first
    };
    let mut packets = first.handshake();
    packets.push(first.client_sends(0, &get_config(1, "A")));
    packets.push(first.client_fin(14));
    packets.extend(second.handshake());
    packets.push(second.client_sends(0, &get_config(2, "B")));
    let report = decode(&pcap(DataLink::ETHERNET, &packets));
    let to_master: Vec<_> = report
        .streams
        .iter()
        .filter(|s| s.direction == Some(ClientToMaster))
        .collect();
    assert_eq!(to_master.len(), 2);
    assert!(to_master.iter().all(|s| s.frames == 1 && s.syn_seen));
    assert_eq!(counts(&report, ClientToMaster, 80), [2, 2, 2, 0, 0, 0]);
}
