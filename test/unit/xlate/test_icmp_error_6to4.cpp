// RFC 7915 s5.2 / s5.3: ICMPv6 errors become ICMPv4 errors; the embedded
// packet is translated too, the result stays within 576 bytes.
#include "xlate_fixtures.hpp"

using namespace nat64d;
using namespace nat64d::test;

namespace {

// The error travels 6to4 from an IPv6 router to the IPv4 server; the quoted
// packet is what we sent the IPv6 host, so it travelled 4to6.
const Rewrite4 kErrOuter{kPublic4, kServer4, 0, 0};
const Rewrite4 kErrInner{kServer4, kPublic4, kServerPort, kPublicPort};
constexpr uint8_t kQuotedHop = 55;

Bytes quoted_tcp6(size_t data_len)
{
    Ip6Hdr h;
    h.hop = kQuotedHop;
    return tcp6(kServer6, kHost6, kServerPort, kHostPort, pattern(data_len), h);
}

// What the quoted packet would be in IPv4, built independently.
Bytes expected_inner_tcp4(size_t data_len)
{
    Ip4Hdr h;
    h.ttl = kQuotedHop;   // an embedded packet's TTL is not decremented
    return tcp4(kServer4, kPublic4, kServerPort, kPublicPort, pattern(data_len), h);
}

Bytes error6(uint8_t type, uint8_t code, uint32_t rest, const Bytes& quoted, uint8_t hop = 64)
{
    Ip6Hdr h;
    h.hop = hop;
    return icmp6(kRouter6, kServer6, type, code, rest, quoted, h);
}

} // namespace

TEST_CASE("6to4 icmp: port unreachable is translated field by field with its embedded packet",
          "[rfc7915][6to4][icmp]")
{
    const Bytes in = error6(1, 4, 0, quoted_tcp6(30));
    Parsed6 p;
    REQUIRE(xlate::parse_6(in.data(), static_cast<uint32_t>(in.size()), p) == Verdict::forward);
    CHECK(p.icmp == xlate::IcmpKind::error);
    CHECK(p.inner_off == 48);
    CHECK(p.inner.src == kServer6);
    CHECK(p.inner.dst == kHost6);
    CHECK(p.inner.sport == kServerPort);
    CHECK(p.inner.dport == kHostPort);
    CHECK(p.inner.proto == kProtoTcp);

    Translated t = run_6to4(in, kErrOuter, kErrInner);
    REQUIRE(t.verdict == Verdict::forward);
    const Bytes& o = t.out;
    REQUIRE(o.size() == 20 + 8 + 20 + 20 + 30);
    CHECK(o[0] == 0x45);
    CHECK(be16_at(o, 2) == 98);
    CHECK(be16_at(o, 4) == kIp4Id);
    CHECK(be16_at(o, 6) == 0);
    CHECK(o[8] == 63);
    CHECK(o[9] == kProtoIcmp4);
    CHECK(be32_at(o, 12) == kPublic4);
    CHECK(be32_at(o, 16) == kServer4);
    CHECK(ref_ip4_header_ok(o));
    CHECK(o[20] == 3);                         // Destination Unreachable
    CHECK(o[21] == 3);                         // port unreachable
    CHECK(be32_at(o, 24) == 0);
    CHECK(ref_l4_ok4(o));                      // full ICMPv4 checksum
    CHECK(slice(o, 28) == expected_inner_tcp4(30));
}

