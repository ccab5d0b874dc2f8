// Public port allocation: worker slices, ranges, reservations, RFC 6888 REQ-8
// quarantine, RFC 6056 randomness (seeded for reproducibility), REQ-2 pairing.
#include <catch2/catch.hpp>

#include <array>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/nat/port_alloc.hpp"

using namespace nat64d;
using namespace nat64d::nat;

namespace {

constexpr Ip4 kA = 0xCB007101;   // 203.0.113.1
constexpr Ip4 kB = 0xCB007102;
constexpr Ip4 kC = 0xCB007103;
constexpr Ip4 kD = 0xCB007104;

In6 host(uint16_t subnet, uint16_t iid)
{
    In6 a{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    a[6] = static_cast<uint8_t>(subnet >> 8);
    a[7] = static_cast<uint8_t>(subnet);
    a[14] = static_cast<uint8_t>(iid >> 8);
    a[15] = static_cast<uint8_t>(iid);
    a[8] = static_cast<uint8_t>(iid * 37);   // privacy-address-like variation in the IID
    return a;
}

PortAllocConfig config(std::vector<Ip4> pool, PortRange udp, uint32_t workers, uint64_t seed = 1)
{
    PortAllocConfig c;
    c.pool = std::move(pool);
    c.ranges[static_cast<uint32_t>(PortProto::tcp)] = udp;
    c.ranges[static_cast<uint32_t>(PortProto::udp)] = udp;
    c.ranges[static_cast<uint32_t>(PortProto::icmp)] = udp;
    c.workers = workers;
    c.seed = seed;
    return c;
}

} // namespace

TEST_CASE("allocated ports stay in the worker's slice and the configured range", "[nat][port_alloc][rfc6056]")
{
    const uint32_t seed = GENERATE(0u, 7u);   // arc4random and seeded
    PortAllocator pa(config({kA}, {2000, 2999}, 4, seed));
    REQUIRE(PortAllocator::validate(config({kA}, {2000, 2999}, 4)) == nullptr);
    for (uint32_t w = 0; w < 4; ++w) {
        std::set<uint16_t> seen;
        for (uint32_t i = 0; i < 200; ++i) {
            const PortAllocation r = pa.allocate(w, PortProto::udp, host(1, 1), 100 + i, 0);
            REQUIRE(r.verdict == Verdict::forward);
            CHECK(r.addr == kA);
            CHECK(r.port >= 2000);
            CHECK(r.port <= 2999);
            CHECK((r.port / 2) % 4 == w);   // whole even/odd pairs per worker
            CHECK(pa.worker_of(r.port) == w);
            CHECK(seen.insert(r.port).second);   // never an in-use port twice
            CHECK(pa.owner(PortProto::udp, 0, r.port) == 100 + i);
            CHECK(pa.state(PortProto::udp, 0, r.port, 0) == PortState::in_use);
        }
    }
    CHECK(pa.in_use(0, PortProto::udp) == 800);
    CHECK(pa.in_use(0, PortProto::tcp) == 0);
}

TEST_CASE("worker slices partition the range exactly", "[nat][port_alloc]")
{
    PortAllocator pa(config({kA}, {1001, 1010}, 3));
    // 1001..1010 as pairs q = port / 2: 500 (1001 only), 501, 502, 503, 504, 505 (1010 only).
    // q % 3 == 0 -> 501, 504: 1002 1003 1008 1009; == 1 -> 502, 505: 1004 1005 1010;
    // == 2 -> 500, 503: 1001 1006 1007
    CHECK(pa.slice_size(0, PortProto::tcp) == 4);
    CHECK(pa.slice_size(1, PortProto::tcp) == 3);
    CHECK(pa.slice_size(2, PortProto::tcp) == 3);
    CHECK(pa.worker_of(1001) == 2);
    CHECK(pa.worker_of(1010) == 1);
    std::set<uint16_t> all;
    for (uint32_t w = 0; w < 3; ++w)
        for (uint32_t i = 0; i < pa.slice_size(w, PortProto::tcp); ++i) {
            const PortAllocation r = pa.allocate(w, PortProto::tcp, host(1, 1), 10 * w + i + 1, 0);
            REQUIRE(r.verdict == Verdict::forward);
            CHECK(pa.worker_of(r.port) == w);
            CHECK(all.insert(r.port).second);
        }
    CHECK(all.size() == 10);
    CHECK(*all.begin() == 1001);
    CHECK(*all.rbegin() == 1010);
}

TEST_CASE("a full slice reports drop_ports_exhausted", "[nat][port_alloc]")
{
    PortAllocator pa(config({kA}, {1000, 1009}, 2));
    std::set<uint16_t> got;
    for (uint32_t i = 0; i < 6; ++i) {
        const PortAllocation r = pa.allocate(0, PortProto::tcp, host(1, 1), i + 1, 0);
        REQUIRE(r.verdict == Verdict::forward);
        got.insert(r.port);
    }
    CHECK(got == std::set<uint16_t>{1000, 1001, 1004, 1005, 1008, 1009});   // pairs 500, 502, 504
    CHECK(pa.allocate(0, PortProto::tcp, host(1, 1), 9, 0).verdict == Verdict::drop_ports_exhausted);
    // Worker 1's slice and the other protocols are untouched.
    CHECK(pa.allocate(1, PortProto::tcp, host(1, 1), 9, 0).verdict == Verdict::forward);
    CHECK(pa.allocate(0, PortProto::udp, host(1, 1), 9, 0).verdict == Verdict::forward);
    CHECK(pa.in_use(0, PortProto::tcp) == 7);
}

TEST_CASE("reserved ports are never handed out", "[nat][port_alloc][rfc6146]")
{
    PortAllocator pa(config({kA}, {1000, 1009}, 1));
    REQUIRE(pa.reserve(PortProto::udp, 0, 1003, 77));
    REQUIRE(pa.reserve(PortProto::udp, 0, 1007, 0));
    CHECK_FALSE(pa.reserve(PortProto::udp, 0, 1003, 78));   // already reserved
    CHECK_FALSE(pa.reserve(PortProto::udp, 0, 999, 1));     // out of range
    CHECK(pa.reserved(0, PortProto::udp) == 2);
    CHECK(pa.owner(PortProto::udp, 0, 1003) == 77);
    CHECK(pa.state(PortProto::udp, 0, 1007, 0) == PortState::reserved);

    std::set<uint16_t> got;
    for (uint32_t i = 0; i < 8; ++i) {
        const PortAllocation r = pa.allocate(0, PortProto::udp, host(1, 1), i + 1, 0);
        REQUIRE(r.verdict == Verdict::forward);
        got.insert(r.port);
    }
    CHECK(got.count(1003) == 0);
    CHECK(got.count(1007) == 0);
    CHECK(pa.allocate(0, PortProto::udp, host(1, 1), 99, 0).verdict == Verdict::drop_ports_exhausted);
    CHECK_FALSE(pa.free_port(PortProto::udp, 0, 1003, 0));   // a static port is not freed as dynamic
    CHECK_FALSE(pa.reserve(PortProto::udp, 0, *got.begin(), 5));   // in use

    REQUIRE(pa.unreserve(PortProto::udp, 0, 1007));
    const PortAllocation r = pa.allocate(0, PortProto::udp, host(1, 1), 100, 0);
    CHECK(r.verdict == Verdict::forward);
    CHECK(r.port == 1007);
}

TEST_CASE("a freed port stays quarantined for exactly port_quarantine_s", "[nat][port_alloc][rfc6888]")
{
    const uint32_t q = GENERATE(1u, 120u, 3600u);
    PortAllocConfig c = config({kA}, {5000, 5000}, 1);
    c.quarantine_s = q;
    PortAllocator pa(c);
    const uint32_t t0 = 1'000'000;
    PortAllocation r = pa.allocate(0, PortProto::tcp, host(1, 1), 1, t0);
    REQUIRE(r.verdict == Verdict::forward);
    REQUIRE(pa.free_port(PortProto::tcp, 0, 5000, t0 + 10));
    CHECK_FALSE(pa.free_port(PortProto::tcp, 0, 5000, t0 + 10));   // twice: no
    CHECK(pa.in_use(0, PortProto::tcp) == 0);
    CHECK(pa.owner(PortProto::tcp, 0, 5000) == 0);
    CHECK(pa.state(PortProto::tcp, 0, 5000, t0 + 10) == PortState::quarantined);
    CHECK(pa.state(PortProto::tcp, 0, 5000, t0 + 10 + q - 1) == PortState::quarantined);
    CHECK(pa.allocate(0, PortProto::tcp, host(1, 1), 2, t0 + 10 + q - 1).verdict == Verdict::drop_ports_exhausted);
    CHECK(pa.state(PortProto::tcp, 0, 5000, t0 + 10 + q) == PortState::free);
    r = pa.allocate(0, PortProto::tcp, host(1, 1), 3, t0 + 10 + q);
    CHECK(r.verdict == Verdict::forward);
    CHECK(r.port == 5000);
    CHECK(pa.owner(PortProto::tcp, 0, 5000) == 3);
}

TEST_CASE("quarantined ports are skipped while free ones remain", "[nat][port_alloc][rfc6888]")
{
    PortAllocator pa(config({kA}, {6000, 6003}, 1));
    for (uint32_t i = 0; i < 4; ++i)
        REQUIRE(pa.allocate(0, PortProto::udp, host(1, 1), i + 1, 0).verdict == Verdict::forward);
    REQUIRE(pa.free_port(PortProto::udp, 0, 6001, 5));
    REQUIRE(pa.free_port(PortProto::udp, 0, 6002, 5));
    CHECK(pa.allocate(0, PortProto::udp, host(1, 1), 9, 100).verdict == Verdict::drop_ports_exhausted);
    REQUIRE(pa.free_port(PortProto::udp, 0, 6003, 100));
    // At 125 only 6001 and 6002 have rested 120 s.
    std::set<uint16_t> got;
    for (uint32_t i = 0; i < 2; ++i) {
        const PortAllocation r = pa.allocate(0, PortProto::udp, host(1, 1), 10 + i, 125);
        REQUIRE(r.verdict == Verdict::forward);
        got.insert(r.port);
    }
    CHECK(got == std::set<uint16_t>{6001, 6002});
    CHECK(pa.allocate(0, PortProto::udp, host(1, 1), 20, 125).verdict == Verdict::drop_ports_exhausted);
}

TEST_CASE("quarantine 0 makes a freed port available at once", "[nat][port_alloc]")
{
    PortAllocConfig c = config({kA}, {7000, 7000}, 1);
    c.quarantine_s = 0;
    PortAllocator pa(c);
    REQUIRE(pa.allocate(0, PortProto::icmp, host(1, 1), 1, 50).verdict == Verdict::forward);
    REQUIRE(pa.free_port(PortProto::icmp, 0, 7000, 50));
    CHECK(pa.allocate(0, PortProto::icmp, host(1, 1), 2, 50).verdict == Verdict::forward);
}

TEST_CASE("the seeded generator is reproducible and differs across seeds", "[nat][port_alloc][rfc6056]")
{
    auto sequence = [](uint64_t seed, uint32_t worker) {
        PortAllocator pa(config({kA}, {1024, 65535}, 2, seed));
        std::vector<uint16_t> ports;
        for (uint32_t i = 0; i < 50; ++i)
            ports.push_back(pa.allocate(worker, PortProto::tcp, host(1, 1), i + 1, 0).port);
        return ports;
    };
    CHECK(sequence(42, 0) == sequence(42, 0));
    CHECK(sequence(42, 1) == sequence(42, 1));
    CHECK(sequence(42, 0) != sequence(43, 0));
    // Random, not sequential: consecutive allocations are not neighbours.
    const std::vector<uint16_t> s = sequence(42, 0);
    uint32_t adjacent = 0;
    for (size_t i = 1; i < s.size(); ++i)
        adjacent += (s[i] == s[i - 1] + 2) ? 1 : 0;
    CHECK(adjacent < 5);
}

TEST_CASE("paired pooling keeps a host on one address", "[nat][port_alloc][rfc6888]")
{
    PortAllocator pa(config({kA, kB, kC, kD}, {1024, 65535}, 2));
    std::set<uint32_t> used;
    for (uint16_t subnet = 0; subnet < 64; ++subnet) {
        const uint32_t expected = pa.paired_address(host(subnet, 1));
        used.insert(expected);
        for (uint16_t iid = 1; iid < 8; ++iid) {   // temporary addresses in the same /64
            CHECK(pa.paired_address(host(subnet, iid)) == expected);
            for (uint32_t w = 0; w < 2; ++w) {
                const PortAllocation r = pa.allocate(w, PortProto::udp, host(subnet, iid), 1, 0);
                REQUIRE(r.verdict == Verdict::forward);
                CHECK(r.addr_index == expected);
                CHECK(r.addr == pa.address(expected));
            }
        }
    }
    CHECK(used.size() == 4);   // 64 subscribers spread over all addresses
}

TEST_CASE("pairing on /128 may separate addresses of one /64", "[nat][port_alloc][rfc6888]")
{
    PortAllocConfig c = config({kA, kB, kC, kD}, {1024, 65535}, 1);
    c.pairing_prefix_len = 128;
    PortAllocator pa(c);
    std::set<uint32_t> used;
    for (uint16_t iid = 0; iid < 64; ++iid)
        used.insert(pa.paired_address(host(1, iid)));
    CHECK(used.size() > 1);
}

TEST_CASE("a paired host whose address is full is refused rather than moved", "[nat][port_alloc][rfc6888]")
{
    PortAllocator pa(config({kA, kB}, {1000, 1003}, 1));
    const In6 h = host(5, 1);
    const uint32_t a = pa.paired_address(h);
    for (uint32_t i = 0; i < 4; ++i)
        REQUIRE(pa.allocate(0, PortProto::tcp, h, i + 1, 0).addr_index == a);
    const PortAllocation r = pa.allocate(0, PortProto::tcp, h, 9, 0);
    CHECK(r.verdict == Verdict::drop_ports_exhausted);
    CHECK(pa.in_use(1 - a, PortProto::tcp) == 0);
}

TEST_CASE("without pairing a full address spills over to the next", "[nat][port_alloc]")
{
    PortAllocConfig c = config({kA, kB}, {1000, 1003}, 1);
    c.paired_pooling = false;
    PortAllocator pa(c);
    for (uint32_t i = 0; i < 8; ++i)
        REQUIRE(pa.allocate(0, PortProto::tcp, host(5, 1), i + 1, 0).verdict == Verdict::forward);
    CHECK(pa.in_use(0, PortProto::tcp) == 4);
    CHECK(pa.in_use(1, PortProto::tcp) == 4);
    CHECK(pa.allocate(0, PortProto::tcp, host(5, 1), 9, 0).verdict == Verdict::drop_ports_exhausted);
}

TEST_CASE("a claimed port gets its owner later, or goes back without quarantine", "[nat][port_alloc][rfc6888]")
{
    PortAllocConfig c = config({kA}, {5000, 5001}, 1);
    c.quarantine_s = 120;
    PortAllocator pa(c);
    PortAllocation r = pa.allocate(0, PortProto::udp, host(1, 1), PortAllocator::kClaimed, 10);
    REQUIRE(r.verdict == Verdict::forward);
    CHECK(pa.owner(PortProto::udp, 0, r.port) == PortAllocator::kClaimed);
    CHECK(pa.in_use(0, PortProto::udp) == 1);
    pa.set_owner(PortProto::udp, 0, r.port, 77);
    CHECK(pa.owner(PortProto::udp, 0, r.port) == 77);
    // Never seen by anyone: straight back to free, the quarantine is for ports
    // a subscriber used (RFC 6888 REQ-8).
    const PortAllocation other = pa.allocate(0, PortProto::udp, host(1, 1), PortAllocator::kClaimed, 10);
    REQUIRE(other.verdict == Verdict::forward);
    REQUIRE(pa.unclaim(PortProto::udp, 0, other.port));
    CHECK(pa.state(PortProto::udp, 0, other.port, 10) == PortState::free);
    CHECK(pa.in_use(0, PortProto::udp) == 1);
    CHECK_FALSE(pa.unclaim(PortProto::udp, 0, other.port));   // twice: no
    REQUIRE(pa.free_port(PortProto::udp, 0, r.port, 10));
    CHECK(pa.state(PortProto::udp, 0, r.port, 10) == PortState::quarantined);
}

TEST_CASE("inbound lookups find the owner from address and port", "[nat][port_alloc]")
{
    PortAllocator pa(config({kC, kA, kB}, {1024, 65535}, 1));
    uint32_t idx = 99;
    REQUIRE(pa.find_address(kA, idx));
    CHECK(idx == 1);
    REQUIRE(pa.find_address(kB, idx));
    CHECK(idx == 2);
    CHECK_FALSE(pa.find_address(kD, idx));
    const PortAllocation r = pa.allocate_on(0, PortProto::icmp, 2, 4242, 0);
    REQUIRE(r.verdict == Verdict::forward);
    CHECK(r.addr == kB);
    CHECK(pa.owner(PortProto::icmp, 2, r.port) == 4242);
    CHECK(pa.owner(PortProto::udp, 2, r.port) == 0);
    CHECK(pa.owner(PortProto::icmp, 1, r.port) == 0);
    CHECK(pa.owner(PortProto::icmp, 2, 80) == 0);   // below the range
}

TEST_CASE("owners out of range are refused", "[nat][port_alloc]")
{
    PortAllocator pa(config({kA}, {1024, 65535}, 1));
    CHECK(pa.allocate(0, PortProto::tcp, host(1, 1), 0, 0).verdict == Verdict::drop_ports_exhausted);
    CHECK(pa.allocate(0, PortProto::tcp, host(1, 1), PortAllocator::kMaxOwner + 1, 0).verdict ==
          Verdict::drop_ports_exhausted);
    CHECK(pa.allocate(0, PortProto::tcp, host(1, 1), PortAllocator::kMaxOwner, 0).verdict == Verdict::forward);
    CHECK(pa.allocate(1, PortProto::tcp, host(1, 1), 1, 0).verdict == Verdict::drop_ports_exhausted);   // no worker 1
}

TEST_CASE("port allocator configuration is validated", "[nat][port_alloc]")
{
    CHECK(PortAllocator::validate(config({}, {1, 2}, 1)) != nullptr);
    CHECK(PortAllocator::validate(config({kA, kA}, {1, 2}, 1)) != nullptr);
    CHECK(PortAllocator::validate(config({kA}, {5, 4}, 1)) != nullptr);
    CHECK(PortAllocator::validate(config({kA}, {0, 4}, 1)) != nullptr);   // TCP/UDP port 0
    CHECK(PortAllocator::validate(config({kA}, {1, 4}, 0)) != nullptr);
    PortAllocConfig c = config({kA}, {1, 4}, 1);
    c.ranges[static_cast<uint32_t>(PortProto::tcp)] = {1, 4};
    c.ranges[static_cast<uint32_t>(PortProto::udp)] = {1, 4};
    c.ranges[static_cast<uint32_t>(PortProto::icmp)] = {0, 4};   // ICMP identifier 0 is fine
    CHECK(PortAllocator::validate(c) == nullptr);
    c.pairing_prefix_len = 129;
    CHECK(PortAllocator::validate(c) != nullptr);
    CHECK(PortAllocator::validate(PortAllocConfig{{kA}}) == nullptr);
}

TEST_CASE("the direct map costs four bytes per public port", "[nat][port_alloc][memory]")
{
    PortAllocConfig c;
    c.pool = {kA, kB};
    c.workers = 4;
    PortAllocator pa(c);
    const size_t per_address = (65535 - 1024 + 1) * 2 + 65535;
    CHECK(pa.memory_bytes() >= 2 * per_address * 4);
    // Besides the map: counters and the address index, sized for the
    // addresses a reload may add (kGrowAddresses), a few hundred KiB at most.
    CHECK(pa.memory_bytes() < 2 * per_address * 4 + 256 * 1024);
    INFO("port allocator, 2 addresses, 4 workers: " << pa.memory_bytes() << " bytes");
    // An address a reload adds costs its map, nothing else.
    const size_t before = pa.memory_bytes();
    REQUIRE(pa.add_address(kC) == nullptr);
    CHECK(pa.memory_bytes() - before == per_address * 4);
}

TEST_CASE("port spaces of IP protocols", "[nat][port_alloc]")
{
    PortProto p{};
    CHECK(port_proto_of(kProtoTcp, p));
    CHECK(p == PortProto::tcp);
    CHECK(port_proto_of(kProtoIcmp6, p));
    CHECK(p == PortProto::icmp);
    CHECK(port_proto_of(kProtoIcmp4, p));
    CHECK_FALSE(port_proto_of(47, p));
}

TEST_CASE("workers allocate concurrently, each only from its own slice", "[nat][port_alloc][threads]")
{
    constexpr uint32_t kWorkers = 4;
    PortAllocator pa(config({kA, kB}, {1024, 65535}, kWorkers));
    std::array<std::vector<PortAllocation>, kWorkers> got;
    std::vector<std::thread> threads;
    for (uint32_t w = 0; w < kWorkers; ++w) {
        threads.emplace_back([&pa, &got, w] {
            for (uint32_t i = 0; i < 5000; ++i) {
                const PortAllocation r = pa.allocate(w, PortProto::tcp, host(static_cast<uint16_t>(i), 1),
                                                     w * 10000 + i + 1, 0);
                got[w].push_back(r);
                if (i % 3 == 0)
                    pa.free_port(PortProto::tcp, r.addr_index, r.port, 0);
            }
        });
    }
    for (std::thread& t : threads)
        t.join();
    uint32_t live = 0;
    for (uint32_t w = 0; w < kWorkers; ++w) {
        for (uint32_t i = 0; i < got[w].size(); ++i) {
            const PortAllocation& r = got[w][i];
            REQUIRE(r.verdict == Verdict::forward);
            CHECK(pa.worker_of(r.port) == w);
            if (i % 3 != 0) {
                CHECK(pa.owner(PortProto::tcp, r.addr_index, r.port) == w * 10000 + i + 1);
                ++live;
            }
        }
    }
    CHECK(pa.in_use(0, PortProto::tcp) + pa.in_use(1, PortProto::tcp) == live);
}

TEST_CASE("a well-known source port gets a well-known public port, others never do", "[nat][port_alloc][rfc6146]")
{
    const uint32_t workers = GENERATE(1u, 2u, 3u);
    PortAllocator pa(config({kA}, {1, 65535}, workers, 5));
    for (uint32_t w = 0; w < workers; ++w) {
        for (uint32_t i = 0; i < 50; ++i) {
            const uint16_t src = static_cast<uint16_t>(100 + i);
            const PortAllocation low = pa.allocate(w, PortProto::udp, host(1, 1), 1000 * w + i + 1, 0, src);
            REQUIRE(low.verdict == Verdict::forward);
            CHECK(low.port < 1024);                    // RFC 6146 s3.5.1.1
            CHECK((low.port & 1) == (src & 1));        // RFC 4787 REQ-3 (parity)
            const uint16_t high_src = static_cast<uint16_t>(40000 + i);
            const PortAllocation high = pa.allocate(w, PortProto::udp, host(1, 2), 1000 * w + 500 + i, 0, high_src);
            REQUIRE(high.verdict == Verdict::forward);
            CHECK(high.port >= 1024);
            CHECK((high.port & 1) == (high_src & 1));
        }
    }
}

TEST_CASE("when the well-known ports are gone a well-known source port gets a high one", "[nat][port_alloc][rfc6146]")
{
    PortAllocator pa(config({kA}, {1020, 1100}, 1, 3));
    std::set<uint16_t> low;
    for (uint32_t i = 0; i < 4; ++i) {
        const PortAllocation r = pa.allocate(0, PortProto::tcp, host(1, 1), i + 1, 0, 500);
        REQUIRE(r.verdict == Verdict::forward);
        low.insert(r.port);
    }
    CHECK(low == std::set<uint16_t>{1020, 1021, 1022, 1023});   // even first (500 is even), then odd
    const PortAllocation r = pa.allocate(0, PortProto::tcp, host(1, 1), 9, 0, 500);
    REQUIRE(r.verdict == Verdict::forward);
    CHECK(r.port >= 1024);
    CHECK(r.port % 2 == 0);
    // A high source port never takes a freed well-known one.
    pa.free_port(PortProto::tcp, 0, 1021, 0);
    for (uint32_t i = 0; i < 70; ++i) {
        const PortAllocation h = pa.allocate(0, PortProto::tcp, host(1, 2), 100 + i, 0, 33333);
        if (h.verdict != Verdict::forward)
            break;
        CHECK(h.port >= 1024);
    }
}

TEST_CASE("without class preservation any port of the range is taken", "[nat][port_alloc]")
{
    PortAllocConfig c = config({kA}, {1000, 1003}, 1, 2);
    c.preserve_port_class = false;
    PortAllocator pa(c);
    std::set<uint16_t> got;
    for (uint32_t i = 0; i < 4; ++i)
        got.insert(pa.allocate(0, PortProto::udp, host(1, 1), i + 1, 0, 40000).port);
    CHECK(got == std::set<uint16_t>{1000, 1001, 1002, 1003});
}

TEST_CASE("port alloc: a draining address gets no new mapping; its hosts move together to one other",
          "[nat][port_alloc][reload]")
{
    PortAllocConfig pc;
    pc.pool = {kA, kB, kC};
    pc.seed = 5;
    pc.quarantine_s = 0;
    PortAllocator ports(pc);
    // Hosts whose paired address is kA (index 0).
    std::vector<In6> on_a;
    for (uint16_t h = 0; on_a.size() < 8 && h < 1000; ++h)
        if (ports.paired_address(host(h, 1)) == 0)
            on_a.push_back(host(h, 1));
    REQUIRE(on_a.size() == 8);
    REQUIRE(ports.set_draining(0, true));
    CHECK(ports.draining(0));
    for (const In6& h : on_a) {
        const uint32_t moved = ports.paired_address(h);
        CHECK(moved != 0);
        for (uint32_t k = 0; k < 5; ++k) {   // every new mapping of the host on that one address
            const PortAllocation a = ports.allocate(0, PortProto::udp, h, 1 + k, 1, static_cast<uint16_t>(5000 + k));
            REQUIRE(a.verdict == Verdict::forward);
            CHECK(a.addr_index == moved);
        }
    }
    CHECK(ports.in_use(0, PortProto::udp) == 0);
    // Not the last one: two drained, the third may not be.
    REQUIRE(ports.set_draining(1, true));
    CHECK_FALSE(ports.set_draining(2, true));
    CHECK_FALSE(ports.draining(2));
    // Back in the pool: its hosts come home.
    REQUIRE(ports.set_draining(0, false));
    REQUIRE(ports.set_draining(1, false));
    for (const In6& h : on_a)
        CHECK(ports.paired_address(h) == 0);
    // Without pairing, a draining address is skipped too.
    pc.paired_pooling = false;
    PortAllocator unpaired(pc);
    REQUIRE(unpaired.set_draining(1, true));
    for (uint32_t k = 0; k < 200; ++k)
        CHECK(unpaired.allocate(0, PortProto::tcp, host(1, static_cast<uint16_t>(k)), 1 + k, 1,
                                static_cast<uint16_t>(2000 + k)).addr_index != 1);
}

TEST_CASE("port alloc: an address added while running is found, mapped to, and takes only its share of hosts",
          "[nat][port_alloc][reload]")
{
    PortAllocator ports(config({kA, kB}, {1024, 1279}, 2));
    constexpr uint16_t kHosts = 3000;
    std::vector<uint32_t> before(kHosts);
    for (uint16_t h = 0; h < kHosts; ++h)
        before[h] = ports.paired_address(host(h, 1));
    uint32_t index = 0;
    CHECK_FALSE(ports.find_address(kC, index));
    REQUIRE(ports.add_address(kC) == nullptr);
    CHECK(ports.address_count() == 3);
    REQUIRE(ports.find_address(kC, index));
    CHECK(index == 2);
    CHECK(ports.address(2) == kC);
    REQUIRE(ports.find_address(kA, index));
    CHECK(index == 0);
    // Consistent hashing: a host either keeps its address or moves to the
    // new one, and about a third move (RFC 6888 REQ-2 holds for the rest).
    uint32_t moved = 0;
    std::vector<In6> to_c;
    for (uint16_t h = 0; h < kHosts; ++h) {
        const uint32_t now = ports.paired_address(host(h, 1));
        CHECK((now == before[h] || now == 2));
        if (now == 2) {
            ++moved;
            if (to_c.size() < 4)
                to_c.push_back(host(h, 1));
        }
    }
    CHECK(moved > kHosts / 4);
    CHECK(moved < kHosts * 5 / 12);
    // The new address's ports are handed out, and found on the way in.
    for (uint32_t k = 0; k < to_c.size(); ++k) {
        const PortAllocation a = ports.allocate(0, PortProto::udp, to_c[k], 100 + k, 1, 2000);
        REQUIRE(a.verdict == Verdict::forward);
        CHECK(a.addr == kC);
        CHECK(ports.owner(PortProto::udp, 2, a.port) == 100 + k);
        CHECK(ports.state(PortProto::udp, 2, a.port, 1) == PortState::in_use);
    }
    CHECK(ports.in_use(2, PortProto::udp) == to_c.size());
    // Static mappings may use it too, and it drains like the others.
    CHECK(ports.reserve(PortProto::tcp, 2, 1100, 7));
    CHECK(ports.set_draining(2, true));
    for (const In6& h : to_c)
        CHECK(ports.paired_address(h) != 2);
}

TEST_CASE("port alloc: adding an address is refused when it is there, the room is full, or NAT is deterministic",
          "[nat][port_alloc][reload]")
{
    PortAllocator ports(config({kA}, {1024, 1031}, 1));
    CHECK(ports.capacity() == PortAllocator::kGrowAddresses);
    CHECK(std::string(ports.add_address(kA)) == "already in the pool");
    for (uint32_t i = 1; i < ports.capacity(); ++i)
        REQUIRE(ports.add_address(0x0A000000 + i) == nullptr);
    CHECK(ports.address_count() == ports.capacity());
    CHECK(ports.add_address(kD) != nullptr);
    CHECK(ports.address_count() == ports.capacity());
    // Every one of them is found again at its index.
    for (uint32_t i = 1; i < ports.capacity(); ++i) {
        uint32_t index = 0;
        REQUIRE(ports.find_address(0x0A000000 + i, index));
        CHECK(index == i);
    }

    PortAllocConfig det = config({kA, kB}, {1024, 65535}, 1);
    det.deterministic.order = DeterministicOrder::sequential;
    det.deterministic.prefix = In6{0x20, 0x01, 0x0d, 0xb8};
    det.deterministic.prefix_len = 48;
    det.deterministic.subscriber_len = 56;
    REQUIRE(PortAllocator::validate(det) == nullptr);
    PortAllocator deterministic(det);
    CHECK(deterministic.address_count() == 2);
    CHECK(deterministic.add_address(kC) != nullptr);
    CHECK(deterministic.address_count() == 2);
}

TEST_CASE("port alloc: addresses around, between and beyond the pool's span are told apart, also after it widens",
          "[nat][port_alloc][reload]")
{
    // A pool with a gap: kB and kD, not kC between them.
    PortAllocator ports(config({kD, kB}, {1024, 1279}, 1));
    uint32_t index = 99;
    for (const Ip4 a : {Ip4{0}, kA, kC, kD + 1, ~Ip4{0}, Ip4{0xC6120001}})
        CHECK_FALSE(ports.find_address(a, index));
    REQUIRE(ports.find_address(kD, index));
    CHECK(index == 0);
    REQUIRE(ports.find_address(kB, index));
    CHECK(index == 1);
    // Added below and far above the span: both found at once, the old ones still.
    REQUIRE(ports.add_address(kA) == nullptr);
    REQUIRE(ports.add_address(0xFFFFFFF0) == nullptr);
    REQUIRE(ports.find_address(kA, index));
    CHECK(index == 2);
    REQUIRE(ports.find_address(0xFFFFFFF0, index));
    CHECK(index == 3);
    REQUIRE(ports.find_address(kD, index));
    CHECK(index == 0);
    for (const Ip4 a : {kA - 1, kC, Ip4{0xC6120001}, Ip4{0xFFFFFFEF}, Ip4{0xFFFFFFF1}})
        CHECK_FALSE(ports.find_address(a, index));
}
