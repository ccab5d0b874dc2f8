// RFC 7915 s4.1 (IPv4 -> IPv6 header, options, fragments), s4.5 (transport)
// on plain TCP, UDP and ICMPv4 echo.
#include "xlate_fixtures.hpp"

using namespace nat64d;
using namespace nat64d::test;

TEST_CASE("4to6: TCP header is translated field by field", "[rfc7915][4to6]")
{
    const Bytes data = pattern(100);
    Ip4Hdr h;
    h.tos = 0x28;
    h.ttl = 50;
    h.id = 0x4321;
    h.df = true;
    const Bytes in = tcp4(kServer4, kPublic4, kServerPort, kPublicPort, data, h);
    Translated t = run_4to6(in);
    REQUIRE(t.verdict == Verdict::forward);
    const Bytes& o = t.out;
    REQUIRE(o.size() == 40 + 20 + 100);
    CHECK(be32_at(o, 0) == ((6u << 28) | (0x28u << 20)));   // version, traffic class = TOS, flow label 0
    CHECK(be16_at(o, 4) == 120);               // payload length
    CHECK(o[6] == kProtoTcp);
    CHECK(o[7] == 49);                         // hop limit = TTL - 1
    CHECK(in6_at(o, 8) == kServer6);
    CHECK(in6_at(o, 24) == kHost6);
    CHECK(be16_at(o, 40) == kServerPort);
    CHECK(be16_at(o, 42) == kHostPort);
    CHECK(be32_at(o, 44) == 1);
    CHECK(ref_l4_ok6(o));
    CHECK(slice(o, 60) == data);
    CHECK(t.view.headroom == 128 - 20);
}

TEST_CASE("4to6: TTL 1 is refused as ttl expired and left unchanged", "[rfc7915][4to6]")
{
    Ip4Hdr h;
    h.ttl = 1;
    const Bytes in = tcp4(kServer4, kPublic4, kServerPort, kPublicPort, pattern(10), h);
    Translated t = run_4to6(in);
    CHECK(t.verdict == Verdict::drop_ttl_expired);
    CHECK(t.out == in);
}

TEST_CASE("4to6: a bad IPv4 header checksum is refused", "[rfc1812][4to6]")
{
    Ip4Hdr h;
    h.corrupt_checksum = true;
    CHECK(parse4_verdict(tcp4(kServer4, kPublic4, 1, 2, {}, h)) == Verdict::drop_bad_checksum);
}

TEST_CASE("4to6: malformed IPv4 headers are refused", "[rfc7915][4to6]")
{
    const Bytes good = tcp4(kServer4, kPublic4, 1, 2, pattern(8));
    CHECK(parse4_verdict(slice(good, 0, 19)) == Verdict::drop_malformed);
    Bytes v6 = good;
    v6[0] = 0x65;
    CHECK(parse4_verdict(v6) == Verdict::drop_malformed);
    CHECK(parse4_verdict(slice(good, 0, good.size() - 1)) == Verdict::drop_malformed);   // total length > buffer
    Ip4Hdr h;
    h.total_len = 19;
    CHECK(parse4_verdict(tcp4(kServer4, kPublic4, 1, 2, {}, h)) == Verdict::drop_malformed);
    // A TCP header cut short.
    h.total_len = 30;
    CHECK(parse4_verdict(tcp4(kServer4, kPublic4, 1, 2, {}, h)) == Verdict::drop_malformed);
}

TEST_CASE("4to6: IPv4 options are dropped from the output", "[rfc7915][4to6]")
{
    Ip4Hdr h;
    h.options = {1, 1, 68, 8, 5, 0, 0, 0, 0, 0, 0, 0};   // NOP, NOP, timestamp, padding
    const Bytes data = pattern(40);
    const Bytes in = udp4(kServer4, kPublic4, 53, kPublicPort, data, h);
    REQUIRE(in[0] == 0x48);
    Translated t = run_4to6(in, Rewrite6{kServer6, kHost6, 53, kHostPort});
    REQUIRE(t.verdict == Verdict::forward);
    CHECK(t.out.size() == 40 + 8 + 40);
    CHECK(be16_at(t.out, 4) == 48);
    CHECK(t.out[6] == kProtoUdp);
    CHECK(ref_l4_ok6(t.out));
    CHECK(slice(t.out, 48) == data);
    // 40 - 32: the header grew by 8 bytes only.
    CHECK(t.view.headroom == 120);
}

