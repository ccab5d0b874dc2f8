"""Conformance cases: a burst behaves as its packets in arrival order, the ICMP
answers and input checks of RFC 7915, RFC 6146, RFC 6052, RFC 8200 and RFC 5722,
port allocation (RFC 6146 s3.5.1.1), and what a refused packet must not leave
behind. Dependent packets sit back to back in one capture, so they share a burst."""
from scapy.all import Ether, IP, IPv6, TCP, UDP, ICMP, Raw, raw, defragment
from scapy.layers.inet import IPOption_LSRR, IPerror, UDPerror, TCPerror
from scapy.layers.inet6 import (ICMPv6DestUnreach, ICMPv6PacketTooBig, ICMPv6ParamProblem, IPv6ExtHdrFragment,
                                ICMPv6TimeExceeded, IPerror6)
from scapy.layers.l2 import ARP

from cases import case, payload, _public_port
from harness import (Run, from_client, from_server, server6, checksums_ok, expect, BOX_MAC_IN, BOX_MAC_OUT,
                     CLIENT_MAC, SERVER_MAC, CLIENT6, BOX6, BOX4, POOL4, SERVER4)

ROUTER6 = "2001:db8:1::99"      # an IPv6 router on the inside
STRANGER4 = "203.0.113.99"


def one_arm_from_server(l4, src=SERVER4, dst=POOL4, **ip4):
    return Ether(src=SERVER_MAC, dst=BOX_MAC_IN) / IP(src=src, dst=dst, **ip4) / l4


@case
def burst_icmpv6_error_right_behind_its_sessions_first_packet(nat64d):
    # The client's first packet opens the session; an inside router's error
    # about the reply follows in the same burst (RFC 6146 s3.5.3).
    first = from_client(UDP(sport=40100, dport=53) / Raw(b"query"))
    quoted = IPv6(src=server6(), dst=CLIENT6, hlim=60) / UDP(sport=53, dport=40100) / Raw(b"answer")
    err = Ether(src=CLIENT_MAC, dst=BOX_MAC_IN) / IPv6(src=ROUTER6, dst=server6()) / \
        ICMPv6DestUnreach(code=4) / raw(quoted)
    r = Run(nat64d, inside=[first, err])
    expect(len(r.out4) == 2, f"both translated, got {[p.summary() for p in r.out4]}")
    pub = r.out4[0][UDP].sport
    e = r.out4[1]
    expect(ICMP in e and e[ICMP].type == 3 and e[ICMP].code == 3, f"port unreachable: {e.summary()}")
    expect(e[IP].src == POOL4 and e[IP].dst == SERVER4, f"to the server: {e[IP].src} -> {e[IP].dst}")
    q = e[IPerror]
    expect(q.src == SERVER4 and q.dst == POOL4 and q[UDPerror].sport == 53 and q[UDPerror].dport == pub,
           "quoting the reply as it left the server")
    expect(checksums_ok(e), "checksums")
    expect(r.drops("drop_no_mapping") == 0, "nothing missed the session")


@case
def burst_reply_and_an_error_about_it_in_order_one_arm(nat64d):
    out = from_client(UDP(sport=40200, dport=7) / Raw(b"ping"))
    pub = _public_port(nat64d, out)
    reply = one_arm_from_server(UDP(sport=7, dport=pub) / Raw(b"pong"))
    quoted = IPv6(src=server6(), dst=CLIENT6) / UDP(sport=7, dport=40200) / Raw(b"pong")
    err = Ether(src=CLIENT_MAC, dst=BOX_MAC_IN) / IPv6(src=ROUTER6, dst=server6()) / \
        ICMPv6TimeExceeded() / raw(quoted)
    icmp4 = one_arm_from_server(ICMP(type=11, code=0) / raw(IP(src=POOL4, dst=SERVER4, ttl=1) /
                                                             UDP(sport=pub, dport=7) / Raw(b"ping")),
                                src="203.0.113.1")
    r = Run(nat64d, one_arm=True, merged=[out, reply, err, icmp4])
    expect(len(r.out6) == 2 and len(r.out4) == 2, f"all four translated: {[p.summary() for p in r.out]}")
    expect(UDP in r.out6[0] and bytes(r.out6[0][UDP].payload) == b"pong", "the reply reached the client")
    expect(ICMPv6TimeExceeded in r.out6[1] and r.out6[1][IPv6].dst == CLIENT6, "the IPv4 error reached the client")
    expect(ICMP in r.out4[1] and r.out4[1][ICMP].type == 11, "the IPv6 error reached the server")
    expect(all(checksums_ok(p) for p in r.out), "checksums")


