#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Our entry bytes against golden entries verified by CCF's own Python package.
//!
//! The hex below is printed by
//!   /tmp/ccfpy/bin/python crates/kv/tests/golden/make_golden_entries.py
//! which builds each entry with the team's independent writer (shared/ccf-compat) and parses it
//! back with `ccf.ledger.Transaction` (ccf 7.0.22), asserting TxID, flags, seqno, claims digest,
//! commit-evidence digest, tables and leaf digest. Ledger secret = bytes 0..32.

use quorate_kv::entry::{FORCE_LEDGER_CHUNK_BEFORE, decode_entry, encode_entry};
use quorate_kv::{EntryType, KvError, LedgerSecret, TxId, WriteSet};

const MIXED_HEX: &str = "0100fe000000000053171b7a25bc6379688cbe0069a3c4512a00000000000000020000009f00000000000000042a00000000000000cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccca61e4380e3aa3e6939cecd7ba116656e08b999a14ba5277ffa774592838916bd000000000000000008000000000000007075626c69633a7400000000000000000000000000000000010000000000000001000000000000006b01000000000000007601000000000000000400000000000000676f6e65018ad299fe11efc322280eba442bcacffc3fc8351125444c35fd12672bfead0dc2392302f5166160ef89f45c35df7978814a066ac8883bfde0b521";

const PUBLIC_ONLY_HEX: &str = "0102390100000000e07c1bf1163ba1f6ac55c19e86207655e80300000000000007000000150100000000000004e80300000000000000000000000000000000000000000000000000000000000000000000000000007c7c5461543299dc912a4a57a61982c5fee4af2e181e90c519568f016970dc35000000000000000008000000000000007075626c69633a6100000000000000000000000000000000020000000000000000000000000000000900000000000000656d707479206b65790100000000000000780000000000000000000000000000000008000000000000007075626c69633a62000000000000000000000000000000000100000000000000020000000000000000ff2800000000000000010101010101010101010101010101010101010101010101010101010101010101010101010101010000000000000000";

const TYPE_0_HEX: &str = "0100b70000000000608e93e2e0d43fe6aa110b308817a2f7050000000000000003000000550000000000000000050000000000000000000000000000000a000000000000007075626c69633a6f6c6400000000000000000000000000000000010000000000000001000000000000006b0100000000000000760000000000000000db25bac8a50356405875965e637c533b49fb7e9009bb42cf37790e6bcc27c8bb681f7c4fb843b5511037be6ac6a879280d2eed4f171aa7440edf0cc4bc8d";

const TYPE_2_HEX: &str = "0100d70000000000abb2652829a8fe962300eee67f22e8a90500000000000000030000007500000000000000020500000000000000222222222222222222222222222222222222222222222222222222222222222200000000000000000a000000000000007075626c69633a6f6c6400000000000000000000000000000000010000000000000001000000000000006b0100000000000000760000000000000000db25bac8a50356405875965e637c533b49fb7e9009bb42cf37790e6bcc27c8bb681f7c4fb843b5511037be6ac6a879280d2eed4f171aa7440edf0cc4bc8d";

const TYPE_3_HEX: &str = "0100d700000000008f4cebd00177e1d1470cd4b2620e77200500000000000000030000007500000000000000030500000000000000333333333333333333333333333333333333333333333333333333333333333300000000000000000a000000000000007075626c69633a6f6c6400000000000000000000000000000000010000000000000001000000000000006b0100000000000000760000000000000000db25bac8a50356405875965e637c533b49fb7e9009bb42cf37790e6bcc27c8bb681f7c4fb843b5511037be6ac6a879280d2eed4f171aa7440edf0cc4bc8d";

fn secret() -> LedgerSecret {
    LedgerSecret::from_bytes(core::array::from_fn(|i| i as u8))
}

fn mixed_write_set() -> WriteSet {
    let mut ws = WriteSet::new();
    ws.put("public:t", &b"k"[..], &b"v"[..]);
    ws.remove("public:t", &b"gone"[..]);
    ws.put("p", &b"a"[..], &b"b"[..]);
    ws
}

fn public_only_write_set() -> WriteSet {
    let mut ws = WriteSet::new();
    ws.put("public:b", vec![0x00, 0xff], vec![1u8; 40]);
    ws.put("public:a", &b"x"[..], &b""[..]);
    ws.put("public:a", &b""[..], &b"empty key"[..]);
    ws
}

