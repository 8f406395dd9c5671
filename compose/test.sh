#!/bin/sh
# Builds the images, brings the compose cluster up, runs demo.sh against
# it and takes everything down again (containers, network and volumes),
# whether the demo passed or not. Run as root on a machine with a Docker
# engine and docker-compose; scripts/setup.sh installs the rest.
set -eu

here="$(cd "$(dirname "$0")" && pwd)"
compose() { docker-compose -f "$here/docker-compose.yml" "$@"; }

# The kind of machine CI runs on starts the engine itself; start it when
# it is installed but not running.
docker info >/dev/null 2>&1 || service docker start
"$here/../docker/base-image.sh"
compose build
trap 'compose down -v --remove-orphans' EXIT
compose up -d
# A demo takes two to three minutes; one that hangs fails here instead of
# holding CI until its own limit.
timeout 900 "$here/demo.sh"
