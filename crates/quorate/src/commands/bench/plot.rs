//! The PNG plot: p99 latency against throughput, one line per system, one panel per workload
//! (each point a connection count, closed loop, HTTP/1.1 or RESP). Labels use DejaVu Sans,
//! read at run time (`fonts-dejavu-core`).

use std::path::Path;

use anyhow::{Context as _, bail};
use plotters::prelude::*;
use plotters::style::FontStyle;

use super::report::Point;
use super::systems::install::FONT_FILE;
use super::workload::{SMALL_MESSAGE, Workload};

const WIDTH: u32 = 1600;
const HEIGHT: u32 = 700;

fn register_font() -> anyhow::Result<()> {
    static REGISTERED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let registered = *REGISTERED.get_or_init(|| {
        let Ok(bytes) = std::fs::read(FONT_FILE) else {
            return false;
        };
        let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
        plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_ok()
    });
    if !registered {
        bail!("no usable font at {FONT_FILE} (apt-get install -y fonts-dejavu-core)");
    }
    Ok(())
}

/// Draws `points` into `file`.
pub fn draw(points: &[Point], file: &Path, title: &str) -> anyhow::Result<()> {
    register_font()?;
    let panels = [
        (
            Workload::Write {
                bytes: SMALL_MESSAGE,
            },
            "writes (20-byte messages)",
        ),
        (Workload::Read, "reads"),
    ];
    let root = BitMapBackend::new(file, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_error)?;
    let root = root.titled(title, ("sans-serif", 22)).map_err(plot_error)?;
    let areas = root.split_evenly((1, panels.len()));
    for ((workload, name), area) in panels.iter().zip(areas.iter()) {
        panel(points, *workload, name, area)?;
    }
    root.present()
        .with_context(|| format!("writing {}", file.display()))?;
    Ok(())
}

fn panel(
    points: &[Point],
    workload: Workload,
    name: &str,
    area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
) -> anyhow::Result<()> {
    let chosen: Vec<&Point> = points
        .iter()
        .filter(|p| {
            p.workload == workload && p.is_closed_loop() && p.protocol != "h2" && p.throughput > 0.0
        })
        .collect();
    let mut labels: Vec<String> = Vec::new();
    for point in &chosen {
        if !labels.contains(&point.label()) {
            labels.push(point.label());
        }
    }
    let max_x = chosen.iter().map(|p| p.throughput).fold(1.0, f64::max) * 1.1;
    let max_y = chosen.iter().map(|p| p.p99_ms).fold(1.0, f64::max) * 2.0;
    let min_y = chosen
        .iter()
        .map(|p| p.p99_ms)
        .fold(f64::INFINITY, f64::min)
        .clamp(0.01, 1.0)
        / 2.0;
    let mut chart = ChartBuilder::on(area)
        .caption(name, ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..max_x, (min_y..max_y).log_scale())
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .x_desc("throughput (requests/s)")
        .y_desc("p99 latency (ms, log)")
        .x_label_formatter(&|x| {
            if max_x < 20_000.0 {
                format!("{:.1}k", x / 1000.0)
            } else {
                format!("{:.0}k", x / 1000.0)
            }
        })
        .y_label_formatter(&|y| format!("{y}"))
        .draw()
        .map_err(plot_error)?;
    for (index, label) in labels.iter().enumerate() {
        let color = Palette99::pick(index).to_rgba();
        let mut series: Vec<&Point> = chosen
            .iter()
            .copied()
            .filter(|p| &p.label() == label)
            .collect();
        series.sort_by_key(|p| p.connections);
        let line: Vec<(f64, f64)> = series.iter().map(|p| (p.throughput, p.p99_ms)).collect();
        chart
            .draw_series(LineSeries::new(line.clone(), color.stroke_width(2)))
            .map_err(plot_error)?
            .label(label.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        chart
            .draw_series(
                line.iter()
                    .map(|&(x, y)| Circle::new((x, y), 4, color.filled())),
            )
            .map_err(plot_error)?;
        chart
            .draw_series(series.iter().map(|p| {
                Text::new(
                    format!("{}", p.connections),
                    (p.throughput, p.p99_ms),
                    ("sans-serif", 13).into_font(),
                )
            }))
            .map_err(plot_error)?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(plot_error)?;
    Ok(())
}

fn plot_error<E: std::fmt::Display>(error: E) -> anyhow::Error {
    anyhow::anyhow!("drawing the plot: {error}")
}
