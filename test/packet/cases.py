"""Packet-level cases: one behaviour each, every output field checked."""
from scapy.all import Ether, IP, IPv6, TCP, UDP, ICMP, Raw, raw
from scapy.layers.inet6 import ICMPv6EchoRequest, ICMPv6EchoReply, ICMPv6TimeExceeded, \
    IPv6ExtHdrRouting, IPv6ExtHdrFragment, ICMPv6ND_NS, ICMPv6ND_NA, ICMPv6NDOptSrcLLAddr
from scapy.layers.l2 import ARP

from harness import (Run, from_client, from_server, server6, checksums_ok, expect, BOX_MAC_IN,
                     BOX_MAC_OUT, CLIENT_MAC, SERVER_MAC, CLIENT6, BOX6, BOX4, POOL4, SERVER4)

CASES = []


def case(fn):
    CASES.append(fn)
    return fn


def payload(n, seed=0):
    return bytes((i * 31 + seed) & 0xFF for i in range(n))


@case
def udp_6to4_fields(nat64d):
    data = payload(100)
    r = Run(nat64d, inside=[from_client(UDP(sport=5000, dport=53) / Raw(data), tc=0x28)])
    expect(len(r.out4) == 1, f"one IPv4 packet out, got {len(r.out4)}")
    p = r.out4[0]
    expect(p[Ether].src == BOX_MAC_OUT and p[Ether].dst == SERVER_MAC, f"ethernet {p[Ether].src}->{p[Ether].dst}")
    ip = p[IP]
    expect(ip.src == POOL4 and ip.dst == SERVER4, f"addresses {ip.src}->{ip.dst}")
    expect(ip.ttl == 63, f"ttl {ip.ttl}")
    expect(ip.tos == 0x28, f"tos {ip.tos}")
    expect(ip.proto == 17 and ip.len == 20 + 8 + 100, f"proto {ip.proto} len {ip.len}")
    expect(ip.flags == 0 and ip.frag == 0, f"flags {ip.flags} frag {ip.frag}")
    expect(ip[UDP].dport == 53 and 1024 <= ip[UDP].sport, f"ports {ip[UDP].sport}->{ip[UDP].dport}")
    expect(bytes(ip[UDP].payload) == data, "payload intact")
    expect(checksums_ok(p), "checksums recompute to the same values")
    expect(r.stats["workers"][0]["flows_created"] == 1, "one flow created")


@case
def udp_roundtrip_one_arm(nat64d):
    out = from_client(UDP(sport=40000, dport=7) / Raw(b"ping"))
    # The reply needs the public port nat64d chose: run once to learn it (the
    # seed makes the choice repeatable), then run the exchange in order.
    first = Run(nat64d, one_arm=True, merged=[out])
    pub = first.out4[0][UDP].sport
    back = Ether(src=SERVER_MAC, dst=BOX_MAC_IN) / IP(src=SERVER4, dst=POOL4, ttl=50) / UDP(sport=7, dport=pub) / Raw(b"pong")
    r = Run(nat64d, one_arm=True, merged=[out, back])
    expect(r.out4 and r.out4[0][UDP].sport == pub, "same port chosen with the same seed")
    expect(len(r.out6) == 1, f"one IPv6 packet back, got {len(r.out6)}")
    p = r.out6[0]
    expect(p[Ether].dst == CLIENT_MAC and p[Ether].src == BOX_MAC_IN, "ethernet to the client")
    ip6 = p[IPv6]
    expect(ip6.src == server6() and ip6.dst == CLIENT6, f"addresses {ip6.src}->{ip6.dst}")
    expect(ip6.hlim == 49, f"hop limit {ip6.hlim}")
    expect(ip6[UDP].sport == 7 and ip6[UDP].dport == 40000, "ports restored")
    expect(bytes(ip6[UDP].payload) == b"pong", "payload intact")
    expect(checksums_ok(p), "checksums")


