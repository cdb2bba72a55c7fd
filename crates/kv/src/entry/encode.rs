//! Encoding a write set as one CCF ledger entry (type 4), in a single buffer: the private
//! domain is serialised in place after the public one and encrypted there.

use crate::entry::domain::{encode_maps, maps_size_bytes};
use crate::entry::entry_type::EntryType;
use crate::entry::header::{
    ENTRY_FORMAT_V1, ENTRY_HEADER_SIZE_BYTES, EntryHeader, FORCE_LEDGER_CHUNK_AFTER,
    FORCE_LEDGER_CHUNK_BEFORE, GCM_HEADER_SIZE_BYTES, MAX_ENTRY_BODY_SIZE_BYTES, tx_iv,
};
use crate::entry::ledger_secret::LedgerSecret;
use crate::error::KvError;
use crate::tx::ClaimsDigest;
use crate::txid::TxId;
use crate::write_set::WriteSet;
use quorate_crypto::Sha256Digest;
use quorate_crypto::aead::TAG_SIZE_BYTES;

/// Offset of the public-domain length field.
const PUBLIC_SIZE_OFFSET: usize = ENTRY_HEADER_SIZE_BYTES + GCM_HEADER_SIZE_BYTES;
/// Offset of the public domain.
const PUBLIC_DOMAIN_OFFSET: usize = PUBLIC_SIZE_OFFSET + 8;
/// Entry type, seqno, claims digest, commit-evidence digest, max_conflict_version.
const PUBLIC_HEADER_SIZE_BYTES: usize = 1 + 8 + 32 + 32 + 8;

/// An encoded entry and the commit-evidence digest bound into it (the ledger needs it for the
/// Merkle leaf; the evidence itself comes from [`LedgerSecret::commit_evidence`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedEntry {
    pub bytes: Vec<u8>,
    pub commit_evidence_digest: Sha256Digest,
}

/// Encodes `write_set` committed as `txid` as a CCF `WriteSetWithCommitEvidenceAndClaims`
/// entry: public maps in the public domain, private maps encrypted under `secret` with the
/// public domain as AAD (the tag is computed even when there are no private maps).
pub fn encode_entry(
    txid: TxId,
    write_set: &WriteSet,
    claims_digest: &ClaimsDigest,
    flags: u8,
    secret: &LedgerSecret,
) -> Result<EncodedEntry, KvError> {
    if flags & !(FORCE_LEDGER_CHUNK_AFTER | FORCE_LEDGER_CHUNK_BEFORE) != 0 {
        return Err(KvError::InvalidFlags(flags));
    }
    let iv = tx_iv(txid)?;
    let evidence = secret.commit_evidence(txid);
    let public_size_bytes = PUBLIC_HEADER_SIZE_BYTES + maps_size_bytes(write_set.public_maps());
    let private_size_bytes = maps_size_bytes(write_set.private_maps());
    let entry_size_bytes = PUBLIC_DOMAIN_OFFSET + public_size_bytes + private_size_bytes;
    let body_size_bytes = (entry_size_bytes - ENTRY_HEADER_SIZE_BYTES) as u64;
    if body_size_bytes > MAX_ENTRY_BODY_SIZE_BYTES {
        return Err(KvError::EntryTooLarge {
            size_bytes: body_size_bytes,
        });
    }

    let mut bytes = Vec::with_capacity(entry_size_bytes);
    let header = EntryHeader {
        version: ENTRY_FORMAT_V1,
        flags,
        size_bytes: body_size_bytes,
    };
    bytes.extend_from_slice(&header.to_bytes());
    bytes.extend_from_slice(&[0u8; TAG_SIZE_BYTES]);
    bytes.extend_from_slice(&iv);
    bytes.extend_from_slice(&(public_size_bytes as u64).to_le_bytes());
    bytes.push(EntryType::WriteSetWithCommitEvidenceAndClaims as u8);
    bytes.extend_from_slice(&txid.seqno.to_le_bytes());
    bytes.extend_from_slice(claims_digest);
    bytes.extend_from_slice(evidence.digest());
    bytes.extend_from_slice(&0u64.to_le_bytes());
    encode_maps(&mut bytes, write_set.public_maps());
    encode_maps(&mut bytes, write_set.private_maps());

    let (head, private) = bytes.split_at_mut(PUBLIC_DOMAIN_OFFSET + public_size_bytes);
    let public = &head[PUBLIC_DOMAIN_OFFSET..];
    let tag = secret
        .key()
        .seal_in_place(&iv, public, private)
        .map_err(|_| KvError::Encryption { txid })?;
    bytes[ENTRY_HEADER_SIZE_BYTES..ENTRY_HEADER_SIZE_BYTES + TAG_SIZE_BYTES].copy_from_slice(&tag);
    Ok(EncodedEntry {
        bytes,
        commit_evidence_digest: *evidence.digest(),
    })
}
