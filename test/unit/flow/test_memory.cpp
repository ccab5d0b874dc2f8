// The flow tables' memory: how rte_hash is sized (lf_hash_entries) and the
// key store the inbound path reads mappings from. In process, EAL --no-huge.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "table_fixture.hpp"
#include "dataplane/flow/flow_table.hpp"
#include "dataplane/flow/lf_hash.hpp"
#include "dataplane/io/port.hpp"

using namespace nat64d;

namespace {

size_t heap_bytes()
{
    rte_malloc_socket_stats st{};
    rte_malloc_get_socket_stats(0, &st);
    return st.heap_allocsz_bytes;
}

struct Filled {
    uint64_t keys = 0;
    size_t bytes = 0;
};

// Adds random 24-byte keys (the same ones for every call) until the table
// refuses one; every key stays findable.
Filled fill(rte_hash* h, size_t bytes)
{
    std::mt19937_64 rng(7);
    Filled f;
    f.bytes = bytes;
    for (;;) {
        const uint64_t key[3] = {rng(), rng(), rng()};
        if (rte_hash_add_key(h, key) < 0)
            break;
        ++f.keys;
    }
    std::mt19937_64 again(7);
    uint64_t found = 0;
    for (uint64_t i = 0; i < f.keys; ++i) {
        const uint64_t key[3] = {again(), again(), again()};
        found += rte_hash_lookup(h, key) >= 0;
    }
    CHECK(found == f.keys);
    return f;
}

} // namespace

TEST_CASE("lf_hash: sizing by wanted keys", "[flow][memory]")
{
    CHECK(dp::lf_hash_entries(1024) == 1024);
    CHECK(dp::lf_hash_entries(1000000) == 1000000);       // its ring is 2^20 already
    CHECK(dp::lf_hash_entries(10000000) == 10000000);     // likewise 2^24
    // 2^20: the most entries whose ring (entries + 127 x 63 + 1) is 2^20.
    CHECK(dp::lf_hash_entries(1u << 20) == (1u << 20) - 127 * 63 - 1);
    // Positions as DPDK counts them: entries, every lcore's cache, and one.
    rte_hash* h = dp::make_lf_hash("mem_positions", 1u << 20, 24, 0);
    CHECK(dp::lf_hash_positions(h) == (1u << 20));
    rte_hash_free(h);
}

TEST_CASE("lf_hash: a table for 2^15 keys holds as many as rte_hash asked for 2^15, in less memory",
          "[flow][memory]")
{
    // The smallest size the rule shrinks is 2^14 (the lcore-cache reservation
    // is 8,002); 2^15 keeps the test quick under the sanitizers, and 2^20
    // behaves the same (docs/BENCHMARKS.md).
    const uint32_t wanted = 1u << 15;
    size_t h0 = heap_bytes();
    rte_hash* ours = dp::make_lf_hash("mem_ours", wanted, 24, 0);
    const size_t ours_bytes = heap_bytes() - h0;

    rte_hash_parameters params{};
    params.name = "mem_plain";
    params.entries = wanted;
    params.key_len = 24;
    params.hash_func = rte_hash_crc;
    params.socket_id = 0;
    params.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_MULTI_WRITER_ADD;
    h0 = heap_bytes();
    rte_hash* plain = rte_hash_create(&params);
    REQUIRE(plain != nullptr);
    const size_t plain_bytes = heap_bytes() - h0;

    const Filled a = fill(ours, ours_bytes);
    const Filled b = fill(plain, plain_bytes);
    INFO("ours " << a.keys << " keys in " << a.bytes << " bytes; plain " << b.keys << " keys in " << b.bytes);
    CHECK(a.keys == b.keys);                 // the buckets fill first either way
    CHECK(a.keys > wanted * 95 / 100);
    CHECK(a.bytes + 4 * wanted <= b.bytes);   // a free-slot ring of `wanted` 4-byte entries, not twice that
    rte_hash_free(ours);
    rte_hash_free(plain);
}

