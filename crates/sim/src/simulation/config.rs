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
    pub intensity: FaultIntensity,
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
    /// Trace events kept for the failure report.
    pub trace_tail_len: usize,
    /// A bug to plant, to check that the checks catch it; `None` for real runs.
    pub tamper: Option<Tamper>,
}

impl SimConfig {
    /// A short run suited to soaks of thousands of seeds.
    pub fn new(node_count: usize, intensity: FaultIntensity) -> Self {
        Self {
            node_count,
            intensity,
            step_ms: 5,
            safety_phase_ms: 2_000,
            liveness_bound_ms: 3_000,
            heartbeat_timeout_ms: 20,
            election_timeout_ms: 150,
            pre_vote: false,
            signature_every_entries: 4,
            signature_every_ms: 50,
            client_count: 3,
            key_count: 2,
            client_timeout_ms: 1_000,
            trace_tail_len: 40,
            tamper: None,
        }
    }

    /// Network faults during the safety phase.
    pub fn network_faults(&self) -> NetworkFaults {
        match self.intensity {
            FaultIntensity::None => NetworkFaults::HEALED,
            FaultIntensity::Low => NetworkFaults {
                loss_per_mille: 20,
                duplicate_per_mille: 10,
                delay_min_ms: 1,
                delay_max_ms: 20,
            },
            FaultIntensity::High => NetworkFaults {
                loss_per_mille: 150,
                duplicate_per_mille: 50,
                delay_min_ms: 1,
                delay_max_ms: 80,
            },
        }
    }

    /// Per-step chance (per mille) of a partition change during the safety phase.
    pub fn partition_per_mille(&self) -> u32 {
        match self.intensity {
            FaultIntensity::None => 0,
            FaultIntensity::Low => 3,
            FaultIntensity::High => 15,
        }
    }

    /// Per-step chance (per mille) of crashing a node during the safety phase.
    pub fn crash_per_mille(&self) -> u32 {
        match self.intensity {
            FaultIntensity::None => 0,
            FaultIntensity::Low => 1,
            FaultIntensity::High => 4,
        }
    }

    /// Range of disk write latencies; a crash loses every write not yet acknowledged.
    pub fn disk_latency_ms(&self) -> (u64, u64) {
        match self.intensity {
            FaultIntensity::None => (0, 2),
            FaultIntensity::Low => (0, 10),
            FaultIntensity::High => (0, 60),
        }
    }
}
