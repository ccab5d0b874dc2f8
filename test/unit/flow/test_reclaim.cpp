// Reclamation stress test (RFC 6146 s3.5 ageing under load): two worker
// threads create and look up sessions while the control thread ages them out
// as fast as it can, with a tiny table and port range so key slots and public
// ports are recycled thousands of times. Inside a worker's critical section
// (between two quiescent reports) a session it found must keep its key and
// public port, and that port must never answer for another subscriber.
// In-process, EAL with --no-huge; no NIC.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include <rte_eal.h>
#include <rte_lcore.h>

#include "dataplane/flow/flow_table.hpp"
#include "table_fixture.hpp"

using namespace nat64d;

namespace {

constexpr uint32_t kWorkers = 2;
constexpr uint32_t kKeys = 4096;
constexpr uint16_t kFirstPort = 2000;
constexpr uint16_t kPorts = 128;            // per protocol: recycled constantly
constexpr uint32_t kMaxAgerPasses = 50'000'000;
constexpr uint64_t kTargetExpired = 40'000;

nat::FlowKey6 key_of(uint32_t i)
{
    In6 src{0x20, 0x01, 0x0d, 0xb8};
    src[12] = static_cast<uint8_t>(i >> 8);
    src[15] = static_cast<uint8_t>(i);
    return nat::make_flow_key6(src, 0xCB007150, static_cast<uint16_t>(1000 + i % 7), 53, kProtoUdp);
}

struct Tally {
    std::atomic<uint64_t> checks{0}, violations{0}, created{0}, hint_hits{0};
};

void worker(uint32_t w, dp::FlowTable& flows, const std::atomic<uint32_t>& now, const std::atomic<bool>& stop,
            Tally& tally)
{
    if (rte_thread_register() != 0) {
        tally.violations.fetch_add(1000000);
        return;
    }
    flows.register_worker(w);
    uint64_t rng = 0x9E3779B97F4A7C15ull * (w + 1);
    uint64_t checks = 0, violations = 0, created = 0, hint_hits = 0;
    while (!stop.load(std::memory_order_relaxed)) {
        const uint32_t t = now.load(std::memory_order_relaxed);
        for (int i = 0; i < 16; ++i) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            const nat::FlowKey6 k = key_of(static_cast<uint32_t>(rng % kKeys));
            int32_t pos = flows.lookup(k);
            if (pos < 0) {
                Verdict why = Verdict::forward;
                pos = flows.create(k, w, t, why);
                if (pos < 0)
                    continue;
                ++created;
            }
            const dp::Session& s = flows.session(pos);
            const Ip4 pub4 = flows.pub4(s);
            const uint16_t port = s.pub_port();
            // Spin a little so the ager runs while we hold the reference.
            for (int spin = 0; spin < 50; ++spin)
                asm volatile("" ::: "memory");
            ++checks;
            nat::FlowKey6 again;
            if (flows.key_at(pos, again) && std::memcmp(&again, &k, sizeof(k)) != 0)
                ++violations;   // the position now holds another session
            if (flows.pub4(s) != pub4 || s.pub_port() != port)
                ++violations;   // the session entry was reused under us
            // The inbound path's steps, as the worker takes them.
            const test::Inbound in = test::inbound(flows, kProtoUdp, pub4, port);
            if (in.found && (in.addr6 != k.src || in.port6 != k.sport)) {
                ++violations;   // our public port answers for another subscriber
            } else if (in.found) {
                // A hinted session is only ever this flow's.
                const int32_t hinted = flows.hinted_session(in.ref, k);
                if (hinted >= 0) {
                    ++hint_hits;
                    if (flows.key_at(hinted, again) && std::memcmp(&again, &k, sizeof(k)) != 0)
                        ++violations;   // the hint named another flow's session
                } else if (flows.lookup(k) == pos) {
                    flows.remember_session(in.ref, pos);
                }
            }
        }
        flows.drain_port_returns(w, t);
        flows.quiescent(w);
    }
    flows.unregister_worker(w);
    tally.checks.fetch_add(checks);
    tally.violations.fetch_add(violations);
    tally.created.fetch_add(created);
    tally.hint_hits.fetch_add(hint_hits);
    rte_thread_unregister();
}

} // namespace

