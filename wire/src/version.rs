//! MooseFS version numbers as they travel: `major:16 mid:8 minor:8` in a u32.

use bytes::BytesMut;

use crate::codec::{Ctx, Parsed, Wire};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Version(pub u32);

impl Version {
    /// The version MooseNG speaks and announces.
    pub const MOOSEFS_3_0_117: Version = Version::new(3, 0, 117);

    pub const fn new(major: u16, mid: u8, minor: u8) -> Self {
        Version(((major as u32) << 16) | ((mid as u32) << 8) | minor as u32)
    }

    pub const fn major(self) -> u16 {
        (self.0 >> 16) as u16
    }

    pub const fn mid(self) -> u8 {
        (self.0 >> 8) as u8
    }

    pub const fn minor(self) -> u8 {
        self.0 as u8
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
        assert_eq!(Version::MOOSEFS_3_0_117.0, 0x0003_0075);
        assert_eq!(Version::MOOSEFS_3_0_117.to_string(), "3.0.117");
        assert!(Version::MOOSEFS_3_0_117.at_least(3, 0, 93));
        assert!(!Version::new(2, 0, 0).at_least(3, 0, 93));
    }
}
