//! Chunk files end to end: the writer's files, CCF's naming and layout, commit, truncate,
//! reopen, torn tails and corruption, and the reader's directory rules.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use quorate_kv::entry::{FORCE_LEDGER_CHUNK_AFTER, FORCE_LEDGER_CHUNK_BEFORE};
use quorate_ledger::LedgerError;
use quorate_ledger::chunk::{LedgerReader, LedgerWriter, WriterConfig, recover_torn_tail};
use std::fs;
use std::path::Path;

/// A well-framed entry for `seqno`: version 1, `flags`, size, a tag, the IV's seqno, filler.
fn entry(seqno: u64, total_bytes: usize, flags: u8) -> Vec<u8> {
    let mut bytes = vec![1, flags];
    bytes.extend_from_slice(&((total_bytes - 8) as u64).to_le_bytes()[..6]);
    bytes.extend_from_slice(&[0xAB; 16]);
    bytes.extend_from_slice(&seqno.to_le_bytes());
    bytes.resize(total_bytes, (seqno % 251) as u8);
    bytes
}

fn small_chunks() -> WriterConfig {
    WriterConfig {
        chunk_size_bytes: 300,
        ..WriterConfig::default()
    }
}

/// Appends `from..=to`, with a signature every `sig_every` seqnos.
fn append_range(writer: &mut LedgerWriter, from: u64, to: u64, sig_every: u64) {
    for seqno in from..=to {
        writer
            .append(seqno, &entry(seqno, 100, 0), seqno % sig_every == 0)
            .unwrap();
    }
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort_by_key(|n| {
        n.trim_start_matches("ledger_")
            .split(['-', '.'])
            .next()
            .unwrap()
            .parse::<u64>()
            .unwrap()
    });
    names
}

fn all_seqnos(dir: &Path) -> Vec<u64> {
    let reader = LedgerReader::open(dir, &[]).unwrap();
    let mut seqnos = Vec::new();
    reader
        .for_each_entry(|e| {
            assert_eq!(e.bytes, entry(e.seqno, 100, 0).as_slice());
            seqnos.push(e.seqno);
            Ok::<(), LedgerError>(())
        })
        .unwrap();
    seqnos
}

#[test]
fn chunks_complete_at_signatures_past_the_size() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = LedgerWriter::open(dir.path(), small_chunks()).unwrap();
    // 8 + 3 × 100 ≥ 300 after seqno 3, but the chunk can only end at a signature (every 4).
    append_range(&mut writer, 1, 10, 4);
    writer.sync().unwrap();
    assert_eq!(names(dir.path()), ["ledger_1-4", "ledger_5-8", "ledger_9"]);
    // 10 entries, 3 headers, 2 tables of 4 positions.
    assert_eq!(writer.bytes_written(), 10 * 100 + 3 * 8 + 2 * 16 + 2 * 8);

    let bytes = fs::read(dir.path().join("ledger_1-4")).unwrap();
    assert_eq!(bytes.len(), 8 + 400 + 16);
    assert_eq!(u64::from_le_bytes(bytes[..8].try_into().unwrap()), 408);
    let positions: Vec<u32> = bytes[408..]
        .chunks(4)
        .map(|p| u32::from_le_bytes(p.try_into().unwrap()))
        .collect();
    assert_eq!(positions, [8, 108, 208, 308]);
    let open = fs::read(dir.path().join("ledger_9")).unwrap();
    assert_eq!(&open[..8], &[0; 8]);
    assert_eq!(all_seqnos(dir.path()), (1..=10).collect::<Vec<_>>());
}

#[test]
fn flags_force_chunk_boundaries() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = LedgerWriter::open(dir.path(), WriterConfig::default()).unwrap();
    writer.append(1, &entry(1, 100, 0), false).unwrap();
    writer
        .append(2, &entry(2, 100, FORCE_LEDGER_CHUNK_AFTER), true)
        .unwrap();
    writer.append(3, &entry(3, 100, 0), true).unwrap();
    writer
        .append(4, &entry(4, 100, FORCE_LEDGER_CHUNK_BEFORE), false)
        .unwrap();
    let after_without_signature = writer.append(5, &entry(5, 100, FORCE_LEDGER_CHUNK_AFTER), false);
    assert!(matches!(
        after_without_signature,
        Err(LedgerError::Writer(_))
    ));
    writer.sync().unwrap();
    assert_eq!(names(dir.path()), ["ledger_1-2", "ledger_3-3", "ledger_4"]);
}

