//! A minute's figures kept at four resolutions, as MooseFS keeps its
//! chart data: per minute, per 6 minutes, per 30 minutes and per day,
//! 4,096 points each. A point adds up the minutes it covers, or keeps the
//! largest, by series.

use std::collections::VecDeque;

/// Points kept per resolution (MooseFS's `MAXLENG`).
pub const LENGTH: usize = 4096;
/// Seconds per point of each resolution.
pub const STEPS: [i64; 4] = [60, 360, 1800, 86_400];
/// A point nothing was recorded in (`CHARTS_NODATA`).
pub const NO_DATA: u64 = u64::MAX;

/// How a point joins the minutes it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Join {
    Add,
    Max,
}

/// The points of one resolution, newest first.
#[derive(Debug)]
struct Resolution<const N: usize> {
    /// The period (`time / step`) of the newest point.
    newest: i64,
    rows: VecDeque<[u64; N]>,
}

/// `N` series, each joined as [`Join`] says.
#[derive(Debug)]
pub struct Store<const N: usize> {
    joins: [Join; N],
    resolutions: [Resolution<N>; 4],
}

impl<const N: usize> Store<N> {
    pub fn new(joins: [Join; N]) -> Self {
        Store {
            joins,
            resolutions: std::array::from_fn(|_| Resolution {
                newest: 0,
                rows: VecDeque::new(),
            }),
        }
    }

    /// Records the figures of the minute starting at `time` (Unix
    /// seconds); a figure of [`NO_DATA`] was not measured.
    pub fn add(&mut self, sample: &[u64; N], time: i64) {
        for (resolution, step) in self.resolutions.iter_mut().zip(STEPS) {
            resolution.add(sample, time.div_euclid(step), &self.joins);
        }
    }

    /// Series `series` at resolution `range`: the start of the newest
    /// point and `entries` points, newest first; `None` for a series or
    /// resolution there is none of.
    pub fn points(&self, series: usize, range: usize, entries: usize) -> Option<(u32, Vec<u64>)> {
        if series >= N {
            return None;
        }
        let resolution = self.resolutions.get(range)?;
        let entries = entries.min(LENGTH);
        let kept = resolution.rows.iter().map(|row| row[series]);
        let points = kept
            .chain(std::iter::repeat(NO_DATA))
            .take(entries)
            .collect();
        let start = resolution.newest * STEPS[range];
        Some((u32::try_from(start).unwrap_or(0), points))
    }
}

impl<const N: usize> Resolution<N> {
    fn add(&mut self, sample: &[u64; N], period: i64, joins: &[Join; N]) {
        if self.rows.is_empty() {
            self.newest = period;
            self.rows.push_front([NO_DATA; N]);
        }
        let ahead = period - self.newest;
        if ahead > 0 {
            for _ in 0..ahead.min(LENGTH as i64) {
                self.rows.push_front([NO_DATA; N]);
            }
            self.rows.truncate(LENGTH);
            self.newest = period;
        }
        let Ok(back) = usize::try_from(self.newest - period) else {
            return;
        };
        if back >= LENGTH {
            return;
        }
        if self.rows.len() <= back {
            self.rows.resize(back + 1, [NO_DATA; N]);
        }
        merge(&mut self.rows[back], sample, joins);
    }
}

fn merge<const N: usize>(row: &mut [u64; N], sample: &[u64; N], joins: &[Join; N]) {
    for ((point, &value), join) in row.iter_mut().zip(sample).zip(joins) {
        if value == NO_DATA {
            continue;
        }
        *point = match (*point, join) {
            (NO_DATA, _) => value,
            (old, Join::Add) => old.saturating_add(value).min(NO_DATA - 1),
            (old, Join::Max) => old.max(value),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COUNT: usize = 0;
    const MEMORY: usize = 1;

    fn store() -> Store<2> {
        Store::new([Join::Add, Join::Max])
    }

    fn sample(count: u64, memory: u64) -> [u64; 2] {
        [count, memory]
    }

    #[test]
    fn minutes_add_up_or_keep_the_largest_at_coarser_resolutions() {
        let mut store = store();
        let start = 360 * 1000;
        store.add(&sample(5, 100), start);
        store.add(&sample(7, 300), start + 60);
        store.add(&sample(1, 200), start + 120);

        let (newest, minutes) = store.points(COUNT, 0, 4).unwrap();
        assert_eq!(newest, (start + 120) as u32);
        assert_eq!(minutes, [1, 7, 5, NO_DATA]);
        let (newest, sixes) = store.points(COUNT, 1, 2).unwrap();
        assert_eq!(newest, start as u32);
        assert_eq!(sixes, [13, NO_DATA]);
        let (_, memory) = store.points(MEMORY, 1, 1).unwrap();
        assert_eq!(memory, [300]);
    }

    #[test]
    fn a_quiet_stretch_is_no_data_and_old_points_fall_off() {
        let mut store = store();
        store.add(&sample(5, 1), 0);
        store.add(&sample(6, 1), 3 * 60);
        let (_, minutes) = store.points(COUNT, 0, 4).unwrap();
        assert_eq!(minutes, [6, NO_DATA, NO_DATA, 5]);
        store.add(&sample(1, 1), (3 + LENGTH as i64) * 60);
        let (_, minutes) = store.points(COUNT, 0, LENGTH).unwrap();
        assert_eq!(minutes[0], 1);
        assert!(
            minutes[1..].iter().all(|p| *p == NO_DATA),
            "6 and 5 are gone"
        );
    }

    #[test]
    fn a_late_minute_joins_its_point_and_unknown_charts_have_none() {
        let mut store = store();
        store.add(&sample(5, 1), 600);
        store.add(&sample(2, 1), 540);
        let (_, minutes) = store.points(COUNT, 0, 2).unwrap();
        assert_eq!(minutes, [5, 2]);
        assert!(store.points(2, 0, 1).is_none());
        assert!(store.points(COUNT, 4, 1).is_none());
    }
}