@case
def tcp_syn_6to4_and_state(nat64d):
    r = Run(nat64d, inside=[from_client(TCP(sport=33000, dport=80, flags="S", seq=1000, options=[("MSS", 1440)]))])
    expect(len(r.out4) == 1, "SYN translated")
    t = r.out4[0][TCP]
    expect(t.flags == "S" and t.seq == 1000 and t.dport == 80, "TCP header intact")
    expect(dict(t.options).get("MSS") == 1440, "options intact")
    expect(checksums_ok(r.out4[0]), "checksums")


@case
def icmp_echo_roundtrip_one_arm(nat64d):
    req = from_client(ICMPv6EchoRequest(id=0x1234, seq=9, data=payload(56)))
    first = Run(nat64d, one_arm=True, merged=[req])
    expect(len(first.out4) == 1, "echo request translated")
    e = first.out4[0][ICMP]
    expect(e.type == 8 and e.code == 0 and e.seq == 9, f"type {e.type} seq {e.seq}")
    expect(bytes(e.payload) == payload(56), "echo data intact")
    expect(checksums_ok(first.out4[0]), "checksums")
    rep = Ether(src=SERVER_MAC, dst=BOX_MAC_IN) / IP(src=SERVER4, dst=POOL4) / ICMP(type=0, id=e.id, seq=9) / Raw(payload(56))
    r = Run(nat64d, one_arm=True, merged=[req, rep])
    expect(len(r.out6) == 1, f"echo reply translated back, got {len(r.out6)}")
    back = r.out6[0]
    expect(ICMPv6EchoReply in back and back[ICMPv6EchoReply].id == 0x1234, "identifier restored")
    expect(back[ICMPv6EchoReply].data == payload(56), "data intact")
    expect(checksums_ok(back), "checksums")


@case
def hop_limit_1_answered_with_time_exceeded(nat64d):
    r = Run(nat64d, inside=[from_client(UDP(sport=5001, dport=33434) / Raw(b"x" * 20), hlim=1)])
    expect(len(r.out4) == 0, "nothing forwarded")
    expect(len(r.out6) == 1, f"one ICMPv6 error back, got {len(r.out6)}")
    p = r.out6[0]
    expect(ICMPv6TimeExceeded in p and p[ICMPv6TimeExceeded].code == 0, "time exceeded in transit")
    expect(p[IPv6].src == BOX6 and p[IPv6].dst == CLIENT6, "from the box to the client")
    expect(checksums_ok(p), "checksums")
    expect(r.drops("drop_ttl_expired") == 1, "counted as drop_ttl_expired")


@case
def unsolicited_ipv4_dropped_no_mapping(nat64d):
    r = Run(nat64d, outside=[from_server(UDP(sport=53, dport=4444) / Raw(b"q"), dst=POOL4)])
    expect(len(r.out6) == 0, "nothing translated")
    expect(r.drops("drop_udp_no_mapping") == 1, "counted as drop_udp_no_mapping")
    errs = [p for p in r.out4 if ICMP in p]
    expect(len(errs) == 1 and errs[0][ICMP].type == 3 and errs[0][ICMP].code == 3, "port unreachable back")
    expect(errs[0][IP].src == BOX4 and errs[0][IP].dst == SERVER4 and checksums_ok(errs[0]), "from the box, checksums")


@case
def icmp_errors_are_rate_limited(nat64d):
    # RFC 4443 s2.4(f): the box's own errors are rate-limited; the rest are counted.
    pkts = [from_client(UDP(sport=5100 + i, dport=33434) / Raw(b"t"), hlim=1) for i in range(5)]
    r = Run(nat64d, inside=pkts, extra="[limits]\nicmp_errors_per_s = 2")
    expect(len(r.out6) == 2, f"two Time Exceeded sent, got {len(r.out6)}")
    limited = sum(w["icmp_errors_rate_limited"] for w in r.stats["workers"])
    expect(limited == 3 and r.drops("drop_ttl_expired") == 5, f"the rest counted: {limited} rate-limited")


