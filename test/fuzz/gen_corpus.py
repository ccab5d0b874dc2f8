#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets (test/fuzz/corpus/<target>/):
packets from scapy for the translation targets, request streams for the
control socket, config files (the examples in config/ plus variants) for the
config parser. Deterministic: run it again and nothing changes.

    /usr/bin/python3 test/fuzz/gen_corpus.py

A translation input is a 24-byte settings block (test/fuzz/xlate_fuzz.hpp,
XlateParams) followed by the IP packet; a classification input is a 54-byte
port rules block (test/fuzz/fuzz_classify.cpp, FrameParams) followed by the
Ethernet frame; a request input is two bytes (line limit, recv piece size)
followed by the byte stream."""
import os
import shutil
import struct
import sys

from scapy.all import (IP, IPv6, TCP, UDP, ICMP, IPOption_NOP, IPOption_RR, IPOption_LSRR,
                       IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt, IPv6ExtHdrRouting, IPv6ExtHdrFragment,
                       ICMPv6EchoRequest, ICMPv6EchoReply, ICMPv6DestUnreach, ICMPv6PacketTooBig,
                       ICMPv6TimeExceeded, ICMPv6ParamProblem, ICMPv6ND_NS, ICMPv6ND_NA, ICMPv6NDOptSrcLLAddr,
                       ICMPv6NDOptDstLLAddr, ICMPv6MLQuery, Ether, Dot1Q, ARP, raw)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")

CLIENT6 = "2001:db8:1::10"
SERVER6 = "64:ff9b::c633:6407"   # 198.51.100.7 through the well-known prefix
SERVER4 = "198.51.100.7"
PUBLIC4 = "203.0.113.5"


def params(mtu_out=1500, mtu_in=1500, lowest=1280, headroom=128, tailroom=128, sport=61000,
           dport=443, inner_sport=443, inner_dport=61000, ip4_id=0x1234, salt=0, icmp_type=3,
           icmp_code=1, icmp_cap=1280, frag_mtu=1280):
    """The XlateParams block; frag_mtu is stored in units of 8 bytes."""
    return struct.pack(">HHHBBHHHHHBBBHB", mtu_out, mtu_in, lowest, headroom, tailroom, sport, dport,
                       inner_sport, inner_dport, ip4_id, salt, icmp_type, icmp_code, icmp_cap,
                       min(frag_mtu // 8, 255))


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def data(n, first=0):
    return bytes((first + i) % 256 for i in range(n))


def ip6(**kw):
    return IPv6(src=kw.pop("src", CLIENT6), dst=kw.pop("dst", SERVER6), hlim=kw.pop("hlim", 64), **kw)


def ip4(**kw):
    return IP(src=kw.pop("src", SERVER4), dst=kw.pop("dst", PUBLIC4), ttl=kw.pop("ttl", 64), **kw)


def quoted6(pkt, cut=None):
    """A packet as an ICMPv6 error quotes it (the embedded one travelled 4to6)."""
    b = raw(pkt)
    return b if cut is None else b[:cut]


def corpus_6to4():
    t = "fuzz_xlate_6to4"
    P = params(icmp_type=3, icmp_code=0)   # errors we would generate: time exceeded
    tcp = TCP(sport=40000, dport=443, flags="S", seq=1)
    seeds = {
        "tcp_syn": ip6() / tcp,
        "tcp_data": ip6(tc=0xB8, fl=0x12345) / TCP(sport=40000, dport=443, flags="PA") / data(100),
        "tcp_options": ip6() / TCP(sport=40000, dport=443, flags="S", options=[("MSS", 1440), ("WScale", 7)]),
        "udp": ip6() / UDP(sport=40000, dport=53) / data(40),
        "udp_odd_length": ip6() / UDP(sport=40000, dport=53) / data(41),
        "udp_checksum_zero": ip6() / UDP(sport=40000, dport=53, chksum=0) / data(20),
        "udp_df_threshold": ip6() / UDP(sport=40000, dport=9) / data(1300),
        "echo_request": ip6() / ICMPv6EchoRequest(id=7, seq=1, data=data(56)),
        "echo_reply": ip6() / ICMPv6EchoReply(id=7, seq=2, data=data(8)),
        "hop_limit_1": ip6(hlim=1) / UDP(sport=40000, dport=53) / data(10),
        "hop_by_hop": ip6() / IPv6ExtHdrHopByHop() / UDP(sport=40000, dport=53) / data(10),
        "dest_opts_routing0": ip6() / IPv6ExtHdrDestOpt() / IPv6ExtHdrRouting(segleft=0, addresses=["2001:db8::1"])
        / TCP(sport=40000, dport=80),
        "routing_segments_left": ip6() / IPv6ExtHdrRouting(segleft=1, addresses=["2001:db8::1"]) / TCP(),
        "frag_first": ip6() / IPv6ExtHdrFragment(offset=0, m=1, id=0xABCD1234)
        / raw(UDP(sport=40000, dport=53, len=8 + 2000, chksum=0x1234) / data(1000))[:1008],
        "frag_middle": ip6() / IPv6ExtHdrFragment(offset=126, m=1, id=0xABCD1234, nh=17) / data(1000),
        "frag_last": ip6() / IPv6ExtHdrFragment(offset=252, m=0, id=0xABCD1234, nh=17) / data(8),
        "frag_atomic": ip6() / IPv6ExtHdrFragment(offset=0, m=0, id=5) / TCP(sport=40000, dport=443),
        "frag_icmp_first": ip6() / IPv6ExtHdrFragment(offset=0, m=1, id=9)
        / raw(ICMPv6EchoRequest(id=1, cksum=0x1234, data=data(64)))[:72],
        "frag_near_max_offset": ip6() / IPv6ExtHdrFragment(offset=8100, m=0, id=77, nh=17) / data(1200),
        "neighbour_solicit": ip6(dst="ff02::1:ff00:1", hlim=255) / ICMPv6ND_NS(tgt="2001:db8:1::1"),
        "mld_query": ip6(dst="ff02::1", hlim=1) / ICMPv6MLQuery(),
        "sctp": ip6(nh=132) / data(20),
    }
    # ICMPv6 errors about packets that travelled 4to6 (server -> client).
    back_tcp = IPv6(src=CLIENT6, dst=SERVER6, hlim=63) / TCP(sport=40000, dport=443, flags="S")
    back_udp = IPv6(src=CLIENT6, dst=SERVER6, hlim=10) / UDP(sport=40000, dport=53) / data(30)
    back_echo = IPv6(src=CLIENT6, dst=SERVER6) / ICMPv6EchoRequest(id=7, seq=1, data=data(16))
    back_frag = IPv6(src=CLIENT6, dst=SERVER6) / IPv6ExtHdrFragment(offset=0, m=1, id=3) / UDP(sport=1, dport=2) / data(32)
    router = "2001:db8:1::1"
    seeds.update({
        "err_unreach_tcp": ip6(src=router) / ICMPv6DestUnreach(code=0) / quoted6(back_tcp),
        "err_admin_udp": ip6(src=router) / ICMPv6DestUnreach(code=1) / quoted6(back_udp),
        "err_addr_unreach_echo": ip6(src=router) / ICMPv6DestUnreach(code=3) / quoted6(back_echo),
        "err_port_unreach_cut": ip6(src=router) / ICMPv6DestUnreach(code=4) / quoted6(back_udp, 44),
        "err_ptb": ip6(src=router) / ICMPv6PacketTooBig(mtu=1400) / quoted6(back_tcp),
        "err_ptb_small": ip6(src=router) / ICMPv6PacketTooBig(mtu=1280) / quoted6(back_udp),
        "err_time_exceeded": ip6(src=router) / ICMPv6TimeExceeded(code=0) / quoted6(back_echo),
        "err_param_pointer": ip6(src=router) / ICMPv6ParamProblem(code=0, ptr=7) / quoted6(back_tcp),
        "err_param_flow_label": ip6(src=router) / ICMPv6ParamProblem(code=0, ptr=2) / quoted6(back_tcp),
        "err_param_next_header": ip6(src=router) / ICMPv6ParamProblem(code=1, ptr=6) / quoted6(back_udp),
        "err_inner_fragment": ip6(src=router) / ICMPv6DestUnreach(code=4) / quoted6(back_frag),
        "err_about_error": ip6(src=router) / ICMPv6DestUnreach(code=4)
        / quoted6(IPv6(src=CLIENT6, dst=SERVER6) / ICMPv6DestUnreach() / data(40)),
    })
    for name, pkt in seeds.items():
        write(t, name, P + raw(pkt))
    # Settings that matter: a small IPv4 MTU (Packet Too Big), no room around
    # the packet, small fragments and ICMP buffers.
    write(t, "udp_mtu4_small", params(mtu_out=576, icmp_type=2, icmp_code=0) + raw(seeds["udp_df_threshold"]))
    write(t, "tcp_no_room", params(headroom=0, tailroom=0, icmp_cap=88) + raw(seeds["tcp_data"]))
    write(t, "frag_small_mtu", params(frag_mtu=64) + raw(seeds["frag_middle"]))
    write(t, "err_mtu4_68", params(mtu_out=68) + raw(seeds["err_unreach_tcp"]))


def corpus_4to6():
    t = "fuzz_xlate_4to6"
    P = params(icmp_type=11, icmp_code=0, icmp_cap=576)
    seeds = {
        "tcp_synack": ip4() / TCP(sport=443, dport=61000, flags="SA", seq=5, ack=2),
        "tcp_data": ip4(tos=0xB8) / TCP(sport=443, dport=61000, flags="PA") / data(100),
        "udp": ip4() / UDP(sport=53, dport=61000) / data(40),
        "udp_odd_length": ip4() / UDP(sport=53, dport=61000) / data(41),
        "udp_checksum_zero": ip4() / UDP(sport=53, dport=61000, chksum=0) / data(20),
        "udp_checksum_zero_frag": ip4(flags="MF", id=99) / UDP(sport=53, dport=61000, chksum=0, len=1008) / data(72),
        "echo_request": ip4() / ICMP(type=8, id=61000, seq=1) / data(56),
        "echo_reply": ip4() / ICMP(type=0, id=61000, seq=2) / data(8),
        "ttl_1": ip4(ttl=1) / UDP(sport=53, dport=61000) / data(10),
        "options_nop_rr": ip4(options=[IPOption_NOP(), IPOption_RR(routers=["192.0.2.1"])])
        / UDP(sport=53, dport=61000) / data(10),
        "options_lsrr_unexpired": ip4(options=[IPOption_LSRR(routers=["192.0.2.1", "192.0.2.2"])]) / TCP(),
        "frag_first": ip4(flags="MF", id=0x4242) / raw(UDP(sport=53, dport=61000, len=2008, chksum=0x1234) / data(1000))[:1008],
        "frag_middle": ip4(flags="MF", id=0x4242, frag=126, proto=17) / data(1000),
        "frag_last": ip4(id=0x4242, frag=252, proto=17) / data(8),
        "df_large": ip4(flags="DF") / UDP(sport=53, dport=61000) / data(1480),
        "no_df_large": ip4() / UDP(sport=53, dport=61000) / data(1400),
        "no_df_large_fragment": ip4(flags="MF", id=7, frag=10, proto=6) / data(1400),
        "frag_near_max_offset": ip4(id=8, frag=8100, proto=17) / data(1400),
        "bad_header_checksum": ip4(chksum=0x1234) / UDP(sport=53, dport=61000),
        "gre": ip4(proto=47) / data(24),
    }
    # ICMPv4 errors about packets that travelled 6to4 (public -> server).
    out_tcp = IP(src=PUBLIC4, dst=SERVER4, ttl=63) / TCP(sport=61000, dport=443, flags="S")
    out_udp = IP(src=PUBLIC4, dst=SERVER4, ttl=5) / UDP(sport=61000, dport=53) / data(30)
    out_echo = IP(src=PUBLIC4, dst=SERVER4) / ICMP(type=8, id=61000) / data(16)
    out_frag = IP(src=PUBLIC4, dst=SERVER4, flags="MF", id=3) / UDP(sport=61000, dport=53) / data(32)
    router = "192.0.2.1"
    seeds.update({
        "err_net_unreach_tcp": ip4(src=router) / ICMP(type=3, code=0) / raw(out_tcp),
        "err_proto_unreach": ip4(src=router) / ICMP(type=3, code=2) / raw(out_udp),
        "err_port_unreach_cut": ip4(src=router) / ICMP(type=3, code=3) / raw(out_udp)[:28],
        "err_frag_needed": ip4(src=router) / ICMP(type=3, code=4, nexthopmtu=1400) / raw(out_tcp),
        "err_frag_needed_mtu0": ip4(src=router) / ICMP(type=3, code=4, nexthopmtu=0) / raw(out_udp),
        "err_admin_prohibited": ip4(src=router) / ICMP(type=3, code=13) / raw(out_echo),
        "err_time_exceeded": ip4(src=router) / ICMP(type=11, code=0) / raw(out_echo),
        "err_param_pointer": ip4(src=router) / ICMP(type=12, code=0, ptr=8) / raw(out_tcp),
        "err_param_pointer_na": ip4(src=router) / ICMP(type=12, code=0, ptr=4) / raw(out_tcp),
        "err_inner_fragment": ip4(src=router) / ICMP(type=3, code=3) / raw(out_frag),
        "err_inner_options": ip4(src=router) / ICMP(type=3, code=3)
        / raw(IP(src=PUBLIC4, dst=SERVER4, options=[IPOption_NOP()] * 4) / UDP(sport=61000, dport=53)),
        "err_about_error": ip4(src=router) / ICMP(type=3, code=3)
        / raw(IP(src=PUBLIC4, dst=SERVER4) / ICMP(type=3, code=1) / raw(out_udp)),
        "redirect": ip4(src=router) / ICMP(type=5, code=1, gw="192.0.2.9") / raw(out_udp),
    })
    for name, pkt in seeds.items():
        write(t, name, P + raw(pkt))
    # Headroom below what the growth needs (20, 28, 48 bytes), a small IPv6 MTU.
    write(t, "tcp_headroom_19", params(headroom=19, icmp_type=3, icmp_code=4) + raw(seeds["tcp_data"]))
    write(t, "frag_headroom_27", params(headroom=27) + raw(seeds["frag_middle"]))
    write(t, "err_headroom_40", params(headroom=40, tailroom=0) + raw(seeds["err_inner_fragment"]))
    write(t, "no_df_lowest_1500", params(lowest=1500, icmp_type=12, icmp_code=0) + raw(seeds["no_df_large"]))
    write(t, "df_mtu6_1280", params(mtu_out=1280) + raw(seeds["df_large"]))


BOX_MAC_IN = "02:00:00:00:64:01"
BOX_MAC_OUT = "02:00:00:00:64:02"
PEER_MAC = "02:00:00:00:00:06"
BOX6 = "2001:db8:1::1"
BOX4 = "198.51.100.1"
POOL4 = ["203.0.113.5", "203.0.113.9"]


def mac(text):
    return bytes(int(b, 16) for b in text.split(":"))


def ip4_bytes(text):
    return bytes(int(b) for b in text.split("."))


def rules(outside=False, one_arm=False, chained=False, vlan_in=0, vlan_out=0, pool=POOL4, own4=BOX4):
    """The FrameParams block: flags, VIDs, MACs, the box's addresses, up to four pool addresses."""
    flags = (1 if outside else 0) | (2 if one_arm else 0) | (4 if chained else 0)
    addrs = b"".join(ip4_bytes(a) for a in pool) + bytes(4 * (4 - len(pool)))
    return (struct.pack(">BHH", flags, vlan_in, vlan_out) + mac(BOX_MAC_IN) + mac(BOX_MAC_OUT)
            + raw(IPv6(src=BOX6))[8:24] + ip4_bytes(own4) + bytes([len(pool)]) + addrs)