TEST_CASE("6to4 icmp: every ICMPv6 error type and code maps as RFC 7915 s5.2 says",
          "[rfc7915][6to4][icmp]")
{
    struct Row {
        uint8_t type6, code6;
        uint32_t rest6;
        bool ok;
        uint8_t type4, code4;
        uint32_t rest4;
    };
    auto r = GENERATE(values<Row>({
        {1, 0, 0, true, 3, 1, 0},            // no route -> host unreachable
        {1, 1, 0, true, 3, 10, 0},           // admin prohibited -> host admin prohibited
        {1, 2, 0, true, 3, 1, 0},            // beyond scope
        {1, 3, 0, true, 3, 1, 0},            // address unreachable
        {1, 4, 0, true, 3, 3, 0},            // port unreachable
        {1, 5, 0, false, 0, 0, 0},
        {1, 6, 0, false, 0, 0, 0},
        {1, 7, 0, false, 0, 0, 0},
        {2, 0, 1500, true, 3, 4, 1480},      // PTB -> fragmentation needed, MTU - 20
        {3, 0, 0, true, 11, 0, 0},           // hop limit exceeded
        {3, 1, 0, true, 11, 1, 0},           // reassembly time exceeded
        {4, 0, 7, true, 12, 0, 8u << 24},    // erroneous field, hop limit -> TTL
        {4, 1, 40, true, 3, 2, 0},           // unrecognized next header -> protocol unreachable
        {4, 2, 40, false, 0, 0, 0},          // unrecognized option
        {4, 3, 0, false, 0, 0, 0},
        {0, 0, 0, false, 0, 0, 0},           // unassigned error types
        {5, 0, 0, false, 0, 0, 0},
        {100, 0, 0, false, 0, 0, 0},
        {127, 0, 0, false, 0, 0, 0},
    }));
    INFO("ICMPv6 type " << int{r.type6} << " code " << int{r.code6});
    const Bytes in = error6(r.type6, r.code6, r.rest6, quoted_tcp6(8));
    if (!r.ok) {
        CHECK(parse6_verdict(in) == Verdict::drop_icmp_untranslatable);
        return;
    }
    Translated t = run_6to4(in, kErrOuter, kErrInner);
    REQUIRE(t.verdict == Verdict::forward);
    CHECK(t.out[20] == r.type4);
    CHECK(t.out[21] == r.code4);
    CHECK(be32_at(t.out, 24) == r.rest4);
    CHECK(ref_l4_ok4(t.out));
    CHECK(slice(t.out, 28) == expected_inner_tcp4(8));
}

TEST_CASE("6to4 icmp: packet too big MTU is min(MTU-20, mtu4, mtu6-20), within 68..65535",
          "[rfc7915][6to4][icmp]")
{
    struct Row {
        uint32_t adv, mtu4, mtu6, expected;
    };
    auto r = GENERATE(values<Row>({
        {1500, 1500, 1500, 1480},
        {1400, 1500, 1500, 1380},
        {1280, 1500, 1500, 1260},
        {9000, 1500, 9000, 1500},
        {9000, 9000, 1400, 1380},
        {60, 1500, 1500, 68},
        {10, 1500, 1500, 68},
        {100000, 70000, 70000, 65535},
    }));
    INFO("advertised " << r.adv << " mtu4 " << r.mtu4 << " mtu6 " << r.mtu6);
    XlateConfig cfg;
    cfg.mtu4 = r.mtu4;
    cfg.mtu6 = r.mtu6;
    Translated t = run_6to4(error6(2, 0, r.adv, quoted_tcp6(8)), kErrOuter, kErrInner, cfg);
    REQUIRE(t.verdict == Verdict::forward);
    CHECK(t.out[20] == 3);
    CHECK(t.out[21] == 4);
    CHECK(be16_at(t.out, 24) == 0);
    CHECK(be16_at(t.out, 26) == r.expected);
    CHECK(ref_l4_ok4(t.out));
}

TEST_CASE("6to4 icmp: parameter problem pointers map as RFC 7915 Figure 6", "[rfc7915][6to4][icmp]")
{
    struct Row {
        uint32_t ptr6;
        int ptr4;   // -1: not translatable
    };
    auto r = GENERATE(values<Row>({
        {0, 0}, {1, 1}, {2, -1}, {3, -1}, {4, 2}, {5, 2}, {6, 9}, {7, 8}, {8, 12}, {15, 12},
        {23, 12}, {24, 16}, {31, 16}, {39, 16}, {40, -1}, {41, -1}, {1000, -1}, {0xFFFFFFFF, -1},
    }));
    INFO("IPv6 pointer " << r.ptr6);
    Translated t = run_6to4(error6(4, 0, r.ptr6, quoted_tcp6(8)), kErrOuter, kErrInner);
    if (r.ptr4 < 0) {
        CHECK(t.verdict == Verdict::drop_icmp_untranslatable);
        return;
    }
    REQUIRE(t.verdict == Verdict::forward);
    CHECK(t.out[20] == 12);
    CHECK(t.out[21] == 0);
    CHECK(t.out[24] == r.ptr4);
    CHECK(t.out[25] == 0);
    CHECK(be16_at(t.out, 26) == 0);
    CHECK(ref_l4_ok4(t.out));
}