@case
def routing_header_with_segments_left_dropped(nat64d):
    pkt = from_client(IPv6ExtHdrRouting(addresses=["2001:db8::9"], segleft=1) / UDP(sport=1, dport=2))
    r = Run(nat64d, inside=[pkt, from_client(UDP(sport=5002, dport=53) / Raw(b"ok"))])
    expect(len(r.out4) == 1, "the good packet still goes through")
    expect(r.drops("drop_segments_left") == 1, "counted as drop_segments_left")


@case
def truncated_ipv6_dropped_malformed(nat64d):
    good = from_client(UDP(sport=5003, dport=53) / Raw(b"ok"))
    bad = Ether(raw(from_client(UDP(sport=5004, dport=53) / Raw(b"x" * 40)))[:14 + 40 + 4])
    r = Run(nat64d, inside=[bad, good])
    expect(len(r.out4) == 1, "the good packet still goes through")
    expect(r.drops("drop_malformed") == 1, "counted as drop_malformed")


@case
def outside_prefix_dropped(nat64d):
    r = Run(nat64d, inside=[from_client(UDP(sport=5005, dport=53), dst="2001:db8:99::1")])
    expect(r.drops("drop_not_in_prefix") == 1, "counted as drop_not_in_prefix")


@case
def arp_for_pool_answered(nat64d):
    req = Ether(src=SERVER_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=SERVER_MAC, psrc=SERVER4, pdst=POOL4)
    r = Run(nat64d, outside=[req])
    expect(len(r.out4) == 0 and len(r.out6) == 0, "no IP out")
    out = [p for p in r.out if ARP in p]
    expect(len(out) == 1 and ARP in out[0], f"one ARP reply, got {len(out)}")
    a = out[0][ARP]
    expect(a.op == 2 and a.psrc == POOL4 and a.hwsrc == BOX_MAC_OUT and a.pdst == SERVER4 and a.hwdst == SERVER_MAC,
           f"reply {a.summary()}")
    expect(out[0][Ether].dst == SERVER_MAC, "unicast to the asker")


@case
def neighbour_solicitation_answered(nat64d):
    ns = Ether(src=CLIENT_MAC, dst="33:33:ff:00:00:01") / IPv6(src=CLIENT6, dst="ff02::1:ff00:1", hlim=255) / \
        ICMPv6ND_NS(tgt=BOX6) / ICMPv6NDOptSrcLLAddr(lladdr=CLIENT_MAC)
    r = Run(nat64d, inside=[ns])
    expect(len(r.out6) == 1, f"one advertisement, got {len(r.out6)}")
    na = r.out6[0]
    expect(ICMPv6ND_NA in na and na[ICMPv6ND_NA].tgt == BOX6, "NA for our address")
    expect(na[ICMPv6ND_NA].S == 1 and na[ICMPv6ND_NA].O == 1, "solicited, override")
    expect(na[IPv6].dst == CLIENT6 and na[Ether].dst == CLIENT_MAC and na[IPv6].hlim == 255, "to the solicitor")
    expect(checksums_ok(na), "checksums")


@case
def ping_to_box_answered(nat64d):
    r = Run(nat64d, inside=[Ether(src=CLIENT_MAC, dst=BOX_MAC_IN) / IPv6(src=CLIENT6, dst=BOX6) /
                            ICMPv6EchoRequest(id=7, seq=1, data=b"hello")],
            outside=[from_server(ICMP(type=8, id=8, seq=1) / Raw(b"hello4"), dst=BOX4)])
    expect(len(r.out6) == 1 and ICMPv6EchoReply in r.out6[0], "IPv6 echo reply")
    expect(r.out6[0][ICMPv6EchoReply].data == b"hello" and checksums_ok(r.out6[0]), "IPv6 reply intact")
    expect(len(r.out4) == 1 and r.out4[0][ICMP].type == 0, "IPv4 echo reply")
    expect(bytes(r.out4[0][ICMP].payload) == b"hello4" and checksums_ok(r.out4[0]), "IPv4 reply intact")


