//! MooseFS version numbers as they travel: `major:16 mid:8 minor:8` in a
//! u32, where since 2.0 the minor byte holds twice the minor number (its low
//! bit marks PRO builds): 3.0.117 is `0x000300EA` on the wire, as MooseFS's
//! `VERSION2INT` packs it and as captures of Debian's 3.0.117 show.

use bytes::BytesMut;

use crate::codec::{Ctx, Parsed, Wire};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Version(pub u32);

impl Version {
    /// The version MooseNG speaks and announces.
    pub const MOOSEFS_3_0_117: Version = Version::new(3, 0, 117);

    pub const fn new(major: u16, mid: u8, minor: u8) -> Self {
        let minor = if major > 1 {
            minor as u32 * 2
        } else {
            minor as u32
        };
        Version(((major as u32) << 16) + ((mid as u32) << 8) + minor)
    }

    pub const fn major(self) -> u16 {
        (self.0 >> 16) as u16
    }

    pub const fn mid(self) -> u8 {
        (self.0 >> 8) as u8
    }

    pub const fn minor(self) -> u8 {
        if self.major() > 1 {
            (self.0 as u8) >> 1
        } else {
            self.0 as u8
        }
    }

    /// True when `self` is at least `major.mid.minor`.
    pub const fn at_least(self, major: u16, mid: u8, minor: u8) -> bool {
        self.0 >= Version::new(major, mid, minor).0
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major(), self.mid(), self.minor())
    }
}

impl Wire for Version {
    fn decode(input: &[u8], ctx: Ctx) -> Parsed<'_, Self> {
        let (rest, raw) = u32::decode(input, ctx)?;
        Ok((rest, Version(raw)))
    }
    fn encode(&self, out: &mut BytesMut) {
        self.0.encode(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_like_moosefs() {
        // Debian's mfsmount 3.0.117 registers with version bytes 00 03 00 ea.
        assert_eq!(Version::MOOSEFS_3_0_117.0, 0x0003_00EA);
        assert_eq!(Version::MOOSEFS_3_0_117.minor(), 117);
        assert_eq!(Version::new(1, 6, 27).0, 0x0001_061B);
        assert_eq!(Version::new(1, 6, 27).minor(), 27);
        assert_eq!(Version::MOOSEFS_3_0_117.to_string(), "3.0.117");
        assert!(Version::MOOSEFS_3_0_117.at_least(3, 0, 93));
        assert!(!Version::new(2, 0, 0).at_least(3, 0, 93));
    }
}
