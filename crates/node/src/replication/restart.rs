//! Restarting a node from its own disk: the ledger files give the entries (their views from
//! the GCM IVs, signatures and reconfigurations re-derived from their contents), the
//! hard-state file gives term, vote and a known commit point; consensus is restored from
//! both, the store re-applies the committed prefix and the Merkle tree is rebuilt over every
//! entry. The node comes back as a follower and catches up from the primary.

use bytes::Bytes;
use quorate_consensus::{ConsensusEngine, Entry, Raft};
use quorate_kv::{LedgerSecret, Store, decode_entry};
use quorate_ledger::chunk::LedgerReader;
use quorate_ledger::tables;
use quorate_ledger::verify::{VerifyOptions, verify_ledger};

use super::config::ReplicationConfig;
use super::durable_log::DurableLog;
use super::error::ReplicationError;
use super::hard_state_file::HardStateFile;
use super::identity::{NodeIdentity, ServiceIdentity};
use super::membership::MembershipTracker;
use super::node::ReplicatedNode;

impl ReplicatedNode {
    /// Rebuilds a node from `config`'s ledger directory and hard-state file.
    pub fn restart(
        config: ReplicationConfig,
        node: NodeIdentity,
        service: ServiceIdentity,
        secret: LedgerSecret,
    ) -> Result<Self, ReplicationError> {
        let raft_config = Self::raft_config(&config, &node)?;
        let mut log = DurableLog::open(&config.ledger_dir, config.chunk_size_bytes)?;
        verify_before_restart(&config, &service, &secret, &log)?;
        let entries = read_entries(&config, &secret, &mut log)?;
        let hard_state = HardStateFile::new(&config.hard_state_path).load()?;
        let raft = Raft::restore(raft_config, hard_state, entries, None)?;
        let mut restarted = Self::assemble(raft, Store::new(), log, config, node, service, secret);
        restarted.apply_log_up_to(restarted.raft.commit_index())?;
        Ok(restarted)
    }
}

/// The whole ledger is verified (signatures, Merkle roots, every entry decrypted) before the
/// node serves from it: a damaged entry stops the restart with its file, offset and seqno
/// instead of being replayed or silently skipped. A torn tail was already cut by
/// [`DurableLog::open`]. A log without any signature yet (a joiner stopped right after its
/// first entry) has nothing to verify against.
fn verify_before_restart(
    config: &ReplicationConfig,
    service: &ServiceIdentity,
    secret: &LedgerSecret,
    log: &DurableLog,
) -> Result<(), ReplicationError> {
    if log.last_seqno() < 2 {
        return Ok(());
    }
    let options = VerifyOptions {
        service_cert: Some(service.cert.clone()),
        ledger_secret: Some(secret.clone()),
        receipts_dir: None,
    };
    verify_ledger(&config.ledger_dir, &options, &mut |_| {})?;
    Ok(())
}

/// Every entry of the ledger as consensus sees it, adding each one's leaf to `log`'s tree.
fn read_entries(
    config: &ReplicationConfig,
    secret: &LedgerSecret,
    log: &mut DurableLog,
) -> Result<Vec<Entry>, ReplicationError> {
    let reader = LedgerReader::open(&config.ledger_dir, &[])?;
    let mut membership = MembershipTracker::default();
    let mut entries = Vec::new();
    for chunk in reader.chunks() {
        let loaded = reader.load(chunk)?;
        for raw in loaded.entries() {
            let expected = entries.len() as u64 + 1;
            if raw.seqno != expected {
                return Err(ReplicationError::BadEntry {
                    seqno: raw.seqno,
                    detail: format!("the ledger skips from {} to it", expected - 1),
                });
            }
            let decoded =
                decode_entry(raw.bytes, Some(secret)).map_err(|e| ReplicationError::BadEntry {
                    seqno: raw.seqno,
                    detail: format!("{}: {e}", raw.file.display()),
                })?;
            let committable = decoded.public_write_set.map(tables::SIGNATURES).is_some();
            let kind = membership.kind_of(raw.seqno, &decoded.public_write_set)?;
            log.rebuild_leaf(raw.seqno, raw.bytes)?;
            entries.push(Entry {
                term: decoded.txid.view,
                committable,
                kind,
                payload: Bytes::copy_from_slice(raw.bytes),
            });
        }
    }
    Ok(entries)
}
