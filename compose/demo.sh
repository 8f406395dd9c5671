#!/bin/sh
# Exercises a running compose cluster (docker-compose.yml beside this
# script) and fails loudly when it does not behave: every service becomes
# healthy, a file written through one client reads back identically
# through all three, the leader master is killed and the group elects
# another, the clients carry on (a write in flight at the kill finishes,
# a second file is written, all read back across clients), the killed
# master rejoins as a follower, and the chunkservers hold two copies of
# every chunk. Run as root: it drops the page cache.
set -eu

here="$(cd "$(dirname "$0")" && pwd)"
compose() { docker-compose -f "$here/docker-compose.yml" "$@"; }
masters="master1 master2 master3"
services="$masters chunkserver1 chunkserver2 chunkserver3 client1 client2 client3"
file_mib="${MOOSENG_DEMO_MIB:-96}"

fail() {
    echo "FAIL: $*" >&2
    compose ps >&2 || true
    compose logs --tail=40 >&2 || true
    exit 1
}

# Evaluates `check` once a second until it succeeds, up to `seconds`.
wait_for() {
    seconds=$1 what=$2 check=$3
    i=0
    until eval "$check" >/dev/null 2>&1; do
        i=$((i + 1))
        [ "$i" -lt "$seconds" ] || fail "$what (after ${seconds}s)"
        sleep 1
    done
    echo "ok: $what (${i}s)"
}

health() {
    docker inspect -f '{{.State.Health.Status}}' "$(compose ps -q "$1")"
}

# The role line of a master's /health: "role=leader" or "role=follower ...".
role() {
    compose exec -T "$1" curl -fsS http://127.0.0.1:9426/health 2>/dev/null |
        grep '^role=' || true
}

# The master that says it leads, other than `$1` when given.
leader() {
    for m in $masters; do
        [ "$m" = "${1:-}" ] && continue
        case "$(role "$m")" in role=leader*) echo "$m"; return ;; esac
    done
}

# Writes `file_mib` MiB of random bytes through `client` and prints the
# sha256 the writer saw.
write_file() {
    compose exec -T "$1" sh -c "head -c ${file_mib}M /dev/urandom > /mnt/mooseng/$2 &&
        sha256sum /mnt/mooseng/$2" | cut -d' ' -f1
}

# Reads through `client` from the chunkservers: containers share the
# host's kernel, so dropping the host's page cache drops the mounts' too.
read_sum() {
    sync
    echo 3 > /proc/sys/vm/drop_caches
    compose exec -T "$1" sha256sum "/mnt/mooseng/$2" | cut -d' ' -f1
}

# Chunk copies held by the three chunkservers together.
copies() {
    total=0
    for c in chunkserver1 chunkserver2 chunkserver3; do
        n="$(compose exec -T "$c" curl -fsS http://127.0.0.1:9425/metrics |
            awk '/^mooseng_chunkserver_folder_chunks/ { s += $2 } END { print s + 0 }')"
        total=$((total + n))
    done
    echo "$total"
}

check_everywhere() {
    for c in client1 client2 client3; do
        got="$(read_sum "$c" "$1")"
        [ "$got" = "$2" ] || fail "$1 through $c: sha256 $got, written $2"
        echo "ok: $1 reads back identically through $c"
    done
}

for s in $services; do
    wait_for 120 "$s healthy" "[ \"\$(health $s)\" = healthy ]"
done

first="$(leader)"
[ -n "$first" ] || fail "no master says role=leader"
echo "ok: $first leads"

sum_a="$(write_file client1 a.bin)"
[ -n "$sum_a" ] || fail "writing a.bin through client1"
check_everywhere a.bin "$sum_a"

# A write in flight through client3 while the leader dies: 40 MiB at
# about 10 MiB/s, so that the kill lands in its middle.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
compose exec -T client3 bash -o pipefail -c 'for i in $(seq 40); do
        head -c 1M /dev/urandom; sleep 0.1; done |
    tee /mnt/mooseng/c.bin | sha256sum' > "$work/c.sum" &
writer=$!
sleep 1
kill -0 "$writer" 2>/dev/null || fail "the writer ended before the kill"
compose kill "$first" >/dev/null
echo "killed $first"
wait_for 60 "another master leads" "[ -n \"\$(leader $first)\" ]"
echo "ok: $(leader) leads now"

sum_b="$(write_file client2 b.bin)"
[ -n "$sum_b" ] || fail "writing b.bin through client2 after the failover"
check_everywhere b.bin "$sum_b"
check_everywhere a.bin "$sum_a"
wait "$writer" || fail "the write in flight through client3 across the failover"
check_everywhere c.bin "$(cut -d' ' -f1 "$work/c.sum")"

compose start "$first" >/dev/null
wait_for 60 "$first healthy again" "[ \"\$(health $first)\" = healthy ]"
wait_for 30 "$first follows" "role $first | grep -q '^role=follower'"

# Two files of `file_mib` MiB and one of 40 MiB in 64 MiB chunks, two
# copies each (the default storage class).
expected=$((2 * (2 * ((file_mib + 63) / 64) + 1)))
wait_for 60 "$expected chunk copies on the chunkservers" "[ \"\$(copies)\" = $expected ]"
echo "PASS"