TEST_CASE("lf_hash: the key store is where rte_hash keeps each position's key", "[flow][memory]")
{
    rte_hash* h = dp::make_lf_hash("mem_keys", 4096, sizeof(nat::BibKey6), 0);
    const dp::KeyStore store(h, "mem_keys", sizeof(nat::BibKey6));
    for (uint32_t i = 0; i < 3000; ++i) {
        In6 src{0x20, 0x01, 0x0d, 0xb8};
        src[14] = static_cast<uint8_t>(i >> 8);
        src[15] = static_cast<uint8_t>(i);
        const nat::BibKey6 k = nat::make_bib_key6(src, static_cast<uint16_t>(40000 + i), kProtoUdp);
        const int32_t pos = rte_hash_add_key(h, &k);
        REQUIRE(pos >= 0);
        void* checked = nullptr;
        REQUIRE(rte_hash_get_key_with_position(h, pos, &checked) == 0);
        CHECK(store.at(static_cast<uint32_t>(pos)) == checked);
        CHECK(std::memcmp(store.at(static_cast<uint32_t>(pos)), &k, sizeof(k)) == 0);
    }
    // A key length the table was not made with: refused, not misread.
    CHECK_THROWS_AS(dp::KeyStore(h, "mem_keys", 40), dp::StartupError);
    rte_hash_free(h);
}

TEST_CASE("lf_hash: a headed table keeps a key's head in the data word: 32-byte entries, keys told apart by head",
          "[flow][memory]")
{
    // Sessions that differ only in protocol (a client racing QUIC and TCP
    // from the same port number to one server) are different keys.
    const auto key = [](uint32_t i, uint8_t proto) {
        In6 src{0x20, 0x01, 0x0d, 0xb8};
        std::memcpy(&src[8], &i, sizeof(i));
        return nat::make_flow_key6(src, 0xCB007100 + (i & 0xFF), static_cast<uint16_t>(1024 + i), 443, proto);
    };
    const uint8_t protos[] = {kProtoTcp, kProtoUdp, kProtoIcmp6};
    for (const bool split : {false, true}) {
        INFO("split " << split);
        const uint32_t wanted = split ? 300000 : 30000;
        const uint32_t hosts = wanted / 3;
        size_t h0 = heap_bytes();
        dp::LfHash h(split ? "mem_head2" : "mem_head1", wanted, sizeof(nat::FlowKey6), 0, split, dp::LfHash::kHead);
        const size_t headed_bytes = heap_bytes() - h0;
        REQUIRE(h.shards() == (split ? 2u : 1u));
        h0 = heap_bytes();
        const size_t whole_bytes = [&] {
            dp::LfHash whole(split ? "mem_whole2" : "mem_whole1", wanted, sizeof(nat::FlowKey6), 0, split);
            return heap_bytes() - h0;
        }();
        // rte_hash keeps 24 bytes after its 8-byte data word instead of 32: 16 bytes a position.
        CHECK(whole_bytes - headed_bytes >= size_t{16} * wanted);

        std::vector<int32_t> pos(size_t{hosts} * 3);
        for (uint32_t i = 0; i < hosts; ++i)
            for (uint32_t p = 0; p < 3; ++p) {
                const nat::FlowKey6 k = key(i, protos[p]);
                pos[i * 3 + p] = h.add(&k);
                REQUIRE(pos[i * 3 + p] >= 0);
            }
        CHECK(h.count() == hosts * 3);
        std::vector<uint8_t> seen(h.positions(), 0);
        uint32_t bad = 0;
        for (uint32_t i = 0; i < hosts; ++i) {
            std::array<nat::FlowKey6, 3> keys;
            std::array<const void*, 3> ptrs;
            std::array<int32_t, 3> found;
            for (uint32_t p = 0; p < 3; ++p) {
                keys[p] = key(i, protos[p]);
                ptrs[p] = &keys[p];
            }
            h.lookup_bulk(ptrs.data(), 3, found.data());
            for (uint32_t p = 0; p < 3; ++p) {
                const int32_t want = pos[i * 3 + p];
                const void* checked = nullptr;
                bad += found[p] != want || h.lookup(&keys[p]) != want || seen[static_cast<uint32_t>(want)]++ != 0 ||
                       std::memcmp(h.key_at(static_cast<uint32_t>(want)), &keys[p], sizeof(keys[p])) != 0 ||
                       !h.checked_key(static_cast<uint32_t>(want), checked) ||
                       checked != h.key_at(static_cast<uint32_t>(want));
            }
        }
        CHECK(bad == 0);
        // Deleting the UDP key leaves the TCP and ICMP keys of the same tuple.
        for (uint32_t i = 0; i < hosts; ++i) {
            const nat::FlowKey6 k = key(i, kProtoUdp);
            REQUIRE(h.del(&k) == pos[i * 3 + 1]);
        }
        uint32_t wrong = 0;
        for (uint32_t i = 0; i < hosts; ++i)
            for (uint32_t p = 0; p < 3; ++p) {
                const nat::FlowKey6 k = key(i, protos[p]);
                wrong += p == 1 ? h.lookup(&k) >= 0 : h.lookup(&k) != pos[i * 3 + p];
            }
        CHECK(wrong == 0);
    }
    // A head only of the data word's size, over a whole number of words.
    CHECK_THROWS_AS(dp::LfHash("mem_head_bad", 1024, 28, 0, false, dp::LfHash::kHead), dp::StartupError);
    CHECK_THROWS_AS(dp::LfHash("mem_head_bad", 1024, 32, 0, false, 4), dp::StartupError);
}