#[test]
fn mixed_entry_matches_golden_bytes() {
    let entry = encode_entry(
        TxId::new(2, 42),
        &mixed_write_set(),
        &[0xcc; 32],
        0,
        &secret(),
    )
    .unwrap();
    assert_eq!(hex::encode(&entry.bytes), MIXED_HEX);
    assert_eq!(
        hex::encode(entry.commit_evidence_digest),
        "a61e4380e3aa3e6939cecd7ba116656e08b999a14ba5277ffa774592838916bd"
    );
}

#[test]
fn public_only_entry_with_flags_matches_golden_bytes() {
    let txid = TxId::new(7, 1000);
    let entry = encode_entry(
        txid,
        &public_only_write_set(),
        &[0; 32],
        FORCE_LEDGER_CHUNK_BEFORE,
        &secret(),
    )
    .unwrap();
    assert_eq!(hex::encode(&entry.bytes), PUBLIC_ONLY_HEX);
}

#[test]
fn golden_entries_decode_to_their_write_sets() {
    let bytes = hex::decode(MIXED_HEX).unwrap();
    let decoded = decode_entry(&bytes, Some(&secret())).unwrap();
    assert_eq!(decoded.txid, TxId::new(2, 42));
    assert_eq!(
        decoded.entry_type,
        EntryType::WriteSetWithCommitEvidenceAndClaims
    );
    assert_eq!(decoded.claims_digest, Some([0xcc; 32]));
    assert_eq!(
        decoded.commit_evidence_digest,
        Some(*secret().commit_evidence(decoded.txid).digest())
    );
    assert_eq!(decoded.private_domain_size_bytes, 59);
    assert_eq!(decoded.into_write_set(), mixed_write_set());

    let public_only =
        decode_entry(&hex::decode(PUBLIC_ONLY_HEX).unwrap(), Some(&secret())).unwrap();
    assert!(public_only.header.forces_chunk_before());
    assert_eq!(public_only.private_write_set, Some(WriteSet::new()));
    assert_eq!(public_only.into_write_set(), public_only_write_set());
}

#[test]
fn without_the_secret_only_the_public_domain_is_read() {
    let decoded = decode_entry(&hex::decode(MIXED_HEX).unwrap(), None).unwrap();
    assert_eq!(decoded.private_write_set, None);
    assert!(decoded.public_write_set.map("p").is_none());
    assert_eq!(
        decoded
            .public_write_set
            .map("public:t")
            .unwrap()
            .remove_count(),
        1
    );
}

#[test]
fn wrong_secret_or_tampered_public_domain_fails_authentication() {
    let bytes = hex::decode(PUBLIC_ONLY_HEX).unwrap();
    let other = LedgerSecret::from_bytes([9; 32]);
    assert_eq!(
        decode_entry(&bytes, Some(&other)),
        Err(KvError::Authentication { seqno: 1000 })
    );
    let mut tampered = bytes.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert_eq!(
        decode_entry(&tampered, Some(&secret())),
        Err(KvError::Authentication { seqno: 1000 })
    );
}

#[test]
fn deprecated_entry_types_decode_with_their_digests() {
    let cases = [
        (TYPE_0_HEX, EntryType::WriteSet, None, None),
        (
            TYPE_2_HEX,
            EntryType::WriteSetWithClaims,
            Some([0x22; 32]),
            None,
        ),
        (
            TYPE_3_HEX,
            EntryType::WriteSetWithCommitEvidence,
            None,
            Some([0x33; 32]),
        ),
    ];
    for (hex_entry, entry_type, claims, evidence) in cases {
        let decoded = decode_entry(&hex::decode(hex_entry).unwrap(), Some(&secret())).unwrap();
        assert_eq!(decoded.txid, TxId::new(3, 5));
        assert_eq!(decoded.entry_type, entry_type);
        assert_eq!(decoded.claims_digest, claims);
        assert_eq!(decoded.commit_evidence_digest, evidence);
        let mut expected = WriteSet::new();
        expected.put("public:old", &b"k"[..], &b"v"[..]);
        expected.put("priv", &b"s"[..], &b"t"[..]);
        assert_eq!(decoded.into_write_set(), expected);
    }
}

#[test]
fn snapshot_entries_are_not_write_sets() {
    let mut bytes = hex::decode(TYPE_0_HEX).unwrap();
    bytes[44] = EntryType::Snapshot as u8;
    assert_eq!(
        decode_entry(&bytes, None),
        Err(KvError::SnapshotEntry { seqno: 5 })
    );
    bytes[44] = 9;
    assert_eq!(
        decode_entry(&bytes, None),
        Err(KvError::UnknownEntryType(9))
    );
}
