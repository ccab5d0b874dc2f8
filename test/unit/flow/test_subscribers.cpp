// Per-subscriber limits (RFC 6888 REQ-4) in the shared flow table: one
// subscriber held at its limits while every other goes on, limits that
// change live, state that returns as the ager removes sessions, and two
// workers racing one subscriber never getting past a limit together.
// In process, EAL with --no-huge.
#include <catch2/catch.hpp>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <rte_lcore.h>

#include "dataplane/flow/flow_table.hpp"

using namespace nat64d;

namespace {

constexpr uint32_t kLongAgo = 100000;   // seconds: every session has expired by then

// Host `host` of subscriber `sub` (2001:db8:0:SS00::/56).
In6 host_of(uint32_t sub, uint32_t host)
{
    In6 a{0x20, 0x01, 0x0d, 0xb8};
    a[6] = static_cast<uint8_t>(sub);
    a[7] = static_cast<uint8_t>(host >> 8);   // still inside the /56
    a[15] = static_cast<uint8_t>(host);
    return a;
}

nat::FlowKey6 tcp_key(uint32_t sub, uint32_t host, uint16_t sport, uint32_t dst = 0)
{
    return nat::make_flow_key6(host_of(sub, host), 0xC6336400 + dst, sport, 443, kProtoTcp);
}

struct Rig {
    nat::PortAllocator ports;
    dp::FlowTable flows;

    static nat::PortAllocConfig port_config(uint32_t workers)
    {
        nat::PortAllocConfig pc;
        pc.pool = {0xCB007101, 0xCB007102};
        pc.ranges = {{{2000, 5999}, {2000, 5999}, {1, 65535}}};
        pc.workers = workers;
        pc.seed = 7;
        pc.quarantine_s = 0;
        return pc;
    }
    static dp::FlowTableConfig table_config(const std::string& name, const dp::SubscriberLimits& limits,
                                            uint32_t workers, bool events)
    {
        dp::FlowTableConfig fc;
        fc.name = name;
        fc.max_flows = 16384;
        fc.workers = workers;
        fc.events = events;
        fc.subscribers.name = name;
        fc.subscribers.max_subscribers = 64;
        fc.subscribers.prefix_len = 56;
        fc.subscribers.limits = limits;
        return fc;
    }
    Rig(const std::string& name, const dp::SubscriberLimits& limits, uint32_t workers = 1, bool events = false)
        : ports(port_config(workers)), flows(table_config(name, limits, workers, events), ports)
    {
    }

    // Creates as worker 0 at time t; the verdict (forward on success).
    Verdict open(const nat::FlowKey6& k, uint32_t t = 100)
    {
        Verdict why = Verdict::forward;
        bool created = false;
        const int32_t p = flows.create(k, 0, t, why, &created);
        if (p >= 0 && !created)
            return Verdict::drop_flow_busy;   // the tests never open one twice
        return p >= 0 ? Verdict::forward : why;
    }
    void expire_all()
    {
        for (int pass = 0; pass < 4; ++pass) {
            flows.expire(kLongAgo, nat::Timeouts{}, 1u << 20);
            for (uint32_t w = 0; w < ports.workers(); ++w)
                flows.drain_port_returns(w, kLongAgo);
        }
    }
    dp::SubscriberInfo info_of(uint32_t sub)
    {
        dp::SubscriberInfo found;
        const In6 prefix = flows.subscribers()->prefix_of(host_of(sub, 0));
        flows.subscribers()->visit([&](const dp::SubscriberInfo& i) {
            if (i.prefix == prefix)
                found = i;
            return true;
        });
        return found;
    }
};

} // namespace

TEST_CASE("subscribers: without limits there is no subscriber table", "[flow][subscribers]")
{
    Rig rig("sub_none", dp::SubscriberLimits{});
    CHECK(rig.flows.subscribers() == nullptr);
    for (uint16_t i = 0; i < 50; ++i)
        CHECK(rig.open(tcp_key(1, 1, static_cast<uint16_t>(40000 + i))) == Verdict::forward);
}

