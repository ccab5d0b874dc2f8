// RFC 7915 s4.2 / s4.3: ICMPv4 errors become ICMPv6 errors; the embedded
// packet is translated too, the result stays within 1280 bytes.
#include "xlate_fixtures.hpp"

using namespace nat64d;
using namespace nat64d::test;

namespace {

// The error travels 4to6 from an IPv4 router to the IPv6 host; the quoted
// packet is what the host sent, so it travelled 6to4.
const Rewrite6 kErrOuter{kRouter4As6, kHost6, 0, 0};
const Rewrite6 kErrInner{kHost6, kServer6, kHostPort, kServerPort};
constexpr uint8_t kQuotedTtl = 55;

Bytes quoted_tcp4(size_t data_len, Ip4Hdr h = {})
{
    h.ttl = kQuotedTtl;
    return tcp4(kPublic4, kServer4, kPublicPort, kServerPort, pattern(data_len), h);
}

Bytes expected_inner_tcp6(size_t data_len)
{
    Ip6Hdr h;
    h.hop = kQuotedTtl;   // not decremented
    return tcp6(kHost6, kServer6, kHostPort, kServerPort, pattern(data_len), h);
}

Bytes error4(uint8_t type, uint8_t code, uint32_t rest, const Bytes& quoted, uint8_t ttl = 64)
{
    Ip4Hdr h;
    h.ttl = ttl;
    return icmp4(kRouter4, kPublic4, type, code, rest, quoted, h);
}

} // namespace

TEST_CASE("4to6 icmp: port unreachable is translated field by field with its embedded packet",
          "[rfc7915][4to6][icmp]")
{
    const Bytes in = error4(3, 3, 0, quoted_tcp4(30));
    Parsed4 p;
    REQUIRE(xlate::parse_4(in.data(), static_cast<uint32_t>(in.size()), p) == Verdict::forward);
    CHECK(p.icmp == xlate::IcmpKind::error);
    CHECK(p.icmp_type == 3);
    CHECK(p.icmp_code == 3);
    CHECK(p.inner_off == 28);
    CHECK(p.inner.src == kPublic4);
    CHECK(p.inner.dst == kServer4);
    CHECK(p.inner.sport == kPublicPort);
    CHECK(p.inner.dport == kServerPort);
    CHECK(p.inner.proto == kProtoTcp);

    Translated t = run_4to6(in, kErrOuter, kErrInner);
    REQUIRE(t.verdict == Verdict::forward);
    const Bytes& o = t.out;
    REQUIRE(o.size() == 40 + 8 + 40 + 20 + 30);
    CHECK(be32_at(o, 0) == (6u << 28));
    CHECK(be16_at(o, 4) == 8 + 40 + 20 + 30);
    CHECK(o[6] == kProtoIcmp6);
    CHECK(o[7] == 63);
    CHECK(in6_at(o, 8) == kRouter4As6);
    CHECK(in6_at(o, 24) == kHost6);
    CHECK(o[40] == 1);                         // Destination Unreachable
    CHECK(o[41] == 4);                         // port unreachable
    CHECK(be32_at(o, 44) == 0);
    CHECK(ref_l4_ok6(o));                      // full ICMPv6 checksum with pseudo-header
    CHECK(slice(o, 48) == expected_inner_tcp6(30));
    CHECK(t.view.headroom == 128 - 40);
}

TEST_CASE("4to6 icmp: every ICMPv4 error type and code maps as RFC 7915 s4.2 says",
          "[rfc7915][4to6][icmp]")
{
    struct Row {
        uint8_t type4, code4;
        uint32_t rest4;
        uint8_t type6, code6;
        uint32_t rest6;
    };
    auto r = GENERATE(values<Row>({
        {3, 0, 0, 1, 0, 0},    {3, 1, 0, 1, 0, 0},
        {3, 2, 0, 4, 1, 6},    // protocol unreachable -> parameter problem at Next Header
        {3, 3, 0, 1, 4, 0},
        {3, 4, 1400, 2, 0, 1420},
        {3, 5, 0, 1, 0, 0},    {3, 6, 0, 1, 0, 0},    {3, 7, 0, 1, 0, 0},  {3, 8, 0, 1, 0, 0},
        {3, 9, 0, 1, 1, 0},    {3, 10, 0, 1, 1, 0},   {3, 11, 0, 1, 0, 0}, {3, 12, 0, 1, 0, 0},
        {3, 13, 0, 1, 1, 0},   {3, 15, 0, 1, 1, 0},
        {11, 0, 0, 3, 0, 0},   {11, 1, 0, 3, 1, 0},
        {12, 0, 8u << 24, 4, 0, 7},    // TTL -> hop limit
        {12, 2, 9u << 24, 4, 0, 6},    // bad length: pointer still mapped
    }));
    INFO("ICMPv4 type " << int{r.type4} << " code " << int{r.code4});
    Translated t = run_4to6(error4(r.type4, r.code4, r.rest4, quoted_tcp4(8)), kErrOuter, kErrInner);
    REQUIRE(t.verdict == Verdict::forward);
    CHECK(t.out[40] == r.type6);
    CHECK(t.out[41] == r.code6);
    CHECK(be32_at(t.out, 44) == r.rest6);
    CHECK(ref_l4_ok6(t.out));
    CHECK(slice(t.out, 48) == expected_inner_tcp6(8));
}