TEST_CASE("flow table: inbound finds every mapping's IPv6 side, and a reused position never answers for an old port",
          "[flow][memory][rfc6146]")
{
    test::TestTable table(test::TableSpec{"mem_inbound", 256, {0xC0000201}, 3, 120});
    dp::FlowTable& flows = table.flows;
    nat::Timeouts to;
    to.udp_s = 300;
    Verdict why = Verdict::forward;
    const auto key = [](uint32_t i, uint32_t round) {
        In6 src{0x20, 0x01, 0x0d, 0xb8, 0, static_cast<uint8_t>(round)};
        src[15] = static_cast<uint8_t>(i);
        return nat::make_flow_key6(src, 0xCB007150, static_cast<uint16_t>(1024 + i), 53, kProtoUdp);
    };
    // Three rounds over the same positions: each round's mappings take the
    // positions the last round's had while those ports are still taken.
    std::vector<uint16_t> old_ports;
    for (uint32_t round = 0; round < 3; ++round) {
        const uint32_t t = 1000 + 302 * round;   // the last round's ports still in quarantine (120 s)
        std::vector<uint16_t> round_ports;
        for (uint32_t i = 0; i < 200; ++i) {
            const nat::FlowKey6 k = key(i, round);
            const int32_t pos = flows.create(k, 0, t, why);
            REQUIRE(pos >= 0);
            const uint16_t port = flows.session(pos).pub_port();
            In6 a6{};
            uint16_t p6 = 0;
            REQUIRE(flows.find_mapping(kProtoUdp, 0xC0000201, port, a6, p6));
            CHECK(a6 == k.src);
            CHECK(p6 == k.sport);
            CHECK_FALSE(flows.find_mapping(kProtoTcp, 0xC0000201, port, a6, p6));
            round_ports.push_back(port);
        }
        for (uint16_t p : old_ports) {
            In6 a6{};
            uint16_t p6 = 0;
            CHECK_FALSE(flows.find_mapping(kProtoUdp, 0xC0000201, p, a6, p6));
        }
        // The old ports go back only now, after this round reused their
        // mappings' positions: until then the direct map held them.
        flows.drain_port_returns(0, t);
        CHECK(flows.expire(t + 301, to, 1u << 20) == 200);
        flows.release_ports();
        old_ports = round_ports;
    }
    CHECK(flows.stats().hash_mappings_used <= 200);   // positions were reused, not grown
}

