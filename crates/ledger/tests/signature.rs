#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The signature transaction's write set: the three tables, in the shapes CCF's reader parses,
//! all over the root of the tree it is given.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use quorate_crypto::{KeyPair, sha256};
use quorate_kv::TxId;
use quorate_ledger::merkle::{MerkleTree, ZERO_LEAF};
use quorate_ledger::signature::{
    CoseSignatureConfig, PrimarySignature, SigningNode, SigningService, signature_write_set,
    verify_root,
};
use quorate_ledger::tables;

fn value<'a>(write_set: &'a quorate_kv::WriteSet, table: &str) -> &'a [u8] {
    write_set
        .map(table)
        .unwrap()
        .get(&tables::SINGLETON_KEY)
        .unwrap()
        .unwrap()
}

#[test]
fn signature_write_set_has_ccf_shapes() {
    let node_key = KeyPair::from_seed(&[1; 32]).unwrap();
    let service_key = KeyPair::from_seed(&[2; 32]).unwrap();
    let node_id = node_key.public_key().sha256_hex();
    let config = CoseSignatureConfig {
        issuer: "iss".into(),
        subject: "sub".into(),
    };
    let node = SigningNode {
        node_id: &node_id,
        key: &node_key,
        endorsed_cert_pem: "PEM",
    };
    let service = SigningService {
        key: &service_key,
        config: &config,
    };
    let mut tree = MerkleTree::new();
    tree.append(ZERO_LEAF);
    for seqno in 1..7u64 {
        tree.append(sha256(&seqno.to_le_bytes()));
    }
    let root = tree.root().unwrap();

    let signature = signature_write_set(TxId::new(3, 7), &tree, &node, &service, 1_000).unwrap();
    assert_eq!(signature.root, root);
    let maps: Vec<&str> = signature
        .write_set
        .maps()
        .map(|(name, _)| &**name)
        .collect();
    assert_eq!(
        maps,
        [tables::COSE_SIGNATURES, tables::SIGNATURES, tables::TREE]
    );

    let raw: serde_json::Value =
        serde_json::from_slice(value(&signature.write_set, tables::SIGNATURES)).unwrap();
    assert_eq!(raw["seqno"], 7);
    assert_eq!(raw["view"], 3);
    assert_eq!(raw["node"], node_id.as_str());
    assert_eq!(raw["root"], hex::encode(root));
    assert_eq!(raw["hashed_nonce"], "0".repeat(64));
    assert_eq!(
        (raw["commit_seqno"].clone(), raw["commit_view"].clone()),
        (0.into(), 0.into())
    );
    assert_eq!(raw["cert"], "PEM");
    let primary: PrimarySignature = serde_json::from_value(raw).unwrap();
    let der = BASE64.decode(&primary.sig).unwrap();
    node_key
        .public_key()
        .verify_prehashed_sha256(&root, &der)
        .unwrap();

    let cose_b64: String =
        serde_json::from_slice(value(&signature.write_set, tables::COSE_SIGNATURES)).unwrap();
    let cose = BASE64.decode(cose_b64).unwrap();
    assert_eq!(cose, signature.cose_signature);
    let claims = verify_root(&service_key.public_key(), &cose, &root).unwrap();
    assert_eq!(claims.txid, "3.7");

    let recorded = MerkleTree::deserialise(value(&signature.write_set, tables::TREE)).unwrap();
    assert_eq!(recorded.root().unwrap(), root);
}

#[test]
fn tree_must_end_just_before_the_signature() {
    let key = KeyPair::from_seed(&[1; 32]).unwrap();
    let config = CoseSignatureConfig {
        issuer: "i".into(),
        subject: "s".into(),
    };
    let node = SigningNode {
        node_id: "n",
        key: &key,
        endorsed_cert_pem: "PEM",
    };
    let service = SigningService {
        key: &key,
        config: &config,
    };
    let mut tree = MerkleTree::new();
    tree.append(ZERO_LEAF);
    tree.append(ZERO_LEAF);
    let err = signature_write_set(TxId::new(2, 5), &tree, &node, &service, 0).unwrap_err();
    assert!(
        err.to_string().contains("needs a tree of 5 leaves"),
        "{err}"
    );
}
