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