@case
def one_arm_burst_keeps_arrival_order_across_families(nat64d):
    # Address-dependent filtering: a stranger's first packet arrives before the
    # client ever sent to it (refused), its second after (let through). Handling
    # the burst's IPv6 packets first would let both through.
    out = from_client(UDP(sport=41500, dport=3478) / Raw(b"a"))
    pub = _public_port(nat64d, out)
    too_early = one_arm_from_server(UDP(sport=9999, dport=pub) / Raw(b"first"), src=STRANGER4)
    to_stranger = from_client(UDP(sport=41500, dport=9999) / Raw(b"b"), dst=server6(STRANGER4))
    in_time = one_arm_from_server(UDP(sport=9999, dport=pub) / Raw(b"second"), src=STRANGER4)
    r = Run(nat64d, one_arm=True, merged=[out, too_early, to_stranger, in_time],
            extra='[nat64]\nfiltering = "address-dependent"')
    got = [bytes(p[UDP].payload) for p in r.out6 if UDP in p]
    expect(got == [b"second"], f"only the packet after the grant passes: {got}")
    expect(r.drops("drop_filtered") == 1, "the early one refused")


@case
def routing_header_segments_left_gets_parameter_problem(nat64d):
    from scapy.layers.inet6 import IPv6ExtHdrRouting
    pkt = from_client(IPv6ExtHdrRouting(addresses=["2001:db8::9"], segleft=1) / UDP(sport=1, dport=2))
    r = Run(nat64d, inside=[pkt])
    expect(len(r.out4) == 0, "not translated")
    errs = [p for p in r.out6 if ICMPv6ParamProblem in p]
    expect(len(errs) == 1, f"one Parameter Problem, got {[p.summary() for p in r.out6]}")
    pp = errs[0][ICMPv6ParamProblem]
    # RFC 7915 s5.1: code 0, pointing at Segments Left (40 + 3).
    expect(pp.code == 0 and pp.ptr == 43, f"code {pp.code} pointer {pp.ptr}")
    expect(errs[0][IPv6].src == BOX6 and errs[0][IPv6].dst == CLIENT6 and checksums_ok(errs[0]), "from the box")


@case
def ipv4_source_route_gets_source_route_failed(nat64d):
    out = from_client(UDP(sport=41600, dport=53) / Raw(b"q"))
    pub = _public_port(nat64d, out)
    lsrr = one_arm_from_server(UDP(sport=53, dport=pub) / Raw(b"a"),
                               options=[IPOption_LSRR(routers=["192.0.2.7"], pointer=4)])
    r = Run(nat64d, one_arm=True, merged=[out, lsrr])
    expect(not [p for p in r.out6 if UDP in p], "not translated")
    errs = [p for p in r.out4 if ICMP in p]
    expect(len(errs) == 1 and errs[0][ICMP].type == 3 and errs[0][ICMP].code == 5,
           f"source route failed (RFC 7915 s4.1): {[p.summary() for p in r.out4]}")
    expect(errs[0][IP].dst == SERVER4 and checksums_ok(errs[0]), "to the sender")
    expect(r.drops("drop_source_route") == 1, "counted")


