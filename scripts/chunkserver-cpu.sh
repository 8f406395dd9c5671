#!/bin/sh
# CPU seconds the three chunkservers of a cluster spend on a fixed
# workload, for comparing mfschunkserver with mooseng-chunkserver on a
# machine too busy for throughput figures to mean much: CPU time per byte
# hardly changes with load, wall time does.
#
# usage: scripts/chunkserver-cpu.sh FLAVOR STATE_DIR PREFIX SUBNET [MIB] [READS]
#   FLAVOR  mfs or ng: who plays the three chunkservers (master and
#           mounts are always Debian's)
#   MIB     size of the sequential file (default 1024), goal 2, 1 MiB dd
#           blocks, written through mount 1, read through mount 2. The data
#           is random (kept in /dev/shm/chunkserver-cpu-MIB for the next
#           run): mfschunkserver leaves holes for blocks of zeros, which
#           makes writing and reading zeros cheaper than real data
#   READS   4 KiB random reads (fio, direct, iodepth 16) of that file
#           through mount 2 (default 20000)
# Uses mooseng-cluster from $CLUSTER (default target/release/mooseng-cluster),
# which finds mooseng-chunkserver next to itself. Prints one line per phase:
# CPU seconds summed over the chunkservers (utime+stime), and per GiB or
# per 1000 reads.
set -eu
flavor=$1 state=$2 prefix=$3 subnet=$4 mib=${5:-1024} reads=${6:-20000}
cluster=${CLUSTER:-target/release/mooseng-cluster}
tck=$(getconf CLK_TCK)

"$cluster" --state-dir "$state" up --chunkservers "$flavor,$flavor,$flavor" \
    --mounts 2 --prefix "$prefix" --subnet "$subnet" >/dev/null
trap '"$cluster" --state-dir "$state" down >/dev/null' EXIT
pids=$(python3 -c 'import json,sys
s=json.load(open(sys.argv[1]))
print(" ".join(str(p["process"]["pid"]) for p in s["processes"] if isinstance(p["role"], dict) and "chunkserver" in p["role"]))' "$state/state.json")

# Clock ticks of user plus system time, summed over the chunkservers.
ticks() {
    for pid in $pids; do
        # Fields 14 and 15 after the command name, which may hold spaces.
        sed 's/^.*) //' "/proc/$pid/stat" | awk '{print $12 + $13}'
    done | awk '{s += $1} END {print s}'
}
report() { # phase, ticks before, unit count, unit name
    awk -v p="$1" -v t="$(( $(ticks) - $2 ))" -v n="$3" -v u="$4" -v hz="$tck" \
        'BEGIN {printf "%-10s %7.2f cpu-s  %7.3f cpu-s/%s\n", p, t/hz, t/hz/n, u}'
}

m1=$state/mnt/mount1 m2=$state/mnt/mount2
mfssetgoal 2 "$m1" >/dev/null
gib=$(awk -v m="$mib" 'BEGIN {print m/1024}')

src=/dev/shm/chunkserver-cpu-$mib
[ -s "$src" ] || head -c "${mib}M" /dev/urandom >"$src"

t=$(ticks)
dd if="$src" of="$m1/seq" bs=1M count="$mib" conv=fsync status=none
report write "$t" "$gib" GiB

sync; echo 3 >/proc/sys/vm/drop_caches
t=$(ticks)
dd if="$m2/seq" of=/dev/null bs=1M status=none
report read "$t" "$gib" GiB

t=$(ticks)
fio --name=rr --filename="$m2/seq" --rw=randread --bs=4k --direct=1 \
    --ioengine=libaio --iodepth=16 --number_ios="$reads" --size="${mib}M" \
    --output-format=terse >/dev/null
report randread "$t" "$(( reads / 1000 ))" 1000reads
