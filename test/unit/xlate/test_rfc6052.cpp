// RFC 6052: address format for every prefix length (s2.2, examples of s2.4),
// the well-known prefix (s2.1) and the global-address rule (s3.1).
#include <bit>

#include <catch2/catch.hpp>

#include "dataplane/xlate/rfc6052.hpp"
#include "packet_builder.hpp"

using namespace nat64d;
using namespace nat64d::xlate;
using nat64d::test::in6;
using nat64d::test::ip4;

namespace {
Prefix6 prefix(const char* text, uint8_t len)
{
    return Prefix6{in6(text), len};
}
} // namespace

TEST_CASE("rfc6052: embedding and extracting match the s2.4 example table", "[rfc6052]")
{
    struct Row {
        const char* prefix;
        uint8_t len;
        const char* embedded;
    };
    auto row = GENERATE(values<Row>({
        {"2001:db8::", 32, "2001:db8:c000:221::"},
        {"2001:db8:100::", 40, "2001:db8:1c0:2:21::"},
        {"2001:db8:122::", 48, "2001:db8:122:c000:2:2100::"},
        {"2001:db8:122:300::", 56, "2001:db8:122:3c0:0:221::"},
        {"2001:db8:122:344::", 64, "2001:db8:122:344:c0:2:2100:0"},
        {"2001:db8:122:344::", 96, "2001:db8:122:344::192.0.2.33"},
        {"64:ff9b::", 96, "64:ff9b::192.0.2.33"},
    }));
    INFO("prefix " << row.prefix << "/" << int{row.len});
    const Prefix6 p = prefix(row.prefix, row.len);
    REQUIRE(is_valid_prefix_len(row.len));
    CHECK(embed_ip4(p, ip4("192.0.2.33")) == in6(row.embedded));
    Ip4 out = 0;
    REQUIRE(extract_ip4(p, in6(row.embedded), out));
    CHECK(out == ip4("192.0.2.33"));
}

TEST_CASE("rfc6052: only prefix lengths 32, 40, 48, 56, 64 and 96 are valid", "[rfc6052]")
{
    for (unsigned len = 0; len <= 128; ++len) {
        bool expected = len == 32 || len == 40 || len == 48 || len == 56 || len == 64 || len == 96;
        INFO("len " << len);
        CHECK(is_valid_prefix_len(len) == expected);
    }
}

TEST_CASE("rfc6052: the well-known prefix is 64:ff9b::/96", "[rfc6052]")
{
    Prefix6 wkp = well_known_prefix();
    CHECK(wkp.addr == in6("64:ff9b::"));
    CHECK(wkp.len == 96);
    CHECK(is_well_known_prefix(wkp));
    CHECK_FALSE(is_well_known_prefix(prefix("64:ff9b::", 64)));
    CHECK_FALSE(is_well_known_prefix(prefix("64:ff9b:1::", 96)));
}

TEST_CASE("rfc6052: an address outside the prefix or with a non-zero u octet is not extracted",
          "[rfc6052]")
{
    Ip4 out = 0;
    CHECK_FALSE(extract_ip4(prefix("64:ff9b::", 96), in6("64:ff9c::c000:221"), out));
    CHECK_FALSE(extract_ip4(prefix("2001:db8::", 32), in6("2001:db9:c000:221::"), out));
    // bits 64..71 set (s2.2)
    CHECK_FALSE(extract_ip4(prefix("2001:db8::", 32), in6("2001:db8:c000:221:100::"), out));
    CHECK_FALSE(extract_ip4(prefix("2001:db8:122:344::", 64), in6("2001:db8:122:344:1c0:2:2100:0"), out));
    // For /96 byte 8 belongs to the prefix and is compared as such.
    CHECK(extract_ip4(prefix("2001:db8:0:0:100::", 96), in6("2001:db8:0:0:100::c000:221"), out));
    CHECK(out == ip4("192.0.2.33"));
}

TEST_CASE("rfc6052: suffix bits are ignored on extraction", "[rfc6052]")
{
    Ip4 out = 0;
    REQUIRE(extract_ip4(prefix("2001:db8::", 32), in6("2001:db8:c000:221:0:ffff:1:2"), out));
    CHECK(out == ip4("192.0.2.33"));
}

