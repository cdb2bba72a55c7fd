//! The workloads of the suite and the operations they issue. Keys come from one counter shared
//! by a phase's connections, so a preload covers its whole keyspace and no two connections
//! write the same key at the same moment.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// Distinct keys written by the write workloads.
pub const WRITE_KEYSPACE: u64 = 100_000;
/// Keys preloaded before, and read by, the read and mixed workloads.
pub const READ_KEYSPACE: u64 = 1_000;
/// One operation in ten of the mixed workload is a write.
const MIXED_WRITE_EVERY: u64 = 10;

/// What a phase asks of the system under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Workload {
    /// Logging private writes (`POST /app/log/private`, etcd put, Redis SET) of `bytes`-byte
    /// messages, answered when the system acknowledges them.
    Write { bytes: usize },
    /// Single-key reads of preloaded keys, spread over every node.
    Read,
    /// 90% reads, 10% 20-byte writes, on the primary (leader).
    Mixed,
    /// A 20-byte write, then polling until the system reports it committed. etcd and Redis
    /// answer writes once committed (durable), so for them this is the write itself.
    WriteCommitted,
}

pub const SMALL_MESSAGE: usize = 20;
pub const LARGE_MESSAGE: usize = 1024;

impl Workload {
    pub const ALL: [Workload; 5] = [
        Workload::Write {
            bytes: SMALL_MESSAGE,
        },
        Workload::Write {
            bytes: LARGE_MESSAGE,
        },
        Workload::Read,
        Workload::Mixed,
        Workload::WriteCommitted,
    ];

    pub fn name(self) -> String {
        match self {
            Workload::Write { bytes } if bytes.is_multiple_of(1024) => {
                format!("write-{}KiB", bytes / 1024)
            }
            Workload::Write { bytes } => format!("write-{bytes}B"),
            Workload::Read => "read".into(),
            Workload::Mixed => "mixed-90r10w".into(),
            Workload::WriteCommitted => "write-committed".into(),
        }
    }

    pub fn parse(text: &str) -> Option<Workload> {
        Workload::ALL
            .into_iter()
            .find(|workload| workload.name() == text)
    }

    /// Whether the phase reads keys that must exist first.
    pub fn needs_preload(self) -> bool {
        matches!(self, Workload::Read | Workload::Mixed)
    }

    /// Whether every connection goes to the primary (writes), rather than spread over nodes.
    pub fn to_primary(self) -> bool {
        !matches!(self, Workload::Read)
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// One request's worth of work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Write { key: u64, bytes: usize },
    Read { key: u64 },
    WriteCommitted { key: u64 },
}

/// Hands out a phase's operations.
#[derive(Debug, Default)]
pub struct Operations {
    counter: AtomicU64,
}

impl Operations {
    pub fn next(&self, workload: Workload) -> Operation {
        let sequence = self.counter.fetch_add(1, Ordering::Relaxed);
        match workload {
            Workload::Write { bytes } => Operation::Write {
                key: sequence % WRITE_KEYSPACE,
                bytes,
            },
            Workload::Read => Operation::Read {
                key: sequence.wrapping_mul(7919) % READ_KEYSPACE,
            },
            Workload::Mixed if sequence.is_multiple_of(MIXED_WRITE_EVERY) => Operation::Write {
                key: (sequence / MIXED_WRITE_EVERY) % READ_KEYSPACE,
                bytes: SMALL_MESSAGE,
            },
            Workload::Mixed => Operation::Read {
                key: sequence.wrapping_mul(7919) % READ_KEYSPACE,
            },
            Workload::WriteCommitted => Operation::WriteCommitted {
                key: sequence % WRITE_KEYSPACE,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for workload in Workload::ALL {
            assert_eq!(Workload::parse(&workload.name()), Some(workload));
        }
        assert_eq!(
            Workload::parse("write-1KiB").map(Workload::name).as_deref(),
            Some("write-1KiB")
        );
        assert_eq!(Workload::parse("nonsense"), None);
    }

    #[test]
    fn mixed_is_one_write_in_ten_and_reads_stay_in_the_preloaded_keys() {
        let operations = Operations::default();
        let mut writes = 0;
        for _ in 0..1000 {
            match operations.next(Workload::Mixed) {
                Operation::Write { key, .. } => {
                    writes += 1;
                    assert!(key < READ_KEYSPACE);
                }
                Operation::Read { key } => assert!(key < READ_KEYSPACE),
                Operation::WriteCommitted { .. } => panic!("not in the mixed workload"),
            }
        }
        assert_eq!(writes, 100);
    }

    #[test]
    fn a_preload_covers_the_read_keyspace() {
        let operations = Operations::default();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..READ_KEYSPACE {
            if let Operation::Read { key } = operations.next(Workload::Read) {
                seen.insert(key);
            }
        }
        assert_eq!(seen.len() as u64, READ_KEYSPACE);
    }
}
