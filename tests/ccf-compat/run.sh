#!/usr/bin/env bash
# Cross-checks Quorate's ledger tooling against CCF's own Python package (pip `ccf==7.0.22`):
#   1. ledgers from `quorate ledger generate` pass read_ledger.py FULL and ccf_conformance_check.py,
#      and our JSON and COSE receipts pass ccf.receipt (verify_receipts.py);
#   2. `quorate ledger verify` accepts the independent Python writer's good sample ledger and
#      rejects each deliberately broken variant, printing its reason;
#   3. a live 3-node sandbox: writes and receipts through Python's ssl (live_service.py), then
#      governance signed by the package's ccf_cose_sign1 (live_governance.py), then each node's
#      ledger checked by both sides.
# usage: tests/ccf-compat/run.sh [path/to/quorate]     (default: target/debug/quorate)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${1:-$ROOT/target/debug/quorate}
[ -x "$BIN" ] || { echo "quorate binary not found at $BIN (run cargo build -p quorate)"; exit 1; }
SHARED=${QUORATE_SHARED_DIR:-$ROOT/../shared}/ccf-compat
[ -d "$SHARED" ] || SHARED=/work/shared/ccf-compat
[ -d "$SHARED" ] || { echo "shared/ccf-compat not found (set QUORATE_SHARED_DIR)"; exit 1; }
VENV=${VENV:-/tmp/ccfpy}
VENV=$VENV "$SHARED/setup_venv.sh" >/dev/null || { echo "setup_venv.sh failed"; exit 1; }
PY=$VENV/bin/python
W=$(mktemp -d /tmp/quorate-ccf-compat.XXXX)
trap 'rm -rf "$W"' EXIT
PASS=0; FAIL=0

# expect <0|nz> <label> <cmd...>: runs cmd, compares its exit status, prints the telling line.
expect() {
  local want=$1 label=$2; shift 2
  "$@" >"$W/last.out" 2>&1; local rc=$?
  local line
  line=$(grep -E 'Verified|CONFORMANT|receipts verified|Error|error|verified|FAIL' "$W/last.out" | tail -1 | cut -c1-150)
  if { [ "$want" = 0 ] && [ $rc -eq 0 ]; } || { [ "$want" = nz ] && [ $rc -ne 0 ]; }; then
    PASS=$((PASS+1)); printf 'ok    %-52s rc=%s  %s\n' "$label" "$rc" "$line"
  else
    FAIL=$((FAIL+1)); printf 'FAIL  %-52s rc=%s (wanted %s)\n' "$label" "$rc" "$want"; tail -8 "$W/last.out"
  fi
}

# ------------------------------------------------ our ledgers, checked by CCF's package
for cfg in "40 5 4096 7" "300 25 16384 11" "1000 100 65536 12345"; do
  set -- $cfg
  d="$W/gen_$1"
  expect 0 "generate $1 txs, sig every $2, chunk $3 B" \
    "$BIN" ledger generate --out "$d" --txs "$1" --sig-every "$2" --chunk-size "$3" --seed "$4" --receipts "$d/receipts"
  expect 0 "  chunks: more than one" bash -c "[ \$(ls '$d'/ledger/ledger_*.committed | wc -l) -gt 1 ]"
  expect 0 "  read_ledger.py FULL" "$VENV/bin/read_ledger.py" -q "$d/ledger"
  expect 0 "  ccf_conformance_check.py --service-cert" \
    "$PY" "$SHARED/ccf_conformance_check.py" "$d/ledger" --service-cert "$d/service_cert.pem"
  expect 0 "  verify_receipts.py (JSON + COSE)" "$PY" "$SHARED/verify_receipts.py" "$d/receipts"
  expect 0 "  quorate ledger verify (+ secret, + receipts)" \
    "$BIN" ledger verify "$d" --service-cert "$d/service_cert.pem" --receipts "$d/receipts" \
    --ledger-secret "$(cat "$d/ledger_secret.hex")"
done
expect 0 "ledger_code.py on ours (nodes.info code ids)" "$VENV/bin/ledger_code.py" "$W/gen_40/ledger"
expect 0 "ledger_viz.py on ours" "$VENV/bin/ledger_viz.py" "$W/gen_40/ledger"
expect 0 "quorate ledger show on ours (with the secret)" \
  "$BIN" ledger show "$W/gen_40" --ledger-secret "$(cat "$W/gen_40/ledger_secret.hex")"
expect 0 "same seed gives byte-identical ledgers" bash -c \
  "'$BIN' ledger generate --out '$W/again' --txs 300 --sig-every 25 --chunk-size 16384 --seed 11 --receipts '$W/again/receipts' && diff -r '$W/gen_300' '$W/again'"

# ------------------------------------------------ CCF-style ledgers, checked by our verifier
gen() { "$PY" "$SHARED/make_sample_ledger.py" "$W/s_$1" --variant "$1" >/dev/null; }
gen good || { echo "make_sample_ledger.py failed"; exit 1; }
expect 0 "sample good: quorate ledger verify" "$BIN" ledger verify "$W/s_good/ledger" \
  --service-cert "$W/s_good/receipts/service_cert.pem"
