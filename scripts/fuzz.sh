#!/bin/sh
# Runs every wire-crate fuzz target for SECONDS each (default 60).
# cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP lets the one stable
# toolchain these machines have accept them. Inputs stay at libFuzzer's
# default 4 KiB, so any single allocation above 16 MiB or a resident size
# above 1 GiB can only be a decoder reserving what a length field claims
# instead of what arrived: libFuzzer reports both as crashes, and an input
# that takes over 10 s as a hang.
set -eu
seconds="${1:-60}"
cd "$(dirname "$0")/../wire/fuzz"
command -v cargo-fuzz >/dev/null 2>&1 || cargo install --locked cargo-fuzz
export RUSTC_BOOTSTRAP=1
for target in $(cargo fuzz list); do
    echo "== fuzzing $target for ${seconds}s"
    cargo fuzz run -O "$target" -- -max_total_time="$seconds" -print_final_stats=1 \
        -malloc_limit_mb=16 -rss_limit_mb=1024 -timeout=10 2>&1 |
        grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|Done|==[0-9]+==|SUMMARY)' || true
    # The pipe hides cargo fuzz's exit status; libFuzzer leaves every
    # finding (crash, oom, timeout, leak) in the artifacts folder.
    findings="$(find "artifacts/$target" -type f \( -name 'crash-*' -o -name 'oom-*' \
        -o -name 'timeout-*' -o -name 'leak-*' \) 2>/dev/null)"
    if [ -n "$findings" ]; then
        echo "finding in $target: see wire/fuzz/artifacts/$target" >&2
        exit 1
    fi
done
