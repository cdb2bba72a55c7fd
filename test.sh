#!/usr/bin/env bash
# The whole Quorate test suite. CI runs exactly this (.ci/run); so does a developer on a fresh
# machine. It installs what it needs (CCF's Python package for the compatibility checks), then
# runs format and lint gates, every Rust test, CCF raft-scenario conformance and CCF tool checks.
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)
shared=${QUORATE_SHARED_DIR:-$root/../shared}
export QUORATE_SHARED_DIR=$shared
start=$SECONDS

step() { printf '\n=== %s (%ss)\n' "$*" $((SECONDS - start)); }

step "CCF Python package (official ccf==7.0.22) for compatibility checks"
bash "$shared/ccf-compat/setup_venv.sh"

step "format"
cargo fmt --all -- --check

step "lint"
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "build"
cargo build --workspace --all-targets --quiet

step "unit, property and integration tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast
else
  cargo test --workspace --no-fail-fast
fi
cargo test --workspace --doc --quiet

quorate=$root/target/debug/quorate

step "CCF raft-scenario conformance"
"$quorate" dev raft-scenario "$shared"/raft-scenarios/examples/* $(find crates/sim/scenarios -maxdepth 1 -type f | sort)

step "deterministic simulation soak"
"$quorate" dev sim --seeds 500 --start 100000

step "CCF tool compatibility (read_ledger.py, ccf.receipt, sample ledgers)"
bash tests/ccf-compat/run.sh "$quorate"

step "all done"
