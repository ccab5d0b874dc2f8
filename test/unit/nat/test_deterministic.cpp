// Deterministic NAT (RFC 7422 s2): the block of every subscriber and the
// owner of every port of a small configuration, against the assignment built
// here the way the RFC describes it (walk the addresses and their port blocks
// in order and hand them to the subscribers one after another), not by the
// divisions the map uses; and the allocator keeping each subscriber inside
// its block.
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <tuple>
#include <vector>

#include "dataplane/nat/port_alloc.hpp"

using namespace nat64d;
using namespace nat64d::nat;

namespace {

// 2001:db8:100::/52 with /56 subscribers: 16 of them.
const In6 kPrefix{0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00};

In6 subscriber(uint32_t i, uint8_t host_byte = 0)
{
    In6 a = kPrefix;
    a[6] = static_cast<uint8_t>(i);   // bits 52..55 are the low nibble of byte 6
    a[15] = host_byte;
    return a;
}

DeterministicConfig small(DeterministicOrder order)
{
    DeterministicConfig c;
    c.order = order;
    c.prefix = kPrefix;
    c.prefix_len = 52;
    c.subscriber_len = 56;
    c.addresses = 3;
    c.first = {1024, 2000, 1};
    c.last = {1099, 2099, 40};
    return c;
}

struct Owner {
    uint32_t addr;
    uint16_t first, last;
};

// The RFC's walk: sequential fills address 0's blocks, then address 1's...;
// staggered gives block 0 of every address, then block 1 of every address...
std::vector<Owner> expected(const DeterministicConfig& c, uint32_t proto, uint32_t subscribers)
{
    const uint32_t per_addr = (subscribers + c.addresses - 1) / c.addresses;
    const uint32_t m = (uint32_t{c.last[proto]} - c.first[proto] + 1) / per_addr;
    std::vector<Owner> out;
    if (c.order == DeterministicOrder::sequential) {
        for (uint32_t a = 0; a < c.addresses; ++a)
            for (uint32_t port = c.first[proto]; port + m - 1 <= c.last[proto] && out.size() < subscribers; port += m)
                if ((port - c.first[proto]) / m < per_addr)
                    out.push_back({a, static_cast<uint16_t>(port), static_cast<uint16_t>(port + m - 1)});
    } else {
        for (uint32_t b = 0; b < per_addr; ++b)
            for (uint32_t a = 0; a < c.addresses && out.size() < subscribers; ++a)
                out.push_back({a, static_cast<uint16_t>(c.first[proto] + b * m),
                               static_cast<uint16_t>(c.first[proto] + b * m + m - 1)});
    }
    return out;
}

} // namespace

TEST_CASE("deterministic: every subscriber's block and every port's owner match RFC 7422's walk",
          "[nat][deterministic][rfc7422]")
{
    for (const DeterministicOrder order : {DeterministicOrder::sequential, DeterministicOrder::staggered}) {
        const DeterministicConfig c = small(order);
        REQUIRE(DeterministicMap::validate(c) == nullptr);
        const DeterministicMap m(c);
        CHECK(m.subscribers() == 16);
        CHECK(m.per_address() == 6);
        CHECK(m.ports_per_subscriber(0) == 76 / 6);
        for (uint32_t proto = 0; proto < 3; ++proto) {
            INFO("order " << static_cast<int>(order) << " proto " << proto);
            const std::vector<Owner> want = expected(c, proto, 16);
            REQUIRE(want.size() == 16);
            std::map<std::pair<uint32_t, uint16_t>, uint32_t> owner_of;   // (addr, port) -> subscriber
            for (uint32_t i = 0; i < 16; ++i) {
                PortBlock b;
                REQUIRE(m.block_of(subscriber(i, 7), proto, b));
                CHECK(b.addr_index == want[i].addr);
                CHECK(b.first == want[i].first);
                CHECK(b.last == want[i].last);
                for (uint32_t p = want[i].first; p <= want[i].last; ++p)
                    owner_of[{want[i].addr, static_cast<uint16_t>(p)}] = i;
            }
            // The reverse for every port of every address, owned or not.
            for (uint32_t a = 0; a < 3; ++a)
                for (uint32_t p = 0; p <= 65535; ++p) {
                    In6 got{};
                    const bool found = m.subscriber_of(a, proto, static_cast<uint16_t>(p), got);
                    const auto it = owner_of.find({a, static_cast<uint16_t>(p)});
                    if (it == owner_of.end()) {
                        if (found)
                            FAIL_CHECK("address " << a << " port " << p << " has an owner it should not");
                    } else if (!found || got != subscriber(it->second)) {
                        FAIL_CHECK("address " << a << " port " << p << " should belong to subscriber " << it->second);
                    }
                }
        }
    }
}