@case
def small_ipv4_mtu_fragments_instead_of_packet_too_big_below_1280(nat64d):
    # IPv4 link MTU 1000: an IPv6 packet within 1280 bytes leaves in IPv4
    # fragments (DF clear); a larger one gets Packet Too Big with 1280, never
    # less (RFC 8201 s4, RFC 7915 s5.1).
    data = payload(1152, 4)    # 40 + 8 + 1152 = 1200 bytes of IPv6
    fits = from_client(UDP(sport=41700, dport=9) / Raw(data))
    big = from_client(UDP(sport=41701, dport=9) / Raw(payload(1352)))   # 1400 bytes
    r = Run(nat64d, inside=[fits, big], extra="[ports]\noutside_mtu = 1000")
    frags = [p for p in r.out4 if UDP in p or (IP in p and p[IP].frag > 0)]
    expect(len(frags) == 2, f"two IPv4 fragments, got {[p.summary() for p in r.out4]}")
    expect(all(len(raw(p[IP])) <= 1000 and not (p[IP].flags & 2) for p in frags), "each within 1000 bytes, DF clear")
    whole = defragment([p[IP] for p in frags])
    expect(len(whole) == 1 and bytes(whole[0][UDP].payload) == data, "reassembles to the datagram")
    expect(checksums_ok(Ether() / whole[0]), "UDP checksum right over the whole datagram")
    ptb = [p for p in r.out6 if ICMPv6PacketTooBig in p]
    expect(len(ptb) == 1 and ptb[0][ICMPv6PacketTooBig].mtu == 1280, f"PTB 1280: {[p.summary() for p in r.out6]}")
    expect(checksums_ok(ptb[0]), "checksums")
    expect(r.total("translated_6to4") == 1 and r.drops("drop_packet_too_big") == 1, "counted once each")


@case
def well_known_prefix_to_a_non_global_address_is_answered(nat64d):
    # RFC 6052 s3.1: 64:ff9b::/96 never carries a private address; the client
    # hears so at once (Destination Unreachable, administratively prohibited).
    pkt = from_client(UDP(sport=41800, dport=80) / Raw(b"x"), dst="64:ff9b::a00:1")   # 10.0.0.1
    r = Run(nat64d, inside=[pkt], prefix="64:ff9b::/96")
    expect(len(r.out4) == 0, "not translated")
    errs = [p for p in r.out6 if ICMPv6DestUnreach in p]
    expect(len(errs) == 1 and errs[0][ICMPv6DestUnreach].code == 1, f"code 1: {[p.summary() for p in r.out6]}")
    expect(errs[0][IPv6].src == BOX6 and errs[0][IPv6].dst == CLIENT6 and checksums_ok(errs[0]), "from the box")
    expect(r.drops("drop_non_global_dst") == 1, "counted")


@case
def malformed_transport_headers_each_have_their_counter(nat64d):
    good = from_client(UDP(sport=41900, dport=53) / Raw(b"good"))
    short_udp = from_client(UDP(sport=41901, dport=53, len=4) / Raw(b"xx"))
    long_udp = from_client(UDP(sport=41902, dport=53, len=200) / Raw(b"xx"))
    zero_sum = from_client(UDP(sport=41903, dport=53, chksum=0) / Raw(b"xx"))
    far_tcp = from_client(TCP(sport=41904, dport=80, dataofs=15))
    bad_src = [from_client(UDP(sport=41905, dport=53), src=s) for s in ("ff02::1", "::", "::1", "fe80::1")]
    long_udp4 = Ether(src=SERVER_MAC, dst=BOX_MAC_OUT) / IP(src=SERVER4, dst=POOL4) / UDP(sport=53, dport=2000, len=300)
    bad_src4 = [Ether(src=SERVER_MAC, dst=BOX_MAC_OUT) / IP(src=s, dst=POOL4) / UDP(sport=53, dport=2000)
                for s in ("0.1.2.3", "127.0.0.1", "224.0.0.9")]
    r = Run(nat64d, inside=[short_udp, long_udp, zero_sum, far_tcp] + bad_src + [good],
            outside=[long_udp4] + bad_src4)
    expect(len(r.out4) == 1 and bytes(r.out4[0][UDP].payload) == b"good", "the good packet still goes through")
    for name, n in (("drop_udp_length", 3), ("drop_udp_zero_checksum6", 1), ("drop_tcp_offset", 1),
                    ("drop_bad_src6", 4), ("drop_bad_src4", 3)):
        expect(r.drops(name) == n, f"{name}: {r.drops(name)}, expected {n}")
    expect(r.stats["flows"]["sessions"] == 1, "only the good packet opened a session")


