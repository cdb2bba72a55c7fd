//! Replay protection for proposals (CCF's `cose_recent_proposals`): the window of recent
//! proposals, keyed `"<created_at, 10 digits>:<hex SHA-256 of the signature>"`. A proposal
//! already in the window is a replay; one older than the window's median is too old.

use quorate_kv::Tx;
use quorate_ledger::tables;
use serde_json::Value;

use crate::error::GovError;

/// CCF's default window size.
pub const DEFAULT_WINDOW_SIZE: usize = 100;

/// The largest `created_at` that fits the 10-digit key.
const MAX_CREATED_AT_S: u64 = 9_999_999_999;

/// Records the proposal `proposal_id` in the window, or says why it may not be.
pub fn admit_proposal(
    tx: &mut Tx,
    created_at_s: u64,
    signature_digest_hex: &str,
    proposal_id: &str,
) -> Result<(), GovError> {
    if created_at_s > MAX_CREATED_AT_S {
        return Err(GovError::InvalidCreatedAt(
            "Header parameter created_at value is too large".into(),
        ));
    }
    let created_at = format!("{created_at_s:0>10}");
    let key = format!("{created_at}:{signature_digest_hex}");
    if let Some(colliding) = tx.get(tables::COSE_RECENT_PROPOSALS, key.as_bytes()) {
        let colliding: String = serde_json::from_slice(&colliding)
            .unwrap_or_else(|_| String::from_utf8_lossy(&colliding).into_owned());
        return Err(GovError::ProposalReplay(format!(
            "Proposal submission replay, already exists as proposal {colliding}"
        )));
    }
    let mut keys = Vec::new();
    tx.foreach(tables::COSE_RECENT_PROPOSALS, |key, _| {
        keys.push(String::from_utf8_lossy(key).into_owned());
        true
    });
    keys.sort();
    if let Some(median) = keys.get(keys.len() / 2) {
        let min_created_at = median.split(':').next().unwrap_or_default();
        if created_at.as_str() < min_created_at {
            return Err(GovError::ProposalCreatedTooLongAgo(format!(
                "Proposal created too long ago, created_at must be greater than {min_created_at}"
            )));
        }
    }
    let window = window_size(tx).max(1);
    let value = Value::String(proposal_id.to_owned()).to_string();
    tx.put(
        tables::COSE_RECENT_PROPOSALS,
        key.into_bytes(),
        value.into_bytes(),
    );
    // Keep the newest `window` entries, counting the one just added.
    let excess = (keys.len() + 1).saturating_sub(window);
    for old in keys.into_iter().take(excess) {
        tx.remove(tables::COSE_RECENT_PROPOSALS, old.into_bytes());
    }
    Ok(())
}

fn window_size(tx: &mut Tx) -> usize {
    tx.get(tables::SERVICE_CONFIG, &tables::SINGLETON_KEY)
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .and_then(|config| config.get("recent_cose_proposals_window_size")?.as_u64())
        .and_then(|size| usize::try_from(size).ok())
        .unwrap_or(DEFAULT_WINDOW_SIZE)
}