@case
def many_flows_keep_their_mappings(nat64d):
    # 200 flows from 20 hosts: each (address, port) keeps one public port, and
    # distinct sources never share one (endpoint-independent mapping, RFC 6146 s3.5.1.1).
    pkts = []
    for h in range(20):
        for p in range(10):
            for dst in ("203.0.113.80", "203.0.113.81"):
                pkts.append(from_client(UDP(sport=20000 + p, dport=53) / Raw(b"m"), src=f"2001:db8:1::{h + 10:x}",
                                        dst=server6(dst)))
    r = Run(nat64d, inside=pkts)
    expect(len(r.out4) == 400, f"400 out, got {len(r.out4)}")
    seen = {}
    for i, p in enumerate(r.out4):
        src = pkts[i][IPv6].src, pkts[i][UDP].sport
        seen.setdefault(src, set()).add(p[UDP].sport)
    expect(all(len(v) == 1 for v in seen.values()), "one public port per IPv6 transport address")
    ports = [next(iter(v)) for v in seen.values()]
    expect(len(set(ports)) == len(ports), "no two sources share a public port")
    expect(r.stats["flows"]["mappings"] == 200 and r.stats["flows"]["sessions"] == 400, f"flows {r.stats['flows']}")


def _public_port(nat64d, pkt):
    """The public port nat64d picks for pkt's source (deterministic with the seed)."""
    r = Run(nat64d, one_arm=True, merged=[pkt])
    expect(len(r.out4) == 1, "first packet translated")
    p = r.out4[0]
    return p[UDP].sport if UDP in p else p[TCP].sport if TCP in p else p[ICMP].id


NEIGHBOURS_EXTRA = f'\n[addresses]\nneighbours = ["2001:db8:1::5 {CLIENT_MAC}", "2001:db8:1::a {CLIENT_MAC}", "2001:db8:1::b {CLIENT_MAC}"]\n'
STATIC_EXTRA = '[static]\nbib = ["tcp 2001:db8:1::5#80 198.51.100.1#8080", "udp 2001:db8:1::5#53 198.51.100.1#5353"]'


@case
def static_bib_port_forward(nat64d):
    # RFC 6146 s3.5.1.1: an outside host opens a connection to a static mapping.
    syn = Ether(src=SERVER_MAC, dst=BOX_MAC_IN) / IP(src=SERVER4, dst=POOL4, ttl=40) / \
        TCP(sport=51000, dport=8080, flags="S", seq=77)
    r = Run(nat64d, one_arm=True, merged=[syn], extra=STATIC_EXTRA + NEIGHBOURS_EXTRA)
    expect(len(r.out6) == 1, f"SYN forwarded to the IPv6 server, got {len(r.out6)}")
    p = r.out6[0]
    expect(p[IPv6].dst == "2001:db8:1::5" and p[IPv6].src == server6(), f"addresses {p[IPv6].src}->{p[IPv6].dst}")
    expect(p[TCP].dport == 80 and p[TCP].sport == 51000 and p[TCP].seq == 77, "ports and sequence")
    expect(p[IPv6].hlim == 39 and checksums_ok(p), "hop limit and checksums")
    # and the server's answer leaves from the static public port
    synack = Ether(src=CLIENT_MAC, dst=BOX_MAC_IN) / IPv6(src="2001:db8:1::5", dst=server6()) / \
        TCP(sport=80, dport=51000, flags="SA", seq=900, ack=78)
    r = Run(nat64d, one_arm=True, merged=[syn, synack], extra=STATIC_EXTRA + NEIGHBOURS_EXTRA)
    expect(len(r.out4) == 1 and r.out4[0][TCP].sport == 8080 and r.out4[0][IP].src == POOL4, "reply from 198.51.100.1:8080")
    expect(checksums_ok(r.out4[0]), "checksums")


@case
def static_ports_never_handed_out_and_exhaustion_counted(nat64d):
    # 20 dynamic UDP ports, one of them (5353) reserved by a static entry: 19
    # flows get ports, never 5353; the rest are refused and counted.
    pkts = [from_client(UDP(sport=30000 + i, dport=53) / Raw(b"s"), src="2001:db8:1::7") for i in range(25)]
    extra = '[static]\nbib = ["udp 2001:db8:1::5#53 198.51.100.1#5353"]\n[pool]\nudp_ports = "5340-5359"'
    r = Run(nat64d, inside=pkts, extra=extra)
    ports = [p[UDP].sport for p in r.out4]
    expect(len(ports) == 19 and len(set(ports)) == 19, f"19 distinct ports, got {len(ports)}")
    expect(5353 not in ports and all(5340 <= p <= 5359 for p in ports), f"in range, 5353 excluded: {sorted(ports)}")
    expect(r.drops("drop_ports_exhausted") == 6, f"6 refused: {r.drops('drop_ports_exhausted')}")