TEST_CASE("4to6: an unexpired source route is refused, an expired one ignored", "[rfc7915][4to6]")
{
    const uint8_t type = GENERATE(as<uint8_t>{}, 131, 137);   // LSRR, SSRR
    INFO("option " << int{type});
    Ip4Hdr h;
    h.options = {1, type, 7, 4, 192, 0, 2, 9};   // pointer 4 <= length 7: unexpired
    CHECK(parse4_verdict(tcp4(kServer4, kPublic4, 1, 2, {}, h)) == Verdict::drop_source_route);
    h.options = {1, type, 7, 8, 192, 0, 2, 9};   // pointer 8 > length 7: route used up
    const Bytes in = tcp4(kServer4, kPublic4, kServerPort, kPublicPort, pattern(4), h);
    Translated t = run_4to6(in);
    CHECK(t.verdict == Verdict::forward);
    CHECK(ref_l4_ok6(t.out));
}

TEST_CASE("4to6: malformed IPv4 options are refused", "[rfc7915][4to6]")
{
    Ip4Hdr h;
    h.options = {68, 1, 0, 0};   // length 1 < 2
    CHECK(parse4_verdict(tcp4(kServer4, kPublic4, 1, 2, {}, h)) == Verdict::drop_malformed);
    h.options = {68, 9, 0, 0};   // runs past the header
    CHECK(parse4_verdict(tcp4(kServer4, kPublic4, 1, 2, {}, h)) == Verdict::drop_malformed);
    h.options = {1, 1, 1, 131};  // no room for the length byte
    CHECK(parse4_verdict(tcp4(kServer4, kPublic4, 1, 2, {}, h)) == Verdict::drop_malformed);
    h.options = {131, 2, 0, 0};  // source route too short for its pointer
    CHECK(parse4_verdict(tcp4(kServer4, kPublic4, 1, 2, {}, h)) == Verdict::drop_malformed);
    h.options = {0, 131, 3, 1};  // after End of Options nothing is read
    CHECK(parse4_verdict(tcp4(kServer4, kPublic4, 1, 2, {}, h)) == Verdict::forward);
}

TEST_CASE("4to6: DF set and larger than the IPv6 MTU is refused; DF clear is translated whole",
          "[rfc7915][4to6]")
{
    XlateConfig cfg;
    cfg.mtu6 = 1300;
    Ip4Hdr h;
    h.df = true;
    const Bytes fits = udp4(kServer4, kPublic4, 53, kPublicPort, pattern(1300 - 48), h);
    CHECK(run_4to6(fits, kOut4to6, {}, cfg).verdict == Verdict::forward);
    const Bytes big = udp4(kServer4, kPublic4, 53, kPublicPort, pattern(1300 - 47), h);
    Translated t = run_4to6(big, kOut4to6, {}, cfg);
    CHECK(t.verdict == Verdict::drop_packet_too_big);
    CHECK(t.out == big);

    h.df = false;
    const Bytes big_nodf = udp4(kServer4, kPublic4, 53, kPublicPort, pattern(1300 - 47), h);
    Translated t2 = run_4to6(big_nodf, kOut4to6, {}, cfg);
    REQUIRE(t2.verdict == Verdict::forward);
    CHECK(t2.out.size() == 1301);
    CHECK(t2.out[6] == kProtoUdp);             // no fragment header added (RFC 7915 dropped atomic fragments)
    CHECK(ref_l4_ok6(t2.out));
    Parsed4 p;
    REQUIRE(xlate::parse_4(big_nodf.data(), static_cast<uint32_t>(big_nodf.size()), p) == Verdict::forward);
    CHECK(xlate::needs_fragmentation_6(p, 1301, cfg));
    CHECK_FALSE(xlate::needs_fragmentation_6(p, 1280, cfg));
    Parsed4 pdf;
    REQUIRE(xlate::parse_4(big.data(), static_cast<uint32_t>(big.size()), pdf) == Verdict::forward);
    CHECK_FALSE(xlate::needs_fragmentation_6(pdf, 1301, cfg));
}

TEST_CASE("4to6: an IPv4 first fragment gets a fragment header", "[rfc7915][4to6][fragment]")
{
    const Bytes data = pattern(200);
    Bytes l4 = cat({tcp_header(kServerPort, kPublicPort), data});
    set_l4_checksum4(l4, kProtoTcp, kServer4, kPublic4);
    Ip4Hdr h;
    h.src = kServer4;
    h.dst = kPublic4;
    h.proto = kProtoTcp;
    h.id = 0xBEEF;
    h.mf = true;
    const Bytes in = ip4_packet(h, slice(l4, 0, 120));
    Translated t = run_4to6(in);
    REQUIRE(t.verdict == Verdict::forward);
    const Bytes& o = t.out;
    REQUIRE(o.size() == 40 + 8 + 120);
    CHECK(be16_at(o, 4) == 128);               // payload length includes the fragment header
    CHECK(o[6] == kProtoFragment);
    CHECK(o[7] == 63);
    CHECK(o[40] == kProtoTcp);                 // fragment header: next header
    CHECK(o[41] == 0);
    CHECK(be16_at(o, 42) == 0x0001);           // offset 0, M
    CHECK(be32_at(o, 44) == 0x0000BEEF);       // IPv4 id in the low 16 bits
    CHECK(be16_at(o, 48) == kServerPort);
    CHECK(be16_at(o, 50) == kHostPort);
    // Expected TCP checksum: the whole segment as IPv6 would carry it.
    Bytes l6 = cat({tcp_header(kServerPort, kHostPort), data});
    set_l4_checksum6(l6, kProtoTcp, kServer6, kHost6);
    CHECK(be16_at(o, 64) == be16_at(l6, 16));
    CHECK(t.view.headroom == 128 - 28);
}

