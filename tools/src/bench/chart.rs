//! The benchmark chart: B/A of each figure as a bar from parity, on a log
//! scale so that half as fast and twice as fast look alike in size.

use std::path::Path;

use anyhow::{anyhow, Context, Result};
use plotters::prelude::*;

/// Debian's `fonts-dejavu-core` (scripts/setup.sh installs it). The bitmap
/// backend draws text only with a font registered from its bytes.
const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

const WIDTH: u32 = 1000;
const ROW_HEIGHT: u32 = 26;
/// Room for the caption and the x axis besides the rows.
const FRAME_HEIGHT: u32 = 110;

/// The ratios a chart can show: positive and finite (log scale), in the
/// given order.
fn drawable(ratios: &[(String, Option<f64>)]) -> Vec<(&str, f64)> {
    ratios
        .iter()
        .filter_map(|(name, r)| r.map(|r| (name.as_str(), r)))
        .filter(|(_, r)| r.is_finite() && *r > 0.0)
        .collect()
}

/// The x range: every ratio and parity, with a margin either side.
fn span(values: &[(&str, f64)]) -> (f64, f64) {
    let (lo, hi) = values.iter().fold((1.0f64, 1.0f64), |(lo, hi), (_, r)| {
        (lo.min(*r), hi.max(*r))
    });
    (lo / 1.5, hi * 1.5)
}

/// Draws `ratios` (B/A per figure, `None` for n/a, left out like any
/// ratio a log scale cannot show) into the PNG file `path`.
pub fn draw(path: &Path, title: &str, ratios: &[(String, Option<f64>)]) -> Result<()> {
    register_font()?;
    // Rows count from the bottom; reversed, the first figure is on top as
    // in the table.
    let bars: Vec<(&str, f64)> = drawable(ratios).into_iter().rev().collect();
    let rows = bars.len();
    let height = FRAME_HEIGHT + ROW_HEIGHT * u32::try_from(rows).unwrap_or(u32::MAX / 64);
    let root = BitMapBackend::new(path, (WIDTH, height)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_error)?;
    let (lo, hi) = span(&bars);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(380)
        .build_cartesian_2d((lo..hi).log_scale(), (0..rows).into_segmented())
        .map_err(plot_error)?;
    let label = |v: &SegmentValue<usize>| match v {
        SegmentValue::CenterOf(i) => bars.get(*i).map_or_else(String::new, |b| b.0.to_owned()),
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(rows)
        .y_label_formatter(&label)
        .x_desc("B/A, log scale (1 = parity)")
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(plot_error)?;
    chart
        .draw_series(bars.iter().enumerate().map(|(i, (_, r))| {
            let mut bar = Rectangle::new(
                [
                    (1.0, SegmentValue::Exact(i)),
                    (*r, SegmentValue::Exact(i + 1)),
                ],
                BLUE.mix(0.6).filled(),
            );
            bar.set_margin(4, 4, 0, 0);
            bar
        }))
        .map_err(plot_error)?;
    chart
        .draw_series(std::iter::once(PathElement::new(
            [
                (1.0, SegmentValue::Exact(0)),
                (1.0, SegmentValue::Exact(rows)),
            ],
            BLACK.stroke_width(2),
        )))
        .map_err(plot_error)?;
    root.present().map_err(plot_error)?;
    Ok(())
}

/// Plotters' errors borrow nothing but are not all `Sync`; keep their text.
fn plot_error(error: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("drawing the chart: {error}")
}

/// Registers [`FONT`] as plotters' `sans-serif`. Plotters keeps a
/// registered font for the life of the process, so its bytes are leaked
/// once on purpose.
fn register_font() -> Result<()> {
    let bytes = std::fs::read(FONT).with_context(|| format!("read the chart's font {FONT}"))?;
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    plotters::style::register_font("sans-serif", FontStyle::Normal, bytes)
        .map_err(|_| anyhow!("{FONT} is not a font plotters can use"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ratios() -> Vec<(String, Option<f64>)> {
        [
            ("write (MiB/s)", Some(0.5)),
            ("rss (MiB)", None),
            ("zero (ops/s)", Some(0.0)),
            ("read (MiB/s)", Some(4.0)),
        ]
        .into_iter()
        .map(|(n, r)| (n.to_owned(), r))
        .collect()
    }

    #[test]
    fn only_positive_ratios_are_drawn_and_parity_is_in_range() {
        let ratios = ratios();
        let bars = drawable(&ratios);
        assert_eq!(bars, [("write (MiB/s)", 0.5), ("read (MiB/s)", 4.0)]);
        assert_eq!(span(&bars), (0.5 / 1.5, 6.0));
        assert_eq!(span(&[("x", 2.0)]), (1.0 / 1.5, 3.0));
    }

    #[test]
    fn draws_a_png_of_the_right_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chart.png");
        draw(&path, "B/A", &ratios()).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        // The IHDR chunk: width and height, big-endian, after its header.
        let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
        let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
        assert_eq!((width, height), (WIDTH, FRAME_HEIGHT + 2 * ROW_HEIGHT));
    }
}
