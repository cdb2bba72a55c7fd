//! The endpoint handlers, one family per file. Read-write handlers only act on their
//! transaction (they may be re-run on conflict) and write nothing before deciding to succeed.

pub mod caller_records;
pub mod count;
pub mod get;
pub mod historical;
pub mod raw_text;
pub mod record;
pub mod remove;
