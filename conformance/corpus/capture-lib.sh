# Shared by capture.sh and capture-extra.sh (sourced, not run): the
# throw-away cluster in network namespaces, the tshark capture on its
# bridge, the logged workload steps and the run from start to cleanup.
#
# A throw-away cluster (master, three chunkservers, metalogger) runs in
# network namespaces joined by a host bridge; mfsmount and mfscli run on the
# host. MooseFS refuses a master address in 127.0.0.0/8, which is why real
# addresses on a private bridge are used instead of loopback. Every
# MooseFS connection crosses the bridge, where tshark records it.
#
# The sourcing script sets OUT_DIR and the output names (PCAP_NAME,
# LOG_NAME, OUTPUT_LOG_NAME, COUNTS_NAME), may set CS_FOLDERS (data
# folders per chunkserver), defines run_workload, then calls capture_main.
# The environment may move the cluster so that it does not collide with
# another one on the host: CAPTURE_NET (first three octets of a free /24,
# default 10.231.0), CAPTURE_NS (prefix of namespace, veth and bridge
# names, default mfscap), CAPTURE_TMP (prefix of the temp dir, default
# /tmp/mfscap).

NET=${CAPTURE_NET:-10.231.0}
NS_PREFIX=${CAPTURE_NS:-mfscap}
BRIDGE=${NS_PREFIX}br0
HOST_IP=$NET.254
MASTER_IP=$NET.1
CS_IPS=("$NET.11" "$NET.12" "$NET.13")
ML_IP=$NET.21
CS_FOLDERS=("${CS_FOLDERS[@]:-data}")

WORK=""
CAPTURE_PID=""
declare -A DAEMON_PIDS=()
MOUNTS=()
NAMESPACES=()
FIREWALL_RULE=()

# ---------------------------------------------------------------- cleanup

