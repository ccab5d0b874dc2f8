// Neighbour resolution (RFC 826, RFC 4861 s7): hold, solicit at most once per
// second, release on confirmation, age to stale, expire after 3 unanswered.
#include <catch2/catch.hpp>

#include <array>
#include <vector>

#include "dataplane/nat/neighbour_cache.hpp"

using namespace nat64d;
using namespace nat64d::nat;

namespace {

constexpr Ip4 kGw = 0xCB007101;
const In6 kHost6{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};
constexpr MacAddr kMac{0x02, 0, 0, 0, 0, 0x01};
constexpr MacAddr kMac2{0x02, 0, 0, 0, 0, 0x02};

NeighbourConfig cfg(uint32_t capacity = 16)
{
    NeighbourConfig c;
    c.capacity = capacity;
    c.reachable_ms = 30'000;
    c.retrans_ms = 1'000;
    c.max_solicits = 3;
    c.stale_gc_ms = 600'000;
    return c;
}

struct TickOut {
    std::array<NeighbourKey, 8> solicit{};
    std::array<uint64_t, 16> dropped{};
    NeighbourTick r;
};

TickOut run_tick(NeighbourCache& nc, uint64_t now_ms)
{
    TickOut t;
    t.r = nc.tick(now_ms, t.solicit, t.dropped);
    return t;
}

} // namespace

