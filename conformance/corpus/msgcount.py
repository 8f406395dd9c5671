#!/usr/bin/env python3
"""Counts MooseFS messages per connection kind in a capture.

tshark has no MooseFS dissector, so this rebuilds each TCP byte stream
from the captured payloads and walks MooseFS framing (type:32 length:32
then length bytes) to count message types. The table shows which message
types the corpus holds, so golden tests know where to find real bytes.

Usage: msgcount.py CAPTURE.pcapng [MFSCommunication.h]
With the MooseFS header given, message codes are shown with their names.
"""

import collections
import re
import subprocess
import sys

PORTS = {
    9419: "metalogger/admin <-> master (9419)",
    9420: "chunkserver <-> master (9420)",
    9421: "client <-> master (9421)",
    9422: "client/chunkserver <-> chunkserver (9422)",
}


def read_payloads(capture):
    """Yields (stream, src_port, dst_port, bytes) of each data segment."""
    out = subprocess.run(
        ["tshark", "-r", capture, "-Y", "tcp.len>0 && !tcp.analysis.retransmission",
         "-T", "fields", "-e", "tcp.stream", "-e", "tcp.srcport",
         "-e", "tcp.dstport", "-e", "tcp.payload"],
        check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        stream, sport, dport, payload = line.split("\t")
        yield int(stream), int(sport), int(dport), bytes.fromhex(payload.replace(":", ""))


def message_names(header):
    """Maps message codes to names from MooseFS's MFSCommunication.h."""
    names = collections.defaultdict(list)
    pattern = re.compile(r"#define\s+([A-Z]+TO[A-Z]+_[A-Z0-9_]+)\s+\(PROTO_BASE\+(\d+)\)")
    with open(header, encoding="latin-1") as f:
        for match in pattern.finditer(f.read()):
            names[int(match.group(2))].append(match.group(1))
    return names


def count(capture):
    """Returns {(port, towards_server): Counter(code)} and undecodable tails."""
    buffers = collections.defaultdict(bytearray)
    for stream, sport, dport, data in read_payloads(capture):
        buffers[(stream, sport, dport)] += data
    counts = collections.defaultdict(collections.Counter)
    leftovers = 0
    for (_, sport, dport), data in buffers.items():
        server_port = dport if dport in PORTS else sport
        towards_server = dport == server_port
        pos = 0
        while pos + 8 <= len(data):
            code = int.from_bytes(data[pos:pos + 4], "big")
            length = int.from_bytes(data[pos + 4:pos + 8], "big")
            if pos + 8 + length > len(data):
                break
            counts[(server_port, towards_server)][code] += 1
            pos += 8 + length
        leftovers += len(data) - pos
    return counts, leftovers


def main():
    capture = sys.argv[1]
    names = message_names(sys.argv[2]) if len(sys.argv) > 2 else {}
    counts, leftovers = count(capture)
    for (port, towards_server), counter in sorted(counts.items()):
        arrow = "to server" if towards_server else "from server"
        print(f"## {PORTS[port]}, {arrow}: {sum(counter.values())} messages")
        for code, n in sorted(counter.items()):
            label = "/".join(names.get(code, [])) or "?"
            print(f"{code:6d} {n:7d}  {label}")
        print()
    print(f"bytes left in incomplete frames: {leftovers}")


if __name__ == "__main__":
    main()
