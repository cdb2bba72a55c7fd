#!/usr/bin/env bash
# Times `quorate ledger verify` against CCF's own `read_ledger.py` (FULL verification) on one
# generated ledger and prints both times and the speed-up. Not run in CI.
# usage: bench/ledger-verify.sh [transactions (default 1000000)] [signature interval (default 1000)]
set -euo pipefail
N=${1:-1000000}
K=${2:-1000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=/work/shared/ccf-compat
[ -d "$SHARED" ] || SHARED=$ROOT/../shared/ccf-compat
VENV=${VENV:-/tmp/ccfpy}
VENV=$VENV "$SHARED/setup_venv.sh" >/dev/null
(cd "$ROOT" && cargo build --release -p quorate)
BIN=$ROOT/target/release/quorate
W=$(mktemp -d /tmp/quorate-bench.XXXX)
trap 'rm -rf "$W"' EXIT

now() { date +%s.%N; }
t0=$(now)
"$BIN" ledger generate --out "$W/gen" --txs "$N" --seed bench --sig-every "$K"
t1=$(now)
"$BIN" ledger verify "$W/gen" --service-cert "$W/gen/service_cert.pem"
t2=$(now)
"$VENV/bin/read_ledger.py" -q "$W/gen/ledger"
t3=$(now)
"$BIN" ledger verify "$W/gen" --ledger-secret "$(cat "$W/gen/ledger_secret.hex")"
t4=$(now)

awk -v n="$N" -v k="$K" -v size="$(du -sh "$W/gen/ledger" | cut -f1)" \
    -v g="$(echo "$t1 - $t0" | bc)" -v q="$(echo "$t2 - $t1" | bc)" \
    -v p="$(echo "$t3 - $t2" | bc)" -v s="$(echo "$t4 - $t3" | bc)" 'BEGIN {
  printf "ledger: %d transactions, a signature every %d, %s on disk\n", n, k, size
  printf "quorate ledger generate:                   %8.2f s\n", g
  printf "quorate ledger verify:                     %8.2f s\n", q
  printf "quorate ledger verify --ledger-secret:     %8.2f s\n", s
  printf "read_ledger.py (FULL):                     %8.2f s\n", p
  printf "speed-up (read_ledger.py / quorate verify): %7.1fx\n", p / q
}'
