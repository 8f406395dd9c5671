#!/usr/bin/env bash
# Replays the capture corpus against a fresh Debian mfsmaster 3.0.117
# started by mooseng-cluster in the corpus's starting state (empty
# metadata, three chunkservers, a metalogger, the corpus's exports), then
# takes the cluster down again. The replay kills and restarts the
# cluster's chunkserver where the capture's left and came back. Extra
# arguments go to `replay` (e.g. `--stream 9 --stream 11` for the main and
# meta mounts only); without any, every conversation is replayed.
#
# Usage: conformance/replay-debian.sh [REPLAY ARGS...]   (as root)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/debug
STATE=$(mktemp -d /tmp/mooseng-replay.XXXXXX)
SUBNET=10.233.224.0/24
MASTER=10.233.224.2

cargo build --quiet -p mooseng-tools -p mooseng-conformance --manifest-path "$ROOT/Cargo.toml"
trap '"$BIN/mooseng-cluster" --state-dir "$STATE" down >/dev/null; rm -rf "$STATE"' EXIT
"$BIN/mooseng-cluster" --state-dir "$STATE" up --mounts 0 \
    --chunkservers mfs,mfs,mfs --metalogger mfs --prefix rpdeb --subnet "$SUBNET" \
    --root-export rw,alldirs,admin,maproot=0:0 >/dev/null
"$BIN/mooseng-conformance" replay "$ROOT/conformance/corpus/moosefs-3.0.117.pcapng" \
    --target "$MASTER" --wait-chunkservers 3 --wait-metaloggers 1 \
    --cluster-state "$STATE" "$@"
