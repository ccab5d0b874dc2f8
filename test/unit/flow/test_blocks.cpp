// Port block allocation in the shared flow table: a subscriber's mappings
// take ports only from its blocks, a new block comes when they are full, up
// to its limit; blocks go back once empty for the port quarantine; the event
// log gets one record per block handed out and back, none per session; and
// two workers filling one subscriber's blocks at once never put a port in a
// block that is not the subscriber's. In process, EAL with --no-huge.
#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include <rte_lcore.h>

#include "dataplane/flow/flow_table.hpp"

using namespace nat64d;

namespace {

constexpr uint32_t kBlock = 64;

In6 host_of(uint32_t sub, uint32_t host)
{
    In6 a{0x20, 0x01, 0x0d, 0xb8};
    a[6] = static_cast<uint8_t>(sub);
    a[15] = static_cast<uint8_t>(host);
    return a;
}

nat::FlowKey6 udp_key(uint32_t sub, uint16_t sport)
{
    return nat::make_flow_key6(host_of(sub, 1), 0xC6336401, sport, 53, kProtoUdp);
}

struct BlockRig {
    nat::PortAllocator ports;
    dp::FlowTable flows;

    static nat::PortAllocConfig port_config(uint32_t workers, uint32_t quarantine_s)
    {
        nat::PortAllocConfig pc;
        pc.pool = {0xCB007101, 0xCB007102};
        pc.ranges = {{{1024, 2047}, {1024, 2047}, {1, 1024}}};   // 16 blocks of 64 per address and protocol
        pc.workers = workers;
        pc.seed = 11;
        pc.quarantine_s = quarantine_s;
        return pc;
    }
    static dp::FlowTableConfig table_config(const std::string& name, uint32_t workers, uint32_t quarantine_s)
    {
        dp::FlowTableConfig fc;
        fc.name = name;
        fc.max_flows = 8192;
        fc.workers = workers;
        fc.events = true;
        fc.subscribers.name = name;
        fc.subscribers.max_subscribers = 64;
        fc.subscribers.prefix_len = 56;
        fc.subscribers.max_blocks = 2;
        fc.block_size = kBlock;
        fc.blocks = nat::block_pool_of(port_config(workers, quarantine_s), kBlock);
        return fc;
    }
    BlockRig(const std::string& name, uint32_t workers = 1, uint32_t quarantine_s = 0)
        : ports(port_config(workers, quarantine_s)), flows(table_config(name, workers, quarantine_s), ports)
    {
    }
    Verdict open(const nat::FlowKey6& k, uint32_t t = 100)
    {
        Verdict why = Verdict::forward;
        return flows.create(k, 0, t, why) >= 0 ? Verdict::forward : why;
    }
    void expire_at(uint32_t t)
    {
        for (int pass = 0; pass < 4; ++pass) {
            flows.expire(t, nat::Timeouts{}, 1u << 20);
            for (uint32_t w = 0; w < ports.workers(); ++w)
                flows.drain_port_returns(w, t);
        }
    }
    std::vector<dp::FlowEvent> events()
    {
        std::vector<dp::FlowEvent> ev(4096);
        ev.resize(flows.drain_events(ev.data(), static_cast<uint32_t>(ev.size())));
        return ev;
    }
    // (address, port) of the subscriber's live UDP sessions.
    std::vector<std::pair<Ip4, uint16_t>> public_of(uint32_t sub, uint16_t first, uint16_t count)
    {
        std::vector<std::pair<Ip4, uint16_t>> out;
        for (uint16_t i = 0; i < count; ++i) {
            const int32_t p = flows.lookup(udp_key(sub, static_cast<uint16_t>(first + i)));
            if (p >= 0)
                out.emplace_back(flows.pub4(flows.session(p)), flows.session(p).pub_port());
        }
        return out;
    }
};

} // namespace