@case
def endpoint_independent_filtering_accepts_new_remote(nat64d):
    out = from_client(UDP(sport=41000, dport=3478) / Raw(b"stun"))
    pub = _public_port(nat64d, out)
    other = Ether(src=SERVER_MAC, dst=BOX_MAC_IN) / IP(src="203.0.113.99", dst=POOL4) / UDP(sport=9999, dport=pub) / Raw(b"hi")
    r = Run(nat64d, one_arm=True, merged=[out, other])
    expect(len(r.out6) == 1 and r.out6[0][IPv6].src == server6("203.0.113.99"), "a new remote reaches the mapping")
    expect(r.out6[0][UDP].dport == 41000 and checksums_ok(r.out6[0]), "to the mapped IPv6 port")


@case
def address_dependent_filtering_refuses_new_remote(nat64d):
    # RFC 4787 address-dependent filtering: the server the host sent to may
    # answer from another port; a host it never sent to is refused with ICMP 3/13.
    out = from_client(UDP(sport=41001, dport=3478) / Raw(b"stun"))
    pub = _public_port(nat64d, out)
    other_port = Ether(src=SERVER_MAC, dst=BOX_MAC_IN) / IP(src=SERVER4, dst=POOL4) / UDP(sport=3479, dport=pub) / Raw(b"ok")
    stranger = Ether(src=SERVER_MAC, dst=BOX_MAC_IN) / IP(src="203.0.113.99", dst=POOL4) / UDP(sport=9999, dport=pub) / Raw(b"no")
    r = Run(nat64d, one_arm=True, merged=[out, stranger, other_port], extra='[nat64]\nfiltering = "address-dependent"')
    expect(len(r.out6) == 1 and bytes(r.out6[0][UDP].payload) == b"ok", f"only the known address passes, got {len(r.out6)}")
    expect(r.out6[0][UDP].sport == 3479 and r.out6[0][UDP].dport == 41001, "from its other port, to the host")
    expect(r.drops("drop_filtered") == 1, "counted as drop_filtered")
    errs = [p for p in r.out4 if ICMP in p and p[ICMP].type == 3]
    expect(len(errs) == 1 and errs[0][ICMP].code == 13 and errs[0][IP].dst == "203.0.113.99",
           f"administratively prohibited to the stranger: {[p.summary() for p in r.out4]}")
    expect(checksums_ok(errs[0]), "checksums")


@case
def hairpinning_between_two_clients(nat64d):
    # Client B has a mapping; client A reaches B's public address through the prefix (RFC 6146 s3.8).
    b_out = from_client(UDP(sport=42000, dport=3478) / Raw(b"b"), src="2001:db8:1::b")
    pub_b = _public_port(nat64d, b_out)
    a_to_b = from_client(UDP(sport=43000, dport=pub_b) / Raw(b"hello b"), src="2001:db8:1::a", dst=server6(POOL4))
    r = Run(nat64d, one_arm=True, merged=[b_out, a_to_b], extra=NEIGHBOURS_EXTRA)
    hair = [p for p in r.out6 if p[IPv6].dst == "2001:db8:1::b"]
    expect(len(hair) == 1, f"A's packet arrives at B, got {[p.summary() for p in r.out6]}")
    p = hair[0]
    expect(p[UDP].dport == 42000 and bytes(p[UDP].payload) == b"hello b", "to B's own port, data intact")
    expect(p[IPv6].src == server6(POOL4), "from A's public transport address, as B would see any peer")
    expect(checksums_ok(p), "checksums")


