// RFC 7915 s5.1 (IPv6 -> IPv4 header), s5.1.1 (fragments) and s5.5 (transport)
// on plain TCP, UDP and ICMPv6 echo.
#include "xlate_fixtures.hpp"

using namespace nat64d;
using namespace nat64d::test;

namespace {

// The IPv4 packet an independent implementation would emit: used only for
// the expected transport checksum, built with checksum_ref.
uint16_t expected_tcp_checksum4(const Rewrite4& r, const Bytes& data)
{
    Bytes l4 = cat({tcp_header(r.sport, r.dport), data});
    set_l4_checksum4(l4, kProtoTcp, r.src, r.dst);
    return be16_at(l4, 16);
}

} // namespace

TEST_CASE("6to4: TCP header is translated field by field", "[rfc7915][6to4]")
{
    const Bytes data = pattern(100);
    Ip6Hdr h;
    h.tclass = 0xB8;
    h.flow = 0x12345;
    h.hop = 64;
    const Bytes in = tcp6(kHost6, kServer6, kHostPort, kServerPort, data, h);
    Translated t = run_6to4(in);
    REQUIRE(t.verdict == Verdict::forward);
    const Bytes& o = t.out;
    REQUIRE(o.size() == 20 + 20 + 100);
    CHECK(o[0] == 0x45);                       // version 4, IHL 5: no options
    CHECK(o[1] == 0xB8);                       // TOS = traffic class
    CHECK(be16_at(o, 2) == 140);               // total length
    CHECK(be16_at(o, 4) == kIp4Id);            // identification (DF clear)
    CHECK(be16_at(o, 6) == 0x0000);            // DF clear, MF clear, offset 0 (<= 1260 bytes)
    CHECK(o[8] == 63);                         // TTL = hop limit - 1
    CHECK(o[9] == kProtoTcp);
    CHECK(ref_ip4_header_ok(o));
    CHECK(be32_at(o, 12) == kPublic4);
    CHECK(be32_at(o, 16) == kServer4);
    CHECK(be16_at(o, 20) == kPublicPort);
    CHECK(be16_at(o, 22) == kServerPort);
    CHECK(be32_at(o, 24) == 1);                // sequence number untouched
    CHECK(o[33] == 0x02);                      // flags untouched
    CHECK(ref_l4_ok4(o));
    CHECK(slice(o, 40) == data);
    // The header shrank by 20 bytes in front; the payload did not move.
    CHECK(t.view.headroom == 128 + 20);
    CHECK(t.view.tailroom == PacketBuffer::kSize - 128 - in.size());
}

TEST_CASE("6to4: hop limit 1 is refused as ttl expired and left unchanged", "[rfc7915][6to4]")
{
    Ip6Hdr h;
    h.hop = 1;
    const Bytes in = tcp6(kHost6, kServer6, kHostPort, kServerPort, pattern(10), h);
    Translated t = run_6to4(in);
    CHECK(t.verdict == Verdict::drop_ttl_expired);
    CHECK(t.out == in);
    CHECK(t.view.headroom == 128);

    h.hop = 0;
    const Bytes in0 = tcp6(kHost6, kServer6, kHostPort, kServerPort, pattern(10), h);
    CHECK(run_6to4(in0).verdict == Verdict::drop_ttl_expired);
}

TEST_CASE("6to4: hop limit 2 leaves with TTL 1", "[rfc7915][6to4]")
{
    Ip6Hdr h;
    h.hop = 2;
    Translated t = run_6to4(tcp6(kHost6, kServer6, kHostPort, kServerPort, {}, h));
    REQUIRE(t.verdict == Verdict::forward);
    CHECK(t.out[8] == 1);
}

TEST_CASE("6to4: DF is clear with the caller's id up to 1260 bytes and set above", "[rfc7915][6to4]")
{
    // 20 (IPv4) + 8 (UDP) + data
    Translated small = run_6to4(udp6(kHost6, kServer6, kHostPort, kServerPort, pattern(1232)));
    REQUIRE(small.verdict == Verdict::forward);
    CHECK(be16_at(small.out, 2) == 1260);
    CHECK(be16_at(small.out, 4) == kIp4Id);
    CHECK(be16_at(small.out, 6) == 0x0000);

    Translated big = run_6to4(udp6(kHost6, kServer6, kHostPort, kServerPort, pattern(1233)));
    REQUIRE(big.verdict == Verdict::forward);
    CHECK(be16_at(big.out, 2) == 1261);
    CHECK(be16_at(big.out, 4) == 0);           // atomic datagram (RFC 6864)
    CHECK(be16_at(big.out, 6) == 0x4000);      // DF
    CHECK(ref_ip4_header_ok(big.out));
    CHECK(ref_l4_ok4(big.out));
}

