#!/bin/bash
# Regenerates the MooseFS 3.0.117 capture corpus in this directory: the
# cluster, capture and cleanup of capture-lib.sh, the workload of
# workload.sh.
#
# Usage: conformance/corpus/capture.sh   (as root; needs scripts/setup.sh)
# Everything created (processes, mounts, namespaces, links, temp dirs) is
# removed on exit, also on failure.
set -euo pipefail

OUT_DIR=$(cd "$(dirname "$0")" && pwd)
PCAP_NAME=moosefs-3.0.117.pcapng
LOG_NAME=workload.log
OUTPUT_LOG_NAME=workload-output.log
COUNTS_NAME=message-counts.txt

. "$OUT_DIR/capture-lib.sh"
. "$OUT_DIR/workload.sh"

capture_main "$@"