#[test]
fn appends_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = LedgerWriter::open(dir.path(), WriterConfig::default()).unwrap();
    assert!(
        writer.append(0, &entry(0, 100, 0), false).is_err(),
        "seqno 0"
    );
    writer.append(5, &entry(5, 100, 0), false).unwrap();
    assert!(writer.append(7, &entry(7, 100, 0), false).is_err(), "gap");
    assert!(
        writer.append(6, &entry(7, 100, 0), false).is_err(),
        "IV names another seqno"
    );
    assert!(
        writer.append(6, &entry(6, 100, 0)[..99], false).is_err(),
        "short"
    );
    writer.append(6, &entry(6, 100, 0), false).unwrap();
    assert_eq!(writer.last_seqno(), Some(6));
}

#[test]
fn commit_renames_complete_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = LedgerWriter::open(dir.path(), small_chunks()).unwrap();
    append_range(&mut writer, 1, 10, 4);
    writer.commit(7).unwrap();
    assert_eq!(
        names(dir.path()),
        ["ledger_1-4.committed", "ledger_5-8", "ledger_9"]
    );
    writer.commit(10).unwrap();
    writer.sync().unwrap();
    assert_eq!(
        names(dir.path()),
        ["ledger_1-4.committed", "ledger_5-8.committed", "ledger_9"]
    );
    assert!(matches!(writer.truncate(9), Err(LedgerError::Writer(_))));
}

#[test]
fn truncate_rolls_back_across_chunks_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = LedgerWriter::open(dir.path(), small_chunks()).unwrap();
    append_range(&mut writer, 1, 14, 4);
    writer.commit(4).unwrap();
    assert_eq!(
        names(dir.path()),
        [
            "ledger_1-4.committed",
            "ledger_5-8",
            "ledger_9-12",
            "ledger_13"
        ]
    );
    // Inside a complete chunk: it becomes in progress again.
    writer.truncate(6).unwrap();
    writer.sync().unwrap();
    assert_eq!(names(dir.path()), ["ledger_1-4.committed", "ledger_5"]);
    assert_eq!(all_seqnos(dir.path()), (1..=6).collect::<Vec<_>>());
    append_range(&mut writer, 7, 9, 4);
    writer.sync().unwrap();
    assert_eq!(
        names(dir.path()),
        ["ledger_1-4.committed", "ledger_5-8", "ledger_9"]
    );
    // At a chunk's end: the complete chunk stays; the next append starts a new one.
    writer.truncate(8).unwrap();
    assert_eq!(names(dir.path()), ["ledger_1-4.committed", "ledger_5-8"]);
    append_range(&mut writer, 9, 9, 4);
    writer.sync().unwrap();
    assert_eq!(
        names(dir.path()),
        ["ledger_1-4.committed", "ledger_5-8", "ledger_9"]
    );
    assert_eq!(all_seqnos(dir.path()), (1..=9).collect::<Vec<_>>());
    assert!(
        writer.truncate(3).is_err(),
        "committed entries cannot be rolled back"
    );
}

#[test]
fn reopening_continues_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut writer = LedgerWriter::open(dir.path(), small_chunks()).unwrap();
        append_range(&mut writer, 1, 10, 4);
        writer.commit(4).unwrap();
        writer.sync().unwrap();
    }
    let mut writer = LedgerWriter::open(dir.path(), small_chunks()).unwrap();
    assert_eq!(writer.last_seqno(), Some(10));
    assert_eq!(writer.committed_seqno(), 4);
    append_range(&mut writer, 11, 13, 4);
    writer.commit(12).unwrap();
    writer.sync().unwrap();
    assert_eq!(
        names(dir.path()),
        [
            "ledger_1-4.committed",
            "ledger_5-8.committed",
            "ledger_9-12.committed",
            "ledger_13"
        ]
    );
    assert_eq!(all_seqnos(dir.path()), (1..=13).collect::<Vec<_>>());
}

#[test]
fn completion_interrupted_before_rename_is_finished_on_open() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut writer = LedgerWriter::open(dir.path(), small_chunks()).unwrap();
        append_range(&mut writer, 1, 4, 4);
        writer.sync().unwrap();
    }
    fs::rename(dir.path().join("ledger_1-4"), dir.path().join("ledger_1")).unwrap();
    let mut writer = LedgerWriter::open(dir.path(), small_chunks()).unwrap();
    append_range(&mut writer, 5, 5, 4);
    writer.sync().unwrap();
    assert_eq!(names(dir.path()), ["ledger_1-4", "ledger_5"]);
}

