#!/bin/sh
# Installs what the test suite needs on a Debian bookworm machine: the
# reference MooseFS 3.0.117 programs, FUSE, tshark and network tools
# (nftables drops a master's answers in a failover test), the
# font of mooseng-bench's chart, and what builds and runs the vendored
# pjdfstest (autotools, a C compiler, make, perl's prove, and openssl, which
# makes its file names), protoc for the masters' gRPC code, and debootstrap
# and docker-compose for the compose cluster's images and test.
# Idempotent; run as root (CI and the project's machines are root).
set -eu

packages="moosefs-master moosefs-chunkserver moosefs-client moosefs-cli \
moosefs-metalogger fuse3 tshark iproute2 attr acl fio fonts-dejavu-core \
autoconf automake gcc make perl openssl protobuf-compiler nftables \
debootstrap docker-compose"

missing=""
for p in $packages; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done

if [ -n "$missing" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q $missing
fi
