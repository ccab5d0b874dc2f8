// The translator's own checksum sums against the test support's reference
// (RFC 1071 s3 checked in test_checksum_ref.cpp), for the word-at-a-time sum
// the per-packet paths use.
#include <catch2/catch.hpp>

#include <random>

#include "checksum_ref.hpp"
#include "dataplane/xlate/checksum.hpp"
#include "packet_builder.hpp"

using namespace nat64d;
using namespace nat64d::test;

namespace {

// The folded sum from a checksum: ref_checksum is its complement.
uint16_t ref_sum(const uint8_t* p, size_t len) { return static_cast<uint16_t>(~ref_checksum(p, len)); }

} // namespace

TEST_CASE("checksum: the native-order word sum equals the big-endian 16-bit sum", "[checksum]")
{
    std::mt19937 rng(20261201);
    std::vector<uint8_t> buf(64);
    for (int round = 0; round < 2000; ++round) {
        const auto len = static_cast<uint32_t>(4 * (1 + rng() % 15));   // 4 .. 60 bytes: addresses, IPv4 headers with options
        const int fill = round % 4;                   // random, all ones, all zero, carries in every word
        for (uint32_t i = 0; i < len; ++i)
            buf[i] = fill == 0 ? static_cast<uint8_t>(rng()) : fill == 1 ? 0xFF : fill == 2 ? 0x00 : (i % 2 ? 0xFF : 0xFE);
        INFO("round " << round << ", " << len << " bytes");
        const uint16_t words = xlate::csum_fold_words(buf.data(), len);
        CHECK(words == xlate::csum_fold(xlate::csum_add_bytes(0, buf.data(), len)));
        // One's-complement equality: 0 and 0xFFFF are the same value, but a
        // sum of anything but zeros is never 0.
        const uint16_t ref = ref_sum(buf.data(), len);
        CHECK((words == ref || (words == 0 && ref == 0xFFFF)));
        // The header check sums its fixed 20 bytes inline and options apart.
        if (len >= 20)
            CHECK(xlate::ip4_header_sum(buf.data(), len) == words);
        if (len >= 32)
            CHECK(xlate::csum_fold_in6_pair(buf.data(), buf.data() + 16) ==
                  xlate::csum_fold(xlate::csum_add_bytes(0, buf.data(), 32)));
    }
}

TEST_CASE("checksum: an IPv4 header the translator writes verifies, and a flipped bit does not", "[checksum]")
{
    Bytes p4 = udp4(ip4("192.0.2.1"), ip4("198.51.100.2"), 1000, 53, pattern(30));
    xlate::ip4_set_header_checksum(p4.data());
    CHECK(ref_ip4_header_ok(p4));
    CHECK(xlate::ip4_header_sum(p4.data(), 20) == 0xFFFF);
    for (int bit = 0; bit < 160; ++bit) {
        Bytes bad = p4;
        bad[bit / 8] ^= static_cast<uint8_t>(0x80u >> (bit % 8));
        INFO("bit " << bit);
        CHECK(xlate::ip4_header_sum(bad.data(), 20) != 0xFFFF);
        CHECK_FALSE(ref_ip4_header_ok(bad));
    }
}

TEST_CASE("checksum: an incremental update from unfolded sums equals a full recomputation", "[checksum]")
{
    // RFC 1624 with the words that left and entered summed but not folded, as
    // the port and address rewrites pass them: the field must come out exactly
    // as the receiver's own computation of the new data (0x0000, never 0xFFFF).
    std::mt19937 rng(7);
    for (int round = 0; round < 20000; ++round) {
        Bytes data(40);
        for (auto& b : data)
            b = round % 5 == 0 ? 0xFF : static_cast<uint8_t>(rng());
        const uint16_t before = ref_checksum(data);
        // Rewrite 8 of its 20 words (ports and an address, say).
        uint32_t left = 0, entered = 0;
        for (size_t w = 0; w < 8; ++w) {
            const size_t at = 2 * ((w * 3 + static_cast<size_t>(round)) % 20);
            left += load_be16(&data[at]);
            const auto v = static_cast<uint16_t>(round % 7 == 0 ? 0 : rng());
            store_be16(&data[at], v);
            entered += v;
        }
        INFO("round " << round);
        CHECK(xlate::csum_update_sums(before, left, entered) == ref_checksum(data));
    }
}
