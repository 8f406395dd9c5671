# Workload run by capture.sh against the captured cluster (sourced, not run).
#
# It touches every operation mfsmount and the mfs* tools offer with small
# amounts of data, so the corpus holds each message type while staying
# small. Each step goes through `step`/`sh_step`, which log it with a
# timestamp so a packet can be matched to the command that caused it.

MNT=""
META=""

# Python helpers for what coreutils cannot do (sockets, locks, fsync).
py() { step python3 -c "$1"; }

phase_fs_ops() {
    phase "fs-ops: create, read, write, truncate, fsync"
    cd "$MNT"
    step mkdir d1 d2
    step mkdir -p d1/sub/deep
    sh_step "echo hello moosefs > d1/hello.txt"
    step cat d1/hello.txt
    step touch d1/empty
    step dd if=/dev/urandom of=d1/small bs=1000 count=100 conv=fsync
    step dd if=d1/small of=/dev/null bs=4096
    # Crosses the 64 KiB block boundary at offset 65536.
    step dd if=/dev/urandom of=d1/small bs=1 count=64 seek=65500 conv=notrunc,fsync
    step dd if=d1/small of=/dev/null bs=1 count=64 skip=65500
    # 1 MiB at 64 MiB - 512 KiB: half in chunk 0, half in chunk 1.
    step dd if=/dev/urandom of=d1/sparse bs=512K count=2 seek=127 conv=notrunc,fsync
    step dd if=d1/sparse of=/dev/null bs=512K count=2 skip=127
    step mfsfileinfo d1/sparse
    step mfscheckfile d1/sparse
    # Chunk 0 now holds 64 MiB of blocks: a later replication would copy
    # them all. The client keeps the file open (removing it would leave it
    # sustained), so truncating is what frees the chunks.
    step truncate -s 0 d1/sparse
    step mfssettrashtime 0 d1/sparse
    step rm d1/sparse
    step truncate -s 300K d1/small
    step truncate -s 10K d1/small
    # Data only in chunk 1, read back later by a session that has no
    # chunk locations cached (lookup replies carry chunk 0 only).
    step truncate -s 64M d1/second-chunk
    step dd if=/dev/urandom of=d1/second-chunk bs=4096 count=1 oflag=append conv=notrunc,fsync
    step truncate -s 70M d1/grown
    step truncate -s 0 d1/grown
    py "import os; f=os.open('d1/fsynced', os.O_CREAT|os.O_RDWR, 0o644); os.write(f, b'x'*5000); os.fsync(f); os.fdatasync(f); os.close(f)"
    py "import os; f=os.open('d1/excl', os.O_CREAT|os.O_EXCL|os.O_WRONLY, 0o600); os.close(f)"
    py "import os; f=os.open('d1/hello.txt', os.O_WRONLY|os.O_APPEND); os.write(f, b'appended\n'); os.close(f)"
    py "import os; f=os.open('d1/hello.txt', os.O_RDWR|os.O_TRUNC); os.write(f, b'rewritten\n'); os.close(f)"

    phase "fs-ops: rename, link, symlink, special files, directories"
    step mv d1/hello.txt d1/renamed.txt
    step mv d1/renamed.txt d2/moved.txt
    step touch d2/victim
    step mv -f d2/moved.txt d2/victim
    step mv d1/sub d2/sub
    step ln d2/victim d1/hardlink
    step ln -s ../d2/victim d1/symlink
    step readlink d1/symlink
    step cat d1/symlink
    step mknod d1/chardev c 1 3
    step mknod d1/blockdev b 7 0
    step mkfifo d1/fifo
    py "import socket; s=socket.socket(socket.AF_UNIX); s.bind('d1/socket'); s.close()"
    step stat d1/chardev d1/blockdev d1/fifo d1/socket
    step mkdir d1/gone
    step rmdir d1/gone
    step rm d1/hardlink d1/fifo
    step mkdir d1/many
    sh_step 'for i in $(seq 1 300); do : > d1/many/entry-$i; done'
    step ls -la d1/many
    step ls -f d1/many
    step find "$MNT" -maxdepth 2

    phase "fs-ops: setattr, xattr, acl, locks"
    step chmod 0750 d1/fsynced
    step chmod u+s,g+s d1/fsynced
    step chown 1000:1000 d1/fsynced
    step chown :100 d1/fsynced
    step touch -a -d '2020-01-02 03:04:05' d1/fsynced
    step touch -m -d '2021-02-03 04:05:06' d1/fsynced
    step touch d1/fsynced
    py "import os; os.utime('d1/fsynced', ns=(1500000000123456789, 1600000000987654321))"
    step stat d1/fsynced
    step setfattr -n user.colour -v blue d1/fsynced
    step setfattr -n user.empty d1/fsynced
    step getfattr -n user.colour d1/fsynced
    step getfattr -d d1/fsynced
    py "import os; print(os.listxattr('d1/fsynced'))"
    step setfattr -x user.colour d1/fsynced
    step getfattr -n user.colour d1/fsynced
    step setfacl -m u:1000:rwx,g:100:r-x d1/fsynced
    step getfacl d1/fsynced
    step setfacl -d -m u:1000:rwx,o::- d1
    step getfacl d1
    step touch d1/inherits-acl
    step getfacl d1/inherits-acl
    step setfacl -x u:1000 d1/fsynced
    step setfacl -b d1/fsynced
    step setfacl -k d1
    py "import fcntl; f=open('d1/fsynced','r+'); fcntl.flock(f, fcntl.LOCK_EX); fcntl.flock(f, fcntl.LOCK_UN); fcntl.flock(f, fcntl.LOCK_SH|fcntl.LOCK_NB); fcntl.flock(f, fcntl.LOCK_UN); f.close()"
    py "import fcntl,struct; f=open('d1/fsynced','r+'); fcntl.lockf(f, fcntl.LOCK_EX, 100, 0); print(fcntl.fcntl(f, fcntl.F_GETLK, struct.pack('hhqqi', fcntl.F_WRLCK, 0, 0, 0, 0))); fcntl.lockf(f, fcntl.LOCK_UN, 100, 0); fcntl.lockf(f, fcntl.LOCK_SH|fcntl.LOCK_NB, 10, 5); f.close()"
    step df "$MNT"
    step stat -f "$MNT"
}

