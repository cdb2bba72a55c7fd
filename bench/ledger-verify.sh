#!/usr/bin/env bash
# Times `quorate ledger verify` against CCF's own `read_ledger.py` (FULL verification) on one
# generated ledger and prints wall-clock and CPU times and the speed-ups. Not run in CI.
# usage: bench/ledger-verify.sh [transactions (default 1000000)] [signature interval (default 1000)]
set -euo pipefail
N=${1:-1000000}
K=${2:-1000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${QUORATE_SHARED_DIR:-$ROOT/../shared}/ccf-compat
[ -d "$SHARED" ] || SHARED=/work/shared/ccf-compat
VENV=${VENV:-/tmp/ccfpy}
VENV=$VENV "$SHARED/setup_venv.sh" >/dev/null
(cd "$ROOT" && cargo build --release -p quorate)
BIN=$ROOT/target/release/quorate
W=$(mktemp -d /tmp/quorate-bench.XXXX)
trap 'rm -rf "$W"' EXIT

# timed <name> <cmd...>: runs cmd, keeping "wall-seconds cpu-seconds" in $W/<name>.time.
timed() {
  local name=$1; shift
  /usr/bin/time -f '%e %U %S' -o "$W/$name.time" "$@" >"$W/$name.out" 2>&1 \
    || { cat "$W/$name.out"; exit 1; }
  tail -1 "$W/$name.out"
}
timed generate "$BIN" ledger generate --out "$W/gen" --txs "$N" --seed bench --sig-every "$K"
timed verify "$BIN" ledger verify "$W/gen" --service-cert "$W/gen/service_cert.pem"
timed verify_secret "$BIN" ledger verify "$W/gen" --ledger-secret "$(cat "$W/gen/ledger_secret.hex")"
timed python "$VENV/bin/read_ledger.py" -q "$W/gen/ledger"

row() { awk -v label="$1" '{ printf "%-40s %8.2f s wall %8.2f s CPU\n", label, $1, $2 + $3 }' "$W/$2.time"; }
echo "ledger: $N transactions, a signature every $K, $(du -sh "$W/gen/ledger" | cut -f1) on disk, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
row "quorate ledger generate" generate
row "quorate ledger verify" verify
row "quorate ledger verify --ledger-secret" verify_secret
row "read_ledger.py (FULL)" python
paste "$W/python.time" "$W/verify.time" | awk '{
  printf "speed-up (read_ledger.py / quorate verify): %.1fx wall, %.1fx CPU\n", $1 / $4, ($2 + $3) / ($5 + $6)
}'