def _fragments6(payload_len, ident, sport=44000):
    from scapy.layers.inet6 import fragment6
    whole = IPv6(src=CLIENT6, dst=server6()) / IPv6ExtHdrFragment(id=ident) / UDP(sport=sport, dport=9) / \
        Raw(payload(payload_len, 3))
    return [Ether(src=CLIENT_MAC, dst=BOX_MAC_IN) / f for f in fragment6(whole, 600)]


@case
def ipv6_fragments_out_of_order_follow_first(nat64d):
    frags = _fragments6(1400, 0xABCD)
    expect(len(frags) == 3, f"three fragments, got {len(frags)}")
    order = [frags[2], frags[0], frags[1]]          # the last one first
    r = Run(nat64d, inside=order)
    expect(len(r.out4) == 3, f"all three translated, got {len(r.out4)}")
    ids = {p[IP].id for p in r.out4}
    expect(len(ids) == 1 and ids == {0xABCD}, f"one IPv4 identification from the IPv6 one: {ids}")
    from scapy.all import defragment
    whole = defragment([p[IP] for p in r.out4])
    expect(len(whole) == 1 and UDP in whole[0], "reassembles to one datagram")
    d = whole[0]
    expect(bytes(d[UDP].payload) == payload(1400, 3), "payload intact after reassembly")
    expect(d[IP].src == POOL4 and d[UDP].dport == 9, "translated addresses and ports")
    expect(checksums_ok(Ether() / d), "UDP checksum right over the whole datagram")


@case
def ipv4_without_df_larger_than_1280_is_fragmented(nat64d):
    out = from_client(UDP(sport=45000, dport=9) / Raw(b"q"))
    pub = _public_port(nat64d, out)
    data = payload(1400, 9)
    big = Ether(src=SERVER_MAC, dst=BOX_MAC_IN) / IP(src=SERVER4, dst=POOL4, flags=0, id=0x1357) / UDP(sport=9, dport=pub) / Raw(data)
    r = Run(nat64d, one_arm=True, merged=[out, big])
    expect(len(r.out6) >= 2 and all(IPv6ExtHdrFragment in p for p in r.out6), f"fragments, got {len(r.out6)}")
    expect(all(len(raw(p[IPv6])) <= 1280 for p in r.out6), "each at most 1280 bytes (RFC 7915 s4.1)")
    frags = sorted(r.out6, key=lambda p: p[IPv6ExtHdrFragment].offset)
    expect(len({p[IPv6ExtHdrFragment].id for p in frags}) == 1, "one identification")
    expect(frags[0][IPv6ExtHdrFragment].id & 0xFFFF == 0x1357, "from the IPv4 identification (RFC 7915 s4.1)")
    expect([p[IPv6ExtHdrFragment].m for p in frags] == [1] * (len(frags) - 1) + [0], "more-fragments flags")
    body, expected_off = b"", 0
    for p in frags:
        expect(p[IPv6ExtHdrFragment].offset * 8 == expected_off, "contiguous offsets")
        chunk = raw(p[IPv6ExtHdrFragment].payload)
        body += chunk
        expected_off += len(chunk)
    u = UDP(body)
    expect(u.dport == 45000 and bytes(u.payload) == data, "reassembles to the datagram")
    whole = IPv6(src=frags[0][IPv6].src, dst=frags[0][IPv6].dst, nh=17) / u
    expect(checksums_ok(Ether() / whole), "UDP checksum right over the reassembled datagram")


@case
def ipv4_df_too_big_gets_fragmentation_needed(nat64d):
    out = from_client(TCP(sport=46000, dport=80, flags="S"))
    pub = _public_port(nat64d, out)
    big = Ether(src=SERVER_MAC, dst=BOX_MAC_IN) / IP(src=SERVER4, dst=POOL4, flags="DF") / \
        TCP(sport=80, dport=pub, flags="A") / Raw(payload(1460))
    r = Run(nat64d, one_arm=True, merged=[out, big])
    # 1500-byte IPv4 + 20 > the 1500-byte inside MTU: RFC 7915 s4 / RFC 1191 say Fragmentation Needed, MTU 1480.
    errs = [p for p in r.out4 if ICMP in p and p[ICMP].type == 3]
    expect(len(errs) == 1 and errs[0][ICMP].code == 4, f"fragmentation needed, got {[p.summary() for p in r.out4]}")
    expect(errs[0][ICMP].nexthopmtu == 1480 and errs[0][IP].dst == SERVER4, "MTU 1480 to the sender")
    expect(checksums_ok(errs[0]), "checksums")
    expect(r.drops("drop_packet_too_big") == 1, "counted")


