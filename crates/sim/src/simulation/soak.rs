//! Many seeds in a row.

use super::config::SimConfig;
use super::report::RunReport;
use super::run::run_seed;

/// Totals of a soak; `failures` holds each failed seed's report.
#[derive(Clone, Debug, Default)]
pub struct SoakSummary {
    pub passed: u64,
    pub failures: Vec<RunReport>,
}

/// Runs seeds `start..start + count`, calling `on_report` after each.
pub fn soak(
    config: &SimConfig,
    start: u64,
    count: u64,
    mut on_report: impl FnMut(&RunReport),
) -> SoakSummary {
    let mut summary = SoakSummary::default();
    for seed in start..start.saturating_add(count) {
        let report = run_seed(config, seed);
        on_report(&report);
        if report.passed() {
            summary.passed += 1;
        } else {
            summary.failures.push(report);
        }
    }
    summary
}