def corpus_classify():
    t = "fuzz_classify"
    inside = Ether(src=PEER_MAC, dst=BOX_MAC_IN)
    outside = Ether(src=PEER_MAC, dst=BOX_MAC_OUT)
    v6 = ip6() / UDP(sport=40000, dport=53) / data(20)
    v4 = ip4() / UDP(sport=53, dport=61000) / data(20)
    ns = (IPv6(src="2001:db8:1::10", dst="ff02::1:ff00:1", hlim=255) / ICMPv6ND_NS(tgt=BOX6)
          / ICMPv6NDOptSrcLLAddr(lladdr=PEER_MAC))
    na = (IPv6(src="2001:db8:1::10", dst=BOX6, hlim=255) / ICMPv6ND_NA(tgt="2001:db8:1::10", S=1)
          / ICMPv6NDOptDstLLAddr(lladdr=PEER_MAC))
    arp_req = ARP(op=1, hwsrc=PEER_MAC, psrc="198.51.100.2", pdst=BOX4)
    seeds = {
        # Inside, two arms: IPv6 to translate or for the box.
        "in_translate6_udp": (rules(), inside / v6),
        "in_translate6_tcp": (rules(), inside / ip6() / TCP(sport=40000, dport=443, flags="S")),
        "in_translate6_echo": (rules(), inside / ip6() / ICMPv6EchoRequest(id=7, data=data(16))),
        "in_local6_ns": (rules(), Ether(src=PEER_MAC, dst="33:33:ff:00:00:01") / ns),
        "in_local6_na": (rules(), inside / na),
        "in_local6_echo": (rules(), inside / ip6(dst=BOX6) / ICMPv6EchoRequest(id=1, data=data(8))),
        "in_local6_link_local": (rules(), inside / ip6(src="fe80::10", dst="fe80::1") / ICMPv6EchoRequest()),
        "in_local6_mld": (rules(), Ether(src=PEER_MAC, dst="33:33:00:00:00:01") / ip6(dst="ff02::1", hlim=1)
                          / ICMPv6MLQuery()),
        "in_arp_request": (rules(), Ether(src=PEER_MAC, dst="ff:ff:ff:ff:ff:ff") / arp_req),
        "in_ipv4_not_taken": (rules(), inside / v4),
        "in_other_mac": (rules(), Ether(src=PEER_MAC, dst="02:00:00:00:00:99") / v6),
        "in_lldp": (rules(), Ether(src=PEER_MAC, dst="01:80:c2:00:00:0e", type=0x88CC) / data(30)),
        "in_ipv6_cut": (rules(), raw(inside / v6)[:14 + 39]),
        "in_short_frame": (rules(), raw(inside / v6)[:13]),
        "in_chained": (rules(chained=True), inside / v6),
        # Outside: IPv4 to the pool, the box or someone else.
        "out_translate4_udp": (rules(outside=True), outside / v4),
        "out_translate4_tcp": (rules(outside=True), outside / ip4(dst=POOL4[1]) / TCP(sport=443, dport=61000, flags="SA")),
        "out_translate4_echo_reply": (rules(outside=True), outside / ip4() / ICMP(type=0, id=61000) / data(8)),
        "out_translate4_error": (rules(outside=True), outside / ip4(src="192.0.2.1") / ICMP(type=3, code=3)
                                 / raw(IP(src=PUBLIC4, dst=SERVER4) / UDP(sport=61000, dport=53))),
        "out_local4_echo": (rules(outside=True), outside / ip4(dst=BOX4) / ICMP(type=8, id=5) / data(8)),
        "out_local4_bgp": (rules(outside=True), outside / ip4(dst=BOX4) / TCP(sport=50000, dport=179, flags="S")),
        "out_pooled_own4": (rules(outside=True, pool=[BOX4, POOL4[0]]), outside / ip4(dst=BOX4) / ICMP(type=8) / data(8)),
        "out_not_pooled": (rules(outside=True), outside / ip4(dst="203.0.113.6") / UDP()),
        "out_arp_request": (rules(outside=True), Ether(src=PEER_MAC, dst="ff:ff:ff:ff:ff:ff") / arp_req),
        "out_arp_reply": (rules(outside=True), outside / ARP(op=2, hwsrc=PEER_MAC, psrc="198.51.100.2",
                                                             hwdst=BOX_MAC_OUT, pdst=BOX4)),
        "out_ipv6_not_taken": (rules(outside=True), outside / v6),
        "out_ipv4_cut": (rules(outside=True), raw(outside / v4)[:14 + 19]),
        "out_no_pool": (rules(outside=True, pool=[]), outside / v4),
        # One arm: both families on the inside port.
        "one_arm_translate6": (rules(one_arm=True), inside / v6),
        "one_arm_translate4": (rules(one_arm=True), inside / v4),
        "one_arm_local4": (rules(one_arm=True), inside / ip4(dst=BOX4) / ICMP(type=8) / data(8)),
        "one_arm_vlan": (rules(one_arm=True, vlan_in=100, vlan_out=200), inside / Dot1Q(vlan=100) / v4),
        # 802.1Q: the port's tag only, stripped.
        "vlan_in_translate6": (rules(vlan_in=100, vlan_out=200), inside / Dot1Q(vlan=100) / v6),
        "vlan_out_translate4": (rules(outside=True, vlan_in=100, vlan_out=200), outside / Dot1Q(vlan=200) / v4),
        "vlan_priority_bits": (rules(vlan_in=100), inside / Dot1Q(vlan=100, prio=5, id=1) / v6),
        "vlan_arp": (rules(outside=True, vlan_out=200), Ether(src=PEER_MAC, dst="ff:ff:ff:ff:ff:ff")
                     / Dot1Q(vlan=200) / arp_req),
        "vlan_wrong_vid": (rules(vlan_in=100), inside / Dot1Q(vlan=101) / v6),
        "vlan_untagged_on_tagged_port": (rules(vlan_in=100), inside / v6),
        "vlan_tagged_on_untagged_port": (rules(), inside / Dot1Q(vlan=100) / v6),
        "vlan_qinq": (rules(vlan_in=100), inside / Dot1Q(vlan=100) / Dot1Q(vlan=7) / v6),
        "vlan_tag_cut": (rules(vlan_in=100), raw(inside / Dot1Q(vlan=100) / v6)[:16]),
        "vlan_ipv6_cut": (rules(vlan_in=100), raw(inside / Dot1Q(vlan=100) / v6)[:18 + 39]),
        "vlan_local6_ns": (rules(vlan_in=100), Ether(src=PEER_MAC, dst="33:33:ff:00:00:01") / Dot1Q(vlan=100) / ns),
    }
    for name, (r, frame) in seeds.items():
        write(t, name, r + raw(frame))


