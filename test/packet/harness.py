"""Packet-level test harness: nat64d runs on net_pcap ports, reads capture
files that scapy wrote and writes what it sent to capture files; each case
checks every field of the output with scapy (checksums recomputed by scapy,
never by nat64d's code) and the drop counters nat64d prints at exit."""
import json
import os
import shutil
import subprocess
import tempfile

from scapy.all import Ether, IP, IPv6, TCP, UDP, ICMP, rdpcap, wrpcap, raw  # noqa: F401

BOX_MAC_IN = "02:00:00:00:64:01"
BOX_MAC_OUT = "02:00:00:00:64:02"
CLIENT_MAC = "02:00:00:00:00:06"
SERVER_MAC = "02:00:00:00:00:04"
CLIENT6 = "2001:db8:1::2"
BOX6 = "2001:db8:1::1"
BOX4 = "198.51.100.1"
POOL4 = "198.51.100.1"
SERVER4 = "203.0.113.80"
PREFIX = "2001:db8:64::/96"   # network-specific: the lab's IPv4 addresses are documentation ones


def server6(ip4=SERVER4, prefix="2001:db8:64::"):
    a, b, c, d = (int(x) for x in ip4.split("."))
    return f"{prefix}{a << 8 | b:x}:{c << 8 | d:x}"


def base_config(tmp, one_arm=False, extra="", idle_ms=300, prefix=PREFIX, static_neighbours=True, workers=1,
                hosts=()):
    """workers > 1: each port gets one capture per queue (in{6,4,}-q<N>.pcap)."""
    def pcap_args(name, rx, tx):
        if workers == 1:
            return f"{name},rx_pcap={tmp}/{rx}.pcap,tx_pcap={tmp}/{tx}.pcap"
        qs = ",".join(f"rx_pcap={tmp}/{rx}-q{q}.pcap" for q in range(workers))
        qt = ",".join(f"tx_pcap={tmp}/{tx}-q{q}.pcap" for q in range(workers))
        return f"{name},{qs},{qt}"
    if one_arm:
        vdevs = f'"--vdev", "{pcap_args("net_pcap0", "in", "out")}"'
        ports = 'mode = "one-arm"\ninside = "net_pcap0"\ninside_mac = "%s"' % BOX_MAC_IN
    else:
        vdevs = (f'"--vdev", "{pcap_args("net_pcap0", "in6", "out6")}", '
                 f'"--vdev", "{pcap_args("net_pcap1", "in4", "out4")}"')
        ports = ('inside = "net_pcap0"\noutside = "net_pcap1"\n'
                 f'inside_mac = "{BOX_MAC_IN}"\noutside_mac = "{BOX_MAC_OUT}"')
    # Two CPUs here: the main lcore and the workers share them.
    lcores = "0-1" if workers == 1 else f"0@0,(1-{workers})@1"
    more = "".join(f', "{h} {CLIENT_MAC}"' for h in hosts)   # other inside hosts, behind the client's MAC
    neighbours = f'neighbours = ["{CLIENT6} {CLIENT_MAC}", "198.51.100.254 {SERVER_MAC}"{more}]' if static_neighbours else ""
    return f"""
[eal]
args = ["--no-huge", "-m", "256", "--no-pci", "--lcores", "{lcores}", "--file-prefix", "nat64d-pkt-{os.getpid()}", {vdevs}, "--log-level", "lib.eal:error"]

[ports]
{ports}
mbufs = 4095
workers = {workers}

[addresses]
inside_ipv6 = "{BOX6}/64"
outside_ipv4 = "{BOX4}/24"
{neighbours}
gateway4 = "198.51.100.254"

[nat64]
prefix = "{prefix}"

[pool]
addresses = ["{POOL4}"]
seed = 7

[limits]
max_flows = 65536

[control]
pidfile = "{tmp}/nat64d.pid"
socket = "{tmp}/nat64d.sock"
exit_when_idle_ms = {idle_ms}
{extra}
"""


