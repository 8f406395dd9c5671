//! The master process's own CPU time and memory, as MooseFS's charts
//! take them: CPU microseconds per minute of wall time, resident and
//! virtual bytes.

use std::time::Instant;

/// CPU time used since it was last read.
#[derive(Debug)]
pub struct CpuClock {
    last: Option<(Instant, CpuTime)>,
}

impl Default for CpuClock {
    fn default() -> Self {
        CpuClock {
            last: cpu_time().map(|t| (Instant::now(), t)),
        }
    }
}

/// User and system microseconds the process has used.
#[derive(Debug, Clone, Copy)]
struct CpuTime {
    user: u64,
    system: u64,
}

impl CpuClock {
    /// User and system CPU microseconds since the last call, scaled to a
    /// minute of wall time (MooseFS's `ucpu*6/100`); `None` the first time
    /// or when the clock cannot be read.
    pub fn per_minute(&mut self) -> Option<(u64, u64)> {
        let now = (Instant::now(), cpu_time()?);
        let (then, before) = self.last.replace(now)?;
        let wall = now.0.duration_since(then).as_micros().max(1);
        let scale = |used: u64| (u128::from(used) * 60_000_000 / wall) as u64;
        let user = now.1.user.saturating_sub(before.user);
        let system = now.1.system.saturating_sub(before.system);
        Some((scale(user), scale(system)))
    }
}

/// Clock ticks per second in `/proc` (`USER_HZ`, 100 on every Linux).
const TICKS_PER_SECOND: u64 = 100;

/// From `/proc/self/stat`: `utime` and `stime`, the 14th and 15th fields,
/// counted after the command name, which may hold spaces.
fn cpu_time() -> Option<CpuTime> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let (_, after_name) = stat.rsplit_once(')')?;
    let mut fields = after_name.split_whitespace().skip(11);
    let mut ticks = || fields.next()?.parse::<u64>().ok();
    let micros = |t: u64| t * (1_000_000 / TICKS_PER_SECOND);
    Some(CpuTime {
        user: micros(ticks()?),
        system: micros(ticks()?),
    })
}

/// Resident and virtual bytes, from `/proc/self/status`.
pub fn memory() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib = |key: &str| {
        let line = status.lines().find(|l| l.starts_with(key))?;
        let value = line[key.len()..].split_whitespace().next()?;
        value.parse::<u64>().ok().map(|k| k * 1024)
    };
    Some((kib("VmRSS:")?, kib("VmSize:")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_process_uses_memory_and_cpu_time() {
        let (rss, virt) = memory().unwrap();
        assert!(rss > 0 && virt >= rss, "rss {rss}, virt {virt}");
        let mut clock = CpuClock::default();
        let spin = Instant::now();
        while spin.elapsed().as_millis() < 50 {
            std::hint::black_box(0u64);
        }
        let (user, system) = clock.per_minute().unwrap();
        assert!(user + system > 0, "50 ms of spinning used no CPU");
    }
}