phase_trash() {
    phase "trash and undelete via the meta mount"
    cd "$MNT"
    step mfssettrashtime 3600 d1/small
    step mfsgettrashtime d1/small
    step mfsrsettrashtime 7200 d2
    step mfsrgettrashtime d2
    step mfscopytrashtime d1/small d1/empty
    step rm d1/small
    step ls -la "$META" "$META/trash" "$META/trash/undel"
    # Trash entries sit in per-inode subdirectories, each with its own undel.
    sh_step "e=\$(find '$META/trash' -mindepth 2 -maxdepth 2 -name '*small*' -print -quit) && cat \"\$e\" >/dev/null && mv \"\$e\" \"\$(dirname \"\$e\")/undel/\""
    step ls -la d1
    step touch d1/purged
    step mfssettrashtime 3600 d1/purged
    step rm d1/purged
    sh_step "rm \"\$(find '$META/trash' -mindepth 2 -maxdepth 2 -name '*purged*' -print -quit)\""
    step ls -la "$META/sustained"
    # Writing a trash entry changes the path it would be restored to.
    step touch d1/retitled
    step mfssettrashtime 3600 d1/retitled
    step rm d1/retitled
    sh_step "e=\$(find '$META/trash' -mindepth 2 -maxdepth 2 -name '*retitled*' -print -quit) && printf d2/restored-here > \"\$e\" && cat \"\$e\" && mv \"\$e\" \"\$(dirname \"\$e\")/undel/\""
    step ls -la d2
}

phase_tools() {
    phase "mfs tools: snapshot, goal, sclass, quota, eattr, info"
    cd "$MNT"
    step mfsmakesnapshot d1 snap1
    step mfsmakesnapshot -o d1/fsynced snap1/fsynced
    step mfsrmsnapshot snap1
    # Writing to or truncating a snapshot's shared chunk makes the master
    # duplicate it on the chunkservers (copy on write).
    step mfsmakesnapshot d1/fsynced d1/cow-write
    step dd if=/dev/urandom of=d1/cow-write bs=100 count=1 conv=notrunc,fsync
    step mfsmakesnapshot d1/fsynced d1/cow-trunc
    step truncate -s 1000 d1/cow-trunc
    step mfssetgoal 3 d1/small
    step mfsgetgoal d1/small
    step mfssetgoal -r 2 d2
    step mfsgetgoal -r d2
    step mfsrgetgoal d2
    step mfscopygoal d1/small d1/empty
    step mfsscadmin list
    step mfsscadmin list -l
    step mfsscadmin create -K '*,*' twocopies
    step mfsscadmin create -C '*' -K '*,*' -A '*' -d 7 archived
    step mfsscadmin modify -K '*,*,*' twocopies
    step mfsscadmin copy twocopies threecopies
    step mfsscadmin rename threecopies renamedsc
    step mfsscadmin delete renamedsc
    step mfslistsclass
    step mfssetsclass twocopies d1/fsynced
    step mfsgetsclass d1/fsynced
    step mfssetsclass -r twocopies d2
    step mfsgetsclass -r d2
    step mfscopysclass d1/fsynced d1/empty
    step mfsxchgsclass twocopies 2 d1/empty
    step mfssetarchive d1/fsynced
    step mfschkarchive d1/fsynced
    step mfsclrarchive d1/fsynced
    step mfssetquota -i 1000 -I 2000 -l 10M -L 20M -s 30M -S 40M d2
    step mfsgetquota d2
    step mfscopyquota d2 d1
    step mfsdelquota -a -A d2
    step mfsdelquota -a -A d1
    step mfsseteattr -f noowner -f nodatacache d1/fsynced
    step mfsgeteattr d1/fsynced
    step mfsdeleattr -f noowner d1/fsynced
    step mfscopyeattr d1/fsynced d1/empty
    step mfsfileinfo d1/small
    step mfscheckfile d1/small
    step mfsdirinfo d1
    step mfsfilepaths d1/small
    step mfsfilerepair d1/fsynced
    step mfsappendchunks d1/appended d1/fsynced d2/victim
    step mfsfileinfo d1/appended
}

