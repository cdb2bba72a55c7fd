//! Decoding a whole ledger entry, authenticating it when the ledger secret is known.

use crate::entry::domain::{Domain, decode_maps};
use crate::entry::entry_type::EntryType;
use crate::entry::header::{ENTRY_HEADER_SIZE_BYTES, EntryHeader, txid_from_iv};
use crate::entry::ledger_secret::LedgerSecret;
use crate::entry::reader::Reader;
use crate::error::KvError;
use crate::tx::ClaimsDigest;
use crate::txid::TxId;
use crate::write_set::WriteSet;
use quorate_crypto::Sha256Digest;
use quorate_crypto::aead::{IV_SIZE_BYTES, TAG_SIZE_BYTES};

/// Everything a ledger entry says about its transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedEntry {
    pub header: EntryHeader,
    /// From the GCM IV, as CCF's tooling reads it.
    pub txid: TxId,
    pub entry_type: EntryType,
    /// Present for entry types 2 and 4.
    pub claims_digest: Option<ClaimsDigest>,
    /// Present for entry types 3 and 4.
    pub commit_evidence_digest: Option<Sha256Digest>,
    pub public_write_set: WriteSet,
    /// Decrypted private maps; `None` when no ledger secret was given.
    pub private_write_set: Option<WriteSet>,
    pub public_domain_size_bytes: u64,
    pub private_domain_size_bytes: u64,
}

impl DecodedEntry {
    /// Public and (if decrypted) private maps as one write set.
    pub fn into_write_set(self) -> WriteSet {
        let mut write_set = self.public_write_set;
        if let Some(private) = self.private_write_set {
            write_set.extend(private);
        }
        write_set
    }
}

/// Decodes one entry; `entry` must be exactly the entry (header included). With `secret`, the
/// GCM tag is checked over the public domain and the private domain is decrypted, even when it
/// is empty. Rejects truncated or malformed input with a typed error, never a panic; snapshot
/// entries (type 1) are reported as [`KvError::SnapshotEntry`].
pub fn decode_entry(entry: &[u8], secret: Option<&LedgerSecret>) -> Result<DecodedEntry, KvError> {
    let header = EntryHeader::parse(entry)?;
    let body = &entry[ENTRY_HEADER_SIZE_BYTES..];
    if body.len() as u64 != header.size_bytes {
        return Err(KvError::Malformed(format!(
            "header declares {} bytes but {} follow",
            header.size_bytes,
            body.len()
        )));
    }
    let mut reader = Reader::new(body);
    let tag: [u8; TAG_SIZE_BYTES] = reader.array("GCM tag")?;
    let iv: [u8; IV_SIZE_BYTES] = reader.array("GCM IV")?;
    let (txid, snapshot_iv) = txid_from_iv(&iv);
    let public_domain_size_bytes = reader.u64("public domain size")?;
    let public = reader.take(public_domain_size_bytes, "public domain")?;
    let private = reader.take(reader.remaining_bytes(), "private domain")?;

    // Authenticate before parsing, so tampering is reported as such rather than as whatever
    // parse error the altered bytes happen to cause.
    let plaintext = match secret {
        Some(secret) => Some(
            secret
                .key()
                .open(&iv, public, private, &tag)
                .map_err(|_| KvError::Authentication { seqno: txid.seqno })?,
        ),
        None => None,
    };

    let mut public_reader = Reader::new(public);
    let entry_type = EntryType::try_from(public_reader.u8("entry type")?)?;
    let version = public_reader.u64("version")?;
    if entry_type == EntryType::Snapshot || snapshot_iv {
        return Err(KvError::SnapshotEntry { seqno: txid.seqno });
    }
    if version != txid.seqno {
        return Err(KvError::Malformed(format!(
            "public domain version {version} differs from IV seqno {}",
            txid.seqno
        )));
    }
    let claims_digest = match entry_type.has_claims() {
        true => Some(public_reader.array("claims digest")?),
        false => None,
    };
    let commit_evidence_digest = match entry_type.has_commit_evidence() {
        true => Some(public_reader.array("commit evidence digest")?),
        false => None,
    };
    public_reader.u64("max conflict version")?;
    let public_write_set = decode_maps(&mut public_reader, Domain::Public)?;

    let private_write_set = match plaintext {
        Some(plaintext) => Some(decode_maps(&mut Reader::new(&plaintext), Domain::Private)?),
        None => None,
    };
    Ok(DecodedEntry {
        header,
        txid,
        entry_type,
        claims_digest,
        commit_evidence_digest,
        public_write_set,
        private_write_set,
        public_domain_size_bytes,
        private_domain_size_bytes: private.len() as u64,
    })
}