TEST_CASE("4to6: IPv4 non-first and last fragments keep offset, MF and payload",
          "[rfc7915][4to6][fragment]")
{
    const bool more = GENERATE(true, false);
    const Bytes data = pattern(64, 9);
    Ip4Hdr h;
    h.src = kServer4;
    h.dst = kPublic4;
    h.proto = kProtoUdp;
    h.id = 0x0102;
    h.mf = more;
    h.frag_offset_bytes = 1480;
    Translated t = run_4to6(ip4_packet(h, data));
    REQUIRE(t.verdict == Verdict::forward);
    CHECK(t.out[6] == kProtoFragment);
    CHECK(t.out[40] == kProtoUdp);
    CHECK(be16_at(t.out, 42) == (1480 | (more ? 1 : 0)));
    CHECK(be32_at(t.out, 44) == 0x0102);
    CHECK(slice(t.out, 48) == data);
}

TEST_CASE("4to6: UDP with checksum 0 gets a fully computed checksum", "[rfc7915][4to6]")
{
    const Bytes data = pattern(101);
    Bytes in = udp4(kServer4, kPublic4, 53, kPublicPort, data);
    in[26] = in[27] = 0;   // no checksum, legal in IPv4
    Translated t = run_4to6(in, Rewrite6{kServer6, kHost6, 53, kHostPort});
    REQUIRE(t.verdict == Verdict::forward);
    CHECK(be16_at(t.out, 46) != 0);
    CHECK(be16_at(t.out, 42) == kHostPort);
    CHECK(ref_l4_ok6(t.out));
}

TEST_CASE("4to6: a fragmented UDP datagram with checksum 0 is refused", "[rfc7915][4to6]")
{
    Bytes l4 = cat({udp_header(53, kPublicPort, 100), pattern(48)});   // 56 bytes: a multiple of 8
    Ip4Hdr h;
    h.src = kServer4;
    h.dst = kPublic4;
    h.proto = kProtoUdp;
    h.mf = true;
    const Bytes in = ip4_packet(h, l4);
    Translated t = run_4to6(in);
    CHECK(t.verdict == Verdict::drop_udp_zero_checksum);
    CHECK(t.out == in);
}

TEST_CASE("4to6: UDP ports and checksum are rewritten incrementally", "[rfc7915][4to6]")
{
    const Bytes data = pattern(77);
    Translated t = run_4to6(udp4(kServer4, kPublic4, 53, kPublicPort, data),
                            Rewrite6{kServer6, kHost6, 53, kHostPort});
    REQUIRE(t.verdict == Verdict::forward);
    CHECK(be16_at(t.out, 40) == 53);
    CHECK(be16_at(t.out, 42) == kHostPort);
    CHECK(ref_l4_ok6(t.out));
    CHECK(slice(t.out, 48) == data);
}

TEST_CASE("4to6: a UDP checksum that computes to zero is sent as 0xffff", "[rfc7915][4to6][rfc768]")
{
    Bytes data = pattern(10);
    data[8] = data[9] = 0;
    Bytes l6 = cat({udp_header(53, kHostPort, data.size()), data});
    const uint16_t c = ref_checksum6(kServer6, kHost6, kProtoUdp, l6.data(), l6.size());
    data[8] = static_cast<uint8_t>(c >> 8);
    data[9] = static_cast<uint8_t>(c);
    Translated t = run_4to6(udp4(kServer4, kPublic4, 53, kPublicPort, data),
                            Rewrite6{kServer6, kHost6, 53, kHostPort});
    REQUIRE(t.verdict == Verdict::forward);
    CHECK(be16_at(t.out, 46) == 0xFFFF);
    CHECK(ref_l4_ok6(t.out));

    // The same datagram sent with checksum 0 is computed to 0xffff too.
    Bytes in0 = udp4(kServer4, kPublic4, 53, kPublicPort, data);
    in0[26] = in0[27] = 0;
    Translated t0 = run_4to6(in0, Rewrite6{kServer6, kHost6, 53, kHostPort});
    REQUIRE(t0.verdict == Verdict::forward);
    CHECK(be16_at(t0.out, 46) == 0xFFFF);
}