TEST_CASE("4to6 icmp: packet too big MTU follows s4.2, plateaus for MTU 0, at least 1280",
          "[rfc7915][4to6][icmp][rfc1191]")
{
    struct Row {
        uint16_t adv;
        uint32_t mtu4, mtu6;
        uint16_t quoted_total;
        uint32_t expected;
    };
    auto r = GENERATE(values<Row>({
        {1400, 1500, 1500, 1500, 1420},
        {1500, 1500, 1500, 1500, 1500},    // capped by the IPv6 next hop
        {1500, 1500, 9000, 1500, 1520},
        {9000, 1400, 9000, 9000, 1420},    // capped by our own IPv4 MTU + 20
        {576, 1500, 1500, 1500, 1280},     // never below the IPv6 minimum
        {0, 1500, 9000, 1500, 1512},       // plateau 1492
        {0, 9000, 9000, 9000, 8186},       // plateau 8166
        {0, 9000, 9000, 1492, 1280},       // plateau 1006 -> 1026 -> 1280
        {0, 65535, 70000, 65535, 32020},   // plateau 32000
    }));
    INFO("advertised " << r.adv << " quoted total " << r.quoted_total);
    XlateConfig cfg;
    cfg.mtu4 = r.mtu4;
    cfg.mtu6 = r.mtu6;
    Ip4Hdr qh;
    qh.total_len = r.quoted_total;
    qh.df = true;
    Translated t = run_4to6(error4(3, 4, r.adv, quoted_tcp4(8, qh)), kErrOuter, kErrInner, cfg);
    REQUIRE(t.verdict == Verdict::forward);
    CHECK(t.out[40] == 2);
    CHECK(t.out[41] == 0);
    CHECK(be32_at(t.out, 44) == r.expected);
    CHECK(ref_l4_ok6(t.out));
}

TEST_CASE("4to6 icmp: parameter problem pointers map as RFC 7915 Figure 3", "[rfc7915][4to6][icmp]")
{
    struct Row {
        uint8_t ptr4;
        int ptr6;   // -1: not translatable
    };
    auto r = GENERATE(values<Row>({
        {0, 0}, {1, 1}, {2, 4}, {3, 4}, {4, -1}, {5, -1}, {6, -1}, {7, -1}, {8, 7}, {9, 6},
        {10, -1}, {11, -1}, {12, 8}, {15, 8}, {16, 24}, {19, 24}, {20, -1}, {255, -1},
    }));
    INFO("IPv4 pointer " << int{r.ptr4});
    Translated t = run_4to6(error4(12, 0, uint32_t{r.ptr4} << 24, quoted_tcp4(8)), kErrOuter, kErrInner);
    if (r.ptr6 < 0) {
        CHECK(t.verdict == Verdict::drop_icmp_untranslatable);
        return;
    }
    REQUIRE(t.verdict == Verdict::forward);
    CHECK(t.out[40] == 4);
    CHECK(t.out[41] == 0);
    CHECK(be32_at(t.out, 44) == static_cast<uint32_t>(r.ptr6));
    CHECK(ref_l4_ok6(t.out));
}

TEST_CASE("4to6 icmp: the result is cut to 1280 bytes with the embedded length kept",
          "[rfc7915][4to6][icmp][rfc4443]")
{
    Translated t = run_4to6(error4(11, 0, 0, quoted_tcp4(1400)), kErrOuter, kErrInner);
    REQUIRE(t.verdict == Verdict::forward);
    REQUIRE(t.out.size() == 1280);
    CHECK(be16_at(t.out, 4) == 1240);
    CHECK(ref_l4_ok6(t.out));
    CHECK(be16_at(t.out, 48 + 4) == 20 + 1400);   // embedded payload length: the original's
    CHECK(slice(t.out, 48) == slice(expected_inner_tcp6(1400), 0, 1280 - 48));
}