TEST_CASE("subscribers: one at its session limit is refused, the others go on, and it opens again once "
          "its sessions expire", "[flow][subscribers][rfc6888]")
{
    dp::SubscriberLimits l;
    l.sessions = 10;
    Rig rig("sub_sess", l, 1, true);
    // Subscriber 1 from three hosts of its /56: they share the one limit.
    int opened = 0, refused = 0;
    for (uint16_t i = 0; i < 15; ++i) {
        const Verdict v = rig.open(tcp_key(1, i % 3, static_cast<uint16_t>(40000 + i)));
        if (v == Verdict::forward)
            ++opened;
        else if (v == Verdict::drop_subscriber_sessions)
            ++refused;
    }
    CHECK(opened == 10);
    CHECK(refused == 5);
    // Subscriber 2 is untouched by 1's state.
    for (uint16_t i = 0; i < 10; ++i)
        CHECK(rig.open(tcp_key(2, 0, static_cast<uint16_t>(40000 + i))) == Verdict::forward);
    CHECK(rig.open(tcp_key(2, 0, 50000)) == Verdict::drop_subscriber_sessions);
    // The live sessions of the refused subscriber are all still there.
    for (uint16_t i = 0; i < 10; ++i)
        CHECK(rig.flows.lookup(tcp_key(1, i % 3, static_cast<uint16_t>(40000 + i))) >= 0);

    const dp::SubscriberInfo one = rig.info_of(1);
    CHECK(one.sessions == 10);
    CHECK(one.ports[static_cast<uint32_t>(nat::PortProto::tcp)] == 10);
    CHECK(one.refused_sessions == 5);
    CHECK(rig.flows.subscribers()->count() == 2);

    // One quota_exceeded event per subscriber and second, naming the prefix and limit.
    std::vector<dp::FlowEvent> ev(256);
    const uint32_t n = rig.flows.drain_events(ev.data(), static_cast<uint32_t>(ev.size()));
    std::vector<dp::FlowEvent> quota;
    for (uint32_t i = 0; i < n; ++i)
        if (ev[i].kind == dp::FlowEventKind::quota_exceeded)
            quota.push_back(ev[i]);
    REQUIRE(quota.size() == 2);
    CHECK(quota[0].src6 == rig.flows.subscribers()->prefix_of(host_of(1, 0)));
    CHECK(quota[0].subscriber_len == 56);
    CHECK(quota[0].quota == dp::QuotaKind::sessions);
    CHECK(quota[0].limit == 10);
    CHECK(quota[1].src6 == rig.flows.subscribers()->prefix_of(host_of(2, 0)));

    // The ager removes everything; the subscribers go with their last session.
    rig.expire_all();
    CHECK(rig.flows.session_count() == 0);
    CHECK(rig.flows.subscribers()->count() == 0);
    for (uint16_t i = 0; i < 10; ++i)
        CHECK(rig.open(tcp_key(1, 0, static_cast<uint16_t>(41000 + i)), kLongAgo) == Verdict::forward);
    CHECK(rig.open(tcp_key(1, 0, 42000), kLongAgo) == Verdict::drop_subscriber_sessions);
}

TEST_CASE("subscribers: the port limit counts public ports per protocol, not sessions",
          "[flow][subscribers][rfc6888]")
{
    dp::SubscriberLimits l;
    l.ports[static_cast<uint32_t>(nat::PortProto::tcp)] = 4;
    Rig rig("sub_ports", l);
    for (uint16_t i = 0; i < 4; ++i)
        CHECK(rig.open(tcp_key(1, 0, static_cast<uint16_t>(40000 + i))) == Verdict::forward);
    CHECK(rig.open(tcp_key(1, 0, 40004)) == Verdict::drop_subscriber_ports);
    CHECK(rig.open(tcp_key(1, 1, 40005)) == Verdict::drop_subscriber_ports);   // same /56, other host
    // A held mapping serves new destinations without another port (RFC 4787 REQ-1).
    for (uint32_t dst = 1; dst < 20; ++dst)
        CHECK(rig.open(tcp_key(1, 0, 40000, dst)) == Verdict::forward);
    // UDP has a space and a limit of its own (none here).
    for (uint16_t i = 0; i < 20; ++i)
        CHECK(rig.open(nat::make_flow_key6(host_of(1, 0), 0xC6336401, static_cast<uint16_t>(50000 + i), 53,
                                           kProtoUdp)) == Verdict::forward);
    const dp::SubscriberInfo one = rig.info_of(1);
    CHECK(one.ports[static_cast<uint32_t>(nat::PortProto::tcp)] == 4);
    CHECK(one.ports[static_cast<uint32_t>(nat::PortProto::udp)] == 20);
    CHECK(one.sessions == 4 + 19 + 20);
    CHECK(one.refused_ports == 2);
    // Another subscriber has its own 4.
    for (uint16_t i = 0; i < 4; ++i)
        CHECK(rig.open(tcp_key(2, 0, static_cast<uint16_t>(40000 + i))) == Verdict::forward);
    // The mapping's port returns with its last session.
    rig.expire_all();
    CHECK(rig.flows.subscribers()->count() == 0);
    CHECK(rig.flows.ports().in_use(0, nat::PortProto::tcp) + rig.flows.ports().in_use(1, nat::PortProto::tcp) == 0);
}

