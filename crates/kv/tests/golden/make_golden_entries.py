#!/usr/bin/env python3
"""Builds the golden entries for tests/golden_entry.rs with the team's independent writer
(/work/shared/ccf-compat/ccf_ledger_writer.py), checks each one with the official `ccf` package
(ccf.ledger.Transaction: TxID, tables, digests) and prints them as hex.

Run: /tmp/ccfpy/bin/python crates/kv/tests/golden/make_golden_entries.py
"""
import hashlib
import hmac
import sys

sys.path.insert(0, "/work/shared/ccf-compat")
import ccf.ledger as L  # noqa: E402
import ccf_ledger_writer as W  # noqa: E402

LEDGER_SECRET = bytes(range(32))


def build(view, seqno, public, private, claims, flags):
    lw = W.LedgerWriter(W.make_service_identity(), view=view)
    lw.ledger_secret = LEDGER_SECRET
    lw.commit_secret = hmac.new(LEDGER_SECRET, b"Commit S", "sha256").digest()
    lw.seqno = seqno - 1
    s = lw.add_tx(public, private, claims_digest=claims, flags=flags)
    raw = lw.entries[s]
    buf = L.SimpleBuffer("mem", b"\0" * 8 + raw)
    buf.seek(8)
    tx = L.Transaction(buf)
    assert str(tx.get_txid()) == f"{view}.{seqno}", tx.get_txid()
    assert tx.get_transaction_header().flags == flags
    pd = tx.get_public_domain()
    assert pd.get_seqno() == seqno
    assert pd.get_claims_digest() == claims
    ce = lw.commit_evidence[s]
    assert pd.get_commit_evidence_digest() == hashlib.sha256(ce.encode()).digest()
    assert pd.get_tables() == public, pd.get_tables()
    assert tx.get_tx_digest() == lw.leaves[-1]
    return raw


cases = {
    "MIXED": build(2, 42, {"public:t": {b"k": b"v", b"gone": None}}, {"p": {b"a": b"b"}},
                   b"\xcc" * 32, 0),
    "PUBLIC_ONLY": build(7, 1000, {"public:a": {b"": b"empty key", b"x": b""},
                                   "public:b": {b"\x00\xff": b"\x01" * 40}},
                         {}, b"\x00" * 32, 0x02),
}
# Deprecated entry types, still readable: built directly (the writer's add_tx assumes type 4 for
# the leaf) and parsed by ccf.ledger for their tables.
lw = W.LedgerWriter(W.make_service_identity(), view=3)
lw.ledger_secret = LEDGER_SECRET
for entry_type in (0, 2, 3):
    raw = lw.build_entry(3, 5, {"public:old": {b"k": b"v"}}, {"priv": {b"s": b"t"}}, entry_type=entry_type,
                         claims_digest=b"\x22" * 32, ce_digest=b"\x33" * 32)
    buf = L.SimpleBuffer("mem", b"\0" * 8 + raw)
    buf.seek(8)
    tx = L.Transaction(buf)
    assert str(tx.get_txid()) == "3.5"
    assert tx.get_public_domain().get_tables() == {"public:old": {b"k": b"v"}}
    cases[f"TYPE_{entry_type}"] = raw

for name, raw in cases.items():
    print(f"{name} ({len(raw)} bytes) verified by ccf.ledger.Transaction:\n{raw.hex()}")
