//! The knobs of one simulated run. Everything random is derived from the seed; these only set
//! the ranges the seed draws from.

use super::tamper::Tamper;

/// How hostile the environment is during the safety phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultIntensity {
    /// A perfect network and fast disks: checks the happy path.
    None,
    /// Occasional loss, duplication and partitions.
    Low,
    /// Frequent loss, duplication, reordering, partitions and slow disks.
    High,
}

/// Per-step probabilities and delays of the packet network, in parts per thousand and ms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NetworkFaults {
    pub loss_per_mille: u32,
    pub duplicate_per_mille: u32,
    pub delay_min_ms: u64,
    /// Delays are drawn uniformly in `delay_min_ms..=delay_max_ms`; a wide range reorders.
    pub delay_max_ms: u64,
}

impl NetworkFaults {
    /// The healed network of the liveness phase: no loss, no duplication, short delays.
    pub const HEALED: NetworkFaults = NetworkFaults {
        loss_per_mille: 0,
        duplicate_per_mille: 0,
        delay_min_ms: 1,
        delay_max_ms: 5,
    };
}

/// Everything a run needs besides its seed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimConfig {
    pub node_count: usize,
    /// Virtual time advanced per simulation step.
    pub step_ms: u64,
    /// Length of the phase with faults, in which only safety is checked.
    pub safety_phase_ms: u64,
    /// After faults heal, a leader must commit something new within this long.
    pub liveness_bound_ms: u64,
    pub heartbeat_timeout_ms: u64,
    pub election_timeout_ms: u64,
    pub pre_vote: bool,
    /// The harness emits a signature after this many unsigned entries...
    pub signature_every_entries: u64,
    /// ...or after this long, whichever comes first.
    pub signature_every_ms: u64,
    /// Clients submitting operations, each with at most one in flight.
    pub client_count: u64,
    /// Distinct KV keys the clients touch; few keys means more contention per key.
    pub key_count: u64,
    /// A client gives up on an operation (outcome unknown) after this long.
    pub client_timeout_ms: u64,
    /// Network faults during the safety phase.
    pub network: NetworkFaults,
    /// Per-step chance (per mille) of a partition change during the safety phase.
    pub partition_per_mille: u32,
    /// Per-step chance (per mille) of crashing a node during the safety phase.
    pub crash_per_mille: u32,
    /// Range of disk write latencies; a crash loses every write not yet acknowledged.
    pub disk_latency_ms: (u64, u64),
    /// Trace events kept for the report.
    pub trace_tail_len: usize,
    /// A bug to plant, to check that the checks catch it; `None` for real runs.
    pub tamper: Option<Tamper>,
}

impl SimConfig {
    /// A short run suited to soaks of thousands of seeds, with faults of `intensity`.
    pub fn new(node_count: usize, intensity: FaultIntensity) -> Self {
        let (network, partition_per_mille, crash_per_mille, disk_latency_ms) = match intensity {
            FaultIntensity::None => (NetworkFaults::HEALED, 0, 0, (0, 2)),
            FaultIntensity::Low => (
                NetworkFaults {
                    loss_per_mille: 20,
                    duplicate_per_mille: 10,
                    delay_min_ms: 1,
                    delay_max_ms: 20,
                },
                3,
                1,
                (0, 10),
            ),
            FaultIntensity::High => (
                NetworkFaults {
                    loss_per_mille: 150,
                    duplicate_per_mille: 50,
                    delay_min_ms: 1,
                    delay_max_ms: 50,
                },
                15,
                4,
                (0, 60),
            ),
        };
        Self {
            node_count,
            step_ms: 5,
            safety_phase_ms: 2_000,
            liveness_bound_ms: 3_000,
            heartbeat_timeout_ms: 20,
            election_timeout_ms: 300,
            pre_vote: false,
            signature_every_entries: 4,
            signature_every_ms: 50,
            client_count: 3,
            key_count: 2,
            client_timeout_ms: 1_000,
            network,
            partition_per_mille,
            crash_per_mille,
            disk_latency_ms,
            trace_tail_len: 40,
            tamper: None,
        }
    }
}
