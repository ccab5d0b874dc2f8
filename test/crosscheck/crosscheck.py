"""Cross-check of the translator against an independent packet library: scapy
builds a few hundred randomized packets, the C++ driver translates them, and
scapy parses the result and compares every field with what RFC 7915 says it
should be. Checksums are recomputed by scapy, never by our code."""
import os
import random
import subprocess
import sys

from scapy.all import IP, IPv6, TCP, UDP, ICMP, Raw, raw, IPerror, UDPerror, TCPerror
from scapy.layers.inet6 import (ICMPv6EchoRequest, ICMPv6EchoReply, ICMPv6DestUnreach, ICMPv6PacketTooBig,
                                ICMPv6TimeExceeded, IPerror6)

SRC6, DST6 = "2001:db8:1::2", "64:ff9b::cb00:7150"
POOL4, SERVER4 = "192.0.2.1", "203.0.113.80"
rng = random.Random(int(os.environ.get("SEED", "6146")))


def l4_ok(pkt_bytes, family):
    """Re-parse, delete every checksum, rebuild: equal bytes mean all checksums were right."""
    p = IP(pkt_bytes) if family == 4 else IPv6(pkt_bytes)
    for layer in (IP, TCP, UDP, ICMP):
        if layer in p:
            del p[layer].chksum
    for layer in (ICMPv6EchoRequest, ICMPv6EchoReply, ICMPv6DestUnreach, ICMPv6PacketTooBig, ICMPv6TimeExceeded):
        if layer in p:
            del p[layer].cksum
    return raw(p) == pkt_bytes


class Case:
    def __init__(self, name, direction, pkt, outer, inner=("0.0.0.0", "0.0.0.0", 0, 0), check=None, mtu=(1500, 1500)):
        self.name, self.direction, self.pkt, self.outer, self.inner, self.check, self.mtu = \
            name, direction, pkt, outer, inner, check, mtu
        self.ident = rng.randrange(65536)

    def line(self):
        o, i = self.outer, self.inner
        return " ".join(str(x) for x in (self.direction, raw(self.pkt).hex(), *o, *i, *self.mtu, self.ident))


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def gen_6to4_transport():
    proto = rng.choice(["tcp", "udp"])
    size = rng.randrange(0, 1400)
    sport, dport, pub = rng.randrange(1, 65536), rng.randrange(1, 65536), rng.randrange(1024, 65536)
    tc, hlim, fl = rng.randrange(256), rng.randrange(2, 256), rng.randrange(1 << 20)
    data = os.urandom(size)
    l4 = TCP(sport=sport, dport=dport, flags=rng.choice(["S", "A", "PA", "FA"]), seq=rng.randrange(1 << 32)) \
        if proto == "tcp" else UDP(sport=sport, dport=dport)
    pkt = IPv6(src=SRC6, dst=DST6, tc=tc, hlim=hlim, fl=fl) / l4 / Raw(data)

    def check(verdict, out, c):
        expect(verdict == "forward", f"verdict {verdict}")
        ip = IP(out)
        total = 20 + len(raw(l4)) + size
        expect(ip.version == 4 and ip.ihl == 5 and ip.len == total == len(out), f"lengths {ip.len} {total} {len(out)}")
        expect(ip.tos == tc, f"tos {ip.tos} != {tc}")
        expect(ip.ttl == hlim - 1, f"ttl {ip.ttl}")
        expect(ip.src == POOL4 and ip.dst == SERVER4, "addresses")
        expect(ip.proto == (6 if proto == "tcp" else 17), "protocol")
        # RFC 7915 s5.1: DF set when the IPv4 packet is larger than 1260 bytes
        expect((ip.flags.DF == 1) == (total > 1260), f"DF {ip.flags} for {total} bytes")
        if total <= 1260:
            expect(ip.id == c.ident, "identification from the translator's generator")
        expect(ip.frag == 0 and ip.flags.MF == 0, "not a fragment")
        t = ip[TCP] if proto == "tcp" else ip[UDP]
        expect(t.sport == pub and t.dport == dport, "ports")
        expect(bytes(t.payload) == data, "payload")
        expect(l4_ok(out, 4), "checksums")
    return Case(f"6to4-{proto}-{size}", "6to4", pkt, (POOL4, SERVER4, pub, dport), check=check)


