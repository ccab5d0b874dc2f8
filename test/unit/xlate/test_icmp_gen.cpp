// ICMP errors the box originates (icmp_gen.hpp): RFC 792 / RFC 1191 / RFC 4443
// formats, quoting limits (RFC 1812 s4.3.2.3, RFC 4443 s2.4 (c)), never about
// an error (RFC 1812 s4.3.2.7, RFC 4443 s2.4 (e)).
#include <array>

#include "dataplane/xlate/icmp_gen.hpp"
#include "xlate_fixtures.hpp"

using namespace nat64d;
using namespace nat64d::test;
using nat64d::xlate::build_icmp4_error;
using nat64d::xlate::build_icmp6_error;

namespace {
const Ip4 kBox4 = ip4("192.0.2.254");
const In6 kBox6 = in6("2001:db8:1::fe");

Bytes gen4(const Bytes& orig, uint8_t type, uint8_t code, uint32_t param, uint32_t cap = 2048)
{
    Bytes out(2048);
    uint32_t n = build_icmp4_error(out.data(), cap, orig.data(), static_cast<uint32_t>(orig.size()),
                                   kBox4, type, code, param);
    out.resize(n);
    return out;
}

Bytes gen6(const Bytes& orig, uint8_t type, uint8_t code, uint32_t param, uint32_t cap = 2048)
{
    Bytes out(2048);
    uint32_t n = build_icmp6_error(out.data(), cap, orig.data(), static_cast<uint32_t>(orig.size()),
                                   kBox6, type, code, param);
    out.resize(n);
    return out;
}
} // namespace

TEST_CASE("icmp gen: ICMPv4 time exceeded quotes the whole small packet", "[icmp_gen][rfc792]")
{
    Ip4Hdr h;
    h.ttl = 1;
    const Bytes orig = tcp4(kServer4, kPublic4, kServerPort, kPublicPort, pattern(12), h);
    const Bytes o = gen4(orig, 11, 0, 0);
    REQUIRE(o.size() == 28 + orig.size());
    CHECK(o[0] == 0x45);
    CHECK(be16_at(o, 2) == o.size());
    CHECK(be16_at(o, 6) == 0);
    CHECK(o[8] == 64);
    CHECK(o[9] == kProtoIcmp4);
    CHECK(be32_at(o, 12) == kBox4);
    CHECK(be32_at(o, 16) == kServer4);         // back to the original sender
    CHECK(ref_ip4_header_ok(o));
    CHECK(o[20] == 11);
    CHECK(o[21] == 0);
    CHECK(be32_at(o, 24) == 0);
    CHECK(ref_l4_ok4(o));
    CHECK(slice(o, 28) == orig);
}

TEST_CASE("icmp gen: ICMPv4 fragmentation needed carries the MTU, parameter problem the pointer",
          "[icmp_gen][rfc1191]")
{
    const Bytes orig = udp4(kServer4, kPublic4, 53, kPublicPort, pattern(8));
    const Bytes ptb = gen4(orig, 3, 4, 1480);
    CHECK(be16_at(ptb, 24) == 0);
    CHECK(be16_at(ptb, 26) == 1480);
    CHECK(ref_l4_ok4(ptb));
    const Bytes pp = gen4(orig, 12, 0, 9);
    CHECK(pp[24] == 9);
    CHECK(pp[25] == 0);
    CHECK(ref_l4_ok4(pp));
    const Bytes sr = gen4(orig, 3, 5, 0);
    CHECK(sr[21] == 5);
    CHECK(be32_at(sr, 24) == 0);
}

TEST_CASE("icmp gen: ICMPv4 errors stay within 576 bytes and the buffer", "[icmp_gen][rfc1812]")
{
    const Bytes orig = udp4(kServer4, kPublic4, 53, kPublicPort, pattern(1400));
    const Bytes o = gen4(orig, 11, 0, 0);
    REQUIRE(o.size() == 576);
    CHECK(be16_at(o, 2) == 576);
    CHECK(ref_l4_ok4(o));
    CHECK(slice(o, 28) == slice(orig, 0, 548));
    // A smaller buffer quotes less, but at least the header and 8 bytes.
    CHECK(gen4(orig, 11, 0, 0, 100).size() == 100);
    CHECK(gen4(orig, 11, 0, 0, 55).empty());
    CHECK(gen4(orig, 11, 0, 0, 20).empty());
}