TEST_CASE("flow table: a mapping names its last session, which inbound packets of that flow use and no other",
          "[flow][memory][rfc6146]")
{
    test::TestTable table(test::TableSpec{"mem_hint", 256, {0xC0000201}, 3, 120});
    dp::FlowTable& flows = table.flows;
    nat::Timeouts to;
    to.udp_s = 300;
    Verdict why = Verdict::forward;
    In6 host{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7};
    // One client port, two servers: two sessions on one mapping (RFC 4787 REQ-1).
    const nat::FlowKey6 to_a = nat::make_flow_key6(host, 0xCB007150, 5000, 53, kProtoUdp);
    const nat::FlowKey6 to_b = nat::make_flow_key6(host, 0xCB007151, 5000, 53, kProtoUdp);
    const int32_t pa = flows.create(to_a, 0, 100, why);
    REQUIRE(pa >= 0);
    const Ip4 pub4 = flows.pub4(flows.session(pa));
    const uint16_t port = flows.session(pa).pub_port();

    test::Inbound in = test::inbound(flows, kProtoUdp, pub4, port);
    REQUIRE(in.found);
    CHECK(in.ref.session_hint == static_cast<uint32_t>(pa) + 1);
    CHECK(flows.hinted_session(in.ref, to_a) == pa);
    CHECK(flows.hinted_session(in.ref, to_b) == -1);   // not a session yet: the hash decides (and misses)

    const int32_t pb = flows.create(to_b, 0, 100, why);
    REQUIRE(pb >= 0);
    REQUIRE(pb != pa);
    CHECK(flows.session(pb).pub_port() == port);
    in = test::inbound(flows, kProtoUdp, pub4, port);
    REQUIRE(in.found);
    // The newest session is named; the other one's packets miss the hint,
    // find their session in the hash, and name it for the next packet.
    CHECK(flows.hinted_session(in.ref, to_b) == pb);
    CHECK(flows.hinted_session(in.ref, to_a) == -1);
    CHECK(flows.lookup(to_a) == pa);
    flows.remember_session(in.ref, pa);
    in = test::inbound(flows, kProtoUdp, pub4, port);
    CHECK(flows.hinted_session(in.ref, to_a) == pa);
    CHECK(flows.hinted_session(in.ref, to_b) == -1);

    // The same host port in another protocol is another mapping: no hint crosses.
    nat::FlowKey6 tcp_a = to_a;
    tcp_a.proto = kProtoTcp;
    CHECK(flows.hinted_session(in.ref, tcp_a) == -1);

    // Session a expires (b was refreshed): its position is named but not
    // live, so the hint is refused even though the key there still matches.
    flows.session(pb).seen.store(dp::Session::pack_seen(350, dp::Session::kKindUdp));
    CHECK(flows.expire(401, to, 1u << 20) == 1);
    in = test::inbound(flows, kProtoUdp, pub4, port);
    REQUIRE(in.found);
    CHECK(in.ref.session_hint == static_cast<uint32_t>(pa) + 1);
    CHECK(flows.hinted_session(in.ref, to_a) == -1);
    CHECK(flows.lookup(to_a) < 0);
    CHECK(flows.hinted_session(in.ref, to_b) == -1);   // named is a, not b
    CHECK(flows.lookup(to_b) == pb);

    // The position freed after its grace period and reused by another host's
    // session: a hint to it names a key that is not this flow's.
    flows.release_ports();
    flows.expire(401, to, 1u << 20);   // reclaims what is due
    In6 other = host;
    other[15] = 8;
    std::vector<int32_t> made;
    bool reused = false;
    for (uint16_t i = 0; i < 64 && !reused; ++i) {
        const int32_t p = flows.create(nat::make_flow_key6(other, 0xCB007150, static_cast<uint16_t>(6000 + i), 53,
                                                           kProtoUdp), 0, 401, why);
        REQUIRE(p >= 0);
        reused = p == pa;
    }
    REQUIRE(reused);
    CHECK(flows.session(pa).ready());
    CHECK(flows.hinted_session(in.ref, to_a) == -1);

    // A garbage hint (any value) is refused, never followed.
    for (const uint32_t junk : {0u, 1u, 0x7FFFFFFFu, 0xFFFFFFFFu}) {
        dp::FlowTable::PublicRef bad = in.ref;
        bad.session_hint = junk;
        const int32_t got = flows.hinted_session(bad, to_a);
        CHECK(got == -1);
    }
}