TEST_CASE("reclaim: no reader ever sees a recycled session, mapping or port", "[reclaim][rfc6146]")
{
    nat::PortAllocConfig pc;
    pc.pool = {0xC0000201};
    pc.ranges = {{{kFirstPort, kFirstPort + kPorts - 1}, {kFirstPort, kFirstPort + kPorts - 1}, {1, kPorts}}};
    pc.workers = kWorkers;
    pc.seed = 1;
    pc.quarantine_s = 0;   // the worst case: a freed port is reusable at once
    nat::PortAllocator ports(pc);
    dp::FlowTableConfig fc;
    fc.name = "stress";
    fc.max_flows = 512;
    fc.workers = kWorkers;
    dp::FlowTable flows(fc, ports);

    nat::Timeouts to;
    to.udp_s = 1;
    std::atomic<uint32_t> now{1};
    std::atomic<bool> stop{false};
    Tally tally;
    std::vector<std::thread> threads;
    for (uint32_t w = 0; w < kWorkers; ++w)
        threads.emplace_back(worker, w, std::ref(flows), std::cref(now), std::cref(stop), std::ref(tally));

    // Until enough recycling happened (not for a duration); the pass cap only
    // guards against workers that make no progress.
    uint64_t expired = 0;
    for (uint32_t pass = 0; pass < kMaxAgerPasses && expired < kTargetExpired; ++pass) {
        now.store(now.load() + 1);
        expired += flows.expire(now.load(), to, 1u << 16);
    }
    stop.store(true);
    for (std::thread& t : threads)
        t.join();

    const dp::FlowTableStats st = flows.stats();
    std::printf("reclaim stress: %lu checks, %lu sessions created, %lu expired, %lu mappings created, "
                "%lu hinted sessions used, %lu violations\n",
                static_cast<unsigned long>(tally.checks.load()), static_cast<unsigned long>(tally.created.load()),
                static_cast<unsigned long>(expired), static_cast<unsigned long>(st.mappings_created[1]),
                static_cast<unsigned long>(tally.hint_hits.load()), static_cast<unsigned long>(tally.violations.load()));
    CHECK(tally.violations.load() == 0);
    CHECK(tally.hint_hits.load() > 0);
    CHECK(st.port_returns_lost == 0);
    CHECK(st.slots_lost == 0);
    // Recycling really happened: far more mappings than ports and sessions than slots.
    CHECK(st.mappings_created[1] > 100u * kPorts);
    CHECK(expired >= kTargetExpired);
}

namespace {

// One address, seed 5, a 120 s quarantine, 1024 flows.
struct SmallTable : test::TestTable {
    explicit SmallTable(const char* name, bool events = false)
        : TestTable(test::TableSpec{name, 1024, {0xC0000201}, 5, 120, events})
    {
    }
};

} // namespace

TEST_CASE("reclaim: each protocol ages on its own timer (fake clock)", "[reclaim][rfc6146]")
{
    SmallTable t("timers");
    nat::Timeouts to;
    to.udp_s = 300;
    to.icmp_s = 60;
    to.tcp_transitory_s = 240;
    Verdict why = Verdict::forward;
    const nat::FlowKey6 udp = key_of(1);
    nat::FlowKey6 icmp = key_of(2);
    icmp.proto = kProtoIcmp6;
    nat::FlowKey6 tcp = key_of(3);
    tcp.proto = kProtoTcp;   // created without a SYN: CLOSED, lives for TCP_TRANS
    REQUIRE(t.flows.create(udp, 0, 100, why) >= 0);
    REQUIRE(t.flows.create(icmp, 0, 100, why) >= 0);
    REQUIRE(t.flows.create(tcp, 0, 100, why) >= 0);
    CHECK(t.flows.expire(159, to, 1u << 20) == 0);
    CHECK(t.flows.expire(160, to, 1u << 20) == 1);   // ICMP at 60 s
    CHECK(t.flows.lookup(icmp) < 0);
    CHECK(t.flows.expire(339, to, 1u << 20) == 0);
    CHECK(t.flows.expire(340, to, 1u << 20) == 1);   // TCP transitory at 240 s
    CHECK(t.flows.expire(399, to, 1u << 20) == 0);
    CHECK(t.flows.expire(400, to, 1u << 20) == 1);   // UDP at 300 s
    CHECK(t.flows.session_count() == 0);
    CHECK(t.flows.mapping_count() == 0);
    // A last_seen ahead of the ager's clock (a worker's clock) is idle 0, not ancient.
    REQUIRE(t.flows.create(udp, 0, 1000, why) >= 0);
    CHECK(t.flows.expire(999, to, 1u << 20) == 0);
}