def gen_4to6_transport():
    proto = rng.choice(["tcp", "udp", "udp0"])
    size = rng.randrange(0, 1200)
    sport, pub, orig = rng.randrange(1, 65536), rng.randrange(1024, 65536), rng.randrange(1, 65536)
    tos, ttl, df = rng.randrange(256), rng.randrange(2, 256), rng.choice([0, 2])
    data = os.urandom(size)
    if proto == "tcp":
        l4 = TCP(sport=sport, dport=pub, flags="PA", seq=rng.randrange(1 << 32))
    else:
        l4 = UDP(sport=sport, dport=pub)
    pkt = IP(src=SERVER4, dst=POOL4, tos=tos, ttl=ttl, flags=df, id=rng.randrange(65536)) / l4 / Raw(data)
    if proto == "udp0":   # RFC 7915 s4.5: a zero UDP checksum must be computed for IPv6
        b = bytearray(raw(pkt)); b[26:28] = b"\0\0"; pkt = IP(bytes(b))

    def check(verdict, out, c):
        expect(verdict == "forward", f"verdict {verdict}")
        ip6 = IPv6(out)
        expect(ip6.version == 6 and ip6.plen == len(out) - 40, "payload length")
        expect(ip6.tc == tos and ip6.fl == 0, f"traffic class {ip6.tc} flow label {ip6.fl}")
        expect(ip6.hlim == ttl - 1, "hop limit")
        expect(ip6.src == DST6 and ip6.dst == SRC6, "addresses")
        expect(ip6.nh == (6 if proto == "tcp" else 17), "next header (no fragment header)")
        t = ip6[TCP] if proto == "tcp" else ip6[UDP]
        expect(t.sport == sport and t.dport == orig, "ports")
        expect(bytes(t.payload) == data, "payload")
        expect(l4_ok(out, 6), "checksums")
    return Case(f"4to6-{proto}-{size}", "4to6", pkt, (DST6, SRC6, sport, orig), ("::", "::", 0, 0), check=check)


def gen_echo():
    if rng.random() < 0.5:
        ident, seq, pub = rng.randrange(65536), rng.randrange(65536), rng.randrange(1, 65536)
        data = os.urandom(rng.randrange(0, 1000))
        pkt = IPv6(src=SRC6, dst=DST6, hlim=64) / ICMPv6EchoRequest(id=ident, seq=seq, data=data)

        def check(verdict, out, c):
            expect(verdict == "forward", f"verdict {verdict}")
            ip = IP(out)
            expect(ip.proto == 1 and ICMP in ip, "ICMPv4")
            e = ip[ICMP]
            expect(e.type == 8 and e.code == 0 and e.id == pub and e.seq == seq, "echo request fields")
            expect(bytes(e.payload) == data, "data")
            expect(l4_ok(out, 4), "checksums")
        return Case("6to4-echo", "6to4", pkt, (POOL4, SERVER4, pub, pub), check=check)
    ident, seq, orig = rng.randrange(65536), rng.randrange(65536), rng.randrange(65536)
    data = os.urandom(rng.randrange(0, 1000))
    pkt = IP(src=SERVER4, dst=POOL4, ttl=50) / ICMP(type=0, id=ident, seq=seq) / Raw(data)

    def check(verdict, out, c):
        expect(verdict == "forward", f"verdict {verdict}")
        ip6 = IPv6(out)
        expect(ICMPv6EchoReply in ip6, "echo reply")
        e = ip6[ICMPv6EchoReply]
        expect(e.id == orig and e.seq == seq and e.data == data, "echo reply fields")
        expect(l4_ok(out, 6), "checksums")
    return Case("4to6-echo", "4to6", pkt, (DST6, SRC6, ident, orig), check=check)


