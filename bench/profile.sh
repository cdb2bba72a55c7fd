#!/usr/bin/env bash
# Profiles the Quorate nodes under load: starts a 3-node sandbox on 127.0.0.1 (ports 28000..),
# drives it with `quorate dev load`, records every node process with perf (DWARF call graphs,
# the release build has line tables), and writes a flamegraph and a category table per
# workload. Stops only the sandbox it started (by pid).
#
#   bench/profile.sh [OUT_DIR]        default: bench/results/profile-<date>
# Env: CONNECTIONS (256), SECONDS_RECORDED (15), WORKLOADS ("write-20B read"), NODES (3)
# Needs: perf (apt-get install -y linux-perf), inferno (cargo install inferno), python3.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-bench/results/profile-$(date -u +%F)}
CONNECTIONS=${CONNECTIONS:-256}
SECONDS_RECORDED=${SECONDS_RECORDED:-15}
WORKLOADS=${WORKLOADS:-"write-20B read"}
NODES=${NODES:-3}
command -v perf >/dev/null || { echo "perf missing: apt-get install -y linux-perf"; exit 1; }
command -v inferno-flamegraph >/dev/null || { echo "inferno missing: cargo install inferno"; exit 1; }
cargo build --release -q -p quorate
mkdir -p "$out"
work=$(mktemp -d /tmp/quorate-profile.XXXXXX)
cp target/release/quorate "$work/quorate"
"$work/quorate" sandbox --nodes "$NODES" --workspace "$work/ws" --port 28000 > "$work/sandbox.log" 2>&1 &
sandbox=$!
trap 'kill -TERM $sandbox 2>/dev/null || true; wait $sandbox 2>/dev/null || true; rm -rf "$work"' EXIT INT TERM
for _ in $(seq 1 240); do grep -q "service open" "$work/sandbox.log" && break; sleep 0.5; done
grep -q "service open" "$work/sandbox.log" || { cat "$work/sandbox.log"; exit 1; }
nodes=$(pgrep -P "$sandbox" | paste -sd,)
for workload in $WORKLOADS; do
  "$work/quorate" dev load --workspace "$work/ws" --connections "$CONNECTIONS" \
    --workloads "$workload" --seconds $((SECONDS_RECORDED + 10)) > "$out/$workload-load.txt" 2>&1 &
  load=$!
  sleep 5
  perf record -q -F 499 --call-graph dwarf,16384 -p "$nodes" -o "$work/$workload.data" \
    -- sleep "$SECONDS_RECORDED" 2>/dev/null
  wait $load
  perf script -i "$work/$workload.data" 2>/dev/null | inferno-collapse-perf > "$work/$workload.folded"
  inferno-flamegraph --minwidth 0.2 \
    --title "Quorate, $NODES nodes, $workload, $CONNECTIONS connections: all node threads" \
    < "$work/$workload.folded" > "$out/$workload-flame.svg"
  python3 bench/profile_categories.py "$work/$workload.folded" > "$out/$workload-categories.txt"
  { echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"; } >> "$out/$workload-load.txt"
  echo "$workload: $out/$workload-flame.svg, $out/$workload-categories.txt"
done