TEST_CASE("reclaim: a freed port waits for every worker's quiescent state, then quarantine", "[reclaim][rfc6888]")
{
    SmallTable t("grace");
    nat::Timeouts to;
    to.udp_s = 300;
    t.flows.register_worker(0);   // this thread plays the worker, holding a reference
    Verdict why = Verdict::forward;
    const nat::FlowKey6 k = key_of(9);
    const int32_t pos = t.flows.create(k, 0, 0, why);
    REQUIRE(pos >= 0);
    const uint16_t port = t.flows.session(pos).pub_port();
    uint32_t addr = 0;
    REQUIRE(t.ports.find_address(0xC0000201, addr));
    In6 a6{};
    uint16_t p6 = 0;
    CHECK(t.flows.find_mapping(kProtoUdp, 0xC0000201, port, a6, p6));
    CHECK(a6 == k.src);
    CHECK(p6 == k.sport);
    CHECK(t.flows.expire(400, to, 1u << 20) == 1);
    // No quiescent state yet: the port must not be on its way back, and it
    // names its dropped mapping no longer, so inbound packets find nothing.
    CHECK(t.flows.drain_port_returns(0, 400) == 0);
    CHECK(t.ports.state(nat::PortProto::udp, addr, port, 400) == nat::PortState::in_use);
    CHECK_FALSE(t.flows.find_mapping(kProtoUdp, 0xC0000201, port, a6, p6));
    CHECK(t.flows.session(pos).pub_port() == port);   // the entry is intact meanwhile
    t.flows.quiescent(0);
    CHECK(t.flows.release_ports() == 1);
    CHECK(t.flows.drain_port_returns(0, 400) == 1);
    CHECK(t.ports.state(nat::PortProto::udp, addr, port, 400) == nat::PortState::quarantined);
    CHECK(t.ports.state(nat::PortProto::udp, addr, port, 519) == nat::PortState::quarantined);
    CHECK(t.ports.state(nat::PortProto::udp, addr, port, 520) == nat::PortState::free);
    t.flows.unregister_worker(0);
}

