"""Packet-level test harness: nat64d runs on net_pcap ports, reads capture
files that scapy wrote and writes what it sent to capture files; each case
checks every field of the output with scapy (checksums recomputed by scapy,
never by nat64d's code) and the drop counters nat64d prints at exit."""
import json
import os
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


def base_config(tmp, one_arm=False, extra="", idle_ms=300):
    if one_arm:
        vdevs = f'"--vdev", "net_pcap0,rx_pcap={tmp}/in.pcap,tx_pcap={tmp}/out.pcap"'
        ports = 'mode = "one-arm"\ninside = "net_pcap0"\ninside_mac = "%s"' % BOX_MAC_IN
    else:
        vdevs = (f'"--vdev", "net_pcap0,rx_pcap={tmp}/in6.pcap,tx_pcap={tmp}/out6.pcap", '
                 f'"--vdev", "net_pcap1,rx_pcap={tmp}/in4.pcap,tx_pcap={tmp}/out4.pcap"')
        ports = ('inside = "net_pcap0"\noutside = "net_pcap1"\n'
                 f'inside_mac = "{BOX_MAC_IN}"\noutside_mac = "{BOX_MAC_OUT}"')
    return f"""
[eal]
args = ["--no-huge", "-m", "256", "--no-pci", "-l", "0-1", "--file-prefix", "nat64d-pkt-{os.getpid()}", {vdevs}, "--log-level", "lib.eal:error"]

[ports]
{ports}
mbufs = 4095

[addresses]
inside_ipv6 = "{BOX6}/64"
outside_ipv4 = "{BOX4}/24"
neighbours = ["{CLIENT6} {CLIENT_MAC}", "198.51.100.254 {SERVER_MAC}"]
gateway4 = "198.51.100.254"

[nat64]
prefix = "{PREFIX}"

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
    """One nat64d run over capture files."""

    def __init__(self, nat64d, inside=(), outside=(), one_arm=False, merged=(), extra="", idle_ms=300):
        self.tmp = tempfile.mkdtemp(prefix="nat64d-pkt.")
        if one_arm:
            wrpcap(f"{self.tmp}/in.pcap", list(merged), linktype=1)
        else:
            wrpcap(f"{self.tmp}/in6.pcap", list(inside), linktype=1)
            wrpcap(f"{self.tmp}/in4.pcap", list(outside), linktype=1)
        conf = f"{self.tmp}/nat64d.conf"
        with open(conf, "w") as f:
            f.write(base_config(self.tmp, one_arm, extra, idle_ms))
        p = subprocess.run([nat64d, "--config", conf], capture_output=True, text=True, timeout=60)
        self.log = p.stdout + p.stderr
        if p.returncode != 0:
            raise AssertionError(f"nat64d exited {p.returncode}:\n{self.log}")
        stats = [l for l in p.stdout.splitlines() if l.startswith("stats: ")]
        if not stats:
            raise AssertionError(f"nat64d printed no stats:\n{self.log}")
        self.stats = json.loads(stats[-1][len("stats: "):])
        if one_arm:
            self.out = list(rdpcap(f"{self.tmp}/out.pcap"))
            self.out6 = [p for p in self.out if IPv6 in p]
            self.out4 = [p for p in self.out if IP in p]
        else:
            self.out = list(rdpcap(f"{self.tmp}/out6.pcap")) + list(rdpcap(f"{self.tmp}/out4.pcap"))
            self.out6 = [p for p in self.out if IPv6 in p]
            self.out4 = [p for p in self.out if IP in p]

    def drops(self, name):
        return self.stats["drops"][name]


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