TEST_CASE("6to4: a result larger than the IPv4 MTU is refused as too big and left unchanged",
          "[rfc7915][6to4]")
{
    XlateConfig cfg;
    cfg.mtu4 = 1400;
    const Bytes fits = udp6(kHost6, kServer6, kHostPort, kServerPort, pattern(1400 - 28));
    CHECK(run_6to4(fits, kOut6to4, {}, cfg).verdict == Verdict::forward);
    const Bytes too_big = udp6(kHost6, kServer6, kHostPort, kServerPort, pattern(1400 - 27));
    Translated t = run_6to4(too_big, kOut6to4, {}, cfg);
    CHECK(t.verdict == Verdict::drop_packet_too_big);
    CHECK(t.out == too_big);
}

TEST_CASE("6to4: UDP ports and checksum are rewritten incrementally", "[rfc7915][6to4]")
{
    const Bytes data = pattern(333, 7);   // odd length
    Translated t = run_6to4(udp6(kHost6, kServer6, kHostPort, 53, data),
                            Rewrite4{kPublic4, kServer4, kPublicPort, 53});
    REQUIRE(t.verdict == Verdict::forward);
    CHECK(t.out[9] == kProtoUdp);
    CHECK(be16_at(t.out, 20) == kPublicPort);
    CHECK(be16_at(t.out, 22) == 53);
    CHECK(be16_at(t.out, 24) == 8 + 333);      // UDP length untouched
    CHECK(ref_l4_ok4(t.out));
    CHECK(slice(t.out, 28) == data);
}

TEST_CASE("6to4: a UDP checksum that computes to zero is sent as 0xffff", "[rfc7915][6to4][rfc768]")
{
    // Choose the last data word so that the IPv4 checksum computes to 0.
    Bytes data = pattern(10);
    data[8] = data[9] = 0;
    Bytes l4 = cat({udp_header(kPublicPort, 53, data.size()), data});
    const uint16_t c = ref_checksum4(kPublic4, kServer4, kProtoUdp, l4.data(), l4.size());
    data[8] = static_cast<uint8_t>(c >> 8);
    data[9] = static_cast<uint8_t>(c);
    l4 = cat({udp_header(kPublicPort, 53, data.size()), data});
    REQUIRE(ref_checksum4(kPublic4, kServer4, kProtoUdp, l4.data(), l4.size()) == 0);

    Translated t = run_6to4(udp6(kHost6, kServer6, kHostPort, 53, data),
                            Rewrite4{kPublic4, kServer4, kPublicPort, 53});
    REQUIRE(t.verdict == Verdict::forward);
    CHECK(be16_at(t.out, 26) == 0xFFFF);
    CHECK(ref_l4_ok4(t.out));
}

TEST_CASE("6to4: IPv6 UDP with checksum zero is discarded", "[rfc8200][6to4]")
{
    // RFC 8200 s8.1: an IPv6 receiver discards it, so there is nothing valid to
    // translate (RFC 7915 s4.5 lets only the IPv4 direction compute one).
    Bytes in = udp6(kHost6, kServer6, kHostPort, 53, pattern(20));
    in[46] = in[47] = 0;
    CHECK(parse6_verdict(in) == Verdict::drop_udp_zero_checksum6);
}

TEST_CASE("6to4: hop-by-hop, destination options and routing with segments left 0 are skipped",
          "[rfc7915][6to4]")
{
    const Bytes data = pattern(64);
    Bytes l4 = cat({tcp_header(kHostPort, kServerPort), data});
    set_l4_checksum6(l4, kProtoTcp, kHost6, kServer6);
    Ip6Hdr h;
    h.src = kHost6;
    h.dst = kServer6;
    h.nh = kProtoHopByHop;
    const Bytes in = ip6_packet(h, cat({options_header(kProtoDestOpts, 1),
                                        options_header(kProtoRouting),
                                        routing_header(kProtoTcp, 0), l4}));
    Translated t = run_6to4(in);
    REQUIRE(t.verdict == Verdict::forward);
    CHECK(t.out.size() == 20 + 20 + 64);
    CHECK(be16_at(t.out, 2) == 104);           // total length excludes the extension headers
    CHECK(t.out[9] == kProtoTcp);              // protocol = the header after the chain
    CHECK(ref_ip4_header_ok(t.out));
    CHECK(ref_l4_ok4(t.out));
    CHECK(slice(t.out, 40) == data);
}