# Request streams: byte 0 sets the line limit to (b + 1) * 16, byte 1 the recv
# piece size to b + 1.
REQUESTS = {
    "stats": b'{"cmd":"stats"}\n',
    "config_health": b'{"cmd":"config"}\n{"cmd":"health"}\r\n',
    "flows_all_filters": b'{"cmd":"flows","proto":"udp","ipv6":"2001:db8:1::/48","public":"192.0.2.9",'
                         b'"public_port":9,"limit":7}\n',
    "flows_icmp_host": b'{"cmd":"flows","proto":"icmp","ipv6":"2001:db8:1::5","limit":1000000}\n',
    "bib_list": b'{"cmd":"bib"}\n{"cmd":"bib","op":"list","proto":"tcp","public":"203.0.113.5"}\n',
    "bib_add": b'{"cmd":"bib","op":"add","proto":"udp","ipv6":"2001:db8::5","port6":53,"ipv4":"192.0.2.1",'
               b'"port4":53}\n',
    "bib_del": b'{"cmd":"bib","op":"del","proto":"tcp","ipv6":"2001:db8::5","port6":22}\n',
    "no_newline_at_end": b'{"cmd":"stats"}\n{"cmd":"health"}',
    "empty_lines": b'\n\r\n{"cmd":"stats"}\n\n',
    "errors": b'{"cmd":"flows","public_port":65536}\n{"cmd":"flows","ipv6":"2001:db8::/129"}\n'
              b'{"cmd":"bib","op":"move"}\n{"cmd":"nope"}\n[1,2]\n{"cmd":7}\n{"cmd":"flows","limit":-1}\n',
    "null_fields": b'{"cmd":"flows","proto":null,"ipv6":null,"limit":null}\n',
    "unicode": '{"cmd":"bib","op":"del","proto":"tcp","ipv6":"2001:db8::\u00e9","port6":1}\n'.encode(),
    "float_and_bool": b'{"cmd":"flows","public_port":80.0,"limit":true}\n',
}