class Run:
    """One nat64d run over capture files. With workers > 1, inside/outside/merged
    are lists of per-queue frame lists."""

    def __init__(self, nat64d, inside=(), outside=(), one_arm=False, merged=(), extra="", idle_ms=300,
                 prefix=PREFIX, static_neighbours=True, workers=1, hosts=()):
        self.tmp = tempfile.mkdtemp(prefix="nat64d-pkt.")
        try:
            self._run(nat64d, inside, outside, one_arm, merged, extra, idle_ms, prefix, static_neighbours, workers,
                      hosts)
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def _run(self, nat64d, inside, outside, one_arm, merged, extra, idle_ms, prefix, static_neighbours, workers,
             hosts):
        def write(name, frames):
            if workers == 1:
                wrpcap(f"{self.tmp}/{name}.pcap", list(frames), linktype=1)
            else:
                for q in range(workers):
                    wrpcap(f"{self.tmp}/{name}-q{q}.pcap", list(frames[q]) if q < len(frames) else [], linktype=1)
        if one_arm:
            write("in", merged)
        else:
            write("in6", inside)
            write("in4", outside)
        conf = f"{self.tmp}/nat64d.conf"
        with open(conf, "w") as f:
            f.write(base_config(self.tmp, one_arm, extra, idle_ms, prefix, static_neighbours, workers, hosts))
        p = subprocess.run([nat64d, "--config", conf], capture_output=True, text=True, timeout=60)
        self.log = p.stdout + p.stderr
        if p.returncode != 0:
            raise AssertionError(f"nat64d exited {p.returncode}:\n{self.log}")
        stats = [l for l in p.stdout.splitlines() if l.startswith("stats: ")]
        if not stats:
            raise AssertionError(f"nat64d printed no stats:\n{self.log}")
        self.stats = json.loads(stats[-1][len("stats: "):])
        # nat64d stops once it saw no frame for idle_ms: prove it stopped
        # because the captures were done, not early (every frame was received).
        def count(frames):
            return len(frames) if workers == 1 else sum(len(q) for q in frames)
        sent = count(merged) if one_arm else count(inside) + count(outside)
        got = sum(w["rx_inside"]["packets"] + w["rx_outside"]["packets"] for w in self.stats["workers"])
        if got != sent:
            raise AssertionError(f"nat64d received {got} of the {sent} input frames:\n{self.log}")
        def read(name):
            if workers == 1:
                return list(rdpcap(f"{self.tmp}/{name}.pcap"))
            return [p for q in range(workers) for p in rdpcap(f"{self.tmp}/{name}-q{q}.pcap")]
        self.out = read("out") if one_arm else read("out6") + read("out4")
        self.out6 = [p for p in self.out if IPv6 in p]
        self.out4 = [p for p in self.out if IP in p]

    def drops(self, name):
        return self.stats["drops"][name]

    def total(self, counter):
        """A per-worker counter summed over the workers (packets, for a direction)."""
        return sum(w[counter]["packets"] if isinstance(w[counter], dict) else w[counter]
                   for w in self.stats["workers"])


def from_client(l4, src=CLIENT6, dst=None, hlim=64, **ip6):
    return Ether(src=CLIENT_MAC, dst=BOX_MAC_IN) / IPv6(src=src, dst=dst or server6(), hlim=hlim, **ip6) / l4


def from_server(l4, src=SERVER4, dst=POOL4, ttl=64, **ip4):
    return Ether(src=SERVER_MAC, dst=BOX_MAC_OUT) / IP(src=src, dst=dst, ttl=ttl, **ip4) / l4


def checksums_ok(pkt):
    """Recomputes every checksum with scapy and compares with what is on the wire."""
    wire = raw(pkt)
    p = Ether(wire)
    for layer in (IP, TCP, UDP, ICMP):
        if layer in p:
            del p[layer].chksum
    from scapy.layers.inet6 import ICMPv6EchoRequest, ICMPv6EchoReply, ICMPv6DestUnreach, \
        ICMPv6PacketTooBig, ICMPv6TimeExceeded, ICMPv6ParamProblem
    for layer in (ICMPv6EchoRequest, ICMPv6EchoReply, ICMPv6DestUnreach, ICMPv6PacketTooBig,
                  ICMPv6TimeExceeded, ICMPv6ParamProblem):
        if layer in p:
            del p[layer].cksum
    return raw(Ether(raw(p))) == wire


def expect(cond, msg):
    if not cond:
        raise AssertionError(msg)