@case
def icmpv4_error_reaches_the_right_host(nat64d):
    out = from_client(UDP(sport=47000, dport=33434) / Raw(b"probe"))
    pub = _public_port(nat64d, out)
    quoted = IP(src=POOL4, dst=SERVER4, ttl=1) / UDP(sport=pub, dport=33434) / Raw(b"probe")
    err = Ether(src=SERVER_MAC, dst=BOX_MAC_IN) / IP(src="203.0.113.1", dst=POOL4) / ICMP(type=11, code=0) / raw(quoted)
    r = Run(nat64d, one_arm=True, merged=[out, err])
    expect(len(r.out6) == 1, f"error translated, got {len(r.out6)}")
    p = r.out6[0]
    expect(ICMPv6TimeExceeded in p and p[IPv6].dst == CLIENT6 and p[IPv6].src == server6("203.0.113.1"), "time exceeded to the client")
    from scapy.layers.inet6 import IPerror6
    from scapy.all import UDPerror
    expect(p[IPerror6].src == CLIENT6 and p[IPerror6].dst == server6(), "quoted packet is the client's own")
    expect(p[UDPerror].sport == 47000 and p[UDPerror].dport == 33434, "quoted ports restored")
    expect(checksums_ok(p), "checksums")


@case
def vlan_tags_per_port(nat64d):
    # 802.1Q: the inside takes only VID 100 and strips it; the outside sends VID 200.
    from scapy.all import Dot1Q
    tagged = Ether(src=CLIENT_MAC, dst=BOX_MAC_IN) / Dot1Q(vlan=100) / IPv6(src=CLIENT6, dst=server6()) / \
        UDP(sport=48000, dport=53) / Raw(b"tagged")
    untagged = from_client(UDP(sport=48001, dport=53) / Raw(b"untagged"))
    wrong = Ether(src=CLIENT_MAC, dst=BOX_MAC_IN) / Dot1Q(vlan=101) / IPv6(src=CLIENT6, dst=server6()) / \
        UDP(sport=48002, dport=53) / Raw(b"wrong vlan")
    r = Run(nat64d, inside=[untagged, tagged, wrong], extra="[ports]\ninside_vlan = 100\noutside_vlan = 200")
    expect(len(r.out4) == 1, f"only the VID 100 frame is translated, got {len(r.out4)}")
    p = r.out4[0]
    expect(Dot1Q in p and p[Dot1Q].vlan == 200 and p[Dot1Q].type == 0x0800, "leaves tagged VID 200")
    expect(bytes(p[UDP].payload) == b"tagged" and checksums_ok(p), "payload and checksums")
    expect(r.drops("drop_not_for_us") == 2, "untagged and wrong-VID frames counted")


@case
def ipv4_fragments_out_of_order_follow_first(nat64d):
    out = from_client(UDP(sport=49000, dport=9) / Raw(b"q"))
    pub = _public_port(nat64d, out)
    from scapy.all import fragment
    data = payload(1000, 5)
    whole = IP(src=SERVER4, dst=POOL4, id=0x2468, flags=0) / UDP(sport=9, dport=pub) / Raw(data)
    frags = [Ether(src=SERVER_MAC, dst=BOX_MAC_IN) / f for f in fragment(whole, fragsize=400)]
    expect(len(frags) == 3, f"three fragments, got {len(frags)}")
    r = Run(nat64d, one_arm=True, merged=[out, frags[1], frags[2], frags[0]])
    got = [p for p in r.out6 if IPv6ExtHdrFragment in p]
    expect(len(got) == 3, f"all three translated with fragment headers, got {len(r.out6)}")
    expect({p[IPv6ExtHdrFragment].id for p in got} == {0x2468}, "identification carried over (RFC 7915 s4.1)")
    body = b"".join(raw(p[IPv6ExtHdrFragment].payload) for p in sorted(got, key=lambda p: p[IPv6ExtHdrFragment].offset))
    u = UDP(body)
    expect(u.dport == 49000 and bytes(u.payload) == data, "reassembles to the datagram for the client")
    expect(all(p[IPv6].dst == CLIENT6 for p in got), "every fragment to the client")
    whole6 = IPv6(src=got[0][IPv6].src, dst=CLIENT6, nh=17) / u
    expect(checksums_ok(Ether() / whole6), "UDP checksum right over the reassembled datagram")


