//! The node's copy of the replicated log on disk: the ledger chunk files and the Merkle tree
//! over every entry, kept in step (append, truncate) so a signature can sign the tree of
//! exactly the entries before it.

use std::path::Path;

use quorate_crypto::sha256;
use quorate_kv::{TxId, decode_entry};
use quorate_ledger::chunk::{LedgerWriter, WriterConfig};
use quorate_ledger::merkle::{MerkleTree, ZERO_LEAF, leaf_for_entry};

use super::error::ReplicationError;

/// Ledger files plus Merkle tree. Appends are buffered; [`DurableLog::sync`] makes them durable
/// (once per batch: group commit).
#[derive(Debug)]
pub struct DurableLog {
    writer: LedgerWriter,
    tree: MerkleTree,
    /// Highest seqno known to be on disk.
    synced_seqno: u64,
}

impl DurableLog {
    /// Opens (or creates) the ledger in `dir`, cutting a torn tail a crash may have left. The
    /// tree holds only the zero leaf; [`DurableLog::rebuild_leaf`] refills it on restart.
    pub fn open(dir: &Path, chunk_size_bytes: u64) -> Result<Self, ReplicationError> {
        let writer = LedgerWriter::open(
            dir,
            WriterConfig {
                chunk_size_bytes,
                truncate_torn_tail: true,
            },
        )?;
        let synced_seqno = writer.last_seqno().unwrap_or(0);
        let mut tree = MerkleTree::new();
        tree.append(ZERO_LEAF);
        Ok(Self {
            writer,
            tree,
            synced_seqno,
        })
    }

    pub fn dir(&self) -> &Path {
        self.writer.dir()
    }

    /// The last seqno written (durable or not).
    pub fn last_seqno(&self) -> u64 {
        self.writer.last_seqno().unwrap_or(0)
    }

    pub fn synced_seqno(&self) -> u64 {
        self.synced_seqno
    }

    pub fn tree(&self) -> &MerkleTree {
        &self.tree
    }

    /// Appends entry `txid` to the ledger and its leaf to the tree. The entry is checked
    /// against the place consensus gave it: a peer cannot make us store 2.7 at 3.8.
    pub fn append(
        &mut self,
        txid: TxId,
        entry: &[u8],
        is_signature: bool,
    ) -> Result<(), ReplicationError> {
        let seqno = txid.seqno;
        let (named, leaf) = entry_leaf(seqno, entry)?;
        if named != txid {
            return Err(ReplicationError::BadEntry {
                seqno,
                detail: format!("the entry names {named}, consensus placed it at {txid}"),
            });
        }
        if self.tree.size() != seqno {
            return Err(ReplicationError::BadEntry {
                seqno,
                detail: format!("the tree holds {} leaves", self.tree.size()),
            });
        }
        self.writer.append(seqno, entry, is_signature)?;
        self.tree.append(leaf);
        Ok(())
    }

    /// Adds the leaf of an entry already in the ledger files (restart).
    pub fn rebuild_leaf(&mut self, seqno: u64, entry: &[u8]) -> Result<(), ReplicationError> {
        let (_, leaf) = entry_leaf(seqno, entry)?;
        self.tree.append(leaf);
        Ok(())
    }

    /// Drops every entry after `seqno` from the files and the tree.
    pub fn truncate(&mut self, seqno: u64) -> Result<(), ReplicationError> {
        self.writer.truncate(seqno)?;
        if seqno < self.tree.size() {
            self.tree.retract_to(seqno)?;
        }
        self.synced_seqno = self.synced_seqno.min(seqno);
        Ok(())
    }

    /// Makes every appended entry durable; returns the last durable seqno.
    pub fn sync(&mut self) -> Result<u64, ReplicationError> {
        if self.synced_seqno != self.last_seqno() {
            self.writer.sync()?;
            self.synced_seqno = self.last_seqno();
        }
        Ok(self.synced_seqno)
    }

    /// Marks chunks up to the committed signature `seqno` `.committed` and lets the tree forget
    /// leaves no later signature or rollback needs.
    pub fn commit(&mut self, seqno: u64) -> Result<(), ReplicationError> {
        let seqno = seqno.min(self.synced_seqno);
        self.writer.commit(seqno)?;
        if seqno > 0 && seqno < self.tree.size() {
            self.tree.flush_to(seqno)?;
        }
        Ok(())
    }
}

/// The TxID an entry names and its Merkle leaf, after checking it names seqno `seqno`.
fn entry_leaf(seqno: u64, entry: &[u8]) -> Result<(TxId, [u8; 32]), ReplicationError> {
    let bad = |detail: String| ReplicationError::BadEntry { seqno, detail };
    let decoded = decode_entry(entry, None).map_err(|e| bad(e.to_string()))?;
    if decoded.txid.seqno != seqno {
        return Err(bad(format!("the entry names seqno {}", decoded.txid.seqno)));
    }
    let evidence = decoded
        .commit_evidence_digest
        .ok_or_else(|| bad("no commit evidence digest".into()))?;
    let claims = decoded.claims_digest.unwrap_or([0; 32]);
    Ok((
        decoded.txid,
        leaf_for_entry(&sha256(entry), &evidence, &claims),
    ))
}