TEST_CASE("icmp gen: no ICMPv4 error about an ICMPv4 error, a non-first fragment or garbage",
          "[icmp_gen][rfc1812]")
{
    const Bytes err = icmp4(kServer4, kPublic4, 3, 3, 0, pattern(28));
    CHECK(gen4(err, 11, 0, 0).empty());
    const Bytes echo = icmp4(kServer4, kPublic4, 8, 0, 0, pattern(28));
    CHECK_FALSE(gen4(echo, 11, 0, 0).empty());
    Ip4Hdr h;
    h.frag_offset_bytes = 8;
    CHECK(gen4(udp4(kServer4, kPublic4, 1, 2, pattern(8), h), 11, 0, 0).empty());
    CHECK(gen4(slice(echo, 0, 19), 11, 0, 0).empty());
    Bytes bad = echo;
    bad[0] = 0x44;   // IHL 4
    CHECK(gen4(bad, 11, 0, 0).empty());
    bad[0] = 0x65;
    CHECK(gen4(bad, 11, 0, 0).empty());
}

TEST_CASE("icmp gen: ICMPv6 errors carry type, code, parameter and a pseudo-header checksum",
          "[icmp_gen][rfc4443]")
{
    const uint8_t type = GENERATE(as<uint8_t>{}, 1, 2, 3, 4);
    const uint32_t param = type == 2 ? 1280u : type == 4 ? 40u : 0u;
    const Bytes orig = tcp6(kHost6, kServer6, kHostPort, kServerPort, pattern(12));
    const Bytes o = gen6(orig, type, 0, param);
    REQUIRE(o.size() == 48 + orig.size());
    CHECK(be32_at(o, 0) == (6u << 28));
    CHECK(be16_at(o, 4) == 8 + orig.size());
    CHECK(o[6] == kProtoIcmp6);
    CHECK(o[7] == 64);
    CHECK(in6_at(o, 8) == kBox6);
    CHECK(in6_at(o, 24) == kHost6);
    CHECK(o[40] == type);
    CHECK(be32_at(o, 44) == param);
    CHECK(ref_l4_ok6(o));
    CHECK(slice(o, 48) == orig);
}

TEST_CASE("icmp gen: ICMPv6 errors stay within 1280 bytes", "[icmp_gen][rfc4443]")
{
    const Bytes orig = udp6(kHost6, kServer6, 1, 2, pattern(1452));
    const Bytes o = gen6(orig, 2, 0, 1280);
    REQUIRE(o.size() == 1280);
    CHECK(be16_at(o, 4) == 1240);
    CHECK(ref_l4_ok6(o));
    CHECK(gen6(orig, 2, 0, 1280, 200).size() == 200);
    CHECK(gen6(orig, 2, 0, 1280, 87).empty());
}

TEST_CASE("icmp gen: no ICMPv6 error about an ICMPv6 error", "[icmp_gen][rfc4443]")
{
    CHECK(gen6(icmp6(kHost6, kServer6, 1, 0, 0, pattern(48)), 3, 0, 0).empty());
    CHECK_FALSE(gen6(icmp6(kHost6, kServer6, 128, 0, 0, pattern(48)), 3, 0, 0).empty());
    // Behind extension headers too.
    Ip6Hdr h;
    h.src = kHost6;
    h.dst = kServer6;
    h.nh = kProtoDestOpts;
    CHECK(gen6(ip6_packet(h, cat({options_header(kProtoIcmp6), icmp_header(3, 0), pattern(48)})), 3, 0, 0).empty());
    // A non-first fragment of ICMPv6 has no type to look at: answered.
    h.nh = kProtoFragment;
    CHECK_FALSE(gen6(ip6_packet(h, cat({frag_header(kProtoIcmp6, 8, false, 1), pattern(16)})), 3, 1, 0).empty());
    // A bad extension header still deserves its parameter problem.
    h.nh = kProtoRouting;
    CHECK_FALSE(gen6(ip6_packet(h, cat({routing_header(kProtoTcp, 1), tcp_header(1, 2)})), 4, 0, 43).empty());
    Bytes bad = udp6(kHost6, kServer6, 1, 2, {});
    bad[0] = 0x45;
    CHECK(gen6(bad, 3, 0, 0).empty());
    CHECK(gen6(slice(bad, 0, 30), 3, 0, 0).empty());
}

TEST_CASE("icmp gen: the error may be built over the offending packet itself", "[icmp_gen]")
{
    const Bytes orig = udp4(kServer4, kPublic4, 53, kPublicPort, pattern(40));
    std::array<uint8_t, 1024> buf{};
    std::copy(orig.begin(), orig.end(), buf.begin());
    uint32_t n = build_icmp4_error(buf.data(), 1024, buf.data(), static_cast<uint32_t>(orig.size()),
                                   kBox4, 11, 0, 0);
    REQUIRE(n == 28 + orig.size());
    Bytes o(buf.begin(), buf.begin() + n);
    CHECK(be32_at(o, 16) == kServer4);
    CHECK(ref_l4_ok4(o));
    CHECK(slice(o, 28) == orig);
}
