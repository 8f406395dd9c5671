#!/bin/sh
# Compares FUSE clients of one MooseFS cluster: runs the same workloads on
# every mount point given, in alternation (round 1 on each mount, then
# round 2, ...), so a change in the machine's load hits every client alike.
# Prints one line per measurement and, at the end, the median, minimum and
# maximum per client and workload. Needs root (drops the page cache) and fio.
#
#   scripts/mount-bench.sh [-r ROUNDS] [-w WORKLOADS] NAME=MOUNTPOINT...
#   scripts/mount-bench.sh -r 3 ng=/mnt/ng mfs=/mnt/mfs
#
# Workloads (default all): seqwrite seqread randread1 randread16 randwrite16
# meta; also, not by default, seqwrite-random and seqwrite2-random. seq*:
# 1 GiB with dd bs=1M (write with conv=fsync, read after dropping caches),
# MB/s; the -random writes carry random bytes, as fio's do, from a file
# made once in /dev/shm, seqwrite2-random from two writers of 512 MiB at
# once (their sum: what the cluster takes, not one client). rand*: fio 4 KiB, O_DIRECT, libaio, iodepth 1 or
# 16, 256 MiB file, 15 s (randwrite ends with fsync), IOPS. meta: 10,000
# files created, stat'ed, renamed and unlinked, operations per second.
set -eu

rounds=3
workloads="seqwrite seqread randread1 randread16 randwrite16 meta"
while getopts r:w: opt; do
    case $opt in
    r) rounds=$OPTARG ;;
    w) workloads=$OPTARG ;;
    *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo "usage: $0 [-r ROUNDS] [-w WORKLOADS] NAME=MOUNTPOINT..." >&2; exit 2; }

results=$(mktemp)
random_source=/dev/shm/mount-bench-random
trap 'rm -f "$results" "$random_source"' EXIT

now() { date +%s.%N; }
rate() { python3 -c "import sys; print(f'{float(sys.argv[1]) / (float(sys.argv[3]) - float(sys.argv[2])):.1f}')" "$@"; }
drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches; }
random_bytes() { [ -s "$random_source" ] || head -c 1073741824 /dev/urandom >"$random_source"; }

fio_iops() {
    # fio_iops DIR RW DEPTH
    fio --name=bench --filename="$1/fio.dat" --size=256M --bs=4k --rw="$2" \
        --ioengine=libaio --iodepth="$3" --direct=1 --runtime=15 --time_based \
        --end_fsync=1 --output-format=json |
        python3 -c "import json,sys; j=json.load(sys.stdin)['jobs'][0]; print(round(j['read']['iops'] + j['write']['iops']))"
}

meta_ops() {
    python3 - "$1" <<'EOF'
import os, sys, time
d = os.path.join(sys.argv[1], "meta")
os.makedirs(d, exist_ok=True)
n = 10000
t0 = time.monotonic()
for i in range(n):
    os.close(os.open(f"{d}/f{i}", os.O_CREAT | os.O_WRONLY, 0o644))
for i in range(n):
    os.stat(f"{d}/f{i}")
for i in range(n):
    os.rename(f"{d}/f{i}", f"{d}/g{i}")
for i in range(n):
    os.unlink(f"{d}/g{i}")
print(f"{4 * n / (time.monotonic() - t0):.0f}")
os.rmdir(d)
EOF
}

seq_write() {
    # seq_write SOURCE DIR -> MB/s of 1 GiB from SOURCE into DIR/seq.dat
    rm -f "$2/seq.dat"
    sync
    t0=$(now)
    dd if="$1" of="$2/seq.dat" bs=1M count=1024 conv=fsync status=none
    rate 1073.741824 "$t0" "$(now)"
}

run() {
    # run WORKLOAD DIR -> prints the value
    dir=$2
    case $1 in
    seqwrite) seq_write /dev/zero "$dir" ;;
    seqwrite-random)
        random_bytes
        seq_write "$random_source" "$dir"
        ;;
    seqwrite2-random)
        random_bytes
        rm -f "$dir/seq.dat" "$dir/seq2.dat"
        sync
        t0=$(now)
        dd if="$random_source" of="$dir/seq.dat" bs=1M count=512 conv=fsync status=none &
        first=$!
        dd if="$random_source" of="$dir/seq2.dat" bs=1M count=512 skip=512 conv=fsync status=none
        wait "$first"
        rate 1073.741824 "$t0" "$(now)"
        rm -f "$dir/seq2.dat"
        ;;
    seqread)
        [ -s "$dir/seq.dat" ] || dd if=/dev/zero of="$dir/seq.dat" bs=1M count=1024 conv=fsync status=none
        drop_caches
        t0=$(now)
        dd if="$dir/seq.dat" of=/dev/null bs=1M status=none
        rate 1073.741824 "$t0" "$(now)"
        ;;
    randread1 | randread16 | randwrite16)
        [ -s "$dir/fio.dat" ] || dd if=/dev/urandom of="$dir/fio.dat" bs=1M count=256 conv=fsync status=none
        drop_caches
        case $1 in
        randread1) fio_iops "$dir" randread 1 ;;
        randread16) fio_iops "$dir" randread 16 ;;
        randwrite16) fio_iops "$dir" randwrite 16 ;;
        esac
        ;;
    meta) meta_ops "$dir" ;;
    *) echo "unknown workload $1" >&2; exit 2 ;;
    esac
}

for round in $(seq 1 "$rounds"); do
    for workload in $workloads; do
        for pair in "$@"; do
            name=${pair%%=*}
            dir=${pair#*=}/mount-bench
            mkdir -p "$dir"
            # Replaced files skip the trash, or their chunks would fill
            # the disk over a long run.
            mfssettrashtime 0 "$dir" >/dev/null
            value=$(run "$workload" "$dir")
            echo "$round $workload $name $value" | tee -a "$results"
        done
    done
done

echo "workload client median min max (MB/s for seq*, IOPS for rand*, ops/s for meta)"
python3 - "$results" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    _, workload, name, value = line.split()
    rows.setdefault((workload, name), []).append(float(value))
for (workload, name), values in rows.items():
    print(f"{workload} {name} {statistics.median(values):g} {min(values):g} {max(values):g}")
EOF
