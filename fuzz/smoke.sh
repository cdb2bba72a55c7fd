#!/usr/bin/env bash
# Bounded smoke run of every cargo-fuzz target (see docs/fuzzing.md).
#
# Builds all targets once (`cargo +nightly fuzz build`: release with debug assertions,
# AddressSanitizer), then runs each one for FUZZ_SECONDS (default 20) on a scratch copy of its
# committed corpus fuzz/corpus/<target>, so the committed seeds are never written to. Exits
# non-zero if any target crashes, times out or runs out of memory, printing the path of the
# input that did it (kept under fuzz/artifacts/<target>/).
#
#   FUZZ_SECONDS=300 fuzz/smoke.sh                  # longer
#   FUZZ_TARGETS="ledger_chunk js_bundle" fuzz/smoke.sh
#   FUZZ_TARGET_DIR=~/.cache/quorate-fuzz fuzz/smoke.sh   # keep the build across clones
#   FUZZ_QUICK=1 fuzz/smoke.sh                     # debug build, no sanitizer: minutes to build
#                                                   # instead of half an hour on 2 cores (CI)
set -euo pipefail

cd "$(dirname "$0")"
FUZZ_SECONDS="${FUZZ_SECONDS:-20}"
TOOLCHAIN="${FUZZ_TOOLCHAIN:-nightly}"

if ! rustup run "$TOOLCHAIN" rustc --version >/dev/null 2>&1; then
    echo "fuzz/smoke.sh: the $TOOLCHAIN toolchain is not installed (cargo-fuzz needs nightly)" >&2
    exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz/smoke.sh: installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

target_dir="${FUZZ_TARGET_DIR:-$(pwd)/target}"
started=$(date +%s)
if [ -n "${FUZZ_QUICK:-}" ]; then
    build_args=(--dev --sanitizer none)
    profile_dir=debug
else
    build_args=()
    profile_dir=release
fi
cargo "+$TOOLCHAIN" fuzz build "${build_args[@]}" --target-dir "$target_dir"
built=$(date +%s)
echo "fuzz/smoke.sh: built every target in $((built - started)) s"

triple=$(rustup run "$TOOLCHAIN" rustc -vV | sed -n 's/^host: //p')
bin_dir="$target_dir/$triple/$profile_dir"
targets="${FUZZ_TARGETS:-$(cargo "+$TOOLCHAIN" fuzz list)}"

failed=()
for target in $targets; do
    scratch=$(mktemp -d)
    log="$scratch/log"
    mkdir -p "$scratch/corpus" "artifacts/$target"
    cp -R "corpus/$target/." "$scratch/corpus/"
    before=$(find "artifacts/$target" -type f | sort)
    echo "fuzz/smoke.sh: $target for ${FUZZ_SECONDS} s on $(find "$scratch/corpus" -type f | wc -l) inputs"
    set +e
    "$bin_dir/$target" "$scratch/corpus" \
        -max_total_time="$FUZZ_SECONDS" \
        -timeout=30 \
        -rss_limit_mb=4096 \
        -print_final_stats=1 \
        -artifact_prefix="artifacts/$target/" >"$log" 2>&1
    code=$?
    set -e
    grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|#[0-9]+ *DONE)' "$log" || true
    if [ "$code" -ne 0 ]; then
        echo "fuzz/smoke.sh: $target FAILED (exit $code); last lines of its log:" >&2
        tail -n 40 "$log" >&2
        echo "fuzz/smoke.sh: $target: what failed:" >&2
        grep -m 4 -A 1 -E "panicked at|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)" "$log" >&2 || true
        after=$(find "artifacts/$target" -type f | sort)
        comm -13 <(echo "$before") <(echo "$after") | while read -r input; do
            [ -n "$input" ] && echo "fuzz/smoke.sh: crashing input: fuzz/$input" >&2
        done
        failed+=("$target")
    fi
    rm -rf "$scratch"
done

echo "fuzz/smoke.sh: done in $(($(date +%s) - started)) s"
if [ "${#failed[@]}" -ne 0 ]; then
    echo "fuzz/smoke.sh: crashed: ${failed[*]}" >&2
    exit 1
fi
