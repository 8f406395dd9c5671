//! Metalogger (or a follower master downloading metadata) to master, port
//! 9419 (`ANTOMA_*`): registration and the metadata download protocol.

use bytes::BytesMut;

use crate::codec::{malformed, Ctx, Parsed, Wire};
use crate::messages;
use crate::records;
use crate::version::Version;

records! {
    /// `version:32 timeout:16`
    RegisterV1 { version: Version, timeout: u16 }

    /// `version:32 timeout:16 minversion:64`
    RegisterV2 {
        version: Version,
        timeout: u16,
        /// The first changelog version the metalogger lacks; the master
        /// replays its in-memory changelog from there if it still can.
        minversion: u64,
    }
}

/// The two `rver`s a 3.0.117 master accepts from a metalogger (3 and 4 are
/// MooseFS Pro components, which it turns away without reading further).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum RegisterForm {
    V1(RegisterV1),
    V2(RegisterV2),
}

impl Wire for RegisterForm {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        let (body, rver) = u8::decode(input, ctx)?;
        match rver {
            1 => RegisterV1::decode(body, ctx).map(|(r, v)| (r, RegisterForm::V1(v))),
            2 => RegisterV2::decode(body, ctx).map(|(r, v)| (r, RegisterForm::V2(v))),
            _ => Err(malformed(input)),
        }
    }

    fn encode(&self, out: &mut BytesMut) {
        match self {
            RegisterForm::V1(form) => {
                1u8.encode(out);
                form.encode(out);
            }
            RegisterForm::V2(form) => {
                2u8.encode(out);
                form.encode(out);
            }
        }
    }
}

messages! {
    /// rver 1: `rver:8 version:32 timeout:16`
    /// rver 2: `rver:8 version:32 timeout:16 minversion:64`
    Register = 50 ANTOMA_REGISTER { form: RegisterForm }

    /// `filenum:8` — 1: metadata.mfs.back (and opens changelogs 0 and 1),
    /// 2: sessions.mfs, 11/12: changelog.0/1.mfs opened with 1.
    /// `-` (empty) is listed by the header for old peers; 3.0.117 masters reject it.
    DownloadStart = 60 ANTOMA_DOWNLOAD_START { filenum: Option<u8> }

    /// `offset:64 leng:32`
    DownloadRequest = 62 ANTOMA_DOWNLOAD_REQUEST { offset: u64, leng: u32 }

    /// `-`
    DownloadEnd = 64 ANTOMA_DOWNLOAD_END {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::decode_payload;
    use crate::testing::decode_exact;

    /// 3.0.117 as its release build sends it: MooseFS doubles the minor
    /// number of releases on the wire (`VERSION2INT`), so 117 travels as 234.
    const WIRE_3_0_117: Version = Version(0x0003_00EA);

    #[test]
    fn register_v1_and_v2_differ_by_the_minimum_changelog_version() {
        let v1 = decode_exact::<Register>(&[1, 0, 3, 0, 0xEA, 0, 60]);
        let expected = RegisterV1 {
            version: WIRE_3_0_117,
            timeout: 60,
        };
        assert_eq!(v1.form, RegisterForm::V1(expected));

        let v2 = decode_exact::<Register>(&[2, 0, 3, 0, 0xEA, 0, 60, 0, 0, 0, 0, 0, 0, 0x01, 0x00]);
        let RegisterForm::V2(form) = v2.form else {
            panic!("not rver 2");
        };
        assert_eq!(form.minversion, 256);
    }

    #[test]
    fn register_refuses_pro_and_unknown_rvers() {
        for rver in [0u8, 3, 4] {
            let bytes = [rver, 0, 3, 0, 0xEA, 0, 60];
            assert!(decode_payload::<Register>(&bytes, Ctx::default()).is_err());
        }
    }

    #[test]
    fn download_start_names_a_file() {
        assert_eq!(decode_exact::<DownloadStart>(&[11]).filenum, Some(11));
        assert_eq!(decode_exact::<DownloadStart>(&[]).filenum, None);
    }
}