TEST_CASE("6to4 icmp: the result is cut to 576 bytes with the embedded length kept",
          "[rfc7915][6to4][icmp][rfc1812]")
{
    const Bytes in = error6(3, 0, 0, quoted_tcp6(1100));
    Translated t = run_6to4(in, kErrOuter, kErrInner);
    REQUIRE(t.verdict == Verdict::forward);
    REQUIRE(t.out.size() == 576);
    CHECK(be16_at(t.out, 2) == 576);
    CHECK(ref_ip4_header_ok(t.out));
    CHECK(ref_l4_ok4(t.out));
    const Bytes expected = expected_inner_tcp4(1100);
    CHECK(be16_at(t.out, 30) == 20 + 20 + 1100);   // the embedded header still tells the original length
    CHECK(slice(t.out, 28) == slice(expected, 0, 576 - 28));
}

TEST_CASE("6to4 icmp: an embedded packet cut after its ports is translated", "[rfc7915][6to4][icmp]")
{
    const Bytes full = quoted_tcp6(500);
    const Bytes in = error6(1, 4, 0, slice(full, 0, 40 + 8));
    Translated t = run_6to4(in, kErrOuter, kErrInner);
    REQUIRE(t.verdict == Verdict::forward);
    REQUIRE(t.out.size() == 20 + 8 + 20 + 8);
    CHECK(ref_l4_ok4(t.out));
    const Bytes expected = expected_inner_tcp4(500);
    CHECK(slice(t.out, 28) == slice(expected, 0, 28));
}

TEST_CASE("6to4 icmp: an embedded packet cut inside its payload gets its checksum adjusted",
          "[rfc7915][6to4][icmp]")
{
    const Bytes full = quoted_tcp6(500);
    const Bytes in = error6(1, 4, 0, slice(full, 0, 40 + 20 + 100));
    Translated t = run_6to4(in, kErrOuter, kErrInner);
    REQUIRE(t.verdict == Verdict::forward);
    CHECK(ref_l4_ok4(t.out));
    // Equal to the checksum of the whole IPv4 segment, computed independently.
    const Bytes expected = expected_inner_tcp4(500);
    CHECK(slice(t.out, 28) == slice(expected, 0, 20 + 20 + 100));
}

TEST_CASE("6to4 icmp: an embedded UDP datagram with checksum 0 keeps it", "[rfc7915][6to4][icmp]")
{
    Ip6Hdr h;
    h.hop = kQuotedHop;
    Bytes quoted = udp6(kServer6, kHost6, 53, kHostPort, pattern(12), h);
    quoted[46] = quoted[47] = 0;
    Translated t = run_6to4(error6(1, 4, 0, quoted), kErrOuter,
                            Rewrite4{kServer4, kPublic4, 53, kPublicPort});
    REQUIRE(t.verdict == Verdict::forward);
    CHECK(be16_at(t.out, 48) == 53);
    CHECK(be16_at(t.out, 50) == kPublicPort);
    CHECK(be16_at(t.out, 54) == 0);
    CHECK(ref_l4_ok4(t.out));
}

TEST_CASE("6to4 icmp: an embedded echo gets the identifier of the IPv6 side (dport)",
          "[rfc7915][6to4][icmp]")
{
    Ip6Hdr h;
    h.hop = kQuotedHop;
    const Bytes quoted = icmp6(kServer6, kHost6, 129, 0, echo_rest(0x4242, 1), pattern(32), h);
    const Bytes in = error6(3, 0, 0, quoted);
    Parsed6 p;
    REQUIRE(xlate::parse_6(in.data(), static_cast<uint32_t>(in.size()), p) == Verdict::forward);
    CHECK(p.inner.sport == 0x4242);
    CHECK(p.inner.dport == 0x4242);
    CHECK(p.inner.proto == kProtoIcmp6);
    Translated t = run_6to4(in, kErrOuter, Rewrite4{kServer4, kPublic4, 0x4242, 0x9999});
    REQUIRE(t.verdict == Verdict::forward);
    Ip4Hdr eh;
    eh.ttl = kQuotedHop;
    CHECK(slice(t.out, 28) == icmp4(kServer4, kPublic4, 0, 0, echo_rest(0x9999, 1), pattern(32), eh));
    CHECK(ref_l4_ok4(t.out));
}

