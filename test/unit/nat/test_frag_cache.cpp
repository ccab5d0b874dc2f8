// Fragment tracking (RFC 6146 s3.4): non-first fragments follow the first
// one's mapping, early ones wait a bounded time in bounded space.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "dataplane/nat/frag_cache.hpp"

using namespace nat64d;
using namespace nat64d::nat;

namespace {

const In6 kSrc{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
const In6 kDst{0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1};

FragKey key6(uint32_t id) { return make_frag_key6(kSrc, kDst, id, kProtoUdp); }

FragCacheConfig small(uint32_t entries = 8, uint32_t per_entry = 4, uint32_t total = 16)
{
    FragCacheConfig c;
    c.max_entries = entries;
    c.max_held_per_entry = per_entry;
    c.max_held_total = total;
    c.timeout_ms = 2000;
    return c;
}

} // namespace

TEST_CASE("fragments after the first take its mapping", "[nat][frag_cache][rfc6146]")
{
    FragCache fc(small());
    std::array<uint64_t, 4> out{};
    const FragFirst f = fc.first_fragment(key6(7), 0xC00C1E, 0, out);
    CHECK(f.recorded);
    CHECK(f.released == 0);
    for (uint64_t h = 1; h <= 3; ++h) {
        const FragLater r = fc.later_fragment(key6(7), h, 10);
        CHECK(r.action == FragAction::translate);
        CHECK(r.cookie == 0xC00C1E);
    }
    CHECK(fc.held() == 0);
    CHECK(fc.entries() == 1);
}

TEST_CASE("fragments that overtake the first are released with it, in any order", "[nat][frag_cache][rfc6146]")
{
    // Events: 0 is the first fragment, 1..3 are later fragments with handles 1..3.
    std::array<int, 4> order{0, 1, 2, 3};
    do {
        FragCache fc(small());
        std::vector<uint64_t> translated;   // in the order the caller gets to send them
        std::vector<uint64_t> arrival;
        std::array<uint64_t, 4> out{};
        uint64_t now = 100;
        for (int ev : order) {
            if (ev == 0) {
                const FragFirst f = fc.first_fragment(key6(9), 55, now, out);
                REQUIRE(f.recorded);
                translated.insert(translated.end(), out.begin(), out.begin() + f.released);
            } else {
                const auto h = static_cast<uint64_t>(ev);
                arrival.push_back(h);
                const FragLater r = fc.later_fragment(key6(9), h, now);
                if (r.action == FragAction::translate) {
                    CHECK(r.cookie == 55);
                    translated.push_back(h);
                } else {
                    CHECK(r.action == FragAction::held);
                }
            }
            now += 5;
        }
        INFO(order[0] << order[1] << order[2] << order[3]);
        CHECK(translated == arrival);   // each exactly once, held ones in arrival order
        CHECK(fc.held() == 0);
    } while (std::next_permutation(order.begin(), order.end()));
}

TEST_CASE("held fragments come back as expired after the timeout", "[nat][frag_cache][rfc6146]")
{
    FragCache fc(small());
    REQUIRE(fc.later_fragment(key6(1), 11, 1000).action == FragAction::held);
    REQUIRE(fc.later_fragment(key6(1), 12, 1500).action == FragAction::held);
    std::array<uint64_t, 8> out{};
    CHECK(fc.expire(2999, out) == 0);
    CHECK(fc.held() == 2);
    REQUIRE(fc.expire(3000, out) == 2);
    CHECK(out[0] == 11);
    CHECK(out[1] == 12);
    CHECK(fc.entries() == 0);
    CHECK(fc.held() == 0);
    // The first fragment now finds nothing to release.
    CHECK(fc.first_fragment(key6(1), 5, 3001, out).released == 0);
}

TEST_CASE("a datagram's mapping is forgotten after the timeout", "[nat][frag_cache][rfc6146]")
{
    FragCache fc(small());
    std::array<uint64_t, 4> out{};
    REQUIRE(fc.first_fragment(key6(3), 77, 0, out).recorded);
    CHECK(fc.later_fragment(key6(3), 1, 1999).action == FragAction::translate);
    CHECK(fc.expire(2000, out) == 0);
    CHECK(fc.entries() == 0);
    CHECK(fc.later_fragment(key6(3), 2, 2001).action == FragAction::held);
}

TEST_CASE("expiry hands out held fragments across calls when the span is small", "[nat][frag_cache]")
{
    FragCache fc(small(8, 4, 16));
    for (uint64_t h = 1; h <= 4; ++h)
        REQUIRE(fc.later_fragment(key6(1), h, 0).action == FragAction::held);
    for (uint64_t h = 5; h <= 7; ++h)
        REQUIRE(fc.later_fragment(key6(2), h, 0).action == FragAction::held);
    std::array<uint64_t, 3> out{};
    std::vector<uint64_t> all;
    for (;;) {
        const size_t n = fc.expire(5000, out);
        all.insert(all.end(), out.begin(), out.begin() + static_cast<long>(n));
        if (n < out.size())
            break;
    }
    CHECK(all == std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7});
    CHECK(fc.entries() == 0);
}