TEST_CASE("lf_hash: a size far from a power of two is split into two power-of-two shards", "[flow][memory]")
{
    const uint32_t cache = 127 * 63 + 1;   // rte_hash's lcore-cache reservation, plus its dummy slot
    const auto pow2 = [](uint64_t v) {
        uint64_t p = 1;
        while (p < v)
            p <<= 1;
        return p;
    };
    CHECK(dp::lf_hash_shards(1000000) == std::vector<uint32_t>{1000000});
    CHECK(dp::lf_hash_shards(1u << 20) == std::vector<uint32_t>{(1u << 20) - cache});
    CHECK(dp::lf_hash_shards(100000) == std::vector<uint32_t>{100000});   // small tables stay whole
    struct Split {
        uint32_t wanted;
        uint64_t big, small;
    };
    for (const Split sp : {Split{10000000, 1u << 23, 1u << 21}, Split{700000, 1u << 19, 1u << 18},
                            Split{300000, 1u << 18, 1u << 17}}) {
        INFO(sp.wanted);
        const std::vector<uint32_t> e = dp::lf_hash_shards(sp.wanted);
        REQUIRE(e.size() == 2);
        // Buckets and free-slot ring of each shard at one power of two.
        CHECK(pow2(e[0]) == sp.big);
        CHECK(pow2(e[1]) == sp.small);
        CHECK(pow2(e[0] + cache) == sp.big);
        CHECK(pow2(e[1] + cache) == sp.small);
        // Bucket slots for the keys and a little more; positions for the
        // keys as the shards share them, and a few standard deviations more.
        CHECK(sp.big + sp.small >= sp.wanted + sp.wanted / 32);
        const double share = double(sp.small) / double(sp.big + sp.small);
        CHECK(e[1] >= sp.wanted * share);
        CHECK(e[0] >= sp.wanted * (1 - share));
        CHECK(uint64_t{e[0]} + e[1] < sp.wanted + 16 * std::sqrt(double(sp.wanted)) + 2);
    }
}

TEST_CASE("lf_hash: two shards hold every key they were sized for, each at one position of its own",
          "[flow][memory]")
{
    const uint32_t wanted = 300000;   // shards of 2^18 and 2^17 bucket slots
    CHECK(dp::LfHash("mem_whole", wanted, sizeof(nat::BibKey6), 0, false).shards() == 1);
    dp::LfHash h("mem_split", wanted, sizeof(nat::BibKey6), 0, true);
    REQUIRE(h.shards() == 2);
    const auto key = [](uint32_t i) {
        In6 src{0x20, 0x01, 0x0d, 0xb8};
        std::memcpy(&src[8], &i, sizeof(i));
        return nat::make_bib_key6(src, static_cast<uint16_t>(i * 7), kProtoTcp);
    };
    const std::vector<uint32_t> entries = dp::lf_hash_shards(wanted);
    const uint32_t second_base = entries[0] + 127 * 63 + 1;
    std::vector<int32_t> pos(wanted);
    std::vector<uint8_t> taken(h.positions(), 0);
    uint32_t in_second = 0;
    for (uint32_t i = 0; i < wanted; ++i) {
        const nat::BibKey6 k = key(i);
        pos[i] = h.add(&k);
        REQUIRE(pos[i] >= 0);
        REQUIRE(static_cast<uint32_t>(pos[i]) < h.positions());
        REQUIRE(taken[static_cast<uint32_t>(pos[i])] == 0);
        taken[static_cast<uint32_t>(pos[i])] = 1;
        in_second += static_cast<uint32_t>(pos[i]) >= second_base;
    }
    CHECK(h.count() == wanted);
    // Keys spread as the shards' bucket slots: a third to the 2^18 one.
    CHECK(in_second > wanted / 3 - wanted / 100);
    CHECK(in_second < wanted / 3 + wanted / 100);
    // Bulk and single lookups and the key store agree on every key.
    uint32_t mismatches = 0;
    for (uint32_t first = 0; first < wanted; first += 64) {
        const uint32_t n = std::min(64u, wanted - first);
        std::array<nat::BibKey6, 64> keys;
        std::array<const void*, 64> ptrs;
        std::array<int32_t, 64> found;
        for (uint32_t j = 0; j < n; ++j) {
            keys[j] = key(first + j);
            ptrs[j] = &keys[j];
        }
        h.lookup_bulk(ptrs.data(), n, found.data());
        for (uint32_t j = 0; j < n; ++j) {
            const uint32_t i = first + j;
            const void* checked = nullptr;
            mismatches += found[j] != pos[i] || h.lookup(&keys[j]) != pos[i] ||
                          std::memcmp(h.key_at(static_cast<uint32_t>(pos[i])), &keys[j], sizeof(keys[j])) != 0 ||
                          !h.checked_key(static_cast<uint32_t>(pos[i]), checked) ||
                          checked != h.key_at(static_cast<uint32_t>(pos[i]));
        }
    }
    CHECK(mismatches == 0);
    // Deleted keys miss; their positions, once freed, take new keys.
    for (uint32_t i = 0; i < wanted; i += 2) {
        const nat::BibKey6 k = key(i);
        REQUIRE(h.del(&k) == pos[i]);
    }
    uint32_t wrong = 0;
    for (uint32_t i = 0; i < wanted; ++i) {
        const nat::BibKey6 k = key(i);
        wrong += (i % 2 == 0) ? h.lookup(&k) >= 0 : h.lookup(&k) != pos[i];
    }
    CHECK(wrong == 0);
    for (uint32_t i = 0; i < wanted; i += 2)
        h.free_position(static_cast<uint32_t>(pos[i]));
    CHECK(h.count() == wanted / 2);
    for (uint32_t i = 0; i < wanted; i += 2) {
        const nat::BibKey6 k = key(wanted + i);
        REQUIRE(h.add(&k) >= 0);
    }
    CHECK(h.count() == wanted);
}

