//! Request counters for `/node/metrics`, in Prometheus' text format: one atomic per endpoint
//! and status class, so counting costs no lock on the request path.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of one endpoint.
#[derive(Default)]
pub struct EndpointCounters {
    pub method: String,
    pub path: String,
    calls: AtomicU64,
    errors: AtomicU64,
    forwarded: AtomicU64,
}

impl EndpointCounters {
    pub fn new(method: &str, path: &str) -> Self {
        Self {
            method: method.to_owned(),
            path: path.to_owned(),
            ..Self::default()
        }
    }

    /// One call answered with `status`.
    pub fn record(&self, status: http::StatusCode, forwarded: bool) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        if status.is_client_error() || status.is_server_error() {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
        if forwarded {
            self.forwarded.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Every endpoint's counters.
#[derive(Default)]
pub struct Metrics {
    endpoints: std::sync::RwLock<Vec<std::sync::Arc<EndpointCounters>>>,
}

impl Metrics {
    /// The counters of `method path`, registered once per endpoint when the tables are built.
    pub fn endpoint(&self, method: &str, path: &str) -> std::sync::Arc<EndpointCounters> {
        let mut endpoints = self
            .endpoints
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(known) = endpoints
            .iter()
            .find(|e| e.method == method && e.path == path)
        {
            return std::sync::Arc::clone(known);
        }
        let counters = std::sync::Arc::new(EndpointCounters::new(method, path));
        endpoints.push(std::sync::Arc::clone(&counters));
        counters
    }

    /// The endpoint counters as Prometheus text, after `gauges` (name, help, value).
    pub fn render(&self, gauges: &[(&str, &str, u64)]) -> String {
        let mut out = String::new();
        for (name, help, value) in gauges {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        }
        let endpoints = self
            .endpoints
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (name, help, pick) in [
            (
                "quorate_endpoint_calls_total",
                "Requests answered by the endpoint.",
                0,
            ),
            (
                "quorate_endpoint_errors_total",
                "Requests the endpoint answered with a 4xx or 5xx status.",
                1,
            ),
            (
                "quorate_endpoint_forwarded_total",
                "Requests forwarded to the primary.",
                2,
            ),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for endpoint in endpoints.iter() {
                let value = match pick {
                    0 => &endpoint.calls,
                    1 => &endpoint.errors,
                    _ => &endpoint.forwarded,
                }
                .load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "{name}{{method=\"{}\",path=\"{}\"}} {value}",
                    endpoint.method, endpoint.path
                );
            }
        }
        out
    }
}
