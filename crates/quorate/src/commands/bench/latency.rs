//! Latency recording in HDR histograms (1 µs to 60 s, 3 significant digits): each connection
//! records into its own and the phase merges them, so recording never contends.

use std::time::Duration;

use hdrhistogram::Histogram;

const LOWEST_US: u64 = 1;
const HIGHEST_US: u64 = 60_000_000;
const SIGNIFICANT_DIGITS: u8 = 3;

/// Latencies of one connection or one whole phase, in microseconds.
#[derive(Clone)]
pub struct Latencies {
    histogram: Histogram<u64>,
}

impl Default for Latencies {
    fn default() -> Self {
        Self::new()
    }
}

impl Latencies {
    pub fn new() -> Latencies {
        // The bounds are constants that hdrhistogram accepts; a failure would be a bug here.
        #[allow(clippy::expect_used)]
        let histogram = Histogram::new_with_bounds(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)
            .expect("valid histogram bounds");
        Latencies { histogram }
    }

    /// Records one latency; values past the range are clamped to it.
    pub fn record(&mut self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(HIGHEST_US);
        self.histogram
            .saturating_record(micros.clamp(LOWEST_US, HIGHEST_US));
    }

    pub fn merge(&mut self, other: &Latencies) {
        // Same bounds on both sides, so adding cannot fail.
        let _ = self.histogram.add(&other.histogram);
    }

    #[cfg(test)]
    pub fn count(&self) -> u64 {
        self.histogram.len()
    }

    /// The latency below which `quantile` (0..=1) of the recorded values fall, in ms.
    pub fn quantile_ms(&self, quantile: f64) -> f64 {
        if self.histogram.is_empty() {
            return 0.0;
        }
        self.histogram.value_at_quantile(quantile) as f64 / 1000.0
    }

    pub fn max_ms(&self) -> f64 {
        self.histogram.max() as f64 / 1000.0
    }

    pub fn mean_ms(&self) -> f64 {
        self.histogram.mean() / 1000.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_known_distribution() {
        let mut first = Latencies::new();
        let mut second = Latencies::new();
        for micros in 1..=500 {
            first.record(Duration::from_micros(micros));
        }
        for micros in 501..=1000 {
            second.record(Duration::from_micros(micros));
        }
        first.merge(&second);
        assert_eq!(first.count(), 1000);
        assert!((first.quantile_ms(0.5) - 0.5).abs() < 0.002);
        assert!((first.quantile_ms(0.99) - 0.99).abs() < 0.002);
        assert!((first.max_ms() - 1.0).abs() < 0.002);
    }

    #[test]
    fn out_of_range_values_are_clamped() {
        let mut latencies = Latencies::new();
        latencies.record(Duration::ZERO);
        latencies.record(Duration::from_secs(3600));
        assert_eq!(latencies.count(), 2);
        assert!(latencies.max_ms() >= 59_000.0);
    }
}
