#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! COSE receipts built from a signature's COSE_Sign1 verify with our verifier, and every tampered
//! part is rejected with its own reason.

use quorate_crypto::{KeyPair, sha256};
use quorate_kv::TxId;
use quorate_ledger::merkle::{MerkleTree, ZERO_LEAF, leaf_for_entry};
use quorate_ledger::receipt::{
    ReceiptRejection, TransactionProof, cose_receipt, verify_cose_receipt,
};
use quorate_ledger::signature::{CoseSignatureConfig, sign_root};

struct Fixture {
    service: KeyPair,
    receipt: Vec<u8>,
    claims: [u8; 32],
}

fn fixture() -> Fixture {
    let service = KeyPair::from_seed(&[9; 32]).unwrap();
    let mut tree = MerkleTree::new();
    tree.append(ZERO_LEAF);
    let claims = [0xcc; 32];
    let evidence: Vec<String> = (1..=6)
        .map(|s| format!("ce:2.{s}:{}", "ab".repeat(32)))
        .collect();
    for (i, ce) in evidence.iter().enumerate() {
        let ws = sha256(format!("entry {i}").as_bytes());
        tree.append(leaf_for_entry(&ws, &sha256(ce.as_bytes()), &claims));
    }
    let config = CoseSignatureConfig {
        issuer: "iss".into(),
        subject: "sub".into(),
    };
    let cose = sign_root(
        &service,
        &config,
        1_735_689_600,
        TxId::new(2, 7),
        &tree.root().unwrap(),
    )
    .unwrap();
    let path = tree.inclusion_proof(3).unwrap();
    let tx = TransactionProof {
        write_set_digest: sha256(b"entry 2"),
        commit_evidence: &evidence[2],
        claims_digest: claims,
        path: &path,
    };
    let receipt = cose_receipt(&cose, &tx).unwrap();
    Fixture {
        service,
        receipt,
        claims,
    }
}

#[test]
fn round_trip_names_the_signature_txid() {
    let f = fixture();
    let claims = verify_cose_receipt(&f.receipt, &f.service.public_key(), Some(&f.claims)).unwrap();
    assert_eq!(claims.txid, "2.7");
    assert!(verify_cose_receipt(&f.receipt, &f.service.public_key(), None).is_ok());
}

#[test]
fn wrong_claims_digest_is_rejected() {
    let f = fixture();
    let err = verify_cose_receipt(&f.receipt, &f.service.public_key(), Some(&[0; 32])).unwrap_err();
    assert!(
        matches!(err, ReceiptRejection::ClaimsDigestMismatch { .. }),
        "{err}"
    );
}

#[test]
fn wrong_service_key_is_rejected() {
    let f = fixture();
    let other = KeyPair::from_seed(&[10; 32]).unwrap();
    let err = verify_cose_receipt(&f.receipt, &other.public_key(), None).unwrap_err();
    assert_eq!(err, ReceiptRejection::KeyIdMismatch);
}

#[test]
fn any_flipped_byte_is_rejected() {
    let f = fixture();
    for index in 0..f.receipt.len() {
        let mut tampered = f.receipt.clone();
        tampered[index] ^= 0x01;
        assert!(
            verify_cose_receipt(&tampered, &f.service.public_key(), Some(&f.claims)).is_err(),
            "flip at byte {index} accepted"
        );
    }
}
