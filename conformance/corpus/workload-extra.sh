# Workload run by capture-extra.sh (sourced, not run). Each phase makes a
# Debian 3.0.117 program send a message that the main workload
# (workload.sh) never causes; the phase title names the messages. Steps
# are logged with their times as in workload.sh.

MNT=""
MNT2=""

# The id (16 hex digits) of chunk 0 of file $1, as mfsfileinfo prints it.
first_chunk() {
    mfsfileinfo "$1" | sed -n 's/.*chunk 0: \([0-9A-F]\{16\}\)_.*/\1/p' | head -n 1
}

# The chunk files of chunk $2 under the chunkserver folders matching $1.
chunk_files() {
    local id=$2
    # The chunkserver glob is meant to expand here.
    # shellcheck disable=SC2086
    find "$WORK"/$1 -name "chunk_${id}_*.mfs"
}

copies_are() {
    mfscheckfile "$1" | grep -q "with $2 copies"
}

phase_open_file_changes() {
    phase "another session's open file is written and truncated (MATOCL_FUSE_CHUNK_HAS_CHANGED)"
    cd "$MNT"
    step mkdir shared
    sh_step "echo first version > shared/file"
    # The second mount holds the file open while the first one changes it;
    # the master tells the second session about every change.
    python3 -c "import sys, time; f = open(sys.argv[1], 'rb'); f.read(); time.sleep(4)" \
        "$MNT2/shared/file" &
    local holder=$!
    note "mnt2 opens shared/file and holds it for 4 s (pid $holder)"
    sleep 1
    step dd if=/dev/urandom of=shared/file bs=4096 count=1 seek=1 conv=notrunc,fsync
    step truncate -s 2000 shared/file
    wait "$holder" || true
    note "mnt2 closed shared/file"
}

phase_tools() {
    phase "mfs tools: dirinfo -p (CLTOMA_NODE_INFO), fileinfo -c/-s (ANTOCS_GET_CHUNK_CHECKSUM_TAB)"
    cd "$MNT"
    step mkdir -p tree/sub
    sh_step "for i in 1 2 3; do echo \$i > tree/f\$i; done; echo g > tree/sub/g"
    step mfsdirinfo -p tree
    step mfsfileinfo -c shared/file
    step mfsfileinfo -s tree/f1
}

phase_folder_leaves() {
    phase "a data folder leaves cs1 (CSTOMA_CHUNK_LOST); a write to a chunk that lost a copy (MATOCS_SET_VERSION)"
    cd "$MNT"
    step mkdir three
    step mfssetgoal 3 three
    step dd if=/dev/urandom of=three/data bs=64K count=1 conv=fsync
    wait_for 30 copies_are "$MNT/three/data" 3 || true
    step mfsfileinfo three/data
    local file folder
    file=$(chunk_files cs1 "$(first_chunk three/data)" | head -n 1)
    [ -n "$file" ] || die "no copy of three/data on cs1"
    folder=$(dirname "$(dirname "$file")")
    grep -vxF "$folder" "$WORK/cs1/mfshdd.cfg" >"$WORK/cs1/mfshdd.cfg.new"
    mv "$WORK/cs1/mfshdd.cfg.new" "$WORK/cs1/mfshdd.cfg"
    kill -HUP "${DAEMON_PIDS[cs1]}"
    note "cs1: $folder taken out of mfshdd.cfg, reload (SIGHUP)"
    sleep 3
    step mfsfileinfo three/data
    step dd if=/dev/urandom of=three/data bs=4096 count=1 oflag=append conv=notrunc,fsync
    step mfsfileinfo three/data
}

phase_damaged_block() {
    phase "a corrupted block is read (CSTOMA_ERROR_OCCURRED, CSTOMA_CHUNK_DAMAGED)"
    cd "$MNT"
    step mkdir one
    step mfssetgoal 1 one
    # Two blocks: the chunkserver keeps the last written one (block 1) in
    # memory, so block 0 is read back from the file.
    step dd if=/dev/urandom of=one/data bs=64K count=2 conv=fsync
    step mfsfileinfo one/data
    local file
    file=$(chunk_files 'cs*' "$(first_chunk one/data)" | head -n 1)
    [ -n "$file" ] || die "no chunk file of one/data"
    # Data starts after the 4 KiB header and the 4 KiB CRC table.
    python3 -c "
import sys
with open(sys.argv[1], 'r+b') as f:
    f.seek(8192 + 100)
    byte = f.read(1)[0]
    f.seek(8192 + 100)
    f.write(bytes([byte ^ 0xFF]))
" "$file"
    note "flipped byte 100 of block 0 in $file"
    # Expected to fail: the only copy no longer matches its CRC.
    step dd if="$MNT2/one/data" of=/dev/null bs=64K
    sleep 2
    step mfsfileinfo one/data
}

run_workload() {
    MNT=$WORK/mnt
    MNT2=$WORK/mnt2
    phase "mounts"
    mount_mfs "$MNT" -o mfscachemode=DIRECT
    mount_mfs "$MNT2" -o mfscachemode=DIRECT,mfsioretries=2
    phase_open_file_changes
    phase_tools
    phase_folder_leaves
    phase_damaged_block
    cd /
    phase "unmount"
    step umount "$MNT2"
    step umount "$MNT"
}
