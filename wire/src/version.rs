//! MooseFS version numbers as they travel: `major:16 mid:8 minor:8` in a u32.
//!
//! Since 2.0 the minor byte carries twice the minor number, its lowest bit
//! telling the Pro edition apart (3.0.117 Community travels as
//! `0x000300EA`); 1.x versions travel as they are. Comparisons work on the
//! wire value, as MooseFS's own do.

use bytes::BytesMut;

use crate::codec::{Ctx, Parsed, Wire};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Version(pub u32);

impl Version {
    /// The version MooseNG speaks and announces.
    pub const MOOSEFS_3_0_117: Version = Version::new(3, 0, 117);

    /// The wire value of the Community release `major.mid.minor`.
    pub const fn new(major: u16, mid: u8, minor: u8) -> Self {
        let minor = if major > 1 {
            (minor as u32) * 2
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

    /// The minor release number, without the edition bit.
    pub const fn minor(self) -> u8 {
        if self.major() > 1 {
            (self.0 as u8) >> 1
        } else {
            self.0 as u8
        }
    }

    /// True for the Pro edition's version numbers.
    pub const fn is_pro(self) -> bool {
        self.major() > 1 && self.0 & 1 == 1
    }

    /// True when `self` is at least release `major.mid.minor`.
    pub const fn at_least(self, major: u16, mid: u8, minor: u8) -> bool {
        self.0 >= Version::new(major, mid, minor).0
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major(), self.mid(), self.minor())?;
        if self.is_pro() {
            f.write_str(" PRO")?;
        }
        Ok(())
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
    fn packs_like_debians_moosefs() {
        // Debian's mfsmount 3.0.117 announces 0x000300EA in its register packet.
        assert_eq!(Version::MOOSEFS_3_0_117.0, 0x0003_00EA);
        assert_eq!(Version::MOOSEFS_3_0_117.to_string(), "3.0.117");
        assert_eq!(Version(0x0003_00EB).to_string(), "3.0.117 PRO");
        assert_eq!(Version::new(1, 6, 27).0, 0x0001_061B);
        assert!(Version::MOOSEFS_3_0_117.at_least(3, 0, 93));
        assert!(!Version::new(2, 0, 0).at_least(3, 0, 93));
    }
}
