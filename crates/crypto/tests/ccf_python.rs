//! Interoperability with CCF's own Python package (`ccf==7.0.22` in /tmp/ccfpy): what we sign
//! and issue must pass the checks CCF's ledger and receipt verification run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use quorate_crypto::cose::{self, CwtClaims, GovMsgType};
use quorate_crypto::{
    KeyPair, SubjectAltName, Validity, create_endorsed_certificate, create_self_signed_certificate,
    create_service_certificate,
};

const CCF_PYTHON: &str = "/tmp/ccfpy/bin/python";

/// Runs one of `tests/python/*.py` on `dir` and fails the test with its output unless it exits 0.
fn run_ccf_python(script: &str, dir: &Path) {
    assert!(
        Path::new(CCF_PYTHON).exists(),
        "{CCF_PYTHON} is missing: run /work/shared/ccf-compat/setup_venv.sh to install CCF's \
         Python package (ccf==7.0.22), then rerun this test"
    );
    let script_path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python")
        .join(script);
    let out = Command::new(CCF_PYTHON)
        .arg(&script_path)
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "CCF's Python rejected our output ({script}):\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A window around now, since cryptography's chain verifier checks validity at the current time.
fn current_validity() -> Validity {
    let now_s = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    Validity {
        not_before_unix_s: now_s - 3_600,
        not_after_unix_s: now_s + 86_400 - 1,
    }
}

#[test]
fn ccf_accepts_our_keys_signatures_certificates_and_cose() {
    let dir = tempfile::tempdir().unwrap();
    let validity = current_validity();
    let service_key = KeyPair::generate().unwrap();
    let service_cert =
        create_service_certificate(&service_key, "CCF Service", &validity, 1).unwrap();
    let node_key = KeyPair::from_seed(&[42; 32]).unwrap();
    let node_cert = create_endorsed_certificate(
        &node_key.public_key(),
        "CCF Node",
        &[
            SubjectAltName::Ip("127.0.0.1".parse().unwrap()),
            SubjectAltName::Dns("localhost".into()),
        ],
        &validity,
        2,
        &service_key,
        &service_cert,
    )
    .unwrap();
    let root = quorate_crypto::sha256(b"merkle root");
    let root_sig = node_key.sign_prehashed_sha256(&root).unwrap();
    let randomised_root_sig = service_key.sign_prehashed_sha256(&root).unwrap();

    let cwt = CwtClaims {
        iss: Some("service.example.com".into()),
        sub: Some("ledger.signature".into()),
        iat: Some(1_735_689_600),
    };
    let root_cose = cose::sign_ledger_root(&service_key, &root, 2, 9, &cwt).unwrap();
    let member_key = KeyPair::generate().unwrap();
    let member_cert =
        create_self_signed_certificate(&member_key, "member0", &[], &validity, 3).unwrap();
    let proposal = cose::sign_governance_request(
        &member_key,
        &member_cert,
        GovMsgType::Proposal,
        1_735_689_600,
        None,
        br#"{"actions": []}"#,
    )
    .unwrap();

    std::fs::write(dir.path().join("root_signature.cose"), &root_cose).unwrap();
    std::fs::write(dir.path().join("member_cert.pem"), member_cert.pem()).unwrap();
    std::fs::write(dir.path().join("proposal.cose"), &proposal).unwrap();
    std::fs::write(dir.path().join("service_cert.pem"), service_cert.pem()).unwrap();
    std::fs::write(dir.path().join("node_cert.pem"), node_cert.pem()).unwrap();
    std::fs::write(
        dir.path().join("node_key.pem"),
        node_key.to_pem().as_bytes(),
    )
    .unwrap();
    let facts = serde_json::json!({
        "root": hex::encode(root),
        "root_sig": STANDARD.encode(&root_sig),
        "randomised_root_sig": STANDARD.encode(&randomised_root_sig),
        "node_id": node_key.public_key().sha256_hex(),
        "service_kid": service_key.public_key().sha256_hex(),
        "node_cert_fingerprint": node_cert.fingerprint_sha256_hex(),
    });
    std::fs::write(dir.path().join("facts.json"), facts.to_string()).unwrap();

    run_ccf_python("check_ours.py", dir.path());
}
