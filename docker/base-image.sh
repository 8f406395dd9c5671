#!/bin/sh
# Builds the one image every MooseNG Dockerfile starts from,
# `mooseng/debian:bookworm`, out of Debian's own packages: there is no
# container registry to pull a base image from, so debootstrap makes a
# minimal bookworm root file system and `docker import` turns it into an
# image. The build stages add their compiler with apt-get; the runtime
# stages only need what is included here (FUSE for the mount, curl for the
# health checks). Skips the work when the image already exists; run as
# root.
set -eu

image="${MOOSENG_BASE_IMAGE:-mooseng/debian:bookworm}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if docker image inspect "$image" >/dev/null 2>&1; then
    echo "$image exists"
    exit 0
fi

root="$(mktemp -d /var/tmp/mooseng-rootfs.XXXXXX)"
trap 'rm -rf --one-file-system "$root"' EXIT

debootstrap --variant=minbase --include=ca-certificates,curl,fuse3 \
    bookworm "$root" "$mirror"

# debootstrap lists only the release itself; the security suite carries
# the Rust toolchain recent enough for the workspace (rustc-web).
cat > "$root/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
SOURCES
# Certificate authorities this machine added to its own trust store (a
# TLS-intercepting proxy in front of the package registries, say): the
# build stages fetch crates through the same network.
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
    cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
    chroot "$root" update-ca-certificates
fi
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/*

tar -C "$root" -c . | docker import \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["/bin/bash"]' \
    - "$image"
echo "$image built"
