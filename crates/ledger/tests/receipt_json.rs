#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! JSON receipts: made from a node signature and a Merkle path, verified by our verifier, and
//! rejected with a typed reason when any part is tampered with.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use quorate_crypto::{
    Certificate, KeyPair, SubjectAltName, Validity, create_endorsed_certificate,
    create_service_certificate, sha256,
};
use quorate_ledger::merkle::{MerkleTree, ZERO_LEAF, leaf_for_entry};
use quorate_ledger::receipt::{JsonReceipt, NodeSignature, ReceiptRejection, TransactionProof};

const VALIDITY: Validity = Validity {
    not_before_unix_s: 1_735_689_600,
    not_after_unix_s: 2_366_841_600,
};

struct Fixture {
    service_cert: Certificate,
    receipt: JsonReceipt,
    signature_receipt: JsonReceipt,
    claims: [u8; 32],
}

fn identities(seed: u8) -> (KeyPair, Certificate, KeyPair, Certificate) {
    let service = KeyPair::from_seed(&[seed; 32]).unwrap();
    let service_cert = create_service_certificate(&service, "CCF Service", &VALIDITY, 1).unwrap();
    let node = KeyPair::from_seed(&[seed + 1; 32]).unwrap();
    let sans = [SubjectAltName::Ip("127.0.0.1".parse().unwrap())];
    let node_cert = create_endorsed_certificate(
        &node.public_key(),
        "CCF Node",
        &sans,
        &VALIDITY,
        2,
        &service,
        &service_cert,
    )
    .unwrap();
    (service, service_cert, node, node_cert)
}

fn fixture() -> Fixture {
    let (_, service_cert, node, node_cert) = identities(20);
    let mut tree = MerkleTree::new();
    tree.append(ZERO_LEAF);
    let claims = [0x11; 32];
    let evidence = format!("ce:2.4:{}", "cd".repeat(32));
    for seqno in 1..=9u64 {
        let ws = sha256(&seqno.to_le_bytes());
        let ce = format!("ce:2.{seqno}:{}", "cd".repeat(32));
        tree.append(leaf_for_entry(&ws, &sha256(ce.as_bytes()), &claims));
    }
    let root = tree.root().unwrap();
    let signature = BASE64.encode(node.sign_prehashed_sha256(&root).unwrap());
    let node_id = node.public_key().sha256_hex();
    let signer = NodeSignature {
        cert_pem: node_cert.pem(),
        node_id: &node_id,
        signature_base64: &signature,
    };
    let path = tree.inclusion_proof(4).unwrap();
    let tx = TransactionProof {
        write_set_digest: sha256(&4u64.to_le_bytes()),
        commit_evidence: &evidence,
        claims_digest: claims,
        path: &path,
    };
    Fixture {
        receipt: JsonReceipt::for_transaction(&tx, &signer),
        signature_receipt: JsonReceipt::for_signature(&root, &signer),
        service_cert,
        claims,
    }
}

#[test]
fn transaction_and_signature_receipts_verify() {
    let f = fixture();
    let root = f.receipt.verify(&f.service_cert, Some(&f.claims)).unwrap();
    assert_eq!(
        f.signature_receipt.verify(&f.service_cert, None).unwrap(),
        root
    );
    let json = serde_json::to_string(&f.receipt).unwrap();
    let parsed: JsonReceipt = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed.verify(&f.service_cert, None).unwrap(), root);
}

#[test]
fn tampered_parts_are_rejected_with_their_reason() {
    let f = fixture();
    let err = f
        .receipt
        .verify(&f.service_cert, Some(&[0; 32]))
        .unwrap_err();
    assert!(
        matches!(err, ReceiptRejection::ClaimsDigestMismatch { .. }),
        "{err}"
    );

    let mut proof = f.receipt.clone();
    let step = &mut proof.proof[1];
    let hash = step.left.as_mut().or(step.right.as_mut()).unwrap();
    hash.replace_range(0..2, if hash.starts_with("00") { "01" } else { "00" });
    assert_eq!(
        proof.verify(&f.service_cert, None),
        Err(ReceiptRejection::NodeSignatureInvalid)
    );

    let mut evidence = f.receipt.clone();
    evidence
        .leaf_components
        .as_mut()
        .unwrap()
        .commit_evidence
        .push('0');
    assert_eq!(
        evidence.verify(&f.service_cert, None),
        Err(ReceiptRejection::NodeSignatureInvalid)
    );

    let mut signature = f.signature_receipt.clone();
    signature.leaf = Some("00".repeat(32));
    assert_eq!(
        signature.verify(&f.service_cert, None),
        Err(ReceiptRejection::NodeSignatureInvalid)
    );

    let (_, other_service_cert, _, _) = identities(40);
    assert_eq!(
        f.receipt.verify(&other_service_cert, None),
        Err(ReceiptRejection::NodeCertificateNotEndorsed)
    );

    let mut garbled = f.receipt.clone();
    garbled.signature = "not base64!".into();
    assert!(matches!(
        garbled.verify(&f.service_cert, None),
        Err(ReceiptRejection::Malformed(_))
    ));
}