cleanup() {
    local rc=$?
    set +e
    for m in "${MOUNTS[@]}"; do
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
    done
    for name in "${!DAEMON_PIDS[@]}"; do
        kill -9 "${DAEMON_PIDS[$name]}" 2>/dev/null
        wait "${DAEMON_PIDS[$name]}" 2>/dev/null
    done
    if [ -n "$CAPTURE_PID" ]; then
        kill -INT "$CAPTURE_PID" 2>/dev/null
        wait "$CAPTURE_PID" 2>/dev/null
    fi
    for ns in "${NAMESPACES[@]}"; do
        ip netns del "$ns" 2>/dev/null
    done
    ip link del "$BRIDGE" 2>/dev/null
    if [ "${#FIREWALL_RULE[@]}" -gt 0 ]; then
        iptables -D "${FIREWALL_RULE[@]}" 2>/dev/null
    fi
    if [ -n "$WORK" ]; then
        if [ "$rc" -ne 0 ]; then
            for f in "$WORK"/*.log; do
                [ -e "$f" ] && { echo "--- $f"; tail -n 20 "$f"; } >&2
            done
        fi
        rm -rf "$WORK"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- helpers

die() { echo "$(basename "$0"): $*" >&2; exit 1; }

# Waits up to $1 seconds for command "${@:2}" to succeed.
wait_for() {
    local limit=$1
    shift
    local i
    for ((i = 0; i < limit * 2; i++)); do
        "$@" && return 0
        sleep 0.5
    done
    return 1
}

# Records a workload step with its start time and exit status in the
# workload log; a failing step is logged, not fatal, so the gaps show up.
LOGFILE=""
step() {
    local ts rc
    ts=$(date -u +%H:%M:%S.%3N)
    set +e
    "$@" >>"$WORK/step-output.log" 2>&1
    rc=$?
    set -e
    if [ "$rc" -eq 0 ]; then
        printf '%s ok   %s\n' "$ts" "$*" >>"$LOGFILE"
    else
        printf '%s FAIL(%d) %s\n' "$ts" "$rc" "$*" >>"$LOGFILE"
    fi
}

# Runs a shell snippet as one logged step (for pipes and redirections).
sh_step() { step bash -c "$1"; }

# Logs something the workload did or saw that is not a step of its own.
note() { printf '%s      %s\n' "$(date -u +%H:%M:%S.%3N)" "$*" >>"$LOGFILE"; }

phase() {
    printf '\n%s === phase: %s\n' "$(date -u +%H:%M:%S.%3N)" "$1" >>"$LOGFILE"
    sleep 1
}

# True when exactly $1 chunkservers hold a connection to the master.
master_cs_links_are() {
    [ "$(ip netns exec "$NS_PREFIX-master" ss -Htn state established '( sport = :9420 )' | wc -l)" -eq "$1" ]
}

master_listens() {
    ip netns exec "$NS_PREFIX-master" ss -Hltn '( sport = :9421 )' | grep -q .
}

# ---------------------------------------------------------------- network

add_ns() {
    local ns=$NS_PREFIX-$1 ip=$2 n=$3
    ip netns add "$ns"
    NAMESPACES+=("$ns")
    ip link add "$NS_PREFIX$n" type veth peer name eth0 netns "$ns"
    ip link set "$NS_PREFIX$n" master "$BRIDGE" up
    ip -n "$ns" addr add "$ip/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
}

setup_network() {
    ip link add "$BRIDGE" type bridge
    ip addr add "$HOST_IP/24" dev "$BRIDGE"
    ip link set "$BRIDGE" up
    # With br_netfilter loaded, bridged frames pass the iptables FORWARD
    # chain, whose policy is DROP on hosts running Docker.
    if [ "$(cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null || echo 0)" = 1 ]; then
        FIREWALL_RULE=(FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT)
        iptables -I "${FIREWALL_RULE[@]}"
    fi
    add_ns master "$MASTER_IP" 0
    local i
    for i in 1 2 3; do
        add_ns "cs$i" "${CS_IPS[$((i - 1))]}" "$i"
    done
    add_ns ml "$ML_IP" 9
}

# ---------------------------------------------------------------- daemons

write_configs() {
    mkdir -p "$WORK/master" "$WORK/ml"
    cp /var/lib/mfs/metadata.mfs.empty "$WORK/master/metadata.mfs"
    cat >"$WORK/mfsexports.cfg" <<EOF
$NET.0/24 / rw,alldirs,admin,maproot=0:0
$NET.0/24 . rw
EOF
    : >"$WORK/mfstopology.cfg"
    cat >"$WORK/mfsmaster.cfg" <<EOF
WORKING_USER = root
WORKING_GROUP = root
DATA_PATH = $WORK/master
EXPORTS_FILENAME = $WORK/mfsexports.cfg
TOPOLOGY_FILENAME = $WORK/mfstopology.cfg
MATOML_LISTEN_HOST = $MASTER_IP
MATOCS_LISTEN_HOST = $MASTER_IP
MATOCL_LISTEN_HOST = $MASTER_IP
REPLICATIONS_DELAY_INIT = 0
CHUNKS_LOOP_MIN_TIME = 60
CHUNKS_LOOP_MAX_CPS = 10000
CHUNKS_SOFT_DEL_LIMIT = 100
CHUNKS_HARD_DEL_LIMIT = 100
CHUNKS_WRITE_REP_LIMIT = 10
CHUNKS_READ_REP_LIMIT = 10
MATOCS_TIMEOUT = 10
EOF
    local i folder
    for i in 1 2 3; do
        mkdir -p "$WORK/cs$i"
        : >"$WORK/cs$i/mfshdd.cfg"
        for folder in "${CS_FOLDERS[@]}"; do
            mkdir -p "$WORK/cs$i/$folder"
            echo "$WORK/cs$i/$folder" >>"$WORK/cs$i/mfshdd.cfg"
        done
        cat >"$WORK/cs$i/mfschunkserver.cfg" <<EOF
WORKING_USER = root
WORKING_GROUP = root
DATA_PATH = $WORK/cs$i
HDD_CONF_FILENAME = $WORK/cs$i/mfshdd.cfg
HDD_LEAVE_SPACE_DEFAULT = 16MiB
MASTER_HOST = $MASTER_IP
MASTER_PORT = 9420
BIND_HOST = ${CS_IPS[$((i - 1))]}
CSSERV_LISTEN_HOST = ${CS_IPS[$((i - 1))]}
CSSERV_LISTEN_PORT = 9422
EOF
    done
    cat >"$WORK/mfsmetalogger.cfg" <<EOF
WORKING_USER = root
WORKING_GROUP = root
DATA_PATH = $WORK/ml
MASTER_HOST = $MASTER_IP
MASTER_PORT = 9419
BIND_HOST = $ML_IP
META_DOWNLOAD_FREQ = 1
EOF
}

# Starts daemon $1 in namespace $2: "${@:3}" is the command line.
start_daemon() {
    local name=$1 ns=$NS_PREFIX-$2
    shift 2
    ip netns exec "$ns" "$@" >>"$WORK/$name.log" 2>&1 &
    DAEMON_PIDS[$name]=$!
}

start_chunkserver() {
    start_daemon "cs$1" "cs$1" mfschunkserver -f -c "$WORK/cs$1/mfschunkserver.cfg" start
}

start_cluster() {
    start_daemon master master mfsmaster -f -c "$WORK/mfsmaster.cfg" start
    wait_for 30 master_listens || die "master did not start"
    local i
    for i in 1 2 3; do
        start_chunkserver "$i"
    done
    start_daemon ml ml mfsmetalogger -f -c "$WORK/mfsmetalogger.cfg" start
    wait_for 60 master_cs_links_are 3 || die "chunkservers did not connect"
    wait_for 60 grep -q "changelog_1 downloaded" "$WORK/ml.log" \
        || die "metalogger did not download metadata"
    # Chunkservers report their disks a moment after registering.
    sleep 5
}

# Mounts the file system ($1 = mountpoint, rest = extra mfsmount options).
mount_mfs() {
    local dir=$1 name
    shift
    name=mount-$(basename "$dir")
    mkdir -p "$dir"
    mfsmount -f -H "$MASTER_IP" "$@" "$dir" >>"$WORK/$name.log" 2>&1 &
    DAEMON_PIDS[$name]=$!
    MOUNTS+=("$dir")
    wait_for 30 mountpoint -q "$dir" || die "mfsmount $dir failed"
}

# ---------------------------------------------------------------- capture

start_capture() {
    # The bridge device is put in promiscuous mode by tshark, so it also
    # sees frames bridged between namespaces (chunkserver to chunkserver).
    tshark -q -i "$BRIDGE" -s 0 -B 256 -F pcapng -f "tcp portrange 9419-9422" \
        -w "$WORK/$PCAP_NAME" >"$WORK/tshark.log" 2>&1 &
    CAPTURE_PID=$!
    wait_for 30 grep -q "Capturing on" "$WORK/tshark.log" || die "tshark did not start"
}

stop_capture() {
    sleep 2
    kill -INT "$CAPTURE_PID"
    wait "$CAPTURE_PID" || true
    CAPTURE_PID=""
    grep -i "captured\|dropped" "$WORK/tshark.log" | sed 's/^/# tshark: /' >>"$LOGFILE"
}

# ---------------------------------------------------------------- main

capture_main() {
    [ "$(id -u)" -eq 0 ] || die "must run as root"
    local tool
    for tool in mfsmaster mfschunkserver mfsmetalogger mfsmount mfscli tshark ip setfacl setfattr python3; do
        command -v "$tool" >/dev/null || die "$tool missing: run scripts/setup.sh"
    done
    ip link show "$BRIDGE" >/dev/null 2>&1 && die "$BRIDGE already exists"
    WORK=$(mktemp -d "${CAPTURE_TMP:-/tmp/mfscap}.XXXXXX")
    chmod 755 "$WORK"
    LOGFILE=$WORK/$LOG_NAME
    {
        echo "# MooseFS capture workload log (times UTC, $(date -u +%F))"
        echo "# $(dpkg-query -W -f='${Package} ${Version}\n' moosefs-master moosefs-chunkserver moosefs-client moosefs-cli moosefs-metalogger | tr '\n' ';')"
    } >"$LOGFILE"

    setup_network
    write_configs
    start_capture
    phase "cluster start (registrations, metalogger download)"
    start_cluster
    run_workload
    stop_capture

    cp "$WORK/$PCAP_NAME" "$WORK/$LOG_NAME" "$OUT_DIR/"
    cp "$WORK/step-output.log" "$OUT_DIR/$OUTPUT_LOG_NAME"
    chmod 644 "$OUT_DIR/$PCAP_NAME"
    # Message names come from MooseFS's header when its source is at hand.
    local header=${MFS_HEADER:-/tmp/mfs/mfscommon/MFSCommunication.h}
    [ -r "$header" ] || header=""
    "$OUT_DIR/msgcount.py" "$OUT_DIR/$PCAP_NAME" $header >"$OUT_DIR/$COUNTS_NAME"
    echo "wrote $PCAP_NAME, $LOG_NAME, $OUTPUT_LOG_NAME, $COUNTS_NAME in $OUT_DIR"
}