TEST_CASE("blocks: a subscriber's ports come from its blocks, a new block when they are full, up to its limit",
          "[flow][blocks][rfc6888]")
{
    BlockRig rig("pba_fill");
    REQUIRE(rig.flows.blocks() != nullptr);
    for (uint16_t i = 0; i < 2 * kBlock; ++i)
        REQUIRE(rig.open(udp_key(1, static_cast<uint16_t>(40000 + i))) == Verdict::forward);
    // The third block is past its limit of 2.
    CHECK(rig.open(udp_key(1, 50000)) == Verdict::drop_subscriber_ports);
    const auto pub = rig.public_of(1, 40000, 2 * kBlock);
    REQUIRE(pub.size() == 2 * kBlock);
    std::map<std::pair<Ip4, uint32_t>, uint32_t> per_block;   // (address, block index) -> ports
    for (const auto& [a, port] : pub) {
        CHECK(a == pub[0].first);   // one address for the subscriber (paired pooling)
        ++per_block[{a, (port - 1024u) / kBlock}];
    }
    CHECK(per_block.size() == 2);
    for (const auto& [b, n] : per_block)
        CHECK(n == kBlock);   // each block full, every port once

    // Another subscriber: blocks of its own, none shared.
    for (uint16_t i = 0; i < 10; ++i)
        REQUIRE(rig.open(udp_key(2, static_cast<uint16_t>(40000 + i))) == Verdict::forward);
    for (const auto& [a, port] : rig.public_of(2, 40000, 10))
        CHECK(per_block.count({a, (port - 1024u) / kBlock}) == 0);

    // One record per block, none per mapping or session.
    const auto ev = rig.events();
    uint32_t allocs = 0;
    for (const dp::FlowEvent& e : ev) {
        CHECK(e.kind != dp::FlowEventKind::session_create);
        CHECK(e.kind != dp::FlowEventKind::mapping_create);
        if (e.kind == dp::FlowEventKind::block_allocate) {
            ++allocs;
            CHECK(e.dport - e.pub_port + 1 == kBlock);
            CHECK((e.pub_port - 1024) % kBlock == 0);
            CHECK(e.subscriber_len == 56);
            CHECK(e.proto6 == kProtoUdp);
        }
    }
    CHECK(allocs == 3);   // two for subscriber 1, one for 2
    CHECK(rig.flows.blocks()->owned(nat::PortProto::udp) == 3);
}

TEST_CASE("blocks: a block goes back once empty for the port quarantine, then its subscriber",
          "[flow][blocks][rfc6888]")
{
    constexpr uint32_t kQuarantine = 120;
    BlockRig rig("pba_back", 1, kQuarantine);
    for (uint16_t i = 0; i < 10; ++i)
        REQUIRE(rig.open(udp_key(1, static_cast<uint16_t>(40000 + i)), 100) == Verdict::forward);
    (void)rig.events();
    // Every session expires (UDP 300 s) at 1000: the block is empty from then on.
    rig.expire_at(1000);
    CHECK(rig.flows.session_count() == 0);
    CHECK(rig.flows.blocks()->owned(nat::PortProto::udp) == 1);   // resting
    CHECK(rig.flows.subscribers()->count() == 1);                 // held by its block
    rig.expire_at(1000 + kQuarantine - 1);
    CHECK(rig.flows.blocks()->owned(nat::PortProto::udp) == 1);
    rig.expire_at(1000 + kQuarantine);
    CHECK(rig.flows.blocks()->owned(nat::PortProto::udp) == 0);
    rig.expire_at(1000 + kQuarantine);
    CHECK(rig.flows.subscribers()->count() == 0);
    uint32_t releases = 0;
    for (const dp::FlowEvent& e : rig.events())
        if (e.kind == dp::FlowEventKind::block_release) {
            ++releases;
            CHECK(e.src6 == rig.flows.subscribers()->prefix_of(host_of(1, 0)));
        }
    CHECK(releases == 1);
    // Used again, the subscriber starts over with a fresh block.
    CHECK(rig.open(udp_key(1, 41000), 2000) == Verdict::forward);
    CHECK(rig.flows.blocks()->owned(nat::PortProto::udp) == 1);
}

