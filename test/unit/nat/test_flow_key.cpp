// Flow table keys: explicit zeroed padding, so raw-byte hashing and compares work.
#include <catch2/catch.hpp>

#include <cstring>
#include <new>

#include "dataplane/nat/flow_key.hpp"

using namespace nat64d;
using namespace nat64d::nat;

namespace {
const In6 kHost{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};
}

TEST_CASE("flow keys built from the same fields are byte-identical", "[nat][flow_key]")
{
    alignas(FlowKey6) unsigned char a_raw[sizeof(FlowKey6)];
    alignas(FlowKey6) unsigned char b_raw[sizeof(FlowKey6)];
    std::memset(a_raw, 0xAA, sizeof(a_raw));   // garbage where padding would hide
    std::memset(b_raw, 0x55, sizeof(b_raw));
    auto* a = new (a_raw) FlowKey6(make_flow_key6(kHost, 0xC0000201, 40000, 443, kProtoTcp));
    auto* b = new (b_raw) FlowKey6(make_flow_key6(kHost, 0xC0000201, 40000, 443, kProtoTcp));
    CHECK(std::memcmp(a, b, sizeof(FlowKey6)) == 0);
    CHECK(a->pad[0] == 0);
    CHECK(a->pad[1] == 0);
    CHECK(a->pad[2] == 0);
    CHECK(a->dst4 == 0xC0000201);
    CHECK(a->sport == 40000);
    CHECK(a->dport == 443);
}

TEST_CASE("a session's mapping key drops the destination", "[nat][flow_key][rfc4787]")
{
    const FlowKey6 k = make_flow_key6(kHost, 0xC0000201, 40000, 443, kProtoUdp);
    const BibKey6 b = bib_key_of(k);
    const BibKey6 direct = make_bib_key6(kHost, 40000, kProtoUdp);
    CHECK(std::memcmp(&b, &direct, sizeof(b)) == 0);
    for (uint8_t byte : b.pad)
        CHECK(byte == 0);
    CHECK(alignof(BibKey6) == 8);   // rte_hash_crc reads keys 8 bytes at a time
    CHECK(alignof(FlowKey6) == 8);
    const FlowKey6 other_dst = make_flow_key6(kHost, 0xC6336401, 40000, 53, kProtoUdp);
    const BibKey6 b2 = bib_key_of(other_dst);
    CHECK(std::memcmp(&b, &b2, sizeof(b)) == 0);
}

TEST_CASE("a key written in place is the key built field by field, over garbage", "[nat][flow_key]")
{
    const In6 other{0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10, 0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78};
    struct Row {
        In6 src;
        Ip4 dst4;
        uint16_t sport, dport;
        uint8_t proto;
    };
    for (const Row& r : {Row{kHost, 0xC0000201, 40000, 443, kProtoTcp}, Row{other, 0xFFFFFFFE, 0xFFFF, 1, kProtoUdp},
                         Row{other, 1, 0, 0xFFFF, kProtoIcmp6}, Row{kHost, 0, 0, 0, 0}}) {
        FlowKey6 in_place;
        std::memset(&in_place, 0xA5, sizeof in_place);   // stale bytes must all be overwritten
        store_flow_key6(in_place, r.src, r.dst4, r.sport, r.dport, r.proto);
        const FlowKey6 built = make_flow_key6(r.src, r.dst4, r.sport, r.dport, r.proto);
        CHECK(std::memcmp(&in_place, &built, sizeof built) == 0);
        CHECK(in_place.proto == r.proto);
        CHECK(in_place.src == r.src);
        CHECK(in_place.dst4 == r.dst4);
        CHECK(in_place.sport == r.sport);
        CHECK(in_place.dport == r.dport);
        for (uint8_t b : in_place.pad)
            CHECK(b == 0);
    }
}
