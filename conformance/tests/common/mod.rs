//! Builds captures in memory: TCP segments of a MooseFS connection, wrapped
//! in any supported link header, written as pcap or pcapng.

// Helpers only for tests: a capture that cannot be built is a broken test,
// and not every test binary uses every helper.
#![allow(dead_code, clippy::unwrap_used)]

use std::borrow::Cow;
use std::io::Cursor;
use std::time::Duration;

use etherparse::PacketBuilder;
use mooseng_conformance::{Decoder, Options, Report};
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionBlock;
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::DataLink;

/// A MooseFS frame: `type:32 length:32 payload`.
pub fn frame(code: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = code.to_be_bytes().to_vec();
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// `ANTOAN_GET_CONFIG`: `msgid:32 option_name:NAME`.
pub fn get_config(msgid: u32, option: &str) -> Vec<u8> {
    let mut payload = msgid.to_be_bytes().to_vec();
    payload.push(option.len() as u8);
    payload.extend_from_slice(option.as_bytes());
    frame(80, &payload)
}

/// `ANTOAN_CONFIG_VALUE`: `msgid:32 option_value:NAME`.
pub fn config_value(msgid: u32, value: &str) -> Vec<u8> {
    let mut payload = msgid.to_be_bytes().to_vec();
    payload.push(value.len() as u8);
    payload.extend_from_slice(value.as_bytes());
    frame(81, &payload)
}

/// `ANTOAN_NOP` with the client channel's zero msgid.
pub fn nop() -> Vec<u8> {
    frame(0, &[0, 0, 0, 0])
}

/// One TCP connection between a client and a server port, producing raw
/// IP packets. Offsets are stream offsets: 0 is the first data byte.
#[derive(Debug, Clone, Copy)]
pub struct Flow {
    pub client_port: u16,
    pub server_port: u16,
    pub ipv6: bool,
    /// Chosen so the client's sequence numbers wrap past 2^32 early on.
    pub client_isn: u32,
    pub server_isn: u32,
}

impl Flow {
    pub fn new(server_port: u16) -> Self {
        Flow {
            client_port: 40000,
            server_port,
            ipv6: false,
            client_isn: 0xffff_fff0,
            server_isn: 1000,
        }
    }

    pub fn ipv6(self) -> Self {
        Flow { ipv6: true, ..self }
    }

    /// SYN and SYN-ACK.
    pub fn handshake(&self) -> Vec<Vec<u8>> {
        vec![
            self.packet(true, self.client_isn, true, false, &[]),
            self.packet(false, self.server_isn, true, false, &[]),
        ]
    }

    pub fn client_sends(&self, offset: u32, payload: &[u8]) -> Vec<u8> {
        let seq = self.client_isn.wrapping_add(1).wrapping_add(offset);
        self.packet(true, seq, false, false, payload)
    }

    pub fn server_sends(&self, offset: u32, payload: &[u8]) -> Vec<u8> {
        let seq = self.server_isn.wrapping_add(1).wrapping_add(offset);
        self.packet(false, seq, false, false, payload)
    }

    pub fn client_fin(&self, offset: u32) -> Vec<u8> {
        let seq = self.client_isn.wrapping_add(1).wrapping_add(offset);
        self.packet(true, seq, false, true, &[])
    }

    fn packet(&self, to_server: bool, seq: u32, syn: bool, fin: bool, payload: &[u8]) -> Vec<u8> {
        let (src_port, dst_port) = if to_server {
            (self.client_port, self.server_port)
        } else {
            (self.server_port, self.client_port)
        };
        let ip = if self.ipv6 {
            let (a, b) = ([0xfd; 16], [0xfe; 16]);
            let (src, dst) = if to_server { (a, b) } else { (b, a) };
            PacketBuilder::ipv6(src, dst, 64)
        } else {
            let (a, b) = ([10, 0, 0, 1], [10, 0, 0, 2]);
            let (src, dst) = if to_server { (a, b) } else { (b, a) };
            PacketBuilder::ipv4(src, dst, 64)
        };
        let mut tcp = ip.tcp(src_port, dst_port, seq, 65535);
        if syn {
            tcp = tcp.syn();
        }
        if fin {
            tcp = tcp.fin();
        }
        let mut out = Vec::new();
        tcp.write(&mut out, payload).unwrap();
        out
    }
}

/// Puts the link header of `link` in front of a raw IP packet.
pub fn wrap(link: DataLink, ip: &[u8]) -> Vec<u8> {
    let v6 = ip[0] >> 4 == 6;
    let ether_type: [u8; 2] = if v6 { [0x86, 0xdd] } else { [0x08, 0x00] };
    let mut out = match link {
        DataLink::ETHERNET => {
            let mut h = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];
            h.extend_from_slice(&ether_type);
            h
        }
        DataLink::LINUX_SLL => {
            // packet type, ARPHRD_ETHER, address length, address (8), protocol
            let mut h = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0];
            h.extend_from_slice(&ether_type);
            h
        }
        DataLink::LINUX_SLL2 => {
            // protocol, reserved, ifindex, ARPHRD_ETHER, packet type,
            // address length, address (8)
            let mut h = ether_type.to_vec();
            h.extend_from_slice(&[0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0]);
            h
        }
        DataLink::NULL => vec![if v6 { 30 } else { 2 }, 0, 0, 0],
        DataLink::LOOP => vec![0, 0, 0, if v6 { 24 } else { 2 }],
        DataLink::RAW | DataLink::IPV4 | DataLink::IPV6 => Vec::new(),
        other => panic!("no test wrapper for {other:?}"),
    };
    out.extend_from_slice(ip);
    out
}

pub fn pcap(link: DataLink, ip_packets: &[Vec<u8>]) -> Vec<u8> {
    let header = PcapHeader {
        datalink: link,
        ..PcapHeader::default()
    };
    let mut writer = PcapWriter::with_header(Vec::new(), header).unwrap();
    for (i, ip) in ip_packets.iter().enumerate() {
        let data = wrap(link, ip);
        let packet = PcapPacket::new(Duration::from_millis(i as u64), data.len() as u32, &data);
        writer.write_packet(&packet).unwrap();
    }
    writer.into_writer()
}

pub fn pcapng(link: DataLink, ip_packets: &[Vec<u8>]) -> Vec<u8> {
    let mut writer = PcapNgWriter::new(Vec::new()).unwrap();
    writer
        .write_pcapng_block(InterfaceDescriptionBlock {
            linktype: link,
            snaplen: 0,
            options: vec![],
        })
        .unwrap();
    for (i, ip) in ip_packets.iter().enumerate() {
        let data = wrap(link, ip);
        writer
            .write_pcapng_block(EnhancedPacketBlock {
                interface_id: 0,
                timestamp: Duration::from_millis(i as u64),
                original_len: data.len() as u32,
                data: Cow::Owned(data),
                options: vec![],
            })
            .unwrap();
    }
    writer.into_inner()
}

pub fn decode(capture: &[u8]) -> Report {
    decode_with(capture, &Options::default())
}

pub fn decode_with(capture: &[u8], options: &Options) -> Report {
    let mut decoder = Decoder::new(options);
    decoder.add_capture("test", Cursor::new(capture)).unwrap();
    decoder.finish()
}
