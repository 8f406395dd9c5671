//! From a captured frame to the TCP segment inside it.
//!
//! etherparse parses Ethernet (with VLAN tags), Linux cooked SLL, IPv4, IPv6
//! and TCP; the other link headers are fixed-size prefixes that only need
//! skipping. Only TCP matters: every MooseFS channel is a TCP stream.

use std::net::{IpAddr, SocketAddr};

use etherparse::{EtherType, NetSlice, SlicedPacket, TransportSlice};
use pcap_file::DataLink;

/// The part of a TCP segment that stream reassembly needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpSegment<'a> {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub seq: u32,
    pub syn: bool,
    pub fin: bool,
    pub rst: bool,
    pub payload: &'a [u8],
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PacketError {
    #[error("link type {0:?} is not supported")]
    UnsupportedLink(DataLink),
    #[error("{0}-byte frame is shorter than its link header")]
    TooShort(usize),
    /// Includes packets cut by the capture's snap length: their IP header
    /// promises more bytes than were stored.
    #[error("malformed or cut packet: {0}")]
    Malformed(String),
}

/// `LINKTYPE_LINUX_SLL2`: protocol:16 reserved:16 ifindex:32 then 12 bytes
/// of hatype, packet type and address.
const SLL2_HEADER_LEN: usize = 20;
/// `LINKTYPE_NULL` and `LINKTYPE_LOOP`: a 4-byte address family, in host
/// and network byte order respectively. The family's value differs between
/// BSDs for IPv6, so the IP header's version nibble decides instead.
const NULL_HEADER_LEN: usize = 4;

/// The TCP segment carried by `data`, or `None` for anything that is not
/// TCP over IP (ARP, UDP, IP fragments).
pub fn tcp_segment(link: DataLink, data: &[u8]) -> Result<Option<TcpSegment<'_>>, PacketError> {
    let sliced = match link {
        DataLink::ETHERNET => SlicedPacket::from_ethernet(data),
        DataLink::LINUX_SLL => SlicedPacket::from_linux_sll(data),
        DataLink::LINUX_SLL2 => {
            let protocol = data.get(..2).ok_or(PacketError::TooShort(data.len()))?;
            let payload = data
                .get(SLL2_HEADER_LEN..)
                .ok_or(PacketError::TooShort(data.len()))?;
            let ether_type = EtherType(u16::from_be_bytes([protocol[0], protocol[1]]));
            SlicedPacket::from_ether_type(ether_type, payload)
        }
        DataLink::RAW | DataLink::IPV4 | DataLink::IPV6 => SlicedPacket::from_ip(data),
        DataLink::NULL | DataLink::LOOP => {
            let payload = data
                .get(NULL_HEADER_LEN..)
                .ok_or(PacketError::TooShort(data.len()))?;
            SlicedPacket::from_ip(payload)
        }
        other => return Err(PacketError::UnsupportedLink(other)),
    }
    .map_err(|e| PacketError::Malformed(e.to_string()))?;

    let (src_ip, dst_ip): (IpAddr, IpAddr) = match &sliced.net {
        Some(NetSlice::Ipv4(ip)) => (
            ip.header().source_addr().into(),
            ip.header().destination_addr().into(),
        ),
        Some(NetSlice::Ipv6(ip)) => (
            ip.header().source_addr().into(),
            ip.header().destination_addr().into(),
        ),
        _ => return Ok(None),
    };
    let Some(TransportSlice::Tcp(tcp)) = sliced.transport else {
        return Ok(None);
    };
    Ok(Some(TcpSegment {
        src: SocketAddr::new(src_ip, tcp.source_port()),
        dst: SocketAddr::new(dst_ip, tcp.destination_port()),
        seq: tcp.sequence_number(),
        syn: tcp.syn(),
        fin: tcp.fin(),
        rst: tcp.rst(),
        payload: tcp.payload(),
    }))
}
