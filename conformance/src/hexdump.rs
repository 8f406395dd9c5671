//! The classic `offset  hex  |ascii|` dump, for showing a failing payload.

use std::fmt::Write;

const PER_LINE: usize = 16;

/// Dumps at most `cap` bytes of `bytes`, noting how many were left out.
pub fn hex_dump(bytes: &[u8], cap: usize) -> String {
    let shown = &bytes[..bytes.len().min(cap)];
    let mut out = String::new();
    for (line, row) in shown.chunks(PER_LINE).enumerate() {
        let _ = write!(out, "{:06x}  ", line * PER_LINE);
        for i in 0..PER_LINE {
            match row.get(i) {
                Some(b) => {
                    let _ = write!(out, "{b:02x} ");
                }
                None => out.push_str("   "),
            }
            if i == PER_LINE / 2 - 1 {
                out.push(' ');
            }
        }
        out.push_str(" |");
        out.extend(row.iter().map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '.'
            }
        }));
        out.push_str("|\n");
    }
    if bytes.len() > shown.len() {
        let _ = writeln!(out, "... {} more bytes", bytes.len() - shown.len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dumps_offset_hex_and_ascii() {
        let full = hex_dump(b"0123456789abcdef", 64);
        assert_eq!(
            full,
            "000000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|\n"
        );
        // A short line keeps the ASCII column where a full line has it.
        let short = hex_dump(b"\x00\x01AB", 64);
        assert_eq!(short.find('|'), full.find('|'));
        assert!(short.starts_with("000000  00 01 41 42  "));
        assert!(short.ends_with(" |..AB|\n"));
    }

    #[test]
    fn caps_long_payloads() {
        let dump = hex_dump(&[0x41; 40], 32);
        assert_eq!(dump.lines().count(), 3);
        assert!(dump.starts_with("000000  41 41"));
        assert!(dump.contains("000010  41"));
        assert!(dump.ends_with("... 8 more bytes\n"));
    }
}
