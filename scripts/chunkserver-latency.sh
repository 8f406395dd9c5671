#!/bin/sh
# Per-request latency of three chunkservers of one kind under Debian's
# master and mounts: a depth-1 loop of 4 KiB random reads is the figure
# most sensitive to how long a chunkserver takes to answer one request,
# since nothing overlaps with it.
#
# usage: scripts/chunkserver-latency.sh FLAVOR STATE_DIR PREFIX SUBNET [MIB] [SECONDS]
#   FLAVOR  mfs or ng: who plays the three chunkservers
#   MIB     size of the file read (default 256), goal 2, random data
#           (kept in /dev/shm/chunkserver-latency-MIB for the next run),
#           written through mount 1, compared with what mount 2 reads
#           back, then read (and written) through mount 2
#   SECONDS length of each fio run (default 15)
# Uses mooseng-cluster from $CLUSTER (default target/release/mooseng-cluster).
# Prints, per workload, fio's IOPS or MiB/s and median completion latency:
#   randread-d1   4 KiB random reads, O_DIRECT, iodepth 1 (psync)
#   randread-d16  4 KiB random reads, O_DIRECT, iodepth 16 (libaio)
#   seqread       1 MiB sequential reads of the whole file, O_DIRECT
#   randwrite-d1  4 KiB random writes, O_DIRECT, iodepth 1 (psync): each
#                 one a write session through the chain of two servers
# The chunk files stay in the chunkservers' page cache (nothing drops it),
# so these are the costs of serving, not of the disk.
set -eu
flavor=$1 state=$2 prefix=$3 subnet=$4 mib=${5:-256} seconds=${6:-15}
cluster=${CLUSTER:-target/release/mooseng-cluster}

"$cluster" --state-dir "$state" up --chunkservers "$flavor,$flavor,$flavor" \
    --mounts 2 --prefix "$prefix" --subnet "$subnet" >/dev/null
trap '"$cluster" --state-dir "$state" down >/dev/null' EXIT

m1=$state/mnt/mount1 m2=$state/mnt/mount2
mfssetgoal 2 "$m1" >/dev/null
src=/dev/shm/chunkserver-latency-$mib
[ -s "$src" ] || head -c "${mib}M" /dev/urandom >"$src"
cp "$src" "$m1/file"
sync
# Also a check that what is served is right: the other mount never saw it.
cmp "$src" "$m2/file"

# name, then fio options; prints IOPS, bandwidth and median latency of
# the reads, or of the writes for a job that read nothing.
run() {
    name=$1
    shift
    fio --name="$name" --filename="$m2/file" --size="${mib}M" --direct=1 \
        --output-format=json "$@" |
        python3 -c 'import json,sys
j=json.load(sys.stdin)["jobs"][0]
r=j["read"]
r=r if r["io_bytes"] else j["write"]
print("%-13s %9.0f IOPS %8.1f MiB/s  median %7.1f us" % (sys.argv[1], r["iops"],
      r["bw_bytes"]/1048576, r["clat_ns"]["percentile"]["50.000000"]/1000))' "$name"
}

run randread-d1 --rw=randread --bs=4k --ioengine=psync --iodepth=1 \
    --runtime="$seconds" --time_based
run randread-d16 --rw=randread --bs=4k --ioengine=libaio --iodepth=16 \
    --runtime="$seconds" --time_based
run seqread --rw=read --bs=1M --ioengine=psync --iodepth=1 --loops=4
run randwrite-d1 --rw=randwrite --bs=4k --ioengine=psync --iodepth=1 \
    --runtime="$seconds" --time_based
