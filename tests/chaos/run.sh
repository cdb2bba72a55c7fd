#!/usr/bin/env bash
# The short chaos run CI does: `quorate dev chaos` with 3 nodes in network namespaces, every
# nemesis kind (kill, partition, pause, loss, restart, disk-full) at least once, then every
# checker (committed writes present on every node, linearizability, final values, recovery
# within 3 s of each heal, quorate ledger verify and read_ledger.py on every ledger, no
# panic). About 2.5 minutes on 2 cores with a built binary. Needs root (namespaces, a tmpfs)
# and CCF's Python package in /tmp/ccfpy (../shared/ccf-compat/setup_venv.sh).
#
#   tests/chaos/run.sh [path/to/quorate]      CHAOS_SEED=N to change the schedule
#
# The seed is fixed so that CI runs the same schedule every time; a failure prints the seed
# and the command that replays the schedule (timings differ from run to run, so a failure
# that depends on them may take a few replays), and keeps the workspace with the nodes' logs
# and the history.
set -euo pipefail
cd "$(dirname "$0")/../.."
quorate=${1:-target/debug/quorate}
if [ ! -x "$quorate" ]; then
  cargo build --quiet -p quorate
  quorate=target/debug/quorate
fi
seed=${CHAOS_SEED:-1}
start=$SECONDS
# The harness bounds itself (2 x seconds + 600 s = 750 s here; past it, it reports, keeps
# its workspace and removes its namespaces); timeout is the backstop, so it must be longer.
timeout --kill-after=30 800 "$quorate" dev chaos \
  --nodes 3 \
  --seconds 75 \
  --seed "$seed" \
  --hold 3-5 \
  --quiet 2-3 \
  --nemesis kill,partition,pause,loss,restart,disk-full \
  --require-every-kind
echo "chaos short run passed in $((SECONDS - start)) s"