# RFC 7915 s4.2 (ICMPv4 -> ICMPv6) and s5.2 (ICMPv6 -> ICMPv4), written out here
# from the RFC text, independently of the C++ tables.
ICMP4_TO_6 = {(3, 0): (1, 0), (3, 1): (1, 0), (3, 3): (1, 4), (3, 6): (1, 0), (3, 7): (1, 0),
              (3, 9): (1, 1), (3, 10): (1, 1), (3, 11): (1, 0), (3, 12): (1, 0), (3, 13): (1, 1),
              (3, 15): (1, 1), (11, 0): (3, 0), (11, 1): (3, 1)}
ICMP6_TO_4 = {(1, 0): (3, 1), (1, 1): (3, 10), (1, 2): (3, 1), (1, 3): (3, 1), (1, 4): (3, 3),
              (3, 0): (11, 0), (3, 1): (11, 1)}


def gen_error_4to6():
    (t4, c4), (t6, c6) = rng.choice(list(ICMP4_TO_6.items()))
    pub, rport, orig = rng.randrange(1024, 65536), rng.randrange(1, 65536), rng.randrange(1, 65536)
    data = os.urandom(rng.randrange(0, 200))
    quoted = IP(src=POOL4, dst=SERVER4, ttl=rng.randrange(1, 64)) / UDP(sport=pub, dport=rport) / Raw(data)
    router = "203.0.113.1"
    pkt = IP(src=router, dst=POOL4, ttl=60) / ICMP(type=t4, code=c4) / quoted
    router6 = "64:ff9b::cb00:7101"

    def check(verdict, out, c):
        expect(verdict == "forward", f"verdict {verdict}")
        ip6 = IPv6(out)
        expect(ip6.src == router6 and ip6.dst == SRC6, "outer addresses")
        expect(ip6.nh == 58, "ICMPv6")
        icmp = ip6.payload
        expect((icmp.type, icmp.code) == (t6, c6), f"type/code {(icmp.type, icmp.code)} != {(t6, c6)}")
        inner = ip6[IPerror6]
        expect(inner.src == SRC6 and inner.dst == DST6, "inner addresses")
        expect(inner[UDPerror].sport == orig and inner[UDPerror].dport == rport, "inner ports")
        expect(bytes(inner[UDPerror].payload) == data, "inner data")
        expect(len(out) <= 1280, "within the IPv6 minimum MTU")
        expect(l4_ok(out, 6), "outer checksum")
    return Case(f"4to6-error-{t4}/{c4}", "4to6", pkt, (router6, SRC6, 0, 0), (SRC6, DST6, orig, rport), check=check)


def gen_error_6to4():
    (t6, c6), (t4, c4) = rng.choice(list(ICMP6_TO_4.items()))
    pub, rport, orig = rng.randrange(1024, 65536), rng.randrange(1, 65536), rng.randrange(1, 65536)
    data = os.urandom(rng.randrange(0, 200))
    quoted = IPv6(src=DST6, dst=SRC6, hlim=rng.randrange(1, 64)) / UDP(sport=rport, dport=orig) / Raw(data)
    err = {1: ICMPv6DestUnreach, 3: ICMPv6TimeExceeded}[t6](code=c6)
    pkt = IPv6(src=SRC6, dst=DST6, hlim=64) / err / quoted

    def check(verdict, out, c):
        expect(verdict == "forward", f"verdict {verdict}")
        ip = IP(out)
        expect(ip.src == POOL4 and ip.dst == SERVER4 and ip.proto == 1, "outer")
        e = ip[ICMP]
        expect((e.type, e.code) == (t4, c4), f"type/code {(e.type, e.code)} != {(t4, c4)}")
        inner = ip[IPerror]
        expect(inner.src == SERVER4 and inner.dst == POOL4, "inner addresses")
        expect(inner[UDPerror].sport == rport and inner[UDPerror].dport == pub, "inner ports")
        expect(len(out) <= 576, "within 576 bytes")
        expect(l4_ok(out, 4), "outer checksum")
    return Case(f"6to4-error-{t6}/{c6}", "6to4", pkt, (POOL4, SERVER4, 0, 0), (SERVER4, POOL4, rport, pub), check=check)