TEST_CASE("subscribers: new sessions per second, counted per second", "[flow][subscribers][rfc6888]")
{
    dp::SubscriberLimits l;
    l.new_sessions_per_s = 5;
    Rig rig("sub_rate", l);
    int opened = 0;
    for (uint16_t i = 0; i < 8; ++i)
        opened += rig.open(tcp_key(1, 0, static_cast<uint16_t>(40000 + i)), 100) == Verdict::forward;
    CHECK(opened == 5);
    CHECK(rig.open(tcp_key(1, 0, 40100), 100) == Verdict::drop_subscriber_rate);
    CHECK(rig.open(tcp_key(2, 0, 40100), 100) == Verdict::forward);
    opened = 0;
    for (uint16_t i = 0; i < 8; ++i)
        opened += rig.open(tcp_key(1, 0, static_cast<uint16_t>(40200 + i)), 101) == Verdict::forward;
    CHECK(opened == 5);
    CHECK(rig.info_of(1).refused_rate == 3 + 1 + 3);
}

TEST_CASE("subscribers: a limit lowered live refuses new flows and evicts nothing", "[flow][subscribers][reload]")
{
    dp::SubscriberLimits l;
    l.sessions = 100;
    Rig rig("sub_live", l);
    for (uint16_t i = 0; i < 20; ++i)
        REQUIRE(rig.open(tcp_key(1, 0, static_cast<uint16_t>(40000 + i))) == Verdict::forward);
    l.sessions = 5;
    rig.flows.subscribers()->set_limits(l);
    CHECK(rig.open(tcp_key(1, 0, 41000)) == Verdict::drop_subscriber_sessions);
    CHECK(rig.flows.session_count() == 20);
    l.sessions = 0;   // no limit at all: the table still counts
    rig.flows.subscribers()->set_limits(l);
    CHECK(rig.open(tcp_key(1, 0, 41000)) == Verdict::forward);
    CHECK(rig.info_of(1).sessions == 21);
}

TEST_CASE("subscribers: clearing one subscriber removes its sessions and no one else's", "[flow][subscribers]")
{
    dp::SubscriberLimits l;
    l.sessions = 50;
    Rig rig("sub_clear", l);
    for (uint16_t i = 0; i < 30; ++i) {
        REQUIRE(rig.open(tcp_key(1, i, static_cast<uint16_t>(40000 + i))) == Verdict::forward);
        REQUIRE(rig.open(tcp_key(2, i, static_cast<uint16_t>(40000 + i))) == Verdict::forward);
    }
    xlate::Prefix6 p;
    p.addr = rig.flows.subscribers()->prefix_of(host_of(1, 0));
    p.len = 56;
    CHECK(rig.flows.remove_sessions_in(p, 100) == 30);
    CHECK(rig.flows.session_count() == 30);
    for (uint16_t i = 0; i < 30; ++i)
        CHECK(rig.flows.lookup(tcp_key(2, i, static_cast<uint16_t>(40000 + i))) >= 0);
    rig.flows.expire(100, nat::Timeouts{}, 1u << 20);   // nothing due: only the sweep
    CHECK(rig.flows.subscribers()->count() == 1);
    CHECK(rig.info_of(2).sessions == 30);
}