TEST_CASE("4to6 icmp: an embedded packet cut inside its payload gets its checksum adjusted",
          "[rfc7915][4to6][icmp]")
{
    const Bytes full = quoted_tcp4(500);
    Translated t = run_4to6(error4(3, 1, 0, slice(full, 0, 20 + 20 + 64)), kErrOuter, kErrInner);
    REQUIRE(t.verdict == Verdict::forward);
    CHECK(ref_l4_ok6(t.out));
    CHECK(slice(t.out, 48) == slice(expected_inner_tcp6(500), 0, 40 + 20 + 64));
}

TEST_CASE("4to6 icmp: an embedded packet cut after its ports is translated", "[rfc7915][4to6][icmp]")
{
    const Bytes full = quoted_tcp4(500);
    Translated t = run_4to6(error4(3, 1, 0, slice(full, 0, 28)), kErrOuter, kErrInner);
    REQUIRE(t.verdict == Verdict::forward);
    REQUIRE(t.out.size() == 40 + 8 + 40 + 8);
    CHECK(ref_l4_ok6(t.out));
    CHECK(slice(t.out, 48) == slice(expected_inner_tcp6(500), 0, 48));
}

TEST_CASE("4to6 icmp: an embedded UDP datagram is translated with its checksum", "[rfc7915][4to6][icmp]")
{
    Ip4Hdr h;
    h.ttl = kQuotedTtl;
    const Bytes quoted = udp4(kPublic4, kServer4, kPublicPort, 53, pattern(12), h);
    Translated t = run_4to6(error4(3, 3, 0, quoted), kErrOuter, Rewrite6{kHost6, kServer6, kHostPort, 53});
    REQUIRE(t.verdict == Verdict::forward);
    Ip6Hdr eh;
    eh.hop = kQuotedTtl;
    CHECK(slice(t.out, 48) == udp6(kHost6, kServer6, kHostPort, 53, pattern(12), eh));
}

TEST_CASE("4to6 icmp: an embedded echo gets the identifier of the IPv6 side (sport)",
          "[rfc7915][4to6][icmp]")
{
    Ip4Hdr h;
    h.ttl = kQuotedTtl;
    const Bytes quoted = icmp4(kPublic4, kServer4, 8, 0, echo_rest(0x9999, 1), pattern(32), h);
    Translated t = run_4to6(error4(11, 0, 0, quoted), kErrOuter,
                            Rewrite6{kHost6, kServer6, 0x4242, 0x9999});
    REQUIRE(t.verdict == Verdict::forward);
    Ip6Hdr eh;
    eh.hop = kQuotedTtl;
    CHECK(slice(t.out, 48) == icmp6(kHost6, kServer6, 128, 0, echo_rest(0x4242, 1), pattern(32), eh));
    CHECK(ref_l4_ok6(t.out));
}

TEST_CASE("4to6 icmp: an embedded fragment gets a fragment header", "[rfc7915][4to6][icmp][fragment]")
{
    Ip4Hdr h;
    h.mf = true;
    h.id = 0x7777;
    const Bytes full = quoted_tcp4(100, h);
    Translated t = run_4to6(error4(11, 1, 0, full), kErrOuter, kErrInner);
    REQUIRE(t.verdict == Verdict::forward);
    const Bytes& o = t.out;
    REQUIRE(o.size() == 48 + 48 + 120);
    CHECK(o[48 + 6] == kProtoFragment);
    CHECK(be16_at(o, 48 + 4) == 8 + 120);
    CHECK(o[88] == kProtoTcp);
    CHECK(be16_at(o, 90) == 1);                // offset 0, M
    CHECK(be32_at(o, 92) == 0x7777);
    CHECK(be16_at(o, 96) == kHostPort);
    CHECK(ref_l4_ok6(o));
    CHECK(t.view.headroom == 128 - 48);
}