def gen_ptb():
    if rng.random() < 0.5:
        mtu = rng.randrange(1280, 1500)
        quoted = IPv6(src=DST6, dst=SRC6) / UDP(sport=53, dport=4000) / Raw(os.urandom(100))
        pkt = IPv6(src="2001:db8:1::fe", dst=DST6) / ICMPv6PacketTooBig(mtu=mtu) / quoted

        def check(verdict, out, c):
            expect(verdict == "forward", f"verdict {verdict}")
            e = IP(out)[ICMP]
            expect(e.type == 3 and e.code == 4, "fragmentation needed")
            # RFC 7915 s5.2: MTU - 20, and no more than the IPv4 side allows
            expect(e.nexthopmtu == min(mtu - 20, 1500), f"mtu {e.nexthopmtu} for {mtu}")
            expect(l4_ok(out, 4), "checksum")
        return Case("6to4-ptb", "6to4", pkt, (POOL4, SERVER4, 0, 0), (SERVER4, POOL4, 53, 40000), check=check)
    mtu = rng.randrange(1000, 1500)
    quoted = IP(src=POOL4, dst=SERVER4, flags=2) / UDP(sport=40000, dport=53) / Raw(os.urandom(100))
    pkt = IP(src="203.0.113.1", dst=POOL4) / ICMP(type=3, code=4, nexthopmtu=mtu) / quoted

    def check(verdict, out, c):
        expect(verdict == "forward", f"verdict {verdict}")
        e = IPv6(out)[ICMPv6PacketTooBig]
        # RFC 7915 s4.2: min(MTU + 20, IPv6 next-hop MTU, IPv4 next-hop MTU + 20),
        # and never below the IPv6 minimum (RFC 8200 s5): a host then sends
        # 1280-byte packets, which leave as 1260-byte IPv4 with DF clear
        # (RFC 7915 s5.1), so the IPv4 router may fragment them.
        expect(e.mtu == max(1280, min(mtu + 20, 1500, 1500 + 20)), f"mtu {e.mtu} for {mtu}")
        expect(l4_ok(out, 6), "checksum")
    return Case("4to6-ptb", "4to6", pkt, ("64:ff9b::cb00:7101", SRC6, 0, 0), (SRC6, DST6, 4000, 53), check=check)


def main():
    driver = sys.argv[1]
    if not os.access(driver, os.X_OK):
        open(os.environ.get("RESULTS_FILE", "/dev/null"), "a").write("FAIL crosscheck:driver-missing\n")
        print(f"  FAIL crosscheck: no driver at {driver}")
        return 1
    gens = [gen_6to4_transport] * 4 + [gen_4to6_transport] * 4 + [gen_echo] * 2 + \
           [gen_error_4to6] * 2 + [gen_error_6to4] * 2 + [gen_ptb]
    cases = [rng.choice(gens)() for _ in range(int(os.environ.get("COUNT", "400")))]
    proc = subprocess.run([driver], input="\n".join(c.line() for c in cases) + "\n",
                          capture_output=True, text=True, timeout=120)
    lines = proc.stdout.splitlines()
    failures = {}
    for c, line in zip(cases, lines + [""] * (len(cases) - len(lines))):
        parts = line.split()
        verdict = parts[0] if parts else "no-output"
        out = bytes.fromhex(parts[1]) if len(parts) > 1 else b""
        try:
            c.check(verdict, out, c)
        except Exception as e:  # record and go on: one bad case must not hide others
            kind = c.name.split("-")[0] + "-" + c.name.split("-")[1]
            failures.setdefault(kind, []).append(f"{c.name}: {e}")
    kinds = sorted({c.name.split("-")[0] + "-" + c.name.split("-")[1] for c in cases})
    results = open(os.environ.get("RESULTS_FILE", "/dev/null"), "a")
    for k in kinds:
        n = sum(1 for c in cases if c.name.startswith(k))
        if k in failures:
            results.write(f"FAIL crosscheck:{k}\n")
            print(f"  FAIL crosscheck:{k} ({len(failures[k])}/{n} wrong), e.g. {failures[k][0]}")
        else:
            results.write(f"PASS crosscheck:{k}\n")
            print(f"  ok   crosscheck:{k} ({n} packets)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
