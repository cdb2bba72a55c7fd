//! What one run found, printed the same way on every replay of its seed.

use std::fmt;

use quorate_consensus::Index;

/// Why a run failed, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub reason: String,
    pub at_ms: u64,
}

/// The outcome of one seed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunReport {
    pub seed: u64,
    pub failure: Option<Failure>,
    /// Hash of every trace event: equal for equal seeds and configurations.
    pub trace_hash: u64,
    pub event_count: u64,
    /// The last trace events, oldest first (`SimConfig::trace_tail_len` of them).
    pub trace_tail: Vec<String>,
    pub end_ms: u64,
    /// Length of the global committed log.
    pub committed: Index,
    pub leaders_elected: usize,
    pub crashes: u64,
    /// Crashed nodes that restarted from their disks under the same identity.
    pub restarts: u64,
    /// Times every member crashed at once (each also counts as crashes and restarts).
    pub outages: u64,
    /// Crashed members replaced by fresh nodes through committed reconfigurations.
    pub joins: u64,
    /// Network splits into two groups (majority/minority, or the leader alone).
    pub splits: u64,
    pub operations: usize,
    pub operations_returned: usize,
    /// The linearizability verdict, in one line.
    pub linearizability: String,
}

impl RunReport {
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

impl fmt::Display for RunReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.failure {
            None => writeln!(f, "seed {} passed", self.seed)?,
            Some(failure) => {
                writeln!(
                    f,
                    "seed {} FAILED at {} ms: {}",
                    self.seed, failure.at_ms, failure.reason
                )?;
                writeln!(f, "last {} events:", self.trace_tail.len())?;
                for line in &self.trace_tail {
                    writeln!(f, "  {line}")?;
                }
            }
        }
        writeln!(
            f,
            "  {} ms virtual, {} events, trace hash {:016x}",
            self.end_ms, self.event_count, self.trace_hash
        )?;
        writeln!(
            f,
            "  committed {} entries, {} leaders elected, {} crashes, {} restarts ({} outages), \
             {} joins, {} splits",
            self.committed,
            self.leaders_elected,
            self.crashes,
            self.restarts,
            self.outages,
            self.joins,
            self.splits
        )?;
        write!(
            f,
            "  {} client operations ({} returned): {}",
            self.operations, self.operations_returned, self.linearizability
        )
    }
}
