//! Results: one `Point` per measurement, written as a JSON line the moment it is measured (a
//! run cut short keeps what it had), printed as a table row, and collected into the Markdown
//! summary with the goals' PASS/MISS.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde_json::json;

use super::generator::{Measured, Phase};
use super::workload::Workload;

/// One measured point.
#[derive(Clone, Debug)]
pub struct Point {
    /// `quorate`, `quorate-js`, `etcd`, `redis`, `nginx`.
    pub system: String,
    /// What was running: "3 nodes", "3 members, TLS, disk", ...
    pub setup: String,
    pub nodes: usize,
    pub workload: Workload,
    /// `h1`, `h2` or `resp`.
    pub protocol: String,
    pub pacing: String,
    pub connections: usize,
    pub seconds: f64,
    pub successes: u64,
    pub failures: u64,
    pub throughput: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
    pub server_cores: f64,
    pub generator_cores: f64,
    pub machine_busy_pct: f64,
    pub other_cores: f64,
    pub load_average: f64,
    pub first_error: Option<String>,
}

impl Point {
    pub fn new(
        system: &str,
        setup: &str,
        nodes: usize,
        protocol: &str,
        phase: &Phase,
        measured: &Measured,
    ) -> Point {
        let latencies = &measured.latencies;
        Point {
            system: system.to_owned(),
            setup: setup.to_owned(),
            nodes,
            workload: phase.workload,
            protocol: protocol.to_owned(),
            pacing: phase.pacing.name(),
            connections: phase.connections,
            seconds: measured.elapsed.as_secs_f64(),
            successes: measured.successes,
            failures: measured.failures,
            throughput: measured.throughput(),
            p50_ms: latencies.quantile_ms(0.50),
            p99_ms: latencies.quantile_ms(0.99),
            p999_ms: latencies.quantile_ms(0.999),
            max_ms: latencies.max_ms(),
            mean_ms: latencies.mean_ms(),
            server_cores: measured.cpu.server_cores,
            generator_cores: measured.cpu.generator_cores,
            machine_busy_pct: measured.cpu.machine_busy_pct,
            other_cores: measured.cpu.other_cores,
            load_average: measured.cpu.load_average,
            first_error: measured.first_error.clone(),
        }
    }

    /// Server CPU per successful request, in µs (all of the system's processes).
    pub fn server_us_per_request(&self) -> f64 {
        if self.throughput > 0.0 {
            self.server_cores * 1e6 / self.throughput
        } else {
            0.0
        }
    }

    /// "system (setup)", the name a series of points goes by.
    pub fn label(&self) -> String {
        format!("{} ({})", self.system, self.setup)
    }

    pub fn is_closed_loop(&self) -> bool {
        self.pacing == "closed"
    }

    pub fn to_json(&self) -> serde_json::Value {
        let round = |value: f64, digits: i32| {
            let scale = 10f64.powi(digits);
            (value * scale).round() / scale
        };
        json!({
            "system": self.system,
            "setup": self.setup,
            "nodes": self.nodes,
            "workload": self.workload.name(),
            "protocol": self.protocol,
            "pacing": self.pacing,
            "connections": self.connections,
            "seconds": round(self.seconds, 3),
            "successes": self.successes,
            "failures": self.failures,
            "throughput_rps": round(self.throughput, 1),
            "p50_ms": round(self.p50_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
            "p999_ms": round(self.p999_ms, 3),
            "max_ms": round(self.max_ms, 3),
            "mean_ms": round(self.mean_ms, 3),
            "server_cpu_cores": round(self.server_cores, 3),
            "server_cpu_us_per_request": round(self.server_us_per_request(), 1),
            "generator_cpu_cores": round(self.generator_cores, 3),
            "machine_busy_pct": round(self.machine_busy_pct, 1),
            "other_cpu_cores": round(self.other_cores, 3),
            "load_average_1m": round(self.load_average, 2),
            "first_error": self.first_error,
        })
    }
}

pub const TABLE_HEADER: &str = "| system | setup | workload | proto | pacing | conns | req/s | p50 ms | p99 ms | p99.9 ms | server CPU cores | server µs/req | gen CPU | busy % | other cores | load | errors |";
pub const TABLE_RULE: &str =
    "|---|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|";

pub fn table_row(point: &Point) -> String {
    format!(
        "| {} | {} | {} | {} | {} | {} | {:.0} | {:.3} | {:.2} | {:.2} | {:.2} | {:.0} | {:.2} | {:.0} | {:.2} | {:.1} | {} |",
        point.system,
        point.setup,
        point.workload,
        point.protocol,
        point.pacing,
        point.connections,
        point.throughput,
        point.p50_ms,
        point.p99_ms,
        point.p999_ms,
        point.server_cores,
        point.server_us_per_request(),
        point.generator_cores,
        point.machine_busy_pct,
        point.other_cores,
        point.load_average,
        point.failures,
    )
}

/// Where a run's results go: `<base>/<YYYY-MM-DD>/` (UTC), or `-2`, `-3`... if taken.
pub fn results_dir(base: &Path) -> anyhow::Result<PathBuf> {
    let date = utc_date(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_secs())
            .unwrap_or(0),
    );
    let mut dir = base.join(&date);
    let mut attempt = 2;
    while dir.exists() {
        dir = base.join(format!("{date}-{attempt}"));
        attempt += 1;
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// `YYYY-MM-DD` of a Unix time (UTC), by the civil-from-days algorithm.
pub fn utc_date(unix_s: u64) -> String {
    let days = i64::try_from(unix_s / 86_400).unwrap_or(0) + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Appends points to `points.jsonl` as they come.
pub struct JsonLines {
    file: std::fs::File,
}

impl JsonLines {
    pub fn create(path: &Path) -> anyhow::Result<JsonLines> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("opening {}", path.display()))?;
        Ok(JsonLines { file })
    }

    pub fn append(&mut self, value: &serde_json::Value) -> anyhow::Result<()> {
        writeln!(self.file, "{value}")?;
        Ok(())
    }
}

/// The Markdown summary: how it was run, the machine, every point, the goals.
pub fn markdown(header: &str, points: &[Point], goals: &str, notes: &[String]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{header}");
    let _ = writeln!(out, "## Goals\n\n{goals}");
    let _ = writeln!(out, "## All points\n\n{TABLE_HEADER}\n{TABLE_RULE}");
    for point in points {
        let _ = writeln!(out, "{}", table_row(point));
    }
    if !notes.is_empty() {
        let _ = writeln!(out, "\n## Failed or skipped\n");
        for note in notes {
            let _ = writeln!(out, "- {note}");
        }
    }
    let errors: Vec<&Point> = points.iter().filter(|p| p.first_error.is_some()).collect();
    if !errors.is_empty() {
        let _ = writeln!(out, "\n## First transport error per point that had one\n");
        for point in errors {
            let _ = writeln!(
                out,
                "- {} {} {} conns: {}",
                point.label(),
                point.workload,
                point.connections,
                point.first_error.as_deref().unwrap_or_default()
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil_utc() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        assert_eq!(utc_date(1_767_225_599), "2025-12-31");
        assert_eq!(utc_date(1_767_225_600), "2026-01-01");
    }
}
