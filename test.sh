#!/usr/bin/env bash
# The whole Quorate test suite. CI runs exactly this (.ci/run); so does a developer on a fresh
# machine. It installs what it needs (CCF's Python package for the compatibility checks), then
# runs format and lint gates, every Rust test, CCF raft-scenario conformance, CCF tool checks, a
# short chaos run and a fuzz smoke run.
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

step "CCF tool compatibility (read_ledger.py, ccf.receipt, sample ledgers, governance signed by ccf_cose_sign1)"
bash tests/ccf-compat/run.sh "$quorate"

step "chaos: a short run with every nemesis kind, in network namespaces (docs/reliability.md)"
bash tests/chaos/run.sh "$quorate"

step "fuzz smoke: every cargo-fuzz target briefly on its committed corpus (docs/fuzzing.md)"
# A debug build without sanitizers: the AddressSanitizer release build takes about half an hour
# on 2 cores; the long runs in docs/fuzzing.md use it.
FUZZ_QUICK=1 FUZZ_SECONDS=10 bash fuzz/smoke.sh

step "all done"