TEST_CASE("the fragment cache refuses datagrams beyond its entry limit", "[nat][frag_cache]")
{
    FragCache fc(small(2, 4, 16));
    std::array<uint64_t, 4> out{};
    REQUIRE(fc.later_fragment(key6(1), 1, 0).action == FragAction::held);
    REQUIRE(fc.first_fragment(key6(2), 2, 0, out).recorded);
    const FragLater r = fc.later_fragment(key6(3), 3, 0);
    CHECK(r.action == FragAction::drop);
    CHECK(r.why == Verdict::drop_fragment_cache_full);
    CHECK_FALSE(fc.first_fragment(key6(4), 4, 0, out).recorded);
    // Known datagrams still work.
    CHECK(fc.later_fragment(key6(2), 5, 0).action == FragAction::translate);
    // Space returns after expiry.
    std::array<uint64_t, 8> expired{};
    fc.expire(2000, expired);
    CHECK(fc.later_fragment(key6(3), 6, 2000).action == FragAction::held);
}

TEST_CASE("the fragment cache holds at most its per-datagram and total limits", "[nat][frag_cache]")
{
    FragCache fc(small(8, 2, 3));
    CHECK(fc.later_fragment(key6(1), 1, 0).action == FragAction::held);
    CHECK(fc.later_fragment(key6(1), 2, 0).action == FragAction::held);
    CHECK(fc.later_fragment(key6(1), 3, 0).action == FragAction::drop);   // per datagram
    CHECK(fc.later_fragment(key6(2), 4, 0).action == FragAction::held);
    const FragLater r = fc.later_fragment(key6(3), 5, 0);                 // total
    CHECK(r.action == FragAction::drop);
    CHECK(r.why == Verdict::drop_fragment_cache_full);
    CHECK(fc.held() == 3);
}

TEST_CASE("IPv4 and IPv6 datagrams, ids and protocols never share an entry", "[nat][frag_cache]")
{
    FragCache fc(small());
    std::array<uint64_t, 4> out{};
    const FragKey k4 = make_frag_key4(0xC0000201, 0xCB007101, 9, kProtoUdp);
    const FragKey k4_other_id = make_frag_key4(0xC0000201, 0xCB007101, 10, kProtoUdp);
    const FragKey k4_other_proto = make_frag_key4(0xC0000201, 0xCB007101, 9, kProtoTcp);
    FragKey k6_same_bytes = k4;
    k6_same_bytes.family = 6;
    REQUIRE(fc.first_fragment(k4, 4, 0, out).recorded);
    CHECK(fc.later_fragment(k4, 1, 0).action == FragAction::translate);
    CHECK(fc.later_fragment(k4_other_id, 2, 0).action == FragAction::held);
    CHECK(fc.later_fragment(k4_other_proto, 3, 0).action == FragAction::held);
    CHECK(fc.later_fragment(k6_same_bytes, 4, 0).action == FragAction::held);
    CHECK(k4.pad[0] == 0);
    CHECK(k4.pad[1] == 0);
}