TEST_CASE("4to6 icmp: an embedded non-first fragment keeps its payload", "[rfc7915][4to6][icmp][fragment]")
{
    Ip4Hdr h;
    h.src = kPublic4;
    h.dst = kServer4;
    h.proto = kProtoUdp;
    h.frag_offset_bytes = 1480;
    h.ttl = kQuotedTtl;
    const Bytes quoted = ip4_packet(h, pattern(24));
    Translated t = run_4to6(error4(11, 1, 0, quoted), kErrOuter, kErrInner);
    REQUIRE(t.verdict == Verdict::forward);
    CHECK(be16_at(t.out, 90) == 1480);
    CHECK(slice(t.out, 96) == pattern(24));
    CHECK(ref_l4_ok6(t.out));
}

TEST_CASE("4to6 icmp: without 40 bytes of headroom an error is refused unchanged", "[4to6][icmp]")
{
    const Bytes in = error4(3, 3, 0, quoted_tcp4(8));
    Translated t = run_4to6(in, kErrOuter, kErrInner, {}, 39);
    CHECK(t.verdict == Verdict::drop_no_headroom);
    CHECK(t.out == in);
    CHECK(run_4to6(in, kErrOuter, kErrInner, {}, 40).verdict == Verdict::forward);
}

TEST_CASE("4to6 icmp: an error about an ICMPv4 error is refused", "[rfc7915][4to6][icmp]")
{
    const uint8_t type = GENERATE(as<uint8_t>{}, 3, 4, 5, 11, 12);
    const Bytes quoted = icmp4(kPublic4, kServer4, type, 0, 0, pattern(28));
    CHECK(parse4_verdict(error4(3, 1, 0, quoted)) == Verdict::drop_icmp_error_in_error);
}

TEST_CASE("4to6 icmp: a malformed or untranslatable embedded packet is refused", "[rfc7915][4to6][icmp]")
{
    const Bytes full = quoted_tcp4(20);
    CHECK(parse4_verdict(error4(3, 1, 0, slice(full, 0, 19))) == Verdict::drop_malformed);
    CHECK(parse4_verdict(error4(3, 1, 0, slice(full, 0, 23))) == Verdict::drop_malformed);
    Bytes v6 = full;
    v6[0] = 0x65;
    CHECK(parse4_verdict(error4(3, 1, 0, v6)) == Verdict::drop_malformed);
    Ip4Hdr h;
    h.options = {1, 1, 1, 1};
    CHECK(parse4_verdict(error4(3, 1, 0, slice(quoted_tcp4(0, h), 0, 22))) == Verdict::drop_malformed);
    h = {};
    h.total_len = 10;
    CHECK(parse4_verdict(error4(3, 1, 0, quoted_tcp4(0, h))) == Verdict::drop_malformed);
    h = {};
    h.proto = 47;
    CHECK(parse4_verdict(error4(3, 1, 0, ip4_packet(h, pattern(8)))) == Verdict::drop_unsupported_proto);
    CHECK(parse4_verdict(error4(3, 1, 0, icmp4(kPublic4, kServer4, 13, 0, 0, pattern(12)))) ==
          Verdict::drop_icmp_untranslatable);
    const Bytes echo = icmp4(kPublic4, kServer4, 8, 0, 0, {});
    CHECK(parse4_verdict(error4(3, 1, 0, slice(echo, 0, 25))) == Verdict::drop_malformed);
    CHECK(parse4_verdict(error4(3, 1, 0, slice(echo, 0, 20))) == Verdict::drop_malformed);
}

TEST_CASE("4to6 icmp: TTL 1 refuses an error as ttl expired", "[rfc7915][4to6][icmp]")
{
    const Bytes in = error4(3, 3, 0, quoted_tcp4(8), 1);
    Translated t = run_4to6(in, kErrOuter, kErrInner);
    CHECK(t.verdict == Verdict::drop_ttl_expired);
    CHECK(t.out == in);
}

TEST_CASE("4to6 icmp: an error with a bad ICMPv4 checksum is refused", "[4to6][icmp]")
{
    Bytes in = error4(3, 3, 0, quoted_tcp4(8));
    in.back() ^= 0x01;
    CHECK(run_4to6(in, kErrOuter, kErrInner).verdict == Verdict::drop_bad_checksum);
}

TEST_CASE("4to6 icmp: a fragmented ICMPv4 error cannot be translated", "[rfc7915][4to6][icmp]")
{
    Ip4Hdr h;
    h.mf = true;
    CHECK(parse4_verdict(icmp4(kRouter4, kPublic4, 3, 3, 0, quoted_tcp4(8), h)) ==
          Verdict::drop_icmp_untranslatable);
}
