//! Reading packets out of pcap and pcapng files.
//!
//! Both formats come through one callback so the rest of the pipeline never
//! cares which one tcpdump, dumpcap or Wireshark wrote. The format is told by
//! the file's first four bytes, not its name.

use std::io::{Cursor, Read};

use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::{Block, PcapNgReader};
use pcap_file::{DataLink, PcapError};

/// One captured frame, as the capture file stores it.
#[derive(Debug, Clone, Copy)]
pub struct CapturedPacket<'a> {
    /// 1-based position in the file, as Wireshark's `frame.number`.
    pub number: u64,
    pub link: DataLink,
    /// The captured bytes, possibly fewer than `original_len` (snap length).
    pub data: &'a [u8],
    pub original_len: u32,
}

/// What reading a whole file noticed besides the packets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaptureInfo {
    pub format: Format,
    pub packets: u64,
    /// Set when the file ends inside a record, as when the capturing
    /// program was killed; the packets before it are still used.
    pub cut_short: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    #[default]
    Pcap,
    Pcapng,
}

#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("not a pcap or pcapng file (starts with {0:02x?})")]
    UnknownFormat([u8; 4]),
    #[error("reading the capture: {0}")]
    Io(#[from] std::io::Error),
    #[error("malformed capture: {0}")]
    Malformed(#[from] PcapError),
    #[error("packet {packet} names interface {interface}, which the file never described")]
    UnknownInterface { packet: u64, interface: u32 },
}

const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];
const PCAP_MAGICS: [[u8; 4]; 4] = [
    [0xa1, 0xb2, 0xc3, 0xd4],
    [0xd4, 0xc3, 0xb2, 0xa1],
    [0xa1, 0xb2, 0x3c, 0x4d],
    [0x4d, 0x3c, 0xb2, 0xa1],
];

/// Calls `sink` for every packet of the capture in `reader`, in file order.
pub fn read_packets<R: Read>(
    mut reader: R,
    mut sink: impl FnMut(CapturedPacket<'_>),
) -> Result<CaptureInfo, CaptureError> {
    let mut magic = [0u8; 4];
    reader.read_exact(&mut magic)?;
    let whole = Cursor::new(magic).chain(reader);
    if magic == PCAPNG_MAGIC {
        read_pcapng(whole, &mut sink)
    } else if PCAP_MAGICS.contains(&magic) {
        read_pcap(whole, &mut sink)
    } else {
        Err(CaptureError::UnknownFormat(magic))
    }
}

fn read_pcap<R: Read>(
    reader: R,
    sink: &mut impl FnMut(CapturedPacket<'_>),
) -> Result<CaptureInfo, CaptureError> {
    let mut pcap = PcapReader::new(reader)?;
    let link = pcap.header().datalink;
    let mut info = CaptureInfo {
        format: Format::Pcap,
        ..CaptureInfo::default()
    };
    while let Some(packet) = pcap.next_packet() {
        let packet = match packet {
            Ok(packet) => packet,
            Err(e) if is_cut_short(&e) => {
                info.cut_short = true;
                break;
            }
            Err(e) => return Err(e.into()),
        };
        info.packets += 1;
        sink(CapturedPacket {
            number: info.packets,
            link,
            data: &packet.data,
            original_len: packet.orig_len,
        });
    }
    Ok(info)
}

fn read_pcapng<R: Read>(
    reader: R,
    sink: &mut impl FnMut(CapturedPacket<'_>),
) -> Result<CaptureInfo, CaptureError> {
    let mut pcapng = PcapNgReader::new(reader)?;
    let mut info = CaptureInfo {
        format: Format::Pcapng,
        ..CaptureInfo::default()
    };
    // Tracked here because a block borrows the reader: the links of the
    // current section's interfaces, by interface id.
    let mut links: Vec<DataLink> = Vec::new();
    while let Some(block) = pcapng.next_block() {
        let block = match block {
            Ok(block) => block,
            Err(e) if is_cut_short(&e) => {
                info.cut_short = true;
                break;
            }
            Err(e) => return Err(e.into()),
        };
        // Only packet blocks count towards frame numbers, as in Wireshark.
        let (interface, data, original_len) = match &block {
            Block::SectionHeader(_) => {
                links.clear();
                continue;
            }
            Block::InterfaceDescription(i) => {
                links.push(i.linktype);
                continue;
            }
            Block::EnhancedPacket(p) => (p.interface_id, &p.data, p.original_len),
            Block::SimplePacket(p) => (0, &p.data, p.original_len),
            Block::Packet(p) => (u32::from(p.interface_id), &p.data, p.original_len),
            _ => continue,
        };
        info.packets += 1;
        let link =
            links
                .get(interface as usize)
                .copied()
                .ok_or(CaptureError::UnknownInterface {
                    packet: info.packets,
                    interface,
                })?;
        sink(CapturedPacket {
            number: info.packets,
            link,
            data,
            original_len,
        });
    }
    Ok(info)
}

/// A record that stops before its declared end: the file was still being
/// written, or the capturing program died.
fn is_cut_short(e: &PcapError) -> bool {
    match e {
        PcapError::IncompleteBuffer => true,
        PcapError::IoError(io) => io.kind() == std::io::ErrorKind::UnexpectedEof,
        _ => false,
    }
}
