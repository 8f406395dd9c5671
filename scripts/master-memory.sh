#!/bin/sh
# Measures a master daemon's resident memory per file (issue 5): brings up
# a cluster of the given master flavor with Debian's chunkservers and
# mfsmount, creates FILES empty files through the mount from 8 Python
# processes (each in its own directory m/d<k>, as `open(path, "w").close()`
# does), and prints the master's VmRSS before, right after, and WAIT
# seconds later (after mfsmount's once-a-minute report of the files it
# still holds and, for ours, a snapshot), with the growth per file. With
# -s it also prints glibc's malloc_stats() of the master at the end, and
# with -t its VmRSS after glibc's malloc_trim(0) (both through gdb).
# Needs root and a built `mooseng-cluster`; takes the cluster down after.
#
#   scripts/master-memory.sh [-m ng|mfs] [-n FILES] [-w WAIT] [-s] [-t] CLUSTER_BIN
#   scripts/master-memory.sh -m ng -n 1000000 target/release/mooseng-cluster
#
# Uses prefix mm, subnet 10.233.110.0/24 and state directory /run/mm
# unless MM_PREFIX, MM_SUBNET and MM_STATE are set.
set -eu

master=ng
files=1000000
wait_s=90
stats=no
trim=no
while getopts m:n:w:st opt; do
    case $opt in
    m) master=$OPTARG ;;
    n) files=$OPTARG ;;
    w) wait_s=$OPTARG ;;
    s) stats=yes ;;
    t) trim=yes ;;
    *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { echo "usage: $0 [-m ng|mfs] [-n FILES] [-w WAIT] [-s] [-t] CLUSTER_BIN" >&2; exit 2; }
cluster=$1
prefix=${MM_PREFIX:-mm}
subnet=${MM_SUBNET:-10.233.110.0/24}
state=${MM_STATE:-/run/mm}

trap '"$cluster" down --state-dir "$state" >/dev/null' EXIT
"$cluster" up --master "$master" --chunkservers mfs,mfs,mfs --mount mfs \
    --prefix "$prefix" --subnet "$subnet" --state-dir "$state" >/dev/null

pid=$(python3 -c "import json,sys; print(next(p['process']['pid'] for p in json.load(open(sys.argv[1]))['processes'] if p['role'] == 'master'))" "$state/state.json")
mnt=$(python3 -c "import json,sys; print(next(p['mountpoint'] for p in json.load(open(sys.argv[1]))['processes'] if p.get('mountpoint')))" "$state/state.json")
rss() { awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$pid/status"; }

sleep 5
before=$(rss)
start=$(date +%s)
python3 - "$mnt" "$files" <<'EOF'
import os, sys
from multiprocessing import Process

root, files, workers = sys.argv[1], int(sys.argv[2]), 8

def work(k):
    d = os.path.join(root, "m", "d%d" % k)
    os.makedirs(d, exist_ok=True)
    for i in range(k, files, workers):
        open(os.path.join(d, "entry%d" % i), "w").close()

procs = [Process(target=work, args=(k,)) for k in range(workers)]
for p in procs:
    p.start()
for p in procs:
    p.join()
    if p.exitcode != 0:
        sys.exit("a worker failed")
EOF
took=$(($(date +%s) - start))
after=$(rss)
sleep "$wait_s"
later=$(rss)
per_file() { echo $((($1 - before) / files)); }
echo "master $master (pid $pid), $files files created in $took s"
echo "VmRSS before $((before / 1048576)) MiB, right after $((after / 1048576)) MiB ($(per_file "$after") B/file), ${wait_s} s later $((later / 1048576)) MiB ($(per_file "$later") B/file)"
if [ "$stats" = yes ]; then
    # malloc_stats() writes to the master's stderr, which is its log.
    log=$(python3 -c "import json,sys; print(next(p['log'] for p in json.load(open(sys.argv[1]))['processes'] if p['role'] == 'master'))" "$state/state.json")
    lines=$(wc -l <"$log")
    gdb -p "$pid" -batch -ex 'call (void)malloc_stats()' >/dev/null 2>&1
    tail -n +"$((lines + 1))" "$log" | grep -E '^(Arena|Total|system bytes|in use bytes)'
fi
if [ "$trim" = yes ]; then
    gdb -p "$pid" -batch -ex 'call (int)malloc_trim(0)' >/dev/null 2>&1
    trimmed=$(rss)
    echo "VmRSS after malloc_trim(0) $((trimmed / 1048576)) MiB ($(per_file "$trimmed") B/file)"
fi
