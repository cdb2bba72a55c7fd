//! `quorate ledger generate`: deterministic, valid CCF ledgers of any size, for tests, benchmarks
//! and cross-checks with CCF's own tools.

pub mod builder;
pub mod identities;
pub mod run;

pub use builder::{BuiltEntry, LedgerBuilder, SampledReceipt};
pub use identities::GeneratedIdentities;
pub use run::{GenerateOptions, GenerateSummary, generate_ledger};