TEST_CASE("flow table: a two-shard mapping table translates both ways and ages like one", "[flow][memory][rfc6146]")
{
    test::TestTable table(test::TableSpec{
        "mem_2shard", 300000, {0xC0000201, 0xC0000202, 0xC0000203, 0xC0000204, 0xC0000205, 0xC0000206}, 9, 0});
    dp::FlowTable& flows = table.flows;
    REQUIRE(flows.mapping_shards() == 2);
    constexpr uint32_t kFlows = 100000;
    const auto key = [](uint32_t i) {
        // A host per /56, so paired pooling spreads them over the four addresses.
        In6 src{0x20, 0x01, 0x0d, 0xb8, static_cast<uint8_t>(i >> 16), static_cast<uint8_t>(i >> 8),
                static_cast<uint8_t>(i)};
        src[15] = 1;
        return nat::make_flow_key6(src, 0xCB007150, 4000, 443, kProtoTcp);
    };
    Verdict why = Verdict::forward;
    uint32_t bad = 0;
    for (uint32_t i = 0; i < kFlows; ++i) {
        const nat::FlowKey6 k = key(i);
        const int32_t p = flows.create(k, 0, 10, why);
        INFO("flow " << i << ": " << verdict_name(why));
        REQUIRE(p >= 0);
        const dp::Session& s = flows.session(p);
        In6 a6{};
        uint16_t p6 = 0;
        nat::FlowKey6 again;
        bad += flows.lookup(k) != p || !flows.key_at(p, again) || std::memcmp(&again, &k, sizeof(k)) != 0 ||
               !flows.find_mapping(kProtoTcp, flows.pub4(s), s.pub_port(), a6, p6) || a6 != k.src || p6 != k.sport;
    }
    CHECK(bad == 0);
    CHECK(flows.session_count() == kFlows);
    CHECK(flows.mapping_count() == kFlows);
    nat::Timeouts to;
    to.tcp_transitory_s = 240;
    uint32_t removed = 0;
    for (int pass = 0; pass < 64 && removed < kFlows; ++pass) {
        removed += flows.expire(10 + 241, to, 1u << 16);
        while (flows.drain_port_returns(0, 10 + 241) != 0)   // the worker's part: ports back to the allocator
            ;
    }
    CHECK(removed == kFlows);
    CHECK(flows.session_count() == 0);
    CHECK(flows.mapping_count() == 0);
    uint32_t found = 0;
    for (uint32_t i = 0; i < kFlows; ++i)
        found += flows.lookup(key(i)) >= 0;
    CHECK(found == 0);
}