TEST_CASE("deterministic: sources outside the prefix have no block; bad configurations say why",
          "[nat][deterministic][rfc7422]")
{
    const DeterministicMap m(small(DeterministicOrder::sequential));
    In6 outside = kPrefix;
    outside[5] = 0x10;   // 2001:db8:110::, past the /52
    PortBlock b;
    CHECK_FALSE(m.block_of(outside, 0, b));
    DeterministicConfig c = small(DeterministicOrder::staggered);
    c.subscriber_len = 52;
    CHECK(std::string(DeterministicMap::validate(c)) ==
          "the subscriber prefix length must be longer than the deterministic prefix");
    c = small(DeterministicOrder::staggered);
    c.prefix_len = 24;
    CHECK(std::string(DeterministicMap::validate(c)) ==
          "more than 2^24 subscribers (subscriber_prefix_len - prefix length > 24)");
    c = small(DeterministicOrder::staggered);
    c.last[2] = 3;   // 3 ICMP identifiers for 6 subscribers per address
    CHECK(std::string(DeterministicMap::validate(c)) ==
          "more subscribers per pool address than ports in a range: each would get no port");
}

TEST_CASE("deterministic: the allocator hands each subscriber only ports of its block, whatever the worker",
          "[nat][deterministic][rfc7422]")
{
    PortAllocConfig pc;
    pc.pool = {0xCB007101, 0xCB007102, 0xCB007103};
    pc.ranges = {{{1, 1099}, {1, 65535}, {1, 65535}}};   // below 1024: reserved, in no block
    pc.workers = 2;
    pc.seed = 3;
    pc.quarantine_s = 0;
    pc.deterministic = small(DeterministicOrder::staggered);
    REQUIRE(PortAllocator::validate(pc) == nullptr);
    PortAllocator ports(pc);
    const DeterministicMap& m = ports.deterministic();
    REQUIRE(m.enabled());
    CHECK(m.config().first[0] == 1024);
    for (uint32_t i = 0; i < 16; ++i) {
        PortBlock b;
        REQUIRE(m.block_of(subscriber(i), 0, b));
        std::set<uint16_t> got;
        // Until the block is empty: both workers take from it, each from its slice.
        for (uint32_t n = 0; n < 100; ++n) {
            const uint32_t w = n % 2;
            const PortAllocation a = ports.allocate(w, PortProto::tcp, subscriber(i, static_cast<uint8_t>(n)),
                                                    1000 + n, 1, static_cast<uint16_t>(40000 + n));
            if (a.verdict != Verdict::forward) {
                CHECK(a.verdict == Verdict::drop_ports_exhausted);
                continue;
            }
            CHECK(a.addr_index == b.addr_index);
            CHECK(a.port >= b.first);
            CHECK(a.port <= b.last);
            CHECK(ports.worker_of(a.port) == w);
            CHECK(got.insert(a.port).second);
        }
        CHECK(got.size() == uint32_t{b.last} - b.first + 1u);   // every port of the block, once
    }
    In6 outside = kPrefix;
    outside[5] = 0x10;
    CHECK(ports.allocate(0, PortProto::tcp, outside, 1, 1, 40000).verdict == Verdict::drop_no_port_block);
}
