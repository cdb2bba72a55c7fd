"""Checks keys, root signatures and certificates written by tests/ccf_python.rs with CCF's own
Python package (the code paths its receipt and ledger verification use). Exits non-zero on any
failure."""

import base64
import json
import sys
from pathlib import Path

import ccf.cose
import ccf.receipt
import ccf.signatures
from cryptography import x509
from cryptography.hazmat.primitives import serialization

d = Path(sys.argv[1])
facts = json.loads((d / "facts.json").read_text())
service_pem = (d / "service_cert.pem").read_text()
node_pem = (d / "node_cert.pem").read_text()
service = x509.load_pem_x509_certificate(service_pem.encode())
node = x509.load_pem_x509_certificate(node_pem.encode())

# Receipt verification: the endorsement and the cryptography client-verifier chain.
ccf.receipt.check_endorsement(node, service)
ccf.receipt.check_endorsements(node, service, [])
ccf.receipt.check_cert_chain(node, service, [])

# Raw Merkle-root signature, as in public:ccf.internal.signatures and JSON receipts.
root = bytes.fromhex(facts["root"])
sig = base64.b64decode(facts["root_sig"])
ccf.receipt.verify(facts["root"], facts["root_sig"], node)
# The node key is seeded (RFC 6979 signer); the service key signs with aws-lc-rs's randomised one.
ccf.receipt.verify(facts["root"], facts["randomised_root_sig"], service)
ccf.signatures.verify_raw_root_signature(node_pem.encode(), root, sig)
try:
    ccf.signatures.verify_raw_root_signature(node_pem.encode(), bytes(32), sig)
    sys.exit("a signature over another root was accepted")
except ccf.signatures.InvalidRootSignatureException:
    pass

# The whole signature-transaction check of the FULL ledger validator: raw and COSE signatures
# stored as CCF stores them, both verified against the computed root, and agreeing on the TxID.
key8 = ccf.signatures.WELL_KNOWN_SINGLETON_TABLE_KEY
raw_entry = {"sig": facts["root_sig"], "node": facts["node_id"], "hashed_nonce": "00" * 32,
             "seqno": 9, "view": 2, "commit_seqno": 0, "commit_view": 0,
             "root": facts["root"], "cert": node_pem}
cose_b64 = base64.b64encode((d / "root_signature.cose").read_bytes()).decode()
tables = {
    ccf.signatures.SIGNATURE_TX_TABLE_NAME: {key8: json.dumps(raw_entry).encode()},
    ccf.signatures.COSE_SIGNATURE_TX_TABLE_NAME: {key8: json.dumps(cose_b64).encode()},
}
collateral = ccf.signatures.RootSignatureCollateral(
    service_cert_pem=service_pem,
    node_certificates={facts["node_id"]: node_pem.encode()},
    check_signing_node=lambda node_id: None,
)
schemes, txid = ccf.signatures._verify_all_root_signatures(tables, root, collateral)
assert len(schemes) == 2 and str(txid) == "2.9", (schemes, txid)
cose = ccf.signatures.parse_cose_signature_from_tx(tables)
phdr, _, _ = ccf.signatures.verify_cose_root_signature(service_pem, root, cose)
assert phdr["ccf.v1"]["txid"] == "2.9" and phdr[395] == 2, phdr
assert phdr[15] == {1: "service.example.com", 2: "ledger.signature", 6: 1735689600}, phdr
try:
    ccf.signatures.verify_cose_root_signature(service_pem, bytes(32), cose)
    sys.exit("a COSE signature over another root was accepted")
except ccf.signatures.InvalidRootCoseSignatureException:
    pass

# A governance request we sign, checked as CCF's tooling does (kid = member cert fingerprint).
member_pem = (d / "member_cert.pem").read_text()
proposal = (d / "proposal.cose").read_bytes()
phdr, _, payload = ccf.cose.verify_cose_sign1_with_cert(member_pem.encode(), proposal, use_key=False)
assert payload == b'{"actions": []}', payload
assert phdr["ccf.gov.msg.type"] == "proposal" and phdr["ccf.gov.msg.created_at"] == 1735689600

# Identities: node id and service kid are SHA-256 of the SPKI, member ids of the cert DER.
assert ccf.cose.key_fingerprint_from_cert(node_pem) == facts["node_id"], "node id"
assert ccf.cose.key_fingerprint_from_cert(service_pem) == facts["service_kid"], "service kid"
assert ccf.cose.cert_fingerprint(node_pem).decode() == facts["node_cert_fingerprint"], "fingerprint"

# Our PKCS#8 private key PEM loads and matches the certificate.
key = serialization.load_pem_private_key((d / "node_key.pem").read_bytes(), None)
spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
assert key.public_key().public_bytes(*spki) == node.public_key().public_bytes(*spki), "key"

print("CCF accepted keys, root signatures, certificates and COSE messages")