TEST_CASE("6to4: a routing header with segments left is refused", "[rfc7915][6to4]")
{
    Ip6Hdr h;
    h.src = kHost6;
    h.dst = kServer6;
    h.nh = kProtoRouting;
    const Bytes in = ip6_packet(h, cat({routing_header(kProtoTcp, 1), tcp_header(1, 2)}));
    CHECK(parse6_verdict(in) == Verdict::drop_segments_left);
}

TEST_CASE("6to4: extension headers that may not be skipped are refused", "[rfc7915][6to4]")
{
    const uint8_t nh = GENERATE(as<uint8_t>{}, 51, 135, 139, 140, 253, 254);   // AH, mobility, HIP, shim6, experiments
    INFO("next header " << int{nh});
    Ip6Hdr h;
    h.src = kHost6;
    h.dst = kServer6;
    h.nh = nh;
    const Bytes in = ip6_packet(h, cat({options_header(kProtoTcp), tcp_header(1, 2)}));
    CHECK(parse6_verdict(in) == Verdict::drop_ext_header);
}

TEST_CASE("6to4: a hop-by-hop header after the first position is refused", "[rfc7915][6to4]")
{
    Ip6Hdr h;
    h.src = kHost6;
    h.dst = kServer6;
    h.nh = kProtoDestOpts;
    const Bytes in = ip6_packet(h, cat({options_header(kProtoHopByHop),
                                        options_header(kProtoTcp), tcp_header(1, 2)}));
    CHECK(parse6_verdict(in) == Verdict::drop_ext_header);
}

TEST_CASE("6to4: protocols other than TCP, UDP and ICMPv6 are refused", "[rfc6146][6to4]")
{
    const uint8_t nh = GENERATE(as<uint8_t>{}, 47, 50, 132, kProtoNoNext);   // GRE, ESP, SCTP, no next header
    Ip6Hdr h;
    h.src = kHost6;
    h.dst = kServer6;
    h.nh = nh;
    CHECK(parse6_verdict(ip6_packet(h, pattern(16))) == Verdict::drop_unsupported_proto);
}

TEST_CASE("6to4: a first fragment keeps id, offset and MF and its TCP checksum is adjusted",
          "[rfc7915][6to4][fragment]")
{
    // The whole segment is 20 + 200 bytes; the first fragment carries 20 + 100
    // (a non-last fragment carries a multiple of 8 bytes, RFC 8200 s4.5).
    const Bytes data = pattern(200);
    Bytes l4 = cat({tcp_header(kHostPort, kServerPort), data});
    set_l4_checksum6(l4, kProtoTcp, kHost6, kServer6);
    Ip6Hdr h;
    h.src = kHost6;
    h.dst = kServer6;
    h.nh = kProtoFragment;
    const Bytes in = ip6_packet(h, cat({frag_header(kProtoTcp, 0, true, 0xABCD1234), slice(l4, 0, 120)}));
    Parsed6 p;
    REQUIRE(xlate::parse_6(in.data(), static_cast<uint32_t>(in.size()), p) == Verdict::forward);
    CHECK(p.frag.is_fragment);
    CHECK(p.frag.more);
    CHECK(p.frag.id == 0xABCD1234);
    CHECK(p.frag_hdr_off == 40);
    CHECK(p.tuple.sport == kHostPort);

    Translated t = run_6to4(in);
    REQUIRE(t.verdict == Verdict::forward);
    CHECK(t.out.size() == 20 + 120);
    CHECK(be16_at(t.out, 2) == 140);
    CHECK(be16_at(t.out, 4) == 0x1234);        // low 16 bits of the identification
    CHECK(be16_at(t.out, 6) == 0x2000);        // MF, DF clear, offset 0
    CHECK(t.out[9] == kProtoTcp);
    CHECK(ref_ip4_header_ok(t.out));
    CHECK(be16_at(t.out, 20) == kPublicPort);
    CHECK(be16_at(t.out, 36) == expected_tcp_checksum4(kOut6to4, data));
}

