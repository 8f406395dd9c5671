//! Resident memory of the cluster's programs, from `/proc/PID/status`.

use std::fs;

/// `VmRSS` of `status` (the text of `/proc/PID/status`) in bytes.
pub fn parse_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// Resident memory of process `pid` in bytes; `None` once it is gone.
pub fn rss(pid: u32) -> Option<u64> {
    parse_rss(&fs::read_to_string(format!("/proc/{pid}/status")).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_vmrss_in_kib() {
        let status = "Name:\tmfsmaster\nVmPeak:\t  9000 kB\nVmRSS:\t    2048 kB\nThreads:\t2\n";
        assert_eq!(parse_rss(status), Some(2 << 20));
        assert_eq!(parse_rss("Name:\tx\n"), None);
    }

    #[test]
    fn this_process_has_some() {
        assert!(rss(std::process::id()).unwrap() > 0);
    }
}