TEST_CASE("6to4 icmp: an embedded non-first fragment keeps its payload", "[rfc7915][6to4][icmp]")
{
    Ip6Hdr h;
    h.src = kServer6;
    h.dst = kHost6;
    h.hop = kQuotedHop;
    h.nh = kProtoFragment;
    const Bytes quoted = ip6_packet(h, cat({frag_header(kProtoUdp, 1232, true, 0x11112222), pattern(40)}));
    Translated t = run_6to4(error6(3, 1, 0, quoted), kErrOuter, kErrInner);
    REQUIRE(t.verdict == Verdict::forward);
    CHECK(t.out[21] == 1);
    CHECK(be16_at(t.out, 28 + 2) == 60);
    CHECK(be16_at(t.out, 28 + 4) == 0x2222);
    CHECK(be16_at(t.out, 28 + 6) == (0x2000 | (1232 / 8)));
    CHECK(t.out[28 + 9] == kProtoUdp);
    CHECK(slice(t.out, 48) == pattern(40));
    CHECK(ref_l4_ok4(t.out));
}

TEST_CASE("6to4 icmp: an error about an ICMPv6 error is refused", "[rfc7915][6to4][icmp]")
{
    const Bytes quoted = icmp6(kServer6, kHost6, 1, 4, 0, pattern(48));
    CHECK(parse6_verdict(error6(1, 4, 0, quoted)) == Verdict::drop_icmp_error_in_error);
}

TEST_CASE("6to4 icmp: an error quoting ND or an unknown protocol is refused", "[rfc7915][6to4][icmp]")
{
    CHECK(parse6_verdict(error6(1, 4, 0, icmp6(kServer6, kHost6, 135, 0, 0, pattern(16)))) ==
          Verdict::drop_icmp_untranslatable);
    Ip6Hdr h;
    h.nh = 47;
    CHECK(parse6_verdict(error6(1, 4, 0, ip6_packet(h, pattern(16)))) == Verdict::drop_unsupported_proto);
}

TEST_CASE("6to4 icmp: a malformed embedded packet is refused", "[rfc7915][6to4][icmp]")
{
    const Bytes full = quoted_tcp6(20);
    CHECK(parse6_verdict(error6(1, 4, 0, slice(full, 0, 39))) == Verdict::drop_malformed);
    CHECK(parse6_verdict(error6(1, 4, 0, slice(full, 0, 43))) == Verdict::drop_malformed);
    Bytes v4 = full;
    v4[0] = 0x45;
    CHECK(parse6_verdict(error6(1, 4, 0, v4)) == Verdict::drop_malformed);
    const Bytes echo = icmp6(kServer6, kHost6, 128, 0, 0, {});
    CHECK(parse6_verdict(error6(1, 4, 0, slice(echo, 0, 45))) == Verdict::drop_malformed);
    CHECK(parse6_verdict(error6(1, 4, 0, slice(echo, 0, 40))) == Verdict::drop_malformed);
}

TEST_CASE("6to4 icmp: hop limit 1 refuses an error as ttl expired", "[rfc7915][6to4][icmp]")
{
    const Bytes in = error6(1, 4, 0, quoted_tcp6(8), 1);
    Translated t = run_6to4(in, kErrOuter, kErrInner);
    CHECK(t.verdict == Verdict::drop_ttl_expired);
    CHECK(t.out == in);
}

TEST_CASE("6to4 icmp: an error with a bad ICMPv6 checksum is refused", "[6to4][icmp]")
{
    Bytes in = error6(1, 4, 0, quoted_tcp6(8));
    in.back() ^= 0x01;
    CHECK(run_6to4(in, kErrOuter, kErrInner).verdict == Verdict::drop_bad_checksum);
}

TEST_CASE("6to4 icmp: a fragmented ICMPv6 error cannot be translated", "[rfc7915][6to4][icmp]")
{
    Ip6Hdr h;
    h.src = kRouter6;
    h.dst = kServer6;
    h.nh = kProtoFragment;
    const Bytes in = ip6_packet(h, cat({frag_header(kProtoIcmp6, 0, true, 9),
                                        icmp_header(1, 4, 0), quoted_tcp6(12)}));   // 80 bytes
    CHECK(parse6_verdict(in) == Verdict::drop_icmp_untranslatable);
}

TEST_CASE("6to4 icmp: a quote claiming a payload length IPv4 cannot carry is refused", "[rfc7915][6to4][icmp]")
{
    // The quoted packet travelled 4to6, so it was an IPv4 packet once; 65535
    // bytes of IPv6 payload would wrap the quoted IPv4 total length.
    Bytes quoted = quoted_tcp6(8);
    quoted[4] = 0xFF;
    quoted[5] = 0xFF;
    const Bytes in = error6(1, 4, 0, quoted);
    CHECK(run_6to4(in, kErrOuter, kErrInner).verdict == Verdict::drop_malformed);
}