def corpus_control():
    for name, stream in REQUESTS.items():
        write("fuzz_control_request", name, bytes([0xFF, 0xFF]) + stream)
    write("fuzz_control_request", "small_pieces_short_limit", bytes([3, 0]) + REQUESTS["flows_all_filters"])


MINIMAL_CONFIG = """[ports]
inside = "net_null0"
outside = "net_null1"
[addresses]
inside_ipv6 = "2001:db8:1::1/64"
outside_ipv4 = "192.0.2.1/24"
[pool]
addresses = ["192.0.2.1"]
"""

CONFIG_VARIANTS = {
    "minimal.conf": MINIMAL_CONFIG,
    "dotted_keys.conf": 'ports.inside = "net_null0"\nports.outside = "net_null1"\n'
                        'addresses.inside_ipv6 = "2001:db8:1::1/64"\naddresses.outside_ipv4 = "192.0.2.1/24"\n'
                        'pool.addresses = ["192.0.2.1"]\n',
    "one_arm_flags.conf": '[ports]\nmode = "one-arm"\ninside = "net_null0"\n[addresses]\n'
                          'inside_ipv6 = "2001:db8:1::1/64"\noutside_ipv4 = "192.0.2.1/24"\n'
                          '[pool]\naddresses = ["192.0.2.4/30"]\npaired = false\n[nat64]\nhairpinning\n'
                          'allow_non_global = yes\n[timeouts]\nallow_short = on\nudp = 1\n',
    "static_bib_comments.conf": MINIMAL_CONFIG + '[static]\nbib = ["tcp 2001:db8::5#80 192.0.2.1#8080", # web\n'
                                '       "icmp 2001:db8::6#7 192.0.2.1#7"]  # ping\n'
                                'bib = ["udp 2001:db8::7#53 192.0.2.1#53"]\n',
    "prefix_nsp.conf": MINIMAL_CONFIG + '[nat64]\nprefix = "2001:db8:64::/64"\nlowest_ipv6_mtu = 1500\n'
                       'filtering = "address-dependent"\n',
    "macs_vlans.conf": MINIMAL_CONFIG + '[ports]\n',
    "bad_prefix.conf": MINIMAL_CONFIG + '[nat64]\nprefix = "64:ff9b::/33"\n',
    "unknown_key.conf": MINIMAL_CONFIG + '[nat64]\nprefixx = "64:ff9b::/96"\n',
    "repeated_key.conf": MINIMAL_CONFIG + '[limits]\nmax_flows = 10\nmax_flows = 20\n',
    "quotes.conf": MINIMAL_CONFIG + "[control]\nsocket = '/tmp/a \"b\".sock'\nlog_file = \"/tmp/it's.log\"\n"
                   'socket_owner = ""\n',
    "control_all.conf": MINIMAL_CONFIG + '[control]\nsocket = "/tmp/n.sock"\npidfile = ""\nexit_when_idle_ms = 500\n'
                        'log_syslog = true\nsocket_group = "daemon"\n[limits]\nmax_flows = 134217728\n'
                        'fragment_cache = 1\nicmp_errors_per_s = 0\n',
    "nul_byte.conf": MINIMAL_CONFIG + "[control]\nsocket = \"a\0b\"\n",
}


