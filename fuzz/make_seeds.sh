#!/usr/bin/env bash
# Rewrites the seed inputs of the committed corpora (fuzz/corpus/<target>/) from the targets'
# own seed makers (fuzz/src/seeds.rs: the node's encoders, the ledger generator, CCF's signed
# envelopes, the repo's fixtures). Regression inputs (regression-*) are left alone.
set -euo pipefail
cd "$(dirname "$0")"
TOOLCHAIN="${FUZZ_TOOLCHAIN:-nightly}"
cargo "+$TOOLCHAIN" fuzz build
triple=$(rustup run "$TOOLCHAIN" rustc -vV | sed -n 's/^host: //p')
for target in $(cargo "+$TOOLCHAIN" fuzz list); do
    mkdir -p "corpus/$target"
    QUORATE_FUZZ_WRITE_SEEDS="corpus/$target" "target/$triple/release/$target"
done