TEST_CASE("reclaim: static BIB add and del at run time, with events", "[reclaim][rfc6146]")
{
    SmallTable t("static", true);
    In6 host{0x20, 0x01, 0x0d, 0xb8, 0, 1};
    host[15] = 5;
    dp::StaticMapping sm{kProtoTcp, host, 80, 0xC0000201, 8080};
    REQUIRE(t.flows.add_static(sm));
    CHECK_FALSE(t.flows.add_static(sm));                     // the same again
    dp::StaticMapping other = sm;
    other.port6 = 81;
    CHECK_FALSE(t.flows.add_static(other));                  // public port taken
    In6 a6{};
    uint16_t p6 = 0;
    REQUIRE(t.flows.find_mapping(kProtoTcp, 0xC0000201, 8080, a6, p6));
    CHECK((a6 == host && p6 == 80));
    // A session through it (an inbound connection), then del removes both.
    Verdict why = Verdict::forward;
    const nat::FlowKey6 s = nat::make_flow_key6(host, 0xCB007150, 80, 5555, kProtoTcp);
    REQUIRE(t.flows.create(s, 0, 10, why) >= 0);
    CHECK(t.flows.session_count() == 1);
    CHECK_FALSE(t.flows.del_static(kProtoUdp, host, 80, 11));
    CHECK(t.flows.del_static(kProtoTcp, host, 80, 11));
    CHECK(t.flows.session_count() == 0);
    CHECK(t.flows.lookup(s) < 0);
    CHECK_FALSE(t.flows.find_mapping(kProtoTcp, 0xC0000201, 8080, a6, p6));
    CHECK_FALSE(t.flows.del_static(kProtoTcp, host, 80, 12));
    CHECK(t.flows.add_static(sm));                           // the port is free again

    dp::FlowEvent ev[16];
    const uint32_t n = t.flows.drain_events(ev, 16);
    REQUIRE(n == 5);
    // Order within each writer's ring is kept: the worker's create, the control thread's others.
    std::vector<dp::FlowEventKind> control, worker;
    for (uint32_t i = 0; i < n; ++i)
        (ev[i].kind == dp::FlowEventKind::session_create ? worker : control).push_back(ev[i].kind);
    CHECK(worker.size() == 1);
    CHECK(control == std::vector<dp::FlowEventKind>{dp::FlowEventKind::mapping_create,
                                                    dp::FlowEventKind::session_delete,
                                                    dp::FlowEventKind::mapping_delete,
                                                    dp::FlowEventKind::mapping_create});
    for (uint32_t i = 0; i < n; ++i) {
        CHECK(ev[i].src6 == host);
        CHECK(ev[i].pub4 == 0xC0000201u);
        CHECK(ev[i].pub_port == 8080);
        if (ev[i].kind == dp::FlowEventKind::session_create) {
            CHECK(ev[i].dst4 == 0xCB007150u);
            CHECK(ev[i].dport == 5555);
        }
    }
}

TEST_CASE("reclaim: a full retire queue pauses the ager until a grace period ends, and no position leaks",
          "[reclaim]")
{
    nat::PortAllocator ports(test::TestTable::port_cfg(test::TableSpec{}));
    dp::FlowTableConfig fc;
    fc.name = "backpressure";
    fc.max_flows = 1024;
    fc.workers = 1;
    fc.retire_queue = 64;   // room for 32 sessions and their mappings
    dp::FlowTable flows(fc, ports);
    flows.register_worker(0);   // this thread: a reader that has not passed a quiescent state yet
    nat::Timeouts to;
    to.udp_s = 300;
    constexpr uint32_t kLive = 900;
    Verdict why = Verdict::forward;
    for (uint32_t i = 0; i < kLive; ++i)
        REQUIRE(flows.create(key_of(i), 0, 0, why) >= 0);

    uint32_t removed = flows.expire(400, to, 1u << 20);
    CHECK(removed == 32);
    CHECK(flows.stats().ager_stalls >= 1);
    CHECK(flows.expire(400, to, 1u << 20) == 0);   // nothing moves while the reader holds on
    for (uint32_t round = 0; round < 1000 && removed < kLive; ++round) {
        flows.quiescent(0);
        removed += flows.expire(400, to, 1u << 20);
        flows.drain_port_returns(0, 400);
    }
    CHECK(removed == kLive);
    CHECK(flows.session_count() == 0);
    CHECK(flows.mapping_count() == 0);
    flows.quiescent(0);
    flows.release_ports();
    flows.drain_port_returns(0, 400);
    const dp::FlowTableStats st = flows.stats();
    CHECK(st.slots_lost == 0);
    CHECK(st.port_returns_lost == 0);
    CHECK(st.hash_sessions_used == 0);   // every position is back in rte_hash's free ring
    CHECK(st.hash_mappings_used == 0);
    uint32_t addr = 0;
    REQUIRE(ports.find_address(0xC0000201, addr));
    CHECK(ports.in_use(addr, nat::PortProto::udp) == 0);
    // The table takes as many sessions again.
    for (uint32_t i = 0; i < kLive; ++i)
        CHECK(flows.create(key_of(5000 + i), 0, 400, why) >= 0);
    CHECK(flows.session_count() == kLive);
    flows.unregister_worker(0);
}
