//! Master to metalogger, port 9419 (`MATOAN_*`): the live changelog and
//! the answers of the metadata download.

use bytes::{Bytes, BytesMut};

use crate::codec::{malformed, Ctx, Parsed, Tail, Wire};
use crate::messages;
use crate::types::{CrcData, Reply};

/// One changelog packet, told apart by its first byte.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum MetaChange {
    /// `0xFF:8 version:64 logdata` — one changelog line, NUL-terminated.
    Log { version: u64, line: Tail },
    /// `0xAA:8 version:64 logdata` — the same, asking for an acknowledgement
    /// (3.0.10 and later; a 3.0.117 master never sends it to metaloggers).
    LogWithAck { version: u64, line: Tail },
    /// `0x55:8` — the master rotated its changelog files; rotate ours too.
    Rotate,
}

const LOG: u8 = 0xFF;
const LOG_WITH_ACK: u8 = 0xAA;
const ROTATE: u8 = 0x55;

impl MetaChange {
    /// A changelog line as the master sends it: `line` must already end in
    /// the NUL the metalogger checks for.
    pub fn log(version: u64, line: impl Into<Bytes>) -> Self {
        MetaChange::Log {
            version,
            line: Tail(line.into()),
        }
    }
}

impl Wire for MetaChange {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        let (body, kind) = u8::decode(input, ctx)?;
        match kind {
            ROTATE if body.is_empty() => Ok((body, MetaChange::Rotate)),
            LOG | LOG_WITH_ACK => {
                let (body, version) = u64::decode(body, ctx)?;
                let (rest, line) = Tail::decode(body, ctx)?;
                let change = if kind == LOG {
                    MetaChange::Log { version, line }
                } else {
                    MetaChange::LogWithAck { version, line }
                };
                Ok((rest, change))
            }
            _ => Err(malformed(input)),
        }
    }

    fn encode(&self, out: &mut BytesMut) {
        match self {
            MetaChange::Log { version, line } => {
                LOG.encode(out);
                version.encode(out);
                line.encode(out);
            }
            MetaChange::LogWithAck { version, line } => {
                LOG_WITH_ACK.encode(out);
                version.encode(out);
                line.encode(out);
            }
            MetaChange::Rotate => ROTATE.encode(out),
        }
    }
}

messages! {
    /// `0xFF:8 version:64 logdata:string ( N*[ char:8 ] )` (LOG_DATA)
    /// `0xAA:8 version:64 logdata:string ( N*[ char:8 ] )` (LOG_DATA with ack, version >= 3.0.10)
    /// `0x55:8` (LOG_ROTATE)
    MetachangesLog = 51 MATOAN_METACHANGES_LOG { change: MetaChange }

    /// `status:8` (the file cannot be opened)
    /// `length:64`
    DownloadInfo = 61 MATOAN_DOWNLOAD_INFO { length: Reply<u64> }

    /// `offset:64 leng:32 crc:32 data:lengB`
    DownloadData = 63 MATOAN_DOWNLOAD_DATA { offset: u64, chunk: CrcData }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::decode_payload;
    use crate::testing::decode_exact;
    use crate::types::Status;

    const LINE: &[u8] = b"1700000000|SESSION():1\0";

    fn log_bytes(kind: u8) -> Vec<u8> {
        let mut bytes = vec![kind, 0, 0, 0, 0, 0, 0, 0x01, 0x02]; // version 258
        bytes.extend_from_slice(LINE);
        bytes
    }

    #[test]
    fn changelog_line_is_0xff() {
        let log = decode_exact::<MetachangesLog>(&log_bytes(0xFF));
        assert_eq!(log.change, MetaChange::log(258, LINE));
    }

    #[test]
    fn changelog_line_with_ack_is_0xaa() {
        let log = decode_exact::<MetachangesLog>(&log_bytes(0xAA));
        let MetaChange::LogWithAck { version, line } = log.change else {
            panic!("not a log-with-ack");
        };
        assert_eq!((version, &line.0[..]), (258, LINE));
    }

    #[test]
    fn rotation_is_a_lone_0x55() {
        let rotate = decode_exact::<MetachangesLog>(&[0x55]);
        assert_eq!(rotate.change, MetaChange::Rotate);
        for bytes in [&[0x55, 0][..], &[0x11], &[], &[0xFF, 0, 0]] {
            assert!(decode_payload::<MetachangesLog>(bytes, Ctx::default()).is_err());
        }
    }

    #[test]
    fn download_info_is_a_length_or_an_error_byte() {
        let ok = decode_exact::<DownloadInfo>(&[0, 0, 0, 0, 0, 0, 0x10, 0]);
        assert_eq!(ok.length, Reply::Ok(4096));
        let failed = decode_exact::<DownloadInfo>(&[0xFF]);
        assert_eq!(failed.length, Reply::Status(Status(0xFF)));
    }

    #[test]
    fn download_data_carries_offset_crc_and_bytes() {
        let mut bytes = vec![0, 0, 0, 0, 0, 0, 0x10, 0]; // offset 4096
        bytes.extend_from_slice(&[0, 0, 0, 2, 0xCA, 0xFE, 0xBA, 0xBE]); // leng 2, crc
        bytes.extend_from_slice(b"MF");
        let data = decode_exact::<DownloadData>(&bytes);
        assert_eq!(data.offset, 4096);
        assert_eq!(data.chunk, CrcData::new(0xCAFE_BABE, &b"MF"[..]));
    }
}
