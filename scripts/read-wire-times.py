#!/usr/bin/env python3
"""Splits a depth-1 read loop's time between the chunkservers and the client.

Reads a capture (taken where the mount's traffic to the chunkservers
passes, e.g. the host's veth into the cluster; a snap length of 128 is
enough) of one program reading one request at a time, and takes each
CLTOCS_READ, on whichever connection to port 9422, as the start of a
cycle: from it to the last segment a chunkserver sends before the next
request is the servers' part (network and chunkserver), from there to
the next request is the client's (mount, kernel, FUSE and the program
reading, including any reads the page cache answered). Prints the
medians in microseconds, and what a client taking no time at all would
gain: cycle / server.

usage: scripts/read-wire-times.py CAPTURE.pcap
"""

import statistics
import subprocess
import sys

CHUNKSERVER_PORT = "9422"
CLTOCS_READ = "000000c8"


def segments(capture):
    """(time, to_server, starts_a_read) per TCP segment with data."""
    fields = ["frame.time_epoch", "tcp.dstport", "tcp.len", "tcp.payload"]
    command = ["tshark", "-r", capture, "-o", "tcp.desegment_tcp_streams:FALSE", "-T", "fields"]
    for field in fields:
        command += ["-e", field]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) < 4 or not parts[2] or int(parts[2]) == 0:
            continue
        to_server = parts[1] == CHUNKSERVER_PORT
        payload = parts[3].replace(":", "")
        yield float(parts[0]), to_server, to_server and payload.startswith(CLTOCS_READ)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    requested = answered = None
    server, client = [], []
    for time, to_server, read in segments(sys.argv[1]):
        if read:
            if requested is not None and answered is not None:
                server.append(answered - requested)
                client.append(time - answered)
            requested, answered = time, None
        elif not to_server and requested is not None:
            answered = time
    if not server:
        sys.exit("no complete read cycle in the capture")
    server_us = statistics.median(server) * 1e6
    client_us = statistics.median(client) * 1e6
    cycles_us = statistics.median(s + c for s, c in zip(server, client)) * 1e6
    print(f"cycles {len(server)}: median {cycles_us:.0f} us, "
          f"server {server_us:.0f} us, client {client_us:.0f} us, "
          f"a client taking no time: {cycles_us / server_us:.2f}x")


if __name__ == "__main__":
    main()