TEST_CASE("subscribers: two workers racing one subscriber never pass its limits together",
          "[flow][subscribers][threads][rfc6888]")
{
    constexpr uint32_t kWorkers = 2;
    constexpr uint32_t kLimit = 100;
    constexpr uint32_t kPortLimit = 40;
    for (int round = 0; round < 10; ++round) {
        dp::SubscriberLimits l;
        l.sessions = kLimit;
        l.ports[static_cast<uint32_t>(nat::PortProto::tcp)] = kPortLimit;
        Rig rig("sub_race" + std::to_string(round), l, kWorkers);
        std::atomic<int> ready{0};
        std::atomic<uint32_t> made[kWorkers] = {};
        auto run = [&](uint32_t w) {
            if (rte_thread_register() != 0)
                return;
            ready.fetch_add(1);
            while (ready.load() < static_cast<int>(kWorkers)) {
            }
            for (uint32_t i = 0; i < 400; ++i) {
                // Both workers try the same keys: 80 source ports x 5 destinations.
                const uint32_t k = (w == 0) ? i : 399 - i;
                const nat::FlowKey6 key = tcp_key(1, 0, static_cast<uint16_t>(40000 + k % 80), k / 80);
                Verdict why = Verdict::forward;
                bool created = false;
                if (rig.flows.create(key, w, 100, why, &created) >= 0 && created)
                    made[w].fetch_add(1);
            }
            rte_thread_unregister();
        };
        std::thread a(run, 0), b(run, 1);
        a.join();
        b.join();
        const dp::SubscriberInfo one = rig.info_of(1);
        INFO("round " << round);
        CHECK(made[0] + made[1] == rig.flows.session_count());
        CHECK(rig.flows.session_count() <= kLimit);
        CHECK(one.sessions == rig.flows.session_count());
        CHECK(one.ports[static_cast<uint32_t>(nat::PortProto::tcp)] == rig.flows.mapping_count());
        CHECK(rig.flows.mapping_count() <= kPortLimit);
        // 40 mappings x 5 destinations could give 200 sessions: the session limit binds.
        CHECK(rig.flows.session_count() == kLimit);
        rig.expire_all();
        CHECK(rig.flows.subscribers()->count() == 0);
    }
}

TEST_CASE("subscribers: prefixes that differ in any bit are different subscribers, at /56, /64 and /128",
          "[flow][subscribers]")
{
    // The table keeps a prefix's first 8 bytes in rte_hash's data word and
    // the last 8 as its key (a headed table): a difference on either side
    // must tell two subscribers apart, and a listed prefix must come back whole.
    for (const uint8_t len : {uint8_t{56}, uint8_t{64}, uint8_t{128}}) {
        INFO("/" << int(len));
        dp::SubscriberTableConfig cfg;
        cfg.name = "sub_bits" + std::to_string(len);
        cfg.max_subscribers = 1024;
        cfg.prefix_len = len;
        dp::SubscriberTable table(cfg);
        const In6 base{0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x11, 0x22, 0x33, 0x44};
        // base, and base with each bit inside the prefix flipped.
        std::vector<In6> sources{base};
        for (uint32_t bit = 0; bit < len; ++bit) {
            In6 a = base;
            a[bit / 8] = static_cast<uint8_t>(a[bit / 8] ^ (0x80u >> (bit % 8)));
            sources.push_back(a);
        }
        std::set<int32_t> positions;
        for (const In6& src : sources) {
            dp::SubscriberRefusal r;
            const int32_t pos = table.take_session(src, 1, r);
            REQUIRE(pos >= 0);
            positions.insert(pos);
            CHECK(table.find(src) == pos);
            In6 listed{};
            REQUIRE(table.prefix_at(static_cast<uint32_t>(pos), listed));
            CHECK(listed == table.prefix_of(src));
        }
        CHECK(positions.size() == sources.size());
        CHECK(table.count() == sources.size());
        // A bit past the prefix names the same subscriber.
        if (len < 128) {
            In6 same = base;
            same[15] ^= 1;
            CHECK(table.find(same) == table.find(base));
        }
        uint32_t visited = 0;
        table.visit([&](const dp::SubscriberInfo& info) {
            visited += info.sessions == 1;
            return true;
        });
        CHECK(visited == sources.size());
    }
}
