//! The benchmark table: each figure of both configurations side by side,
//! median with min and max, and the ratio of the medians.

use std::fmt::Write;

use super::stats::{summarize, Summary};

/// One run's figures, in the order they were measured: name (with its
/// unit) and value.
pub type Figures = Vec<(String, f64)>;

/// Every figure named in `a` or `b`, in first-measured order.
fn figure_names(a: &[Figures], b: &[Figures]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (name, _) in a.iter().chain(b).flatten() {
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    names
}

fn values(runs: &[Figures], name: &str) -> Vec<f64> {
    runs.iter()
        .flat_map(|run| run.iter().filter(|(n, _)| n == name).map(|(_, v)| *v))
        .collect()
}

/// Numbers with three significant digits or so, no scientific notation.
fn number(value: f64) -> String {
    match value.abs() {
        v if v >= 100.0 => format!("{value:.0}"),
        v if v >= 10.0 => format!("{value:.1}"),
        _ => format!("{value:.2}"),
    }
}

/// Two decimals, three below 0.1 so that a small ratio does not read 0.00.
fn ratio(r: f64) -> String {
    if r.abs() < 0.1 {
        format!("{r:.3}")
    } else {
        format!("{r:.2}")
    }
}

fn summary(s: Option<Summary>) -> String {
    s.map_or_else(
        || "n/a".to_owned(),
        |s| format!("{} ({}–{})", number(s.median), number(s.min), number(s.max)),
    )
}

/// The ratio of B's median to A's, when both have one and A's is not 0.
fn median_ratio(a: Option<Summary>, b: Option<Summary>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if a.median != 0.0 => Some(b.median / a.median),
        _ => None,
    }
}

/// Each figure named in `a` or `b` with B's median over A's, as the table's
/// last column has it (`None` where it says n/a).
pub fn ratios(a: &[Figures], b: &[Figures]) -> Vec<(String, Option<f64>)> {
    figure_names(a, b)
        .into_iter()
        .map(|name| {
            let r = median_ratio(summarize(&values(a, &name)), summarize(&values(b, &name)));
            (name, r)
        })
        .collect()
}

/// The Markdown table of configurations `a` and `b` (labelled as given).
pub fn table(label_a: &str, a: &[Figures], label_b: &str, b: &[Figures]) -> String {
    let mut out = format!("| figure | A: {label_a} | B: {label_b} | B/A |\n|---|---|---|---|\n");
    for name in figure_names(a, b) {
        let (sa, sb) = (summarize(&values(a, &name)), summarize(&values(b, &name)));
        let ratio = median_ratio(sa, sb).map_or_else(|| "n/a".to_owned(), ratio);
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {ratio} |",
            summary(sa),
            summary(sb)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(pairs: &[(&str, f64)]) -> Figures {
        pairs.iter().map(|(n, v)| (n.to_string(), *v)).collect()
    }

    #[test]
    fn medians_side_by_side_with_ratio() {
        let a = [
            run(&[("write (MiB/s)", 100.0), ("rss (MiB)", 5.0)]),
            run(&[("write (MiB/s)", 120.0), ("rss (MiB)", 7.0)]),
            run(&[("write (MiB/s)", 110.0), ("rss (MiB)", 6.0)]),
        ];
        let b = [
            run(&[("write (MiB/s)", 55.0)]),
            run(&[("write (MiB/s)", 50.0)]),
            run(&[("write (MiB/s)", 60.0)]),
        ];
        let text = table("mfs", &a, "ng", &b);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "| figure | A: mfs | B: ng | B/A |");
        assert_eq!(
            lines[2],
            "| write (MiB/s) | 110 (100–120) | 55.0 (50.0–60.0) | 0.50 |"
        );
        assert_eq!(lines[3], "| rss (MiB) | 6.00 (5.00–7.00) | n/a | n/a |");
        assert_eq!(ratio(19.4 / 8587.0), "0.002");
        assert_eq!(
            ratios(&a, &b),
            [
                ("write (MiB/s)".to_owned(), Some(0.5)),
                ("rss (MiB)".to_owned(), None)
            ]
        );
    }
}