TEST_CASE("the fragment cache stays consistent under churn", "[nat][frag_cache]")
{
    // Random datagrams against a reference model; exercises index deletion.
    FragCache fc(small(64, 4, 256));
    std::map<uint32_t, uint64_t> mapped;   // id -> cookie, for live mapped entries
    std::map<uint32_t, uint64_t> created_ms;
    std::mt19937 rng(12345);
    std::array<uint64_t, 256> out{};
    uint64_t now = 0;
    for (int step = 0; step < 20000; ++step) {
        now += rng() % 7;
        const size_t n = fc.expire(now, out);
        (void)n;
        for (auto it = created_ms.begin(); it != created_ms.end();) {
            if (it->second + 2000 <= now) {
                mapped.erase(it->first);
                it = created_ms.erase(it);
            } else {
                ++it;
            }
        }
        REQUIRE(fc.entries() == created_ms.size());
        const auto id = static_cast<uint32_t>(rng() % 200);
        if (rng() % 2 == 0) {
            const FragFirst f = fc.first_fragment(key6(id), id * 3 + 1, now, out);
            if (f.recorded) {
                mapped[id] = id * 3 + 1;
                created_ms.emplace(id, now);
            } else {
                REQUIRE(created_ms.size() == 64);
            }
        } else {
            const FragLater r = fc.later_fragment(key6(id), step, now);
            if (mapped.count(id) != 0) {
                REQUIRE(r.action == FragAction::translate);
                REQUIRE(r.cookie == mapped[id]);
            } else if (r.action == FragAction::held) {
                created_ms.emplace(id, now);
            } else {
                REQUIRE(r.action == FragAction::drop);
            }
        }
    }
}

TEST_CASE("the fragment cache reports its fixed memory", "[nat][frag_cache][memory]")
{
    FragCacheConfig c;   // defaults: 1024 entries, 1024 held
    FragCache fc(c);
    INFO("fragment cache, defaults: " << fc.memory_bytes() << " bytes");
    CHECK(fc.memory_bytes() > 1024 * sizeof(FragKey));
    // About 300 bytes a datagram, most of it the byte ranges RFC 5722's
    // overlap check remembers.
    CHECK(fc.memory_bytes() < 512 * 1024);
    CHECK(FragCache::validate(c) == nullptr);
    c.max_entries = 0;
    CHECK(FragCache::validate(c) != nullptr);
}

TEST_CASE("overlapping IPv6 fragments discard the whole datagram", "[nat][frag_cache][rfc5722]")
{
    FragCache fc(small());
    std::array<uint64_t, 4> out{};
    std::array<uint64_t, 4> discard{};
    // Two fragments arrive before the first; the second overlaps the first of them.
    REQUIRE(fc.later_fragment(key6(1), 11, 0, {1232, 2464}, discard).action == FragAction::held);
    const FragLater r = fc.later_fragment(key6(1), 12, 0, {2400, 3000}, discard);
    CHECK(r.action == FragAction::drop);
    CHECK(r.why == Verdict::drop_fragment_overlap);
    REQUIRE(r.discarded == 1);
    CHECK(discard[0] == 11);   // what was held goes too
    CHECK(fc.held() == 0);
    // The rest of the datagram, first fragment included, is refused as well.
    const FragFirst f = fc.first_fragment(key6(1), 5, 0, out, {0, 1232});
    CHECK(f.overlap);
    CHECK_FALSE(f.recorded);
    CHECK(fc.later_fragment(key6(1), 13, 0, {3000, 3100}, discard).why == Verdict::drop_fragment_overlap);
    // Another datagram is not affected.
    CHECK(fc.first_fragment(key6(2), 6, 0, out, {0, 1232}).recorded);
    CHECK(fc.later_fragment(key6(2), 14, 0, {1232, 2000}, discard).action == FragAction::translate);
}