def corpus_config():
    d = os.path.join(CORPUS, "fuzz_config")
    os.makedirs(d, exist_ok=True)
    for conf in sorted(os.listdir(os.path.join(ROOT, "config"))):
        if conf.endswith(".conf") and not conf.startswith(("bird", "unbound")):
            shutil.copyfile(os.path.join(ROOT, "config", conf), os.path.join(d, conf))
    # The ports section of a variant: MACs and VLANs.
    CONFIG_VARIANTS["macs_vlans.conf"] = MINIMAL_CONFIG.replace(
        '[ports]\n', '[ports]\ninside_mac = "02:00:00:00:00:01"\noutside_mac = "02:00:00:00:00:02"\n'
        'inside_vlan = 100\noutside_vlan = 4094\ninside_mtu = 9000\noutside_mtu = 68\nworkers = 2\n')
    for name, text in CONFIG_VARIANTS.items():
        write("fuzz_config", name, text.encode())


def main():
    if len(sys.argv) > 1:
        sys.exit(__doc__)
    shutil.rmtree(CORPUS, ignore_errors=True)
    corpus_6to4()
    corpus_4to6()
    corpus_classify()
    corpus_control()
    corpus_config()
    for t in sorted(os.listdir(CORPUS)):
        print(f"{t}: {len(os.listdir(os.path.join(CORPUS, t)))} files")


if __name__ == "__main__":
    main()
