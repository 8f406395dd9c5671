#!/bin/bash
# Captures the supplement to the corpus: messages that MooseFS 3.0.117
# programs send only in situations the main workload does not create
# (another session's open file changing, a data folder leaving a
# chunkserver, a corrupted block, mfsdirinfo -p, mfsfileinfo -c). Same
# cluster, capture and cleanup as capture.sh (capture-lib.sh); the
# workload is workload-extra.sh. Each chunkserver has two data folders so
# that one can be taken away.
#
# Usage: conformance/corpus/capture-extra.sh   (as root; needs scripts/setup.sh)
# Everything created (processes, mounts, namespaces, links, temp dirs) is
# removed on exit, also on failure.
set -euo pipefail

OUT_DIR=$(cd "$(dirname "$0")" && pwd)
PCAP_NAME=moosefs-3.0.117-extra.pcapng
LOG_NAME=workload-extra.log
OUTPUT_LOG_NAME=workload-extra-output.log
COUNTS_NAME=message-counts-extra.txt
CS_FOLDERS=(data spare)

. "$OUT_DIR/capture-lib.sh"
. "$OUT_DIR/workload-extra.sh"

capture_main "$@"