ADF_SHORT_SYN = '[nat64]\nfiltering = "address-dependent"\n[timeouts]\nallow_short = true\ntcp_incoming_syn = 1'


@case
def adf_unsolicited_syn_held_then_port_unreachable(nat64d):
    # RFC 6146 s3.5.2.2: under address-dependent filtering an unsolicited IPv4
    # SYN waits TCP_INCOMING_SYN (1 s here) for an IPv6 SYN; none comes, so the
    # sender gets ICMP Port Unreachable quoting its SYN.
    out = from_client(TCP(sport=50000, dport=80, flags="S", seq=1))
    pub = _public_port(nat64d, out)
    syn = Ether(src=SERVER_MAC, dst=BOX_MAC_IN) / IP(src="203.0.113.99", dst=POOL4) / \
        TCP(sport=6000, dport=pub, flags="S", seq=4242)
    r = Run(nat64d, one_arm=True, merged=[out, syn], extra=ADF_SHORT_SYN, idle_ms=2500)
    expect(not any(p[IPv6].dst == CLIENT6 for p in r.out6), "the SYN never reaches the client")
    errs = [p for p in r.out4 if ICMP in p]
    expect(len(errs) == 1 and errs[0][ICMP].type == 3 and errs[0][ICMP].code == 3,
           f"one port unreachable, got {[p.summary() for p in r.out4]}")
    from scapy.all import TCPerror
    expect(errs[0][IP].dst == "203.0.113.99" and errs[0][TCPerror].seq == 4242, "quoting the held SYN, to its sender")
    expect(checksums_ok(errs[0]) and r.drops("drop_incoming_syn_timeout") == 1, "checksums, counted")


@case
def adf_simultaneous_open_discards_held_syn(nat64d):
    # The IPv6 host sends its own SYN to that remote within the wait: a
    # simultaneous open; the held SYN is dropped and no ICMP error is sent.
    out = from_client(TCP(sport=50001, dport=80, flags="S", seq=1))
    pub = _public_port(nat64d, out)
    syn4 = Ether(src=SERVER_MAC, dst=BOX_MAC_IN) / IP(src="203.0.113.99", dst=POOL4) / \
        TCP(sport=6001, dport=pub, flags="S", seq=77)
    syn6 = from_client(TCP(sport=50001, dport=6001, flags="S", seq=88), dst=server6("203.0.113.99"))
    # Frames for another host keep the two SYNs out of one 32-packet burst, so
    # the IPv4 SYN is judged before the IPv6 one opens the way.
    filler = [Ether(src=SERVER_MAC, dst="02:00:00:00:99:99") / IP(src=SERVER4, dst=POOL4) / UDP()] * 40
    r = Run(nat64d, one_arm=True, merged=[out, syn4] + filler + [syn6], extra=ADF_SHORT_SYN, idle_ms=2500)
    to_remote = [p for p in r.out4 if TCP in p and p[IP].dst == "203.0.113.99"]
    expect(len(to_remote) == 1 and to_remote[0][TCP].sport == pub and to_remote[0][TCP].seq == 88,
           "the IPv6 SYN leaves from the same public port")
    expect(not [p for p in r.out4 if ICMP in p], "no ICMP error")
    expect(r.drops("drop_incoming_syn_superseded") == 1, "the held SYN counted when dropped")
