#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Entry codec properties: encode→decode is the identity, and decoding random or mutated bytes
//! never panics; with the ledger secret, any altered byte is rejected.

use proptest::prelude::*;
use quorate_kv::entry::{ENTRY_HEADER_SIZE_BYTES, EntryHeader, decode_entry, encode_entry};
use quorate_kv::{KvError, LedgerSecret, TxId, WriteSet};

fn secret() -> LedgerSecret {
    LedgerSecret::from_bytes([0x5a; 32])
}

fn map_name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z.]{0,12}".prop_map(|n| format!("public:{n}")),
        "[a-z.]{1,12}",
        "[^\\x00]{0,6}",
    ]
}

fn bytes(max_len: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..max_len)
}

fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![9 => bytes(64), 1 => bytes(70_000)]
}

fn write_set() -> impl Strategy<Value = WriteSet> {
    let change = (bytes(16), prop::option::of(value()));
    let map = (map_name(), prop::collection::vec(change, 0..6));
    prop::collection::vec(map, 0..5).prop_map(|maps| {
        let mut ws = WriteSet::new();
        for (name, changes) in maps {
            let writes = ws.map_mut(&name);
            for (key, change) in changes {
                match change {
                    Some(v) => writes.put(key.into(), v.into()),
                    None => writes.remove(key.into()),
                }
            }
        }
        ws
    })
}

fn txid() -> impl Strategy<Value = TxId> {
    (0u64..=0x7FFF_FFFF, 1u64..u64::MAX).prop_map(|(view, seqno)| TxId::new(view, seqno))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn encode_then_decode_is_identity(
        ws in write_set(), txid in txid(), claims in any::<[u8; 32]>(), flags in 0u8..4,
    ) {
        let entry = encode_entry(txid, &ws, &claims, flags, &secret()).unwrap();
        let header = EntryHeader::parse(&entry.bytes).unwrap();
        prop_assert_eq!(header.entry_size_bytes(), entry.bytes.len() as u64);
        prop_assert_eq!(header.flags, flags);
        let decoded = decode_entry(&entry.bytes, Some(&secret())).unwrap();
        prop_assert_eq!(decoded.txid, txid);
        prop_assert_eq!(decoded.claims_digest, Some(claims));
        prop_assert_eq!(decoded.commit_evidence_digest, Some(entry.commit_evidence_digest));
        prop_assert_eq!(decoded.into_write_set(), ws.clone());

        let public_only = decode_entry(&entry.bytes, None).unwrap();
        let public_names: Vec<_> = ws.public_maps().map(|(n, _)| n.clone()).collect();
        let decoded_names: Vec<_> = public_only.public_write_set.maps().map(|(n, _)| n.clone()).collect();
        prop_assert_eq!(decoded_names, public_names);
    }

    #[test]
    fn random_bytes_never_panic(raw in bytes(300), declared_ok in any::<bool>()) {
        let mut raw = raw;
        if declared_ok && raw.len() >= ENTRY_HEADER_SIZE_BYTES {
            // Make the header plausible so decoding reaches the body.
            let size = (raw.len() - ENTRY_HEADER_SIZE_BYTES) as u64;
            raw[0] = 1;
            raw[1] &= 3;
            raw[2..8].copy_from_slice(&size.to_le_bytes()[..6]);
        }
        let _ = EntryHeader::parse(&raw);
        let _ = decode_entry(&raw, None);
        let _ = decode_entry(&raw, Some(&secret()));
    }

    #[test]
    fn any_altered_byte_is_rejected_with_the_secret(
        ws in write_set(), txid in txid(), position in any::<prop::sample::Index>(), flip in 1u8..=255,
    ) {
        let entry = encode_entry(txid, &ws, &[0; 32], 0, &secret()).unwrap();
        let mut mutated = entry.bytes.clone();
        let at = position.index(mutated.len());
        mutated[at] ^= flip;
        let result = decode_entry(&mutated, Some(&secret()));
        prop_assert!(result.is_err(), "byte {} altered but accepted", at);
        // Every byte of the tag, the IV, the public domain (AAD) and the ciphertext is covered
        // by GCM, so altering one is an authentication failure, reported with the IV's seqno.
        let gcm_header = ENTRY_HEADER_SIZE_BYTES..ENTRY_HEADER_SIZE_BYTES + 28;
        if gcm_header.contains(&at) || at >= gcm_header.end + 8 {
            let iv_seqno = u64::from_le_bytes(mutated[24..32].try_into().unwrap());
            prop_assert_eq!(result, Err(KvError::Authentication { seqno: iv_seqno }));
        }
    }

    #[test]
    fn truncated_entries_are_rejected(ws in write_set(), cut in any::<prop::sample::Index>()) {
        let entry = encode_entry(TxId::new(1, 1), &ws, &[0; 32], 0, &secret()).unwrap();
        let len = cut.index(entry.bytes.len());
        prop_assert!(decode_entry(&entry.bytes[..len], Some(&secret())).is_err());
        prop_assert!(decode_entry(&entry.bytes[..len], None).is_err());
    }
}
