// parse_6 / parse_4: what the NAT is told about a packet, and what is refused
// before any rewriting (RFC 7915 s5.1, RFC 6146 s3.4, s3.5).
#include "xlate_fixtures.hpp"

using namespace nat64d;
using namespace nat64d::test;

TEST_CASE("parse: an IPv6 TCP packet reports tuple, hop limit and flags", "[parse][6to4]")
{
    Ip6Hdr h;
    h.hop = 17;
    Bytes l4 = tcp_header(kHostPort, kServerPort, 1, 0, 0x11);
    set_l4_checksum6(l4, kProtoTcp, kHost6, kServer6);
    h.src = kHost6;
    h.dst = kServer6;
    const Bytes in = ip6_packet(h, l4);
    Parsed6 p;
    REQUIRE(xlate::parse_6(in.data(), static_cast<uint32_t>(in.size()), p) == Verdict::forward);
    CHECK(p.tuple.src == kHost6);
    CHECK(p.tuple.dst == kServer6);
    CHECK(p.tuple.sport == kHostPort);
    CHECK(p.tuple.dport == kServerPort);
    CHECK(p.tuple.proto == kProtoTcp);
    CHECK(p.hop_limit == 17);
    CHECK(p.tcp_flags == 0x11);
    CHECK(p.l4_off == 40);
    CHECK(p.frag_hdr_off == 0);
    CHECK_FALSE(p.frag.is_fragment);
}

TEST_CASE("parse: malformed IPv6 packets are refused", "[parse][6to4]")
{
    const Bytes good = udp6(kHost6, kServer6, 1, 2, pattern(8));
    CHECK(parse6_verdict(slice(good, 0, 39)) == Verdict::drop_malformed);
    Bytes v4 = good;
    v4[0] = 0x45;
    CHECK(parse6_verdict(v4) == Verdict::drop_malformed);
    CHECK(parse6_verdict(slice(good, 0, good.size() - 1)) == Verdict::drop_malformed);
    Ip6Hdr h;
    h.payload_len = 0;   // jumbogram
    CHECK(parse6_verdict(udp6(kHost6, kServer6, 1, 2, {}, h)) == Verdict::drop_malformed);
    h.payload_len = 7;   // UDP header cut short
    CHECK(parse6_verdict(udp6(kHost6, kServer6, 1, 2, {}, h)) == Verdict::drop_malformed);
    h.payload_len = 19;  // TCP header cut short
    CHECK(parse6_verdict(tcp6(kHost6, kServer6, 1, 2, {}, h)) == Verdict::drop_malformed);
    h.payload_len = 7;   // ICMPv6 header cut short
    CHECK(parse6_verdict(icmp6(kHost6, kServer6, 128, 0, 0, {}, h)) == Verdict::drop_malformed);
    Bytes bad_doff = tcp6(kHost6, kServer6, 1, 2, {});
    bad_doff[52] = 0x40;   // data offset 4 < 5
    CHECK(parse6_verdict(bad_doff) == Verdict::drop_tcp_offset);
    bad_doff[52] = 0x60;   // data offset 6: options past the end of the packet
    CHECK(parse6_verdict(bad_doff) == Verdict::drop_tcp_offset);
}

TEST_CASE("parse: a truncated or repeated extension header is malformed", "[parse][6to4]")
{
    Ip6Hdr h;
    h.nh = kProtoDestOpts;
    // Header says 16 bytes, 8 present.
    Bytes opts = options_header(kProtoTcp, 1);
    CHECK(parse6_verdict(ip6_packet(h, slice(opts, 0, 8))) == Verdict::drop_malformed);
    CHECK(parse6_verdict(ip6_packet(h, slice(opts, 0, 4))) == Verdict::drop_malformed);
    h.nh = kProtoFragment;
    CHECK(parse6_verdict(ip6_packet(h, cat({frag_header(kProtoFragment, 0, true, 1),
                                            frag_header(kProtoTcp, 0, true, 1), pattern(20)}))) ==
          Verdict::drop_malformed);
    CHECK(parse6_verdict(ip6_packet(h, pattern(4))) == Verdict::drop_malformed);
}

TEST_CASE("parse: an extension-header chain longer than eight headers is refused", "[parse][6to4]")
{
    Ip6Hdr h;
    h.nh = kProtoDestOpts;
    Bytes chain;
    for (int i = 0; i < 9; ++i)
        chain = cat({chain, options_header(i == 8 ? kProtoTcp : kProtoDestOpts)});
    CHECK(parse6_verdict(ip6_packet(h, cat({chain, tcp_header(1, 2)}))) == Verdict::drop_ext_header);
}

TEST_CASE("parse: ICMPv6 informational messages other than echo are refused", "[parse][6to4][icmp]")
{
    const uint8_t type = GENERATE(as<uint8_t>{}, 130, 131, 132, 133, 134, 135, 136, 137, 143, 138, 139, 140, 200, 255);
    INFO("type " << int{type});
    CHECK(parse6_verdict(icmp6(kHost6, kServer6, type, 0, 0, pattern(24))) ==
          Verdict::drop_icmp_untranslatable);
}
