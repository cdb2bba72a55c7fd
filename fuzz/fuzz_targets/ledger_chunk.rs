//! Ledger chunk files as `quorate ledger verify` and a restarting node read them. The first
//! byte names the file, the rest is its contents:
//!
//! - `b & 3 == 0`: `ledger_1` (in progress); `1`: `ledger_1-N`; `2`: `ledger_1-N.committed`,
//!   with `N = 1 + (b >> 2)`;
//! - `b & 3 == 3`: after a valid, signed first chunk of a generated ledger, as the in-progress
//!   chunk that follows it (a damaged tail after good history).
//!
//! Each input goes through the in-memory scanner (`scan_chunk`, `check_entry`, `decode_entry`
//! with and without the ledger secret, `entry_leaf`), then is written to a directory read by
//! `LedgerReader` (what the node's log uses), `verify_ledger` (with and without the secret) and
//! `show_ledger`, and finally opened by `LedgerWriter` with `truncate_torn_tail` as a node
//! restart opens its ledger. Every outcome must be a typed `LedgerError`, never a panic.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use quorate_fuzz::generated_ledger;
use quorate_kv::decode_entry;
use quorate_ledger::chunk::{
    ChunkFileKind, ChunkName, LedgerReader, LedgerWriter, WriterConfig, check_entry, scan_chunk,
};
use quorate_ledger::show::show_ledger;
use quorate_ledger::verify::{VerifyOptions, entry_leaf, verify_ledger};

struct State {
    dir: tempfile::TempDir,
    /// The generated ledger's first chunk: its file name, start, end and bytes.
    first_chunk: (String, u64, Vec<u8>),
}

fn state() -> &'static State {
    static STATE: OnceLock<State> = OnceLock::new();
    STATE.get_or_init(|| {
        let ledger = generated_ledger();
        let mut first = None;
        for (name, bytes) in quorate_fuzz::files_of(&ledger.ledger_dir) {
            if let Ok(ChunkFileKind::Chunk(chunk)) = ChunkName::parse(&name)
                && chunk.start == 1
            {
                first = Some((name, chunk.end.expect("a complete first chunk"), bytes));
            }
        }
        State {
            dir: quorate_fuzz::scratch_dir(),
            first_chunk: first.expect("the generated ledger has a first chunk"),
        }
    })
}

/// Scans `bytes` as the chunk `name` and decodes each entry the scan finds.
fn scan_in_memory(file_name: &str, bytes: &[u8]) {
    let secret = &generated_ledger().ledger_secret;
    let Ok(ChunkFileKind::Chunk(name)) = ChunkName::parse(file_name) else {
        return;
    };
    let Ok(scan) = scan_chunk(Path::new(file_name), &name, bytes) else {
        return;
    };
    let ends = scan
        .offsets
        .iter()
        .skip(1)
        .copied()
        .chain([scan.entries_end]);
    for ((&offset, end), seqno) in scan.offsets.iter().zip(ends).zip(name.start..) {
        let entry = bytes
            .get(offset as usize..end as usize)
            .expect("a scan only reports entries inside the file");
        let _ = check_entry(entry, seqno);
        let _ = decode_entry(entry, None);
        if let Ok(decoded) = decode_entry(entry, Some(secret)) {
            let _ = entry_leaf(entry, &decoded);
        }
    }
}

fn clear(dir: &Path) {
    for entry in std::fs::read_dir(dir).expect("dir").flatten() {
        let _ = std::fs::remove_file(entry.path());
    }
}

fuzz_target!(
    init: {
        quorate_fuzz::maybe_write_seeds("ledger_chunk");
        state();
    },
    |data: &[u8]| {
        let Some((&selector, bytes)) = data.split_first() else {
            return;
        };
        let state = state();
        let end = 1 + u64::from(selector >> 2);
        let (first_name, first_end, first_bytes) = &state.first_chunk;
        let file_name = match selector & 3 {
            0 => "ledger_1".to_owned(),
            1 => format!("ledger_1-{end}"),
            2 => format!("ledger_1-{end}.committed"),
            _ => format!("ledger_{}", first_end + 1),
        };
        scan_in_memory(&file_name, bytes);

        let dir: PathBuf = state.dir.path().to_owned();
        clear(&dir);
        if selector & 3 == 3 {
            std::fs::write(dir.join(first_name), first_bytes).expect("write chunk");
        }
        std::fs::write(dir.join(&file_name), bytes).expect("write chunk");

        if let Ok(reader) = LedgerReader::open(&dir, &[]) {
            let _ = reader.for_each_entry(|entry| {
                let _ = decode_entry(entry.bytes, None);
                Ok::<(), quorate_ledger::LedgerError>(())
            });
            if let Ok(Some(last)) = reader.last_seqno() {
                let _ = reader.read_range(1, last.min(1 << 16));
            }
        }
        let secret = generated_ledger().ledger_secret.clone();
        for ledger_secret in [None, Some(secret.clone())] {
            let options = VerifyOptions {
                ledger_secret,
                ..VerifyOptions::default()
            };
            let _ = verify_ledger(&dir, &options, &mut |_| {});
        }
        let _ = show_ledger(&dir, Some(&secret), &mut std::io::sink());
        let config = WriterConfig {
            truncate_torn_tail: true,
            ..WriterConfig::default()
        };
        drop(LedgerWriter::open(&dir, config));
    }
);