#[test]
fn torn_tail_is_reported_then_recovered() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut writer = LedgerWriter::open(dir.path(), small_chunks()).unwrap();
        append_range(&mut writer, 1, 6, 4);
        writer.sync().unwrap();
    }
    let path = dir.path().join("ledger_5");
    let full = fs::read(&path).unwrap();
    fs::write(&path, &full[..full.len() - 30]).unwrap();

    let reader = LedgerReader::open(dir.path(), &[]).unwrap();
    match reader.read_range(1, 6) {
        Err(LedgerError::TornTail {
            path: p,
            offset,
            seqno,
            ..
        }) => {
            assert_eq!((p, offset, seqno), (path.clone(), 108, 6));
        }
        other => panic!("expected a torn tail, got {other:?}"),
    }
    assert!(matches!(
        LedgerWriter::open(dir.path(), small_chunks()),
        Err(LedgerError::TornTail { .. })
    ));

    let mut writer = LedgerWriter::open(
        dir.path(),
        WriterConfig {
            truncate_torn_tail: true,
            ..small_chunks()
        },
    )
    .unwrap();
    assert_eq!(writer.last_seqno(), Some(5));
    append_range(&mut writer, 6, 6, 4);
    writer.sync().unwrap();
    assert_eq!(all_seqnos(dir.path()), (1..=6).collect::<Vec<_>>());
    assert_eq!(recover_torn_tail(dir.path()).unwrap(), None);
}

#[test]
fn zero_filled_tail_is_torn_but_garbage_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut writer = LedgerWriter::open(dir.path(), small_chunks()).unwrap();
        append_range(&mut writer, 1, 2, 4);
        writer.sync().unwrap();
    }
    let path = dir.path().join("ledger_1");
    let mut bytes = fs::read(&path).unwrap();
    bytes.extend_from_slice(&[0; 64]);
    fs::write(&path, &bytes).unwrap();
    let cut = recover_torn_tail(dir.path()).unwrap().unwrap();
    assert_eq!(
        (cut.torn.offset, cut.torn.seqno, cut.bytes_removed),
        (208, 3, 64)
    );

    bytes.truncate(208);
    bytes[108] = 7; // the version byte of seqno 2
    fs::write(&path, &bytes).unwrap();
    match recover_torn_tail(dir.path()) {
        Err(LedgerError::Corrupt { offset, seqno, .. }) => {
            assert_eq!((offset, seqno), (108, Some(2)))
        }
        other => panic!("expected corruption, got {other:?}"),
    }
}

#[test]
fn corrupt_complete_chunks_are_named() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut writer = LedgerWriter::open(dir.path(), small_chunks()).unwrap();
        append_range(&mut writer, 1, 4, 4);
        writer.sync().unwrap();
    }
    let path = dir.path().join("ledger_1-4");
    let good = fs::read(&path).unwrap();
    let check = |bytes: &[u8], expected_offset: u64| {
        fs::write(&path, bytes).unwrap();
        let reader = LedgerReader::open(dir.path(), &[]).unwrap();
        match reader.read_range(1, 4) {
            Err(LedgerError::Corrupt {
                path: p, offset, ..
            }) => {
                assert_eq!(p, path);
                assert_eq!(offset, expected_offset);
            }
            other => panic!("expected corruption at {expected_offset}, got {other:?}"),
        }
    };
    // A flipped byte in the header: the table offset no longer fits.
    let mut flipped = good.clone();
    flipped[0] ^= 0x01;
    check(&flipped, 0);
    // Truncated table.
    check(&good[..good.len() - 4], 408);
    // Wrong table offset (points at the last position: count disagrees with the name).
    let mut wrong = good.clone();
    wrong[..8].copy_from_slice(&412u64.to_le_bytes());
    check(&wrong, 412);
    // A position that disagrees with the entries.
    let mut moved = good.clone();
    moved[412..416].copy_from_slice(&109u32.to_le_bytes());
    check(&moved, 412);
    // A flipped size byte inside an entry: blamed on that entry, not the next.
    let mut size = good.clone();
    size[110] ^= 0x01;
    check(&size, 108);
    // An entry whose IV names another seqno.
    let mut iv = good.clone();
    iv[108 + 24] ^= 0x01;
    check(&iv, 108);
}

