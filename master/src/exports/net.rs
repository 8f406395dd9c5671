//! The ADDRESS column of mfsexports.cfg: `*`, `a.b.c.d`, `a.b.c.d/bits`,
//! `a.b.c.d/m.m.m.m` and `a.b.c.d-e.f.g.h`, all as inclusive ranges.

use std::net::Ipv4Addr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressRange {
    pub from: Ipv4Addr,
    pub to: Ipv4Addr,
}

impl AddressRange {
    pub const ANY: AddressRange = AddressRange {
        from: Ipv4Addr::UNSPECIFIED,
        to: Ipv4Addr::BROADCAST,
    };

    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        self.from <= ip && ip <= self.to
    }

    /// Parses the ADDRESS column; `None` for anything MooseFS would refuse.
    pub fn parse(text: &str) -> Option<AddressRange> {
        if text == "*" {
            return Some(AddressRange::ANY);
        }
        if let Some((from, to)) = text.split_once('-') {
            let (from, to) = (parse_ip(from)?, parse_ip(to)?);
            return (from <= to).then_some(AddressRange { from, to });
        }
        let Some((net, mask)) = text.split_once('/') else {
            let ip = parse_ip(text)?;
            return Some(AddressRange { from: ip, to: ip });
        };
        let net = u32::from(parse_ip(net)?);
        let mask = if mask.contains('.') {
            u32::from(parse_ip(mask)?)
        } else {
            let bits: u32 = mask.parse().ok().filter(|b| *b <= 32)?;
            u32::MAX.checked_shl(32 - bits).unwrap_or(0)
        };
        Some(AddressRange {
            from: Ipv4Addr::from(net & mask),
            to: Ipv4Addr::from(net | !mask),
        })
    }
}

/// Dotted quads only: `Ipv4Addr`'s parser is the same, but spelled out here
/// so that the accepted syntax is the config format's, not the library's.
fn parse_ip(text: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = text.split('.');
    for octet in &mut octets {
        let part = parts.next()?;
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *octet = part.parse().ok()?;
    }
    parts.next().is_none().then_some(Ipv4Addr::from(octets))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(text: &str) -> (String, String) {
        let r = AddressRange::parse(text).unwrap();
        (r.from.to_string(), r.to.to_string())
    }

    #[test]
    fn every_address_form_of_the_man_page() {
        assert_eq!(range("*"), ("0.0.0.0".into(), "255.255.255.255".into()));
        assert_eq!(
            range("192.168.1.7"),
            ("192.168.1.7".into(), "192.168.1.7".into())
        );
        assert_eq!(
            range("192.168.1.0/24"),
            ("192.168.1.0".into(), "192.168.1.255".into())
        );
        assert_eq!(
            range("10.1.0.0/255.255.0.0"),
            ("10.1.0.0".into(), "10.1.255.255".into())
        );
        assert_eq!(
            range("10.0.0.0-10.0.0.5"),
            ("10.0.0.0".into(), "10.0.0.5".into())
        );
        assert_eq!(
            range("10.0.0.0/0"),
            ("0.0.0.0".into(), "255.255.255.255".into())
        );
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in [
            "",
            "1.2.3",
            "1.2.3.4.5",
            "256.1.1.1",
            "1.2.3.4/33",
            "5.0.0.0-4.0.0.0",
            "a.b.c.d",
        ] {
            assert_eq!(AddressRange::parse(bad), None, "{bad}");
        }
    }
}
