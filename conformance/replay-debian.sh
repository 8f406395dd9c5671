#!/usr/bin/env bash
# Replays the capture corpus's mount conversations against a fresh Debian
# mfsmaster 3.0.117 started by mooseng-cluster in the corpus's starting
# state (empty metadata, three chunkservers, the corpus's exports), then
# takes the cluster down again. Extra arguments go to `replay` (e.g.
# `--stream 9`); without any, the main mount and meta mount (streams 9, 11)
# are replayed.
#
# Usage: conformance/replay-debian.sh [REPLAY ARGS...]   (as root)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/debug
STATE=$(mktemp -d /tmp/mooseng-replay.XXXXXX)
SUBNET=10.233.150.0/24
MASTER=10.233.150.2

cargo build --quiet -p mooseng-tools -p mooseng-conformance --manifest-path "$ROOT/Cargo.toml"
trap '"$BIN/mooseng-cluster" --state-dir "$STATE" down >/dev/null; rm -rf "$STATE"' EXIT
"$BIN/mooseng-cluster" --state-dir "$STATE" up --mounts 0 \
    --chunkservers mfs,mfs,mfs --prefix mfsrpl --subnet "$SUBNET" \
    --root-export rw,alldirs,admin,maproot=0:0 >/dev/null
if [ $# -eq 0 ]; then
    set -- --stream 9 --stream 11
fi
"$BIN/mooseng-conformance" replay "$ROOT/conformance/corpus/moosefs-3.0.117.pcapng" \
    --target "$MASTER" --wait-chunkservers 3 "$@"