TEST_CASE("4to6: ICMPv4 echo becomes ICMPv6 echo with the mapped identifier",
          "[rfc7915][4to6][icmp]")
{
    const uint8_t type4 = GENERATE(as<uint8_t>{}, 8, 0);
    const uint8_t type6 = type4 == 8 ? 128 : 129;
    const Bytes data = pattern(56);
    const Bytes in = icmp4(kServer4, kPublic4, type4, 0, echo_rest(0x9999, 3), data);
    Translated t = run_4to6(in, Rewrite6{kServer6, kHost6, 0x9999, 0x4242});
    REQUIRE(t.verdict == Verdict::forward);
    CHECK(t.out[6] == kProtoIcmp6);
    CHECK(be16_at(t.out, 4) == 64);
    CHECK(t.out[40] == type6);
    CHECK(t.out[41] == 0);
    CHECK(be16_at(t.out, 44) == 0x4242);       // identifier = dport going 4to6
    CHECK(be16_at(t.out, 46) == 3);
    CHECK(ref_l4_ok6(t.out));                  // ICMPv6 checksum includes the pseudo-header
    CHECK(slice(t.out, 48) == data);
}

TEST_CASE("4to6: ICMPv4 messages without an ICMPv6 counterpart are refused", "[rfc7915][4to6][icmp]")
{
    struct Row {
        uint8_t type, code;
    };
    auto row = GENERATE(values<Row>({{4, 0}, {5, 0}, {5, 1}, {6, 0}, {9, 0}, {10, 0}, {13, 0},
                                     {14, 0}, {15, 0}, {16, 0}, {17, 0}, {18, 0}, {40, 0}, {255, 0},
                                     {3, 14}, {3, 16}, {12, 1}, {12, 3}}));
    INFO("type " << int{row.type} << " code " << int{row.code});
    CHECK(parse4_verdict(icmp4(kServer4, kPublic4, row.type, row.code, 0, pattern(28))) ==
          Verdict::drop_icmp_untranslatable);
}

TEST_CASE("4to6: protocols other than TCP, UDP and ICMP are refused", "[rfc6146][4to6]")
{
    Ip4Hdr h;
    h.proto = GENERATE(as<uint8_t>{}, 2, 47, 50, 132);
    CHECK(parse4_verdict(ip4_packet(h, pattern(20))) == Verdict::drop_unsupported_proto);
}

TEST_CASE("4to6: a fragmented ICMPv4 echo cannot be translated", "[rfc7915][4to6][icmp]")
{
    Ip4Hdr h;
    h.mf = true;
    CHECK(parse4_verdict(icmp4(kServer4, kPublic4, 8, 0, echo_rest(1, 1), pattern(64), h)) ==
          Verdict::drop_icmp_untranslatable);
}

TEST_CASE("4to6: without 20 bytes of headroom the packet is refused unchanged", "[4to6]")
{
    const Bytes in = tcp4(kServer4, kPublic4, kServerPort, kPublicPort, pattern(10));
    Translated t = run_4to6(in, kOut4to6, {}, {}, 19);
    CHECK(t.verdict == Verdict::drop_no_headroom);
    CHECK(t.out == in);
    CHECK(run_4to6(in, kOut4to6, {}, {}, 20).verdict == Verdict::forward);
}

TEST_CASE("4to6: parse reports the tuple, TTL, DF and TCP flags", "[4to6][parse]")
{
    Ip4Hdr h;
    h.df = true;
    h.ttl = 33;
    Bytes l4 = cat({tcp_header(kServerPort, kPublicPort, 5, 6, 0x12), {}});
    set_l4_checksum4(l4, kProtoTcp, kServer4, kPublic4);
    h.src = kServer4;
    h.dst = kPublic4;
    const Bytes in = ip4_packet(h, l4);
    Parsed4 p;
    REQUIRE(xlate::parse_4(in.data(), static_cast<uint32_t>(in.size()), p) == Verdict::forward);
    CHECK(p.tuple.src == kServer4);
    CHECK(p.tuple.dst == kPublic4);
    CHECK(p.tuple.sport == kServerPort);
    CHECK(p.tuple.dport == kPublicPort);
    CHECK(p.tuple.proto == kProtoTcp);
    CHECK(p.ttl == 33);
    CHECK(p.df);
    CHECK(p.tcp_flags == 0x12);
    CHECK(p.l4_off == 20);
    CHECK(p.icmp == xlate::IcmpKind::none);
    CHECK_FALSE(p.frag.is_fragment);
}