#[test]
fn directory_rules() {
    let setup = |files: &[&str]| {
        let dir = tempfile::tempdir().unwrap();
        for name in files {
            fs::write(dir.path().join(name), b"").unwrap();
        }
        dir
    };
    let ok = setup(&[
        "ledger_1-4.committed",
        "ledger_5-8",
        "ledger_9",
        "ledger_2-3.ignored",
        "ledger_9.recovery",
    ]);
    let reader = LedgerReader::open(ok.path(), &[]).unwrap();
    assert_eq!(reader.chunks().len(), 3);

    for (files, what) in [
        (&["ledger_1-4", "ledger_6-8"][..], "gap"),
        (&["ledger_1-4", "ledger_4-8"][..], "overlap"),
        (&["ledger_1-4", "ledger_1-4.committed"][..], "duplicate"),
        (
            &["ledger_1", "ledger_2-3"][..],
            "in progress before another",
        ),
        (
            &["ledger_1-4", "ledger_5-8.committed"][..],
            "committed after uncommitted",
        ),
        (&["ledger_1-4", "notes.txt"][..], "unparseable"),
    ] {
        let dir = setup(files);
        assert!(LedgerReader::open(dir.path(), &[]).is_err(), "{what}");
    }

    let main = setup(&["ledger_5-8.committed", "ledger_9"]);
    let archive = setup(&[
        "ledger_1-4.committed",
        "ledger_5-8.committed",
        "ledger_9-12",
    ]);
    let reader = LedgerReader::open(main.path(), &[archive.path().to_owned()]).unwrap();
    let starts: Vec<(u64, bool)> = reader
        .chunks()
        .iter()
        .map(|c| (c.name.start, c.read_only))
        .collect();
    assert_eq!(starts, [(1, true), (5, false), (9, false)]);
}

#[test]
fn read_range_spans_chunks_and_reports_missing_seqnos() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = LedgerWriter::open(dir.path(), small_chunks()).unwrap();
    append_range(&mut writer, 1, 10, 4);
    writer.sync().unwrap();
    let reader = LedgerReader::open(dir.path(), &[]).unwrap();
    let range = reader.read_range(3, 9).unwrap();
    assert_eq!(
        range.iter().map(|e| e.seqno).collect::<Vec<_>>(),
        (3..=9).collect::<Vec<_>>()
    );
    assert_eq!(range[2].seqno, 5);
    assert_eq!(range[2].file, dir.path().join("ledger_5-8"));
    assert_eq!(range[2].offset, 8);
    assert!(matches!(
        reader.read_range(9, 11),
        Err(LedgerError::SeqnoNotHeld {
            seqno: 11,
            first: 1,
            last: 10
        })
    ));
    assert!(matches!(
        reader.read_range(0, 2),
        Err(LedgerError::SeqnoNotHeld { seqno: 0, .. })
    ));
    assert_eq!(reader.last_seqno().unwrap(), Some(10));
}

#[test]
fn an_empty_in_progress_chunk_fixes_the_next_seqno() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("ledger_5"), [0u8; 3]).unwrap();
    assert!(matches!(
        LedgerWriter::open(dir.path(), WriterConfig::default()),
        Err(LedgerError::TornTail {
            offset: 0,
            seqno: 5,
            ..
        })
    ));
    let config = WriterConfig {
        truncate_torn_tail: true,
        ..WriterConfig::default()
    };
    let mut writer = LedgerWriter::open(dir.path(), config).unwrap();
    assert_eq!(writer.last_seqno(), Some(4));
    assert!(writer.append(1, &entry(1, 100, 0), false).is_err());
    writer.append(5, &entry(5, 100, 0), false).unwrap();
    writer.sync().unwrap();
    assert_eq!(names(dir.path()), ["ledger_5"]);
    assert_eq!(
        fs::metadata(dir.path().join("ledger_5")).unwrap().len(),
        108
    );
}

#[test]
fn interrupted_reopen_for_truncation_is_repaired() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut writer = LedgerWriter::open(dir.path(), small_chunks()).unwrap();
        append_range(&mut writer, 1, 8, 4);
        writer.sync().unwrap();
    }
    // The state between dropping the table and zeroing the header of ledger_5-8.
    let bytes = fs::read(dir.path().join("ledger_5-8")).unwrap();
    fs::remove_file(dir.path().join("ledger_5-8")).unwrap();
    fs::write(dir.path().join("ledger_5"), &bytes[..408]).unwrap();
    assert_eq!(all_seqnos(dir.path()), (1..=8).collect::<Vec<_>>());

    let mut writer = LedgerWriter::open(dir.path(), small_chunks()).unwrap();
    assert_eq!(writer.last_seqno(), Some(8));
    writer.truncate(6).unwrap();
    append_range(&mut writer, 7, 9, 4);
    writer.sync().unwrap();
    assert_eq!(names(dir.path()), ["ledger_1-4", "ledger_5-8", "ledger_9"]);
    assert_eq!(all_seqnos(dir.path()), (1..=9).collect::<Vec<_>>());
}