phase_fresh_read() {
    phase "reads from a second, fresh session (chunk locations not cached)"
    local mnt2=$WORK/mnt2
    mount_mfs "$mnt2"
    step cat "$mnt2/d1/fsynced"
    step cat "$mnt2/d2/victim"
    step dd if="$mnt2/d1/small" of=/dev/null bs=4096
    step dd if="$mnt2/d1/cow-write" of=/dev/null bs=4096
    step dd if="$mnt2/d1/second-chunk" of=/dev/null bs=4096 skip=16384 count=1
    step dd if="$mnt2/d1/second-chunk" of=/dev/null bs=4096 count=1
    step umount "$mnt2"
}

phase_mfscli() {
    phase "mfscli"
    local set
    for set in IN IM LI IG MU IC IL MF CS MB HD EX MS RS SC OF AL MO QU MC CC; do
        step mfscli -H "$MASTER_IP" -n -p "-S$set"
    done
    step mfscli -H "$MASTER_IP" -n -p -SCS -o 2 -r
    step mfscli -H "$MASTER_IP" -n -p -SMC -a 5 -b ucpu,statfs
    step mfscli -H "$MASTER_IP" -n -p -SCC -c 5 -d "${CS_IPS[0]}:9422:ucpu"
    step mfscli -H "$MASTER_IP" -n -p "-CM1/${CS_IPS[1]}/9422"
    step mfscli -H "$MASTER_IP" -n -p "-CM0/${CS_IPS[1]}/9422"
    # The fresh-read session is gone but its record lingers: remove it.
    sh_step "id=\$(mfscli -H $MASTER_IP -n -p -SMS | awk -F'\t' '/^inactive mounts, parameters:/ && \$4 ~ /mnt2\$/ {print \$2; exit}') && [ -n \"\$id\" ] && mfscli -H $MASTER_IP -n -p -CRS/\$id"
}

cs3_chunk_files() { find "$WORK/cs3/data" -name 'chunk_*' | wc -l; }

cs3_has_fewer_chunks_than() { [ "$(cs3_chunk_files)" -lt "$1" ]; }

phase_replication() {
    phase "replication: raise goal"
    cd "$MNT"
    step mkdir repl
    step mfssetgoal 1 repl
    step dd if=/dev/urandom of=repl/data bs=64K count=3 conv=fsync
    step mfscheckfile repl/data
    step mfssettrashtime 0 d1/appended
    step rm -f d1/appended
    step mfssetgoal 3 repl/data
    local t0=$SECONDS
    wait_for 150 bash -c "mfscheckfile '$MNT/repl/data' | grep -q 'with 3 copies'" || true
    printf '%s      replication to 3 copies took %ss\n' "$(date -u +%H:%M:%S.%3N)" "$((SECONDS - t0))" >>"$LOGFILE"
    step mfscheckfile repl/data
    step mfsfileinfo repl/data
    step dd if=repl/data of=/dev/null bs=64K

    phase "chunkserver cs3 killed, deletions while it is away, restart"
    step mfssettrashtime 0 repl/data
    local before
    before=$(cs3_chunk_files)
    kill -9 "${DAEMON_PIDS[cs3]}"
    wait "${DAEMON_PIDS[cs3]}" 2>/dev/null || true
    printf '%s ok   kill -9 cs3 (%s)\n' "$(date -u +%H:%M:%S.%3N)" "${CS_IPS[2]}" >>"$LOGFILE"
    wait_for 60 master_cs_links_are 2 || true
    step mfscli -H "$MASTER_IP" -n -p -SCS
    step rm -f repl/data
    step mfscli -H "$MASTER_IP" -n -p "-CRC/${CS_IPS[2]}/9422"
    step dd if=/dev/urandom of=repl/while-down bs=64K count=1 conv=fsync
    start_chunkserver 3
    printf '%s ok   restart cs3\n' "$(date -u +%H:%M:%S.%3N)" >>"$LOGFILE"
    wait_for 60 master_cs_links_are 3 || true
    step mfscli -H "$MASTER_IP" -n -p -SCS
    # The chunk loop deletes cs3's copy of repl/data, removed while it was away.
    wait_for 150 cs3_has_fewer_chunks_than "$before" || true
    printf '%s      cs3 chunk files: %s before kill, %s now\n' "$(date -u +%H:%M:%S.%3N)" "$before" "$(cs3_chunk_files)" >>"$LOGFILE"
    step mfscli -H "$MASTER_IP" -n -p -SIN
}

run_workload() {
    MNT=$WORK/mnt
    META=$WORK/meta
    phase "mounts"
    mount_mfs "$MNT" -o mfscachemode=DIRECT
    mount_mfs "$META" -o mfsmeta
    phase_fs_ops
    phase_trash
    phase_tools
    phase_fresh_read
    phase_mfscli
    phase_replication
    cd /
    phase "unmount"
    step umount "$META"
    step umount "$MNT"
}
