//! Random and mutated bytes fed to the chunk reader: it returns an error or a consistent scan,
//! never panics.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use quorate_ledger::chunk::{ChunkName, LedgerReader, LedgerWriter, WriterConfig, scan_chunk};
use std::path::Path;

fn entry(seqno: u64, total_bytes: usize) -> Vec<u8> {
    let mut bytes = vec![1, 0];
    bytes.extend_from_slice(&((total_bytes - 8) as u64).to_le_bytes()[..6]);
    bytes.extend_from_slice(&[0xAB; 16]);
    bytes.extend_from_slice(&seqno.to_le_bytes());
    bytes.resize(total_bytes, 0x5A);
    bytes
}

/// The bytes of a complete chunk `ledger_1-4` and an in-progress `ledger_5` with 3 entries.
fn valid_chunks() -> (Vec<u8>, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = LedgerWriter::open(
        dir.path(),
        WriterConfig {
            chunk_size_bytes: 100,
            ..WriterConfig::default()
        },
    )
    .unwrap();
    for seqno in 1..=7 {
        writer
            .append(seqno, &entry(seqno, 44 + seqno as usize), seqno == 4)
            .unwrap();
    }
    writer.sync().unwrap();
    (
        std::fs::read(dir.path().join("ledger_1-4")).unwrap(),
        std::fs::read(dir.path().join("ledger_5")).unwrap(),
    )
}

fn name() -> impl Strategy<Value = ChunkName> {
    let start = prop_oneof![1u64..10, (u64::MAX - 3)..=u64::MAX];
    (start, proptest::option::of(0u64..10), any::<bool>()).prop_map(|(start, len, committed)| {
        ChunkName {
            start,
            end: len.map(|n| start.saturating_add(n)),
            committed: committed && len.is_some(),
        }
    })
}

/// A successful scan must describe entries inside the file, in order.
fn check_consistent(bytes: &[u8], name: &ChunkName) {
    if let Ok(scan) = scan_chunk(Path::new("fuzz"), name, bytes) {
        let mut previous = 0;
        for offset in &scan.offsets {
            assert!(*offset >= 8 && *offset > previous && *offset < scan.entries_end);
            previous = *offset;
        }
        assert!(scan.entries_end <= bytes.len() as u64);
        if let Some(end) = name.end {
            assert!(scan.torn.is_none());
            assert_eq!(scan.offsets.len() as u64, end - name.start + 1);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400), name in name()) {
        check_consistent(&bytes, &name);
    }

    #[test]
    fn mutated_chunks_never_panic(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
        complete in any::<bool>(),
    ) {
        let (complete_bytes, open_bytes) = valid_chunks_cached();
        let (mut bytes, name) = if complete {
            (complete_bytes.clone(), ChunkName { start: 1, end: Some(4), committed: false })
        } else {
            (open_bytes.clone(), ChunkName::in_progress(5))
        };
        for (index, value) in flips {
            let i = index.index(bytes.len());
            bytes[i] ^= value;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len() + 1));
        }
        check_consistent(&bytes, &name);
    }
}

fn valid_chunks_cached() -> &'static (Vec<u8>, Vec<u8>) {
    static CHUNKS: std::sync::OnceLock<(Vec<u8>, Vec<u8>)> = std::sync::OnceLock::new();
    CHUNKS.get_or_init(valid_chunks)
}

#[test]
fn valid_chunks_scan_cleanly() {
    let (complete, open) = valid_chunks_cached();
    let complete_scan = scan_chunk(
        Path::new("ledger_1-4"),
        &ChunkName {
            start: 1,
            end: Some(4),
            committed: false,
        },
        complete,
    )
    .unwrap();
    assert_eq!(complete_scan.offsets, [8, 53, 99, 146]);
    let open_scan = scan_chunk(Path::new("ledger_5"), &ChunkName::in_progress(5), open).unwrap();
    assert_eq!((open_scan.offsets.len(), open_scan.torn), (3, None));
}

#[test]
fn random_files_in_a_directory_never_panic() {
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(32));
    runner
        .run(&proptest::collection::vec(any::<u8>(), 0..200), |bytes| {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join("ledger_1-2.committed"), &bytes).unwrap();
            std::fs::write(dir.path().join("ledger_3"), &bytes).unwrap();
            let reader = LedgerReader::open(dir.path(), &[]).unwrap();
            if let Ok(entries) = reader.read_range(1, 3) {
                prop_assert_eq!(entries.len(), 3);
            }
            let mut seen = 0u64;
            let walk = reader.for_each_entry(|e| {
                seen += 1;
                assert_eq!(e.seqno, seen);
                Ok::<(), quorate_ledger::LedgerError>(())
            });
            if walk.is_ok() {
                prop_assert_eq!(seen, 3);
            }
            Ok(())
        })
        .unwrap();
}