expect 0 "sample good: receipts" "$BIN" ledger verify "$W/s_good/ledger" --receipts "$W/s_good/receipts"
for v in tamper_private tamper_public_value bad_raw_sig bad_cose_sig pending_signer unknown_signer \
  cose_txid_mismatch bad_status_transition bad_flags bad_entry_version bad_positions non_contiguous \
  truncated_entry bad_tree no_signatures public_seqno_mismatch seqno_gap_in_iv raw_only cose_only no_tree; do
  gen "$v" || { FAIL=$((FAIL+1)); echo "FAIL  make_sample_ledger.py --variant $v"; continue; }
  expect nz "sample $v: rejected" "$BIN" ledger verify "$W/s_$v/ledger"
done
expect nz "sample good vs another service cert" "$BIN" ledger verify "$W/s_good/ledger" \
  --service-cert "$W/gen_40/service_cert.pem"

# ------------------------------------------------ `quorate gov sign` makes ccf_cose_sign1's envelopes
# Same member, content, type, proposal id and time: the protected header (byte for byte), the
# unprotected header and the payload must equal those of CCF's tool; both signatures verify.
(cd "$W" && "$VENV/bin/keygenerator.sh" --name gm >/dev/null 2>&1)
printf '{"ballot": "export function vote (proposal, proposerId) { return true }"}' > "$W/gm_ballot.json"
expect 0 "quorate gov sign: a ballot" "$BIN" gov --signing-cert "$W/gm_cert.pem" --signing-key "$W/gm_privk.pem" \
  sign --content "$W/gm_ballot.json" --msg-type ballot --proposal-id 1d2c3b4a --created-at 1735689600 \
  --output "$W/gm_ours.cose"
"$VENV/bin/ccf_cose_sign1" --content "$W/gm_ballot.json" --signing-key "$W/gm_privk.pem" \
  --signing-cert "$W/gm_cert.pem" --ccf-gov-msg-type ballot --ccf-gov-msg-proposal-id 1d2c3b4a \
  --ccf-gov-msg-created-at 2025-01-01T00:00:00+00:00 > "$W/gm_theirs.cose"
expect 0 "  same headers and payload as ccf_cose_sign1" "$PY" -c '
import sys, cbor2
ours, theirs = (cbor2.loads(open(f, "rb").read()) for f in sys.argv[1:3])
assert ours.tag == theirs.tag == 18
assert ours.value[0] == theirs.value[0], (ours.value[0].hex(), theirs.value[0].hex())
assert ours.value[1] == theirs.value[1] and ours.value[2] == theirs.value[2]
print("verified: protected header, unprotected header and payload equal")' "$W/gm_ours.cose" "$W/gm_theirs.cose"
expect 0 "  ours verifies with ccf.cose (cose_check.py)" "$PY" "$SHARED/cose_check.py" "$W/gm_ours.cose" "$W/gm_cert.pem" "$W/gm_ballot.json"
# ------------------------------------------------ a live service's ledgers and receipts
# `quorate sandbox` runs three node processes; Python's OpenSSL client writes through every node
# (backups forward), then CCF's package checks each node's ledger and every receipt.
SB="$W/sandbox"
PORT=$("$PY" -c 'import socket
for _ in range(100):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close()
    if p < 60000 and all(socket.socket().connect_ex(("127.0.0.1", q)) != 0 for q in (p, p+1, p+2, p+100, p+101, p+102)):
        print(p); break')
"$BIN" sandbox --nodes 3 --workspace "$SB" --port "$PORT" >"$W/sandbox.out" 2>&1 &
SANDBOX=$!
for _ in $(seq 1 900); do grep -q "service open" "$W/sandbox.out" && break; sleep 0.1; done
expect 0 "sandbox: 3 nodes open" grep -q "service open" "$W/sandbox.out"
expect 0 "sandbox: writes through every node, receipts (Python ssl)" \
  "$PY" "$ROOT/tests/ccf-compat/live_service.py" "$SB/sandbox_common" "$W/live_receipts" "$PORT" $((PORT+1)) $((PORT+2))
# Governance with CCF's own signing tool: every proposal, ballot and withdrawal is signed by the
# package's ccf_cose_sign1 (the steps share $W/gov_state; see live_governance.py).
gov_step() {
  expect 0 "$1" "$PY" "$ROOT/tests/ccf-compat/live_governance.py" "$SB" "$W/gov_state" "$BIN" "$2" \
    "$PORT" $((PORT+1)) $((PORT+2))
}
gov_step "gov: set_user (ccf_cose_sign1), new user calls /app" user
gov_step "gov: replay 400, non-member 401, withdrawal" replay
gov_step "gov: set_js_app served; broken module fails (500)" js_app
gov_step "gov: 4th node joins, trusted by proposal, serves" node
gov_step "gov: set_constitution same ok, invalid JS refused" constitution
kill -INT "$SANDBOX"; wait "$SANDBOX"
expect 0 "sandbox: verify_receipts.py on /app/receipt answers" "$PY" "$SHARED/verify_receipts.py" "$W/live_receipts"
for i in 0 1 2; do
  expect 0 "sandbox node $i: read_ledger.py FULL" "$VENV/bin/read_ledger.py" -q --uncommitted "$SB/sandbox_$i/ledger"
  expect 0 "sandbox node $i: quorate ledger verify" \
    "$BIN" ledger verify "$SB/sandbox_$i/ledger" --service-cert "$SB/sandbox_common/service_cert.pem"
done

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
