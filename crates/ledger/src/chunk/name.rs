//! Chunk file names: `ledger_<start>` (in progress), `ledger_<start>-<end>` (complete),
//! `ledger_<start>-<end>.committed` (complete and committed).
//!
//! Names are parsed strictly (decimal digits, no leading zeros, 1 ≤ start ≤ end) so that one
//! range has exactly one spelling and a stray file is an error rather than a silent skip.
//! `.ignored` files are skipped on purpose by operators; `.recovery` files belong to a disaster
//! recovery that never finished and are skipped too (CCF drops them at startup).

/// The seqno range and state a chunk file's name declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChunkName {
    /// The first seqno in the chunk.
    pub start: u64,
    /// The last seqno, for a complete chunk; `None` while it is in progress.
    pub end: Option<u64>,
    /// Whether the name carries `.committed`.
    pub committed: bool,
}

/// What a directory entry's name says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkFileKind {
    Chunk(ChunkName),
    /// `*.ignored`: skipped by every reader.
    Ignored,
    /// `*.recovery`: left over from an unfinished disaster recovery; skipped.
    Recovery,
}

const PREFIX: &str = "ledger_";
const COMMITTED_SUFFIX: &str = ".committed";
const IGNORED_SUFFIX: &str = ".ignored";
const RECOVERY_SUFFIX: &str = ".recovery";

impl ChunkName {
    /// An in-progress chunk starting at `start`.
    pub fn in_progress(start: u64) -> Self {
        Self {
            start,
            end: None,
            committed: false,
        }
    }

    /// Classifies a file name; `Err` holds why it is not a chunk name.
    pub fn parse(file_name: &str) -> Result<ChunkFileKind, String> {
        if file_name.ends_with(IGNORED_SUFFIX) {
            return Ok(ChunkFileKind::Ignored);
        }
        if file_name.ends_with(RECOVERY_SUFFIX) {
            return Ok(ChunkFileKind::Recovery);
        }
        let body = file_name
            .strip_prefix(PREFIX)
            .ok_or_else(|| format!("does not start with {PREFIX:?}"))?;
        let (range, committed) = match body.strip_suffix(COMMITTED_SUFFIX) {
            Some(range) => (range, true),
            None => (body, false),
        };
        let (start, end) = match range.split_once('-') {
            Some((start, end)) => (parse_seqno(start)?, Some(parse_seqno(end)?)),
            None => (parse_seqno(range)?, None),
        };
        match end {
            Some(end) if end < start => Err(format!("end {end} is before start {start}")),
            None if committed => Err("a committed chunk must name its end".into()),
            _ => Ok(ChunkFileKind::Chunk(Self {
                start,
                end,
                committed,
            })),
        }
    }

    /// The canonical file name.
    pub fn file_name(&self) -> String {
        match (self.end, self.committed) {
            (None, _) => format!("{PREFIX}{}", self.start),
            (Some(end), false) => format!("{PREFIX}{}-{end}", self.start),
            (Some(end), true) => format!("{PREFIX}{}-{end}{COMMITTED_SUFFIX}", self.start),
        }
    }
}

fn parse_seqno(digits: &str) -> Result<u64, String> {
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    if !canonical {
        return Err(format!(
            "{digits:?} is not a seqno (decimal, no leading zeros, ≥ 1)"
        ));
    }
    digits
        .parse()
        .map_err(|_| format!("{digits:?} does not fit in 64 bits"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_three_states() {
        for (text, end, committed) in [
            ("ledger_5", None, false),
            ("ledger_5-9", Some(9), false),
            ("ledger_5-9.committed", Some(9), true),
        ] {
            let expected = ChunkName {
                start: 5,
                end,
                committed,
            };
            assert_eq!(ChunkName::parse(text), Ok(ChunkFileKind::Chunk(expected)));
            assert_eq!(expected.file_name(), text);
        }
        assert_eq!(
            ChunkName::parse("ledger_1-2.ignored"),
            Ok(ChunkFileKind::Ignored)
        );
        assert_eq!(
            ChunkName::parse("ledger_3.recovery"),
            Ok(ChunkFileKind::Recovery)
        );
    }

    #[test]
    fn rejects_malformed_names() {
        for text in [
            "ledger_",
            "ledger_0",
            "ledger_01",
            "ledger_9-5",
            "ledger_5.committed",
            "ledger_+5",
            "ledger_1-2-3",
            "ledger_1-2.committed.x",
            "snapshot_12_13.committed",
            "ledger_99999999999999999999",
        ] {
            assert!(ChunkName::parse(text).is_err(), "{text}");
        }
    }

    proptest! {
        #[test]
        fn any_text_parses_or_errs(text in "\\PC{0,24}") {
            if let Ok(ChunkFileKind::Chunk(name)) = ChunkName::parse(&text) {
                prop_assert_eq!(name.file_name(), text);
            }
        }
    }
}