TEST_CASE("a first fragment overlapping a held one condemns its datagram", "[nat][frag_cache][rfc5722]")
{
    FragCache fc(small());
    std::array<uint64_t, 4> out{};
    REQUIRE(fc.later_fragment(key6(3), 21, 0, {1000, 1500}).action == FragAction::held);
    const FragFirst f = fc.first_fragment(key6(3), 7, 0, out, {0, 1232});
    CHECK(f.overlap);
    REQUIRE(f.released == 1);
    CHECK(out[0] == 21);   // handed back for the caller to drop
}

TEST_CASE("an exact duplicate fragment is not an overlap", "[nat][frag_cache][rfc8200]")
{
    FragCache fc(small());
    std::array<uint64_t, 4> out{};
    REQUIRE(fc.first_fragment(key6(4), 9, 0, out, {0, 1232}).recorded);
    CHECK(fc.later_fragment(key6(4), 31, 0, {1232, 2000}).action == FragAction::translate);
    CHECK(fc.later_fragment(key6(4), 32, 0, {1232, 2000}).action == FragAction::translate);   // RFC 8200 s4.5
    CHECK(fc.first_fragment(key6(4), 9, 0, out, {0, 1232}).recorded);                         // retransmitted first
}

TEST_CASE("IPv4 fragments may overlap (RFC 791 reassembly copes)", "[nat][frag_cache]")
{
    FragCache fc(small());
    std::array<uint64_t, 4> out{};
    const FragKey k4 = make_frag_key4(0xC0000201, 0xC6336401, 77, kProtoUdp);
    REQUIRE(fc.first_fragment(k4, 3, 0, out, {0, 1480}).recorded);
    CHECK(fc.later_fragment(k4, 41, 0, {1400, 2000}).action == FragAction::translate);
}

TEST_CASE("one source's datagrams are bounded; past it its oldest goes, not another's", "[nat][frag_cache][security]")
{
    FragCacheConfig c = small(16, 4, 64);
    c.max_entries_per_source = 4;
    FragCache fc(c);
    // Another subscriber's datagram, waiting for its first fragment.
    const In6 other{0x20, 0x01, 0x0d, 0xb8, 0x99};
    REQUIRE(fc.later_fragment(make_frag_key6(other, kDst, 1, kProtoUdp), 500, 0).action == FragAction::held);
    // The flooding source: orphans with ids 10, 11, ...; the fifth evicts the first.
    for (uint32_t id = 10; id < 14; ++id)
        REQUIRE(fc.later_fragment(key6(id), id, id).action == FragAction::held);
    std::array<uint64_t, 8> ev{};
    CHECK(fc.take_evicted(ev) == 0);
    REQUIRE(fc.later_fragment(key6(14), 14, 14).action == FragAction::held);
    REQUIRE(fc.take_evicted(ev) == 1);
    CHECK(ev[0] == 10);   // its oldest
    CHECK(fc.evictions() == 1);
    CHECK(fc.entries() == 5);
    // A flood of a hundred more still leaves the other subscriber's datagram alone.
    for (uint32_t id = 15; id < 115; ++id)
        fc.later_fragment(key6(id), id, id);
    std::array<uint64_t, 2> out{};
    const FragFirst f = fc.first_fragment(make_frag_key6(other, kDst, 1, kProtoUdp), 77, 200, out);
    REQUIRE(f.released == 1);
    CHECK(out[0] == 500);
    // Sources within one /56 count as one subscriber.
    In6 same56 = kSrc;
    same56[7] = 0x42;   // another /64 of the same /56
    REQUIRE(fc.later_fragment(make_frag_key6(same56, kDst, 999, kProtoUdp), 999, 300).action == FragAction::held);
    CHECK(fc.take_evicted(ev) >= 1);
}
