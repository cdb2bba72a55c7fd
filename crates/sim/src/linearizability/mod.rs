//! A porcupine-style linearizability checker: the Wing–Gong search with Lowe's memoisation of
//! (linearized set, model state), run separately on each partition of the history
//! (P-compositionality, e.g. one partition per key), with operations whose outcome is unknown.

mod bitset;
mod check;
mod entries;
mod kv;
mod model;
mod operation;
mod verdict;

pub use check::check_operations;
pub use kv::{KvInput, KvModel, KvOutput};
pub use model::Model;
pub use operation::{Operation, Outcome};
pub use verdict::{Verdict, Violation};
