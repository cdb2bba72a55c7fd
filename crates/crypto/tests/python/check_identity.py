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
ccf.signatures.verify_raw_root_signature(node_pem.encode(), root, sig)
try:
    ccf.signatures.verify_raw_root_signature(node_pem.encode(), bytes(32), sig)
    sys.exit("a signature over another root was accepted")
except ccf.signatures.InvalidRootSignatureException:
    pass

# Identities: node id and service kid are SHA-256 of the SPKI, member ids of the cert DER.
assert ccf.cose.key_fingerprint_from_cert(node_pem) == facts["node_id"], "node id"
assert ccf.cose.key_fingerprint_from_cert(service_pem) == facts["service_kid"], "service kid"
assert ccf.cose.cert_fingerprint(node_pem).decode() == facts["node_cert_fingerprint"], "fingerprint"

# Our PKCS#8 private key PEM loads and matches the certificate.
key = serialization.load_pem_private_key((d / "node_key.pem").read_bytes(), None)
spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
assert key.public_key().public_bytes(*spki) == node.public_key().public_bytes(*spki), "key"

print("CCF accepted keys, root signatures and certificates")
