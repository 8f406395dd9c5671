#!/bin/sh
# Runs every wire-crate fuzz target for SECONDS each (default 60).
# cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP lets the one stable
# toolchain these machines have accept them.
set -eu
seconds="${1:-60}"
cd "$(dirname "$0")/../wire/fuzz"
command -v cargo-fuzz >/dev/null 2>&1 || cargo install --locked cargo-fuzz
export RUSTC_BOOTSTRAP=1
for target in $(cargo fuzz list); do
    echo "== fuzzing $target for ${seconds}s"
    cargo fuzz run -O "$target" -- -max_total_time="$seconds" -print_final_stats=1 2>&1 |
        grep -E '^(stat::number_of_executed_units|Done|==[0-9]+==|SUMMARY)' || true
    # cargo fuzz exits non-zero on a crash; re-run status check through the artifacts dir.
    if ls "artifacts/$target"/crash-* >/dev/null 2>&1; then
        echo "crash found in $target: see wire/fuzz/artifacts/$target" >&2
        exit 1
    fi
done