TEST_CASE("rfc6052: s3.1 non-global IPv4 ranges are refused, their neighbours are global",
          "[rfc6052]")
{
    struct Row {
        const char* addr;
        bool global;
    };
    auto row = GENERATE(values<Row>({
        {"0.0.0.0", false},        {"0.255.255.255", false},   {"1.0.0.0", true},
        {"9.255.255.255", true},   {"10.0.0.0", false},        {"10.255.255.255", false},
        {"11.0.0.0", true},        {"100.63.255.255", true},   {"100.64.0.0", false},
        {"100.127.255.255", false},{"100.128.0.0", true},      {"126.255.255.255", true},
        {"127.0.0.1", false},      {"128.0.0.0", true},        {"169.253.255.255", true},
        {"169.254.1.1", false},    {"169.255.0.0", true},      {"172.15.255.255", true},
        {"172.16.0.0", false},     {"172.31.255.255", false},  {"172.32.0.0", true},
        {"192.0.0.0", false},      {"192.0.0.255", false},     {"192.0.1.0", true},
        {"192.0.2.0", false},      {"192.0.2.255", false},     {"192.0.3.0", true},
        {"192.88.98.255", true},   {"192.88.99.1", false},     {"192.88.100.0", true},
        {"192.167.255.255", true}, {"192.168.0.1", false},     {"192.169.0.0", true},
        {"198.17.255.255", true},  {"198.18.0.0", false},      {"198.19.255.255", false},
        {"198.20.0.0", true},      {"198.51.99.255", true},    {"198.51.100.7", false},
        {"198.51.101.0", true},    {"203.0.112.255", true},    {"203.0.113.5", false},
        {"203.0.114.0", true},     {"223.255.255.255", true},  {"224.0.0.1", false},
        {"239.255.255.255", false},{"240.0.0.1", false},       {"255.255.255.254", false},
        {"255.255.255.255", false},{"8.8.8.8", true},
    }));
    INFO(row.addr);
    CHECK(is_global_ip4(ip4(row.addr)) == row.global);
}

TEST_CASE("rfc6052: in_prefix agrees with a bit-by-bit comparison at every length", "[rfc6052]")
{
    // Two addresses that differ first at bit `d`: in each other's /len exactly when len <= d.
    const In6 net = in6("2001:db8:1234:5678:9abc:def0:1357:9bdf");
    for (unsigned d = 0; d < 128; ++d) {
        In6 other = net;
        other[d / 8] = static_cast<uint8_t>(other[d / 8] ^ (0x80u >> (d % 8)));
        if (d % 3 == 0)
            other[15] = static_cast<uint8_t>(other[15] ^ 0x01u);   // later bits differ too
        for (unsigned len = 0; len <= 128; ++len) {
            INFO("first difference at bit " << d << ", /" << len);
            CHECK(in_prefix(net, len, other) == (len <= d));
            CHECK(in_prefix(Prefix6{net, static_cast<uint8_t>(len)}, other) == (len <= d));
        }
    }
    CHECK(in_prefix(net, 128, net));
}

TEST_CASE("rfc6052: mask_prefix keeps the first len bits and clears the rest, at every length", "[rfc6052]")
{
    const In6 all_ones = in6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    const In6 addr = in6("2001:db8:1234:5678:9abc:def0:1357:9bdf");
    for (unsigned len = 0; len <= 128; ++len) {
        INFO("/" << len);
        // Independently: bit i (0 = the most significant bit of byte 0) kept when i < len.
        In6 want{};
        for (unsigned bit = 0; bit < len; ++bit)
            want[bit / 8] = static_cast<uint8_t>(want[bit / 8] | (addr[bit / 8] & (0x80u >> (bit % 8))));
        const In6 got = mask_prefix(addr, len);
        CHECK(got == want);
        CHECK(in_prefix(got, len, addr));
        // On all ones the kept bits count exactly len.
        unsigned ones = 0;
        for (uint8_t b : mask_prefix(all_ones, len))
            ones += static_cast<unsigned>(std::popcount(b));
        CHECK(ones == len);
    }
}