TEST_CASE("an unknown next hop holds packets and solicits at most once per second", "[nat][neighbour][rfc4861]")
{
    NeighbourCache nc(cfg());
    MacAddr mac{};
    CHECK(nc.resolve_4(kGw, 1, 10'000, mac) == Resolution::held_solicit);
    CHECK(nc.resolve_4(kGw, 2, 10'500, mac) == Resolution::held);
    CHECK(nc.resolve_4(kGw, 3, 10'999, mac) == Resolution::held);
    CHECK(nc.resolve_4(kGw, 4, 11'000, mac) == Resolution::held_solicit);
    // At least two receive bursts wait for one next hop, so a new
    // destination's first packets survive its resolution.
    STATIC_REQUIRE(kNeighbourMaxHeld >= 64);
    for (uint64_t h = 5; h <= kNeighbourMaxHeld; ++h)
        REQUIRE(nc.resolve_4(kGw, h, 11'000, mac) == Resolution::held);
    CHECK(nc.resolve_4(kGw, kNeighbourMaxHeld + 1, 11'000, mac) == Resolution::drop);   // full
    const NeighbourInfo info = nc.lookup(neighbour_key4(kGw), 11'000);
    CHECK(info.found);
    CHECK(info.state == NeighbourState::incomplete);
    CHECK(info.held == kNeighbourMaxHeld);
    CHECK(nc.held() == kNeighbourMaxHeld);
}

TEST_CASE("a confirmation releases held packets in order and later ones are sent", "[nat][neighbour][rfc826]")
{
    NeighbourCache nc(cfg());
    MacAddr mac{};
    REQUIRE(nc.resolve_6(kHost6, 7, 0, mac) == Resolution::held_solicit);
    REQUIRE(nc.resolve_6(kHost6, 8, 1, mac) == Resolution::held);
    const Learned l = nc.learn_6(kHost6, kMac, 5);
    REQUIRE(l.count == 2);
    CHECK(l.handles[0] == 7);
    CHECK(l.handles[1] == 8);
    CHECK(l.mac == kMac);
    CHECK(nc.resolve_6(kHost6, 9, 6, mac) == Resolution::send);
    CHECK(mac == kMac);
    CHECK(nc.learn_6(kHost6, kMac, 7).count == 0);   // nothing held any more
}

TEST_CASE("a reachable entry goes stale and traffic to it re-solicits", "[nat][neighbour][rfc4861]")
{
    NeighbourCache nc(cfg());
    MacAddr mac{};
    nc.learn_4(kGw, kMac, 0);
    CHECK(nc.resolve_4(kGw, 1, 29'999, mac) == Resolution::send);
    CHECK(nc.lookup(neighbour_key4(kGw), 30'000).state == NeighbourState::stale);
    CHECK(nc.resolve_4(kGw, 2, 30'000, mac) == Resolution::send_solicit);
    CHECK(mac == kMac);
    CHECK(nc.resolve_4(kGw, 3, 30'500, mac) == Resolution::send);
    CHECK(nc.resolve_4(kGw, 4, 31'000, mac) == Resolution::send_solicit);
    const Learned l = nc.learn_4(kGw, kMac2, 31'200);   // answered, with a new MAC
    CHECK(l.count == 0);
    CHECK(nc.resolve_4(kGw, 5, 31'300, mac) == Resolution::send);
    CHECK(mac == kMac2);
    CHECK(nc.lookup(neighbour_key4(kGw), 31'300).state == NeighbourState::reachable);
}

TEST_CASE("an unanswered stale probe ends the entry after three solicitations", "[nat][neighbour][rfc4861]")
{
    NeighbourCache nc(cfg());
    MacAddr mac{};
    nc.learn_4(kGw, kMac, 0);
    REQUIRE(nc.resolve_4(kGw, 1, 40'000, mac) == Resolution::send_solicit);   // probe 1
    TickOut t = run_tick(nc, 41'000);                                          // probe 2
    CHECK(t.r.solicits == 1);
    CHECK(t.solicit[0].is_ip4());
    CHECK(t.solicit[0].ip4() == kGw);
    t = run_tick(nc, 42'000);                                                  // probe 3
    CHECK(t.r.solicits == 1);
    t = run_tick(nc, 42'999);
    CHECK(t.r.solicits == 0);
    CHECK(nc.size() == 1);
    t = run_tick(nc, 43'000);
    CHECK(t.r.solicits == 0);
    CHECK(t.r.dropped == 0);
    CHECK(nc.size() == 0);
    CHECK(nc.resolve_4(kGw, 2, 43'001, mac) == Resolution::held_solicit);     // starts over
}

TEST_CASE("resolution that fails after three solicitations returns held packets to drop", "[nat][neighbour][rfc4861]")
{
    NeighbourCache nc(cfg());
    MacAddr mac{};
    REQUIRE(nc.resolve_6(kHost6, 21, 0, mac) == Resolution::held_solicit);    // solicitation 1
    REQUIRE(nc.resolve_6(kHost6, 22, 10, mac) == Resolution::held);
    TickOut t = run_tick(nc, 999);
    CHECK(t.r.solicits == 0);
    t = run_tick(nc, 1'000);                                                  // solicitation 2
    CHECK(t.r.solicits == 1);
    CHECK_FALSE(t.solicit[0].is_ip4());
    CHECK(t.solicit[0].ip == kHost6);
    CHECK(nc.resolve_6(kHost6, 23, 1'500, mac) == Resolution::held);          // rate-limited
    t = run_tick(nc, 2'000);                                                  // solicitation 3
    CHECK(t.r.solicits == 1);
    CHECK(nc.resolve_6(kHost6, 24, 2'999, mac) == Resolution::held);
    t = run_tick(nc, 3'000);
    CHECK(t.r.solicits == 0);
    REQUIRE(t.r.dropped == 4);
    CHECK(std::vector<uint64_t>(t.dropped.begin(), t.dropped.begin() + 4) == std::vector<uint64_t>{21, 22, 23, 24});
    CHECK_FALSE(nc.lookup(neighbour_key6(kHost6), 3'000).found);
    CHECK(nc.held() == 0);
}

TEST_CASE("static neighbours never expire, never solicit and ignore the wire", "[nat][neighbour]")
{
    NeighbourCache nc(cfg());
    REQUIRE(nc.add_static(neighbour_key4(kGw), kMac));
    MacAddr mac{};
    for (uint64_t now : {0ull, 30'000ull, 10'000'000ull}) {
        CHECK(nc.resolve_4(kGw, 1, now, mac) == Resolution::send);
        CHECK(mac == kMac);
        const TickOut t = run_tick(nc, now);
        CHECK(t.r.solicits == 0);
        CHECK(t.r.dropped == 0);
    }
    const Learned l = nc.learn_4(kGw, kMac2, 10'000'001);
    CHECK(l.mac == kMac);
    CHECK(nc.resolve_4(kGw, 2, 10'000'002, mac) == Resolution::send);
    CHECK(mac == kMac);
    CHECK(nc.lookup(neighbour_key4(kGw), 10'000'002).state == NeighbourState::static_entry);
}

TEST_CASE("an unused stale entry is forgotten after stale_gc_ms", "[nat][neighbour]")
{
    NeighbourCache nc(cfg());
    nc.learn_4(kGw, kMac, 0);
    run_tick(nc, 30'000);
    CHECK(nc.lookup(neighbour_key4(kGw), 30'000).state == NeighbourState::stale);
    run_tick(nc, 599'999);
    CHECK(nc.size() == 1);
    run_tick(nc, 600'000);
    CHECK(nc.size() == 0);
}

TEST_CASE("a full neighbour table drops new next hops unless a stale entry can go", "[nat][neighbour]")
{
    NeighbourCache nc(cfg(2));
    MacAddr mac{};
    REQUIRE(nc.resolve_4(1, 1, 0, mac) == Resolution::held_solicit);
    nc.learn_4(2, kMac, 0);
    CHECK(nc.resolve_4(3, 3, 0, mac) == Resolution::drop);
    // At 30 s next hop 2 is stale (unprobed): it makes room.
    run_tick(nc, 30'000);
    CHECK(nc.resolve_4(3, 4, 30'000, mac) == Resolution::held_solicit);
    CHECK_FALSE(nc.lookup(neighbour_key4(2), 30'000).found);
    CHECK(nc.lookup(neighbour_key4(1), 30'000).found);
}

TEST_CASE("tick defers solicitations that do not fit its span", "[nat][neighbour]")
{
    NeighbourCache nc(cfg());
    MacAddr mac{};
    for (Ip4 ip = 1; ip <= 3; ++ip)
        REQUIRE(nc.resolve_4(ip, ip, 0, mac) == Resolution::held_solicit);
    std::array<NeighbourKey, 2> solicit{};
    std::array<uint64_t, 16> dropped{};
    NeighbourTick r = nc.tick(1'000, solicit, dropped);
    CHECK(r.solicits == 2);
    r = nc.tick(1'001, solicit, dropped);
    CHECK(r.solicits == 1);
}

TEST_CASE("IPv4 next hops are keyed v4-mapped and round-trip", "[nat][neighbour]")
{
    const NeighbourKey k = neighbour_key4(0xC0A80001);
    CHECK(k.is_ip4());
    CHECK(k.ip4() == 0xC0A80001);
    CHECK_FALSE(neighbour_key6(kHost6).is_ip4());
    NeighbourCache nc(cfg());
    INFO("neighbour cache, 1024 entries: " << NeighbourCache(NeighbourConfig{}).memory_bytes() << " bytes");
    CHECK(nc.memory_bytes() > 0);
    CHECK(NeighbourCache::validate(NeighbourConfig{}) == nullptr);
}

TEST_CASE("held packets are bounded in total over all next hops", "[nat][neighbour]")
{
    NeighbourConfig c = cfg();
    c.max_held_total = 100;
    NeighbourCache nc(c);
    MacAddr mac{};
    uint64_t handle = 1;
    for (uint64_t i = 0; i < kNeighbourMaxHeld; ++i)
        REQUIRE(nc.resolve_4(kGw, handle++, 0, mac) != Resolution::drop);
    for (uint64_t i = kNeighbourMaxHeld; i < 100; ++i)
        REQUIRE(nc.resolve_6(kHost6, handle++, 0, mac) != Resolution::drop);
    CHECK(nc.held() == 100);
    CHECK(nc.resolve_6(kHost6, handle++, 0, mac) == Resolution::drop);
    CHECK(nc.resolve_4(kGw + 1, handle++, 0, mac) == Resolution::drop);   // no room for a third next hop either
    // An answer releases what its next hop held and makes room.
    const Learned l = nc.learn_4(kGw, kMac, 1);
    CHECK(l.count == kNeighbourMaxHeld);
    CHECK(nc.held() == 100 - kNeighbourMaxHeld);
    CHECK(nc.resolve_4(kGw + 1, handle++, 1, mac) == Resolution::held_solicit);
}

TEST_CASE("neighbour keys: an IPv4 next hop is ::ffff:a.b.c.d byte for byte and reads back", "[nat][neighbour]")
{
    static_assert(nat::v4_mapped(0xC0000201)[15] == 0x01);   // usable at compile time
    for (const Ip4 a : {Ip4{0}, Ip4{0xC0000201}, Ip4{0x01020304}, Ip4{0xFFFFFFFF}, Ip4{0x80000001}}) {
        const In6 m = nat::v4_mapped(a);
        const In6 want{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, static_cast<uint8_t>(a >> 24),
                       static_cast<uint8_t>(a >> 16), static_cast<uint8_t>(a >> 8), static_cast<uint8_t>(a)};
        CHECK(m == want);
        CHECK(nat::is_v4_mapped(m));
        CHECK(nat::v4_of_mapped(m) == a);
        CHECK(nat::neighbour_key4(a).ip4() == a);
        CHECK(nat::neighbour_key4(a).is_ip4());
    }
    CHECK_FALSE(nat::neighbour_key6(In6{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 1, 2, 3, 4}).is_ip4());
}