TEST_CASE("blocks: two workers filling one subscriber's blocks keep every port in a block of its own",
          "[flow][blocks][threads]")
{
    for (int round = 0; round < 10; ++round) {
        BlockRig rig("pba_race" + std::to_string(round), 2);
        std::atomic<int> ready{0};
        auto run = [&](uint32_t w) {
            if (rte_thread_register() != 0)
                return;
            ready.fetch_add(1);
            while (ready.load() < 2) {
            }
            for (uint32_t i = 0; i < 200; ++i) {
                const uint32_t sub = 1 + (i % 3);
                Verdict why = Verdict::forward;
                (void)rig.flows.create(udp_key(sub, static_cast<uint16_t>(30000 + w * 1000 + i)), w, 100, why);
            }
            rte_thread_unregister();
        };
        std::thread a(run, 0), b(run, 1);
        a.join();
        b.join();
        INFO("round " << round);
        const nat::BlockPool& blocks = *rig.flows.blocks();
        std::set<uint32_t> owned_by_someone;
        for (uint32_t sub = 1; sub <= 3; ++sub) {
            const int32_t pos = rig.flows.subscribers()->find(host_of(sub, 0));
            REQUIRE(pos >= 0);
            for (uint32_t w = 0; w < 2; ++w)
                for (const auto& [addr, port] : rig.public_of(sub, static_cast<uint16_t>(30000 + w * 1000), 200)) {
                    uint32_t id = 0;
                    const uint32_t addr_index = addr == 0xCB007101 ? 0 : 1;
                    REQUIRE(blocks.block_of(nat::PortProto::udp, addr_index, port, id));
                    CHECK(blocks.owner(nat::PortProto::udp, id) == static_cast<uint32_t>(pos) + 1);
                    owned_by_someone.insert(id);
                }
        }
        // At most 2 blocks each (their limit); a block that lost a race went back.
        CHECK(owned_by_someone.size() <= 6);
        CHECK(blocks.owned(nat::PortProto::udp) == owned_by_someone.size());
    }
}

TEST_CASE("blocks: an address a reload adds gets blocks; a subscriber's next block stays beside its others",
          "[flow][blocks][rfc6888][reload]")
{
    constexpr Ip4 kNew = 0xCB007103;
    BlockRig rig("pba_grow");
    // Which subscribers the new address will pair, from an allocator that has it already.
    nat::PortAllocConfig three = BlockRig::port_config(1, 0);
    three.pool.push_back(kNew);
    nat::PortAllocator twin(three);
    uint32_t moving = 0, fresh = 0;
    for (uint32_t sub = 1; sub < 250 && (moving == 0 || fresh == 0); ++sub)
        if (twin.paired_address(host_of(sub, 0)) == 2)
            (moving == 0 ? moving : fresh) = sub;
    REQUIRE(moving != 0);
    REQUIRE(fresh != 0);

    REQUIRE(rig.open(udp_key(moving, 40000)) == Verdict::forward);
    const Ip4 home = rig.public_of(moving, 40000, 1).at(0).first;
    CHECK(home != kNew);
    REQUIRE(rig.flows.add_pool_address(kNew) == nullptr);
    CHECK(rig.ports.address_count() == 3);
    CHECK(rig.flows.blocks()->addresses() == 3);
    CHECK(rig.ports.paired_address(host_of(moving, 0)) == 2);
    CHECK(rig.flows.add_pool_address(kNew) != nullptr);   // once only
    CHECK(rig.flows.blocks()->addresses() == 3);

    // Past its first block: the second comes on the address of the first.
    for (uint16_t i = 1; i < kBlock + 8; ++i)
        REQUIRE(rig.open(udp_key(moving, static_cast<uint16_t>(40000 + i))) == Verdict::forward);
    CHECK(rig.flows.blocks()->owned(nat::PortProto::udp) == 2);
    for (const auto& [a, port] : rig.public_of(moving, 40000, kBlock + 8))
        CHECK(a == home);

    // A subscriber with no block yet starts on the new address, in a block of it.
    REQUIRE(rig.open(udp_key(fresh, 40000)) == Verdict::forward);
    const auto [a, port] = rig.public_of(fresh, 40000, 1).at(0);
    CHECK(a == kNew);
    uint32_t id = 0;
    REQUIRE(rig.flows.blocks()->block_of(nat::PortProto::udp, 2, port, id));
    CHECK(rig.flows.blocks()->owner(nat::PortProto::udp, id) != 0);
}