def _frag6(offset, more, data, ident=0x51, nh=17):
    return from_client(IPv6ExtHdrFragment(offset=offset // 8, m=int(more), id=ident, nh=nh) / Raw(data))


def _udp_datagram6(sport, data):
    """The bytes after the fragment header of a whole UDP datagram (header + data), checksummed."""
    whole = IPv6(src=CLIENT6, dst=server6()) / UDP(sport=sport, dport=9) / Raw(data)
    return raw(whole[UDP])


@case
def overlapping_ipv6_fragments_discard_the_datagram(nat64d):
    body = _udp_datagram6(42000, payload(2400, 5))            # 2408 bytes
    first = _frag6(0, True, body[:1232], ident=0x61)
    second = _frag6(1232, True, body[1232:2000], ident=0x61)
    overlapping = _frag6(1992, False, body[1992:], ident=0x61)   # overlaps the second by 8 bytes
    # Held fragments (the first comes last) are all discarded (RFC 5722).
    r = Run(nat64d, inside=[second, overlapping, first])
    expect(len(r.out4) == 0, f"nothing of the datagram translated: {[p.summary() for p in r.out4]}")
    expect(r.drops("drop_fragment_overlap") == 3, f"all three counted: {r.drops('drop_fragment_overlap')}")
    # Another datagram alongside is untouched.
    ok = [_frag6(0, True, body[:1232], ident=0x62), _frag6(1232, False, body[1232:], ident=0x62)]
    r = Run(nat64d, inside=[second, overlapping] + ok + [first])
    expect(len(r.out4) == 2 and all(p[IP].id == 0x62 for p in r.out4), "the clean datagram passes")


@case
def non_last_fragment_not_a_multiple_of_8_gets_parameter_problem(nat64d):
    body = _udp_datagram6(42100, payload(100, 6))
    odd = _frag6(0, True, body[:61], ident=0x71)
    r = Run(nat64d, inside=[odd])
    errs = [p for p in r.out6 if ICMPv6ParamProblem in p]
    expect(len(errs) == 1, f"Parameter Problem, got {[p.summary() for p in r.out6]}")
    pp = errs[0][ICMPv6ParamProblem]
    expect(pp.code == 0 and pp.ptr == 4, f"RFC 8200 s4.5: code 0, pointer to Payload Length: {pp.code} {pp.ptr}")
    expect(r.drops("drop_fragment_size") == 1 and len(r.out4) == 0, "counted, not translated")
    frag4 = Ether(src=SERVER_MAC, dst=BOX_MAC_OUT) / IP(src=SERVER4, dst=POOL4, flags="MF", proto=17) / Raw(b"x" * 13)
    r = Run(nat64d, outside=[frag4])
    expect(r.drops("drop_fragment_size") == 1 and len(r.out6) == 0, "the IPv4 equivalent is refused too")


@case
def well_known_source_ports_keep_their_class_and_parity(nat64d):
    ntp = from_client(UDP(sport=123, dport=123) / Raw(b"ntp"))
    ike = from_client(UDP(sport=500, dport=500) / Raw(b"ike"), src="2001:db8:1::5")
    high_odd = from_client(UDP(sport=40001, dport=53) / Raw(b"dns"), src="2001:db8:1::6")
    r = Run(nat64d, inside=[ntp, ike, high_odd])
    ports = {bytes(p[UDP].payload): p[UDP].sport for p in r.out4}
    expect(ports[b"ntp"] < 1024 and ports[b"ntp"] % 2 == 1, f"123 -> {ports[b'ntp']}: below 1024, odd")
    expect(ports[b"ike"] < 1024 and ports[b"ike"] % 2 == 0, f"500 -> {ports[b'ike']}: below 1024, even")
    expect(ports[b"dns"] >= 1024 and ports[b"dns"] % 2 == 1, f"40001 -> {ports[b'dns']}: 1024 or above, odd")


@case
def refused_packets_take_no_session_and_no_port(nat64d):
    # Hop limit 1 is refused before any state (RFC 6146 s3.5: a packet the NAT
    # does not forward must not take a mapping).
    pkts = [from_client(UDP(sport=43000 + i, dport=33434) / Raw(b"t"), hlim=1) for i in range(20)]
    r = Run(nat64d, inside=pkts)
    expect(r.drops("drop_ttl_expired") == 20, "all refused")
    expect(r.total("flows_created") == 0, f"no session opened: {r.total('flows_created')}")
    expect(sum(r.stats["flows"]["mappings_created"].values()) == 0, "no mapping, so no port taken")
    expect(len([p for p in r.out6 if ICMPv6TimeExceeded in p]) == 20, "each answered")


@case
def cold_start_holds_a_burst_for_an_unresolved_next_hop(nat64d):
    # No static neighbours: the first burst waits for the gateway's ARP answer,
    # which arrives after it; nothing may be lost, and each packet counts once.
    pkts = [from_client(UDP(sport=44000, dport=9) / Raw(payload(40, i)), src=CLIENT6) for i in range(100)]
    arp = Ether(src=SERVER_MAC, dst=BOX_MAC_OUT) / ARP(op=2, hwsrc=SERVER_MAC, psrc="198.51.100.254",
                                                      hwdst=BOX_MAC_OUT, pdst=BOX4)
    r = Run(nat64d, inside=pkts, outside=[arp], static_neighbours=False)
    data = [bytes(p[UDP].payload) for p in r.out4 if UDP in p]
    expect(data == [payload(40, i) for i in range(100)], f"all 100 sent in order, got {len(data)}")
    expect(r.drops("drop_no_neighbour") == 0, "none lost to the resolution")
    expect(r.total("translated_6to4") == 100, f"translated counted once each: {r.total('translated_6to4')}")
    expect(sum(r.stats["drops"].values()) == 0, f"no drop at all: { {k: v for k, v in r.stats['drops'].items() if v} }")
    expect([p for p in r.out if ARP in p and p[ARP].op == 1], "the box asked for the gateway")


@case
def two_workers_translate_their_queues_from_their_own_port_slices(nat64d):
    # ports.workers = 2, one capture per queue: each worker takes its queue and
    # hands out ports of its own slice ((port / 2) % workers == worker).
    q0 = [from_client(UDP(sport=50000 + i, dport=53) / Raw(b"q0")) for i in range(20)]
    q1 = [from_client(UDP(sport=51000 + i, dport=53) / Raw(b"q1")) for i in range(20)]
    r = Run(nat64d, inside=[q0, q1], outside=[[], []], workers=2)
    expect(len(r.stats["workers"]) == 2, "two workers ran")
    expect([w["translated_6to4"]["packets"] for w in r.stats["workers"]] == [20, 20], "each translated its queue")
    ports = {bytes(p[UDP].payload): set() for p in r.out4}
    for p in r.out4:
        ports[bytes(p[UDP].payload)].add(p[UDP].sport)
    expect(len(ports[b"q0"]) == 20 and len(ports[b"q1"]) == 20 and not ports[b"q0"] & ports[b"q1"],
           "forty distinct public ports")
    expect(all((p // 2) % 2 == 0 for p in ports[b"q0"]) and all((p // 2) % 2 == 1 for p in ports[b"q1"]),
           "each from its worker's slice")


@case
def one_subscribers_orphan_fragments_leave_the_others_alone(nat64d):
    # 64 fragments that never get a first one, all from one subscriber, then
    # another subscriber's datagram in two fragments, the second first.
    orphans = [_frag6(1232, True, payload(64, i), ident=0x1000 + i) for i in range(64)]
    for p in orphans:
        p[IPv6].src = "2001:db8:1::66"
    body = _udp_datagram6(42200, payload(1800, 7))
    other = "2001:db8:1::7"   # another subscriber: each host is one here (subscriber_prefix_len 128)
    second = _frag6(1232, False, body[1232:], ident=0x77)
    first = _frag6(0, True, body[:1232], ident=0x77)
    for p in (second, first):
        p[IPv6].src = other
    r = Run(nat64d, inside=orphans + [second, first], hosts=[other],
            extra="[limits]\nfragment_cache = 64\n[nat64]\nsubscriber_prefix_len = 128")
    mine = [p for p in r.out4 if IP in p and p[IP].id == 0x77]
    expect(len(mine) == 2, f"both fragments of the other subscriber's datagram: {len(mine)}")
    whole = defragment([p[IP] for p in mine])
    expect(len(whole) == 1 and bytes(whole[0][UDP].payload) == payload(1800, 7), "reassembles intact")


@case
def one_subscribers_expiring_flood_leaves_the_others_icmp_errors(nat64d):
    # A subscriber's 100 packets with hop limit 1 get their share of Time
    # Exceeded; another subscriber still hears its own Time Exceeded and
    # Packet Too Big (no path MTU black hole).
    flood = [from_client(UDP(sport=43100 + i, dport=33434) / Raw(b"x"), hlim=1) for i in range(100)]
    victim = "2001:db8:1::7"   # each host its own subscriber (subscriber_prefix_len 128)
    ttl = from_client(UDP(sport=43300, dport=33434) / Raw(b"y"), src=victim, hlim=1)
    big = from_client(UDP(sport=43301, dport=9) / Raw(payload(1452)), src=victim)   # 1500 bytes of IPv6
    r = Run(nat64d, inside=flood + [ttl, big], hosts=[victim],
            extra="[ports]\noutside_mtu = 1400\n[limits]\nicmp_errors_per_s = 50\n[nat64]\nsubscriber_prefix_len = 128")
    to_flooder = [p for p in r.out6 if p[IPv6].dst == CLIENT6 and ICMPv6TimeExceeded in p]
    to_victim = [p for p in r.out6 if p[IPv6].dst == victim]
    expect(len(to_flooder) == 20, f"the flooder gets its per-subscriber share: {len(to_flooder)}")
    expect(any(ICMPv6TimeExceeded in p for p in to_victim), "the other subscriber's Time Exceeded")
    ptb = [p for p in to_victim if ICMPv6PacketTooBig in p]
    expect(len(ptb) == 1 and ptb[0][ICMPv6PacketTooBig].mtu == 1420, f"and its Packet Too Big: {[p.summary() for p in to_victim]}")


@case
def sources_outside_the_clients_are_no_relay(nat64d):
    inside = from_client(UDP(sport=43400, dport=53) / Raw(b"ok"))
    outsider = from_client(UDP(sport=43401, dport=53) / Raw(b"no"), src="2001:db8:99::1")
    r = Run(nat64d, inside=[inside, outsider], extra='[nat64]\nclients = ["2001:db8:1::/48"]')
    got = [bytes(p[UDP].payload) for p in r.out4 if UDP in p]
    expect(got == [b"ok"], f"only the client's packet is translated: {got}")
    expect(r.drops("drop_not_client") == 1, "the other counted")