TEST_CASE("6to4: a non-first fragment is translated without touching its payload",
          "[rfc7915][6to4][fragment]")
{
    const Bytes data = pattern(80, 3);
    Ip6Hdr h;
    h.src = kHost6;
    h.dst = kServer6;
    h.nh = kProtoFragment;
    const Bytes in = ip6_packet(h, cat({frag_header(kProtoUdp, 1232, false, 0x00077777), data}));
    Parsed6 p;
    REQUIRE(xlate::parse_6(in.data(), static_cast<uint32_t>(in.size()), p) == Verdict::forward);
    CHECK(p.frag.offset_bytes == 1232);
    CHECK(p.tuple.sport == 0);
    Translated t = run_6to4(in);
    REQUIRE(t.verdict == Verdict::forward);
    CHECK(be16_at(t.out, 2) == 100);
    CHECK(be16_at(t.out, 4) == 0x7777);
    CHECK(be16_at(t.out, 6) == 1232 / 8);      // MF clear: last fragment
    CHECK(t.out[9] == kProtoUdp);
    CHECK(ref_ip4_header_ok(t.out));
    CHECK(slice(t.out, 20) == data);
}

TEST_CASE("6to4: ICMPv6 echo request becomes ICMPv4 echo with the mapped identifier",
          "[rfc7915][6to4][icmp]")
{
    const uint8_t type6 = GENERATE(as<uint8_t>{}, 128, 129);
    const uint8_t type4 = type6 == 128 ? 8 : 0;
    const Bytes data = pattern(56);
    const Bytes in = icmp6(kHost6, kServer6, type6, 0, echo_rest(0x4242, 7), data);
    Parsed6 p;
    REQUIRE(xlate::parse_6(in.data(), static_cast<uint32_t>(in.size()), p) == Verdict::forward);
    CHECK(p.icmp == xlate::IcmpKind::query);
    CHECK(p.tuple.sport == 0x4242);
    CHECK(p.tuple.dport == 0x4242);
    Translated t = run_6to4(in, Rewrite4{kPublic4, kServer4, 0x9999, 0x4242});
    REQUIRE(t.verdict == Verdict::forward);
    CHECK(t.out[9] == kProtoIcmp4);
    CHECK(be16_at(t.out, 2) == 20 + 8 + 56);
    CHECK(t.out[20] == type4);
    CHECK(t.out[21] == 0);
    CHECK(be16_at(t.out, 24) == 0x9999);       // identifier = sport going 6to4
    CHECK(be16_at(t.out, 26) == 7);            // sequence untouched
    CHECK(ref_l4_ok4(t.out));                  // ICMPv4 checksum has no pseudo-header
    CHECK(slice(t.out, 28) == data);
}

TEST_CASE("6to4: a fragmented ICMPv6 echo cannot be translated", "[rfc7915][6to4][icmp]")
{
    Ip6Hdr h;
    h.src = kHost6;
    h.dst = kServer6;
    h.nh = kProtoFragment;
    const Bytes in = ip6_packet(h, cat({frag_header(kProtoIcmp6, 0, true, 1),
                                        icmp_header(128, 0, echo_rest(1, 1)), pattern(64)}));
    CHECK(parse6_verdict(in) == Verdict::drop_icmp_untranslatable);
}

TEST_CASE("6to4: an atomic fragment header is removed", "[rfc7915][6to4][fragment]")
{
    const Bytes data = pattern(30);
    Bytes l4 = cat({udp_header(kHostPort, 53, data.size()), data});
    set_l4_checksum6(l4, kProtoUdp, kHost6, kServer6);
    Ip6Hdr h;
    h.src = kHost6;
    h.dst = kServer6;
    h.nh = kProtoFragment;
    const Bytes in = ip6_packet(h, cat({frag_header(kProtoUdp, 0, false, 0x55), l4}));
    Translated t = run_6to4(in, Rewrite4{kPublic4, kServer4, kPublicPort, 53});
    REQUIRE(t.verdict == Verdict::forward);
    CHECK(be16_at(t.out, 2) == 20 + 38);
    CHECK(be16_at(t.out, 4) == 0x55);
    CHECK(be16_at(t.out, 6) == 0);
    CHECK(ref_l4_ok4(t.out));
}

TEST_CASE("6to4: trailing link-layer padding is not carried into the IPv4 packet", "[rfc7915][6to4]")
{
    Bytes in = udp6(kHost6, kServer6, kHostPort, 53, pattern(4));
    in.resize(in.size() + 6, 0xEE);
    Translated t = run_6to4(in, Rewrite4{kPublic4, kServer4, kPublicPort, 53});
    REQUIRE(t.verdict == Verdict::forward);
    CHECK(t.out.size() == 32);
    CHECK(be16_at(t.out, 2) == 32);
}
