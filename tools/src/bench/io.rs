//! Data throughput: sequential write and read in 1 MiB blocks, 4 KiB
//! random reads and writes. fio does the I/O when installed; without it
//! the sequential figures come from dd and the random ones are skipped.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, ensure, Context, Result};

/// Whether `fio` can be run.
pub fn have_fio() -> bool {
    Command::new("fio")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// What one fio job achieved, from its JSON report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FioResult {
    pub bytes_per_sec: f64,
    pub iops: f64,
}

/// Reads the first job's figures for `direction` (`read` or `write`).
pub fn parse_fio(json: &str, direction: &str) -> Result<FioResult> {
    let report: serde_json::Value = serde_json::from_str(json).context("fio's JSON")?;
    let job = &report["jobs"][0][direction];
    let number = |key: &str| {
        job[key]
            .as_f64()
            .with_context(|| format!("fio report lacks jobs[0].{direction}.{key}"))
    };
    Ok(FioResult {
        bytes_per_sec: number("bw_bytes")?,
        iops: number("iops")?,
    })
}

/// Runs one fio job on `file` with `extra` options (`--rw=...` and so on).
pub fn fio(file: &Path, extra: &[String], direction: &str) -> Result<FioResult> {
    let out = Command::new("fio")
        .arg("--name=bench")
        .arg(format!("--filename={}", file.display()))
        .args(["--ioengine=psync", "--output-format=json"])
        .args(extra)
        .output()
        .context("run fio")?;
    if !out.status.success() {
        bail!(
            "fio {extra:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    parse_fio(&String::from_utf8_lossy(&out.stdout), direction)
}

/// Sequential write of `bytes` in 1 MiB blocks, synced at the end; MiB/s.
pub fn seq_write(file: &Path, bytes: u64, use_fio: bool) -> Result<f64> {
    if use_fio {
        let extra = [
            "--rw=write".to_owned(),
            "--bs=1M".to_owned(),
            format!("--size={bytes}"),
            "--end_fsync=1".to_owned(),
        ];
        return Ok(fio(file, &extra, "write")?.bytes_per_sec / MIB);
    }
    let count = format!("count={}", bytes >> 20);
    let of = format!("of={}", file.display());
    timed_dd(bytes, &["if=/dev/zero", &of, "bs=1M", &count, "conv=fsync"])
}

/// Sequential read of the whole of `file` in 1 MiB blocks; MiB/s.
pub fn seq_read(file: &Path, bytes: u64, use_fio: bool) -> Result<f64> {
    if use_fio {
        let extra = [
            "--rw=read".to_owned(),
            "--bs=1M".to_owned(),
            format!("--size={bytes}"),
        ];
        return Ok(fio(file, &extra, "read")?.bytes_per_sec / MIB);
    }
    let input = format!("if={}", file.display());
    timed_dd(bytes, &[&input, "of=/dev/null", "bs=1M"])
}

/// 4 KiB random `rw` (`randread` or `randwrite`) within the first `bytes`
/// of `file` for `seconds`; operations per second.
pub fn random_4k(file: &Path, rw: &str, bytes: u64, seconds: u64) -> Result<f64> {
    let extra = [
        format!("--rw={rw}"),
        "--bs=4k".to_owned(),
        format!("--size={bytes}"),
        format!("--runtime={seconds}"),
        "--time_based".to_owned(),
        "--end_fsync=1".to_owned(),
    ];
    let direction = if rw == "randread" { "read" } else { "write" };
    Ok(fio(file, &extra, direction)?.iops)
}

const MIB: f64 = (1u64 << 20) as f64;

fn timed_dd(bytes: u64, args: &[&str]) -> Result<f64> {
    let start = Instant::now();
    let out = Command::new("dd").args(args).output().context("run dd")?;
    let seconds = start.elapsed().as_secs_f64();
    ensure!(
        out.status.success(),
        "dd {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(bytes as f64 / MIB / seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_first_jobs_direction() {
        let json = r#"{"fio version":"fio-3.33","jobs":[{"jobname":"bench",
            "read":{"bw_bytes":1048576,"iops":256.5},
            "write":{"bw_bytes":0,"iops":0.0}}]}"#;
        let read = parse_fio(json, "read").unwrap();
        assert_eq!(
            read,
            FioResult {
                bytes_per_sec: 1048576.0,
                iops: 256.5
            }
        );
        assert!(parse_fio(r#"{"jobs":[]}"#, "read").is_err());
    }
}
