// The test support itself: the reference checksum against RFC 1071's worked
// example, so the expectations every other test relies on are trustworthy.
#include <catch2/catch.hpp>

#include "checksum_ref.hpp"
#include "packet_builder.hpp"

using namespace nat64d::test;

TEST_CASE("support: reference checksum matches the RFC 1071 s3 example", "[support]")
{
    // 00 01 f2 03 f4 f5 f6 f7 sums to ddf2 (one's complement), checksum 220d.
    const Bytes data = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    CHECK(ref_checksum(data) == 0x220d);
    // An odd byte counts as the high half of a word.
    CHECK(ref_checksum(Bytes{0x01}) == 0xFEFF);
}

TEST_CASE("support: builders produce packets the reference accepts", "[support]")
{
    const Bytes p4 = tcp4(ip4("192.0.2.1"), ip4("198.51.100.2"), 1, 2, pattern(7));
    CHECK(ref_ip4_header_ok(p4));
    CHECK(ref_l4_ok4(p4));
    const Bytes p6 = udp6(in6("2001:db8::1"), in6("2001:db8::2"), 1, 2, pattern(7));
    CHECK(ref_l4_ok6(p6));
    Bytes bad = p6;
    bad.back() ^= 1;
    CHECK_FALSE(ref_l4_ok6(bad));
}
