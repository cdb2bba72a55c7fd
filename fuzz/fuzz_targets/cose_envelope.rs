//! COSE Sign1 envelopes from outside: members' signed governance requests, and the COSE
//! receipts and ledger root signatures `quorate ledger verify` checks. Every input goes
//! through all of:
//!
//! - `Sign1Message::parse` and every header accessor the node reads;
//! - `verify_governance_request` against a fixed member certificate (CCF's `member0`, whose
//!   envelopes signed by CCF's `ccf_cose_sign1` are in the corpus) and against ours;
//! - `quorate_gov::authenticate` (what every signed `/gov` endpoint runs) on a store holding
//!   both members, with the content type a client sends, for the message type the envelope
//!   claims and for a proposal;
//! - `verify_cose_receipt` and `verify_ledger_root` against a generated ledger's service key,
//!   and a JSON receipt's `verify` (the two receipt kinds `quorate ledger verify --receipts`
//!   reads).
#![no_main]

use std::sync::OnceLock;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use quorate_crypto::PublicKey;
use quorate_crypto::cose::{
    GovMsgType, Sign1Message, verify_governance_request, verify_ledger_root,
};
use quorate_fuzz::{fixtures, generated_ledger, seeded_store};
use quorate_gov::{COSE_CONTENT_TYPE, Signer, authenticate};
use quorate_kv::Store;
use quorate_ledger::receipt::JsonReceipt;
use quorate_ledger::receipt::cose::{CoseSign1Parts, verify_cose_receipt};

struct State {
    store: Store,
    service_key: PublicKey,
}

fn state() -> &'static State {
    static STATE: OnceLock<State> = OnceLock::new();
    STATE.get_or_init(|| State {
        store: seeded_store().0,
        service_key: generated_ledger()
            .service_cert
            .public_key()
            .expect("service key"),
    })
}

fuzz_target!(
    init: {
        quorate_fuzz::maybe_write_seeds("cose_envelope");
        state();
    },
    |data: &[u8]| {
        let state = state();
        let f = fixtures();

        if let Ok(message) = Sign1Message::parse(data) {
            for header in [message.protected(), message.unprotected()] {
                let _ = (header.alg(), header.kid(), header.vds(), header.ccf_txid());
                let _ = (header.gov_msg_type(), header.gov_msg_created_at());
                let _ = (header.gov_msg_proposal_id(), header.cwt_claims());
            }
            let _ = (message.payload(), message.signature(), message.protected_bytes());
            let _ = verify_governance_request(&message, &f.ccf_member0);
            let _ = verify_governance_request(&message, &f.member.cert);
        }

        let body = Bytes::copy_from_slice(data);
        let claimed = Sign1Message::parse(data)
            .ok()
            .and_then(|m| m.protected().gov_msg_type().and_then(GovMsgType::parse));
        for expected in claimed.into_iter().chain([GovMsgType::Proposal]) {
            let mut tx = state.store.begin();
            if let Ok(request) =
                authenticate(&mut tx, Some(COSE_CONTENT_TYPE), &body, expected, Signer::ActiveMember)
            {
                // Only a genuine signature gets here: the member is one the store knows.
                assert!(
                    request.member_id == f.member.id()
                        || request.member_id == f.ccf_member0.fingerprint_sha256_hex()
                );
            }
        }

        if let Ok(parts) = CoseSign1Parts::decode(data) {
            let _ = parts.encode();
        }
        let _ = verify_cose_receipt(data, &state.service_key, None);
        let _ = verify_ledger_root(data, &state.service_key, &[0; 32]);
        if let Ok(receipt) = serde_json::from_slice::<JsonReceipt>(data) {
            let _ = receipt.verify(&generated_ledger().service_cert, None);
        }
    }
);
