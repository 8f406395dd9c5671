#!/usr/bin/env python3
"""Splits a depth-1 read loop's time between the chunkserver and the client.

Reads a capture (taken where the mount's traffic to the chunkservers
passes, e.g. the cluster's bridge, a snap length of 128 is enough) and,
for every connection to port 9422, takes each CLTOCS_READ as the start
of a cycle: from it to the last segment the chunkserver sends before the
next request is the server's part (network and chunkserver), from there
to the next request is the client's (mount, kernel, FUSE and the
program reading). Prints the medians in microseconds, and what a client
taking no time at all would gain: cycle / server.

usage: scripts/read-wire-times.py CAPTURE.pcap
"""

import statistics
import subprocess
import sys

CHUNKSERVER_PORT = "9422"
CLTOCS_READ = "000000c8"


def segments(capture):
    """(time, stream, to_server, starts_a_read) per TCP segment with data."""
    fields = ["frame.time_epoch", "tcp.stream", "tcp.dstport", "tcp.len", "tcp.payload"]
    command = ["tshark", "-r", capture, "-o", "tcp.desegment_tcp_streams:FALSE", "-T", "fields"]
    for field in fields:
        command += ["-e", field]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) < 5 or not parts[3] or int(parts[3]) == 0:
            continue
        to_server = parts[2] == CHUNKSERVER_PORT
        payload = parts[4].replace(":", "")
        yield float(parts[0]), parts[1], to_server, to_server and payload.startswith(CLTOCS_READ)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    requested = {}
    answered = {}
    server, client = [], []
    for time, stream, to_server, read in segments(sys.argv[1]):
        if read:
            if stream in requested and stream in answered:
                server.append(answered[stream] - requested[stream])
                client.append(time - answered[stream])
            requested[stream] = time
            answered.pop(stream, None)
        elif not to_server and stream in requested:
            answered[stream] = time
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
