// Workers creating flows at once (RFC 6146 s3.5.1, RFC 4787 REQ-1/REQ-2): two
// threads open the same sessions and sessions of the same IPv6 transport
// addresses in different orders. Endpoint-independent mapping must hold (one
// public port per IPv6 transport address, whichever worker got there first),
// every session is made exactly once, and no public port ever belongs to two
// IPv6 transport addresses.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include <rte_lcore.h>

#include "dataplane/flow/flow_table.hpp"

using namespace nat64d;

namespace {

constexpr uint32_t kHosts = 300;
constexpr uint32_t kDestinations = 16;
constexpr uint32_t kWorkers = 2;

nat::FlowKey6 key_of(uint32_t host, uint32_t dst)
{
    In6 src{0x20, 0x01, 0x0d, 0xb8, 0, 1};
    src[14] = static_cast<uint8_t>(host >> 8);
    src[15] = static_cast<uint8_t>(host);
    return nat::make_flow_key6(src, 0xC6336400 + dst, static_cast<uint16_t>(30000 + host), 443, kProtoTcp);
}

struct Outcome {
    int32_t pos = -1;
    bool created = false;
    Verdict why = Verdict::forward;
};

} // namespace

TEST_CASE("flow table: two workers creating the same flows keep one mapping per host port and never share a port",
          "[flow][threads][rfc6146][rfc4787]")
{
    for (int round = 0; round < 20; ++round) {
        nat::PortAllocConfig pc;
        pc.pool = {0xCB007101};
        pc.ranges = {{{2000, 3999}, {2000, 3999}, {1, 65535}}};
        pc.workers = kWorkers;
        pc.seed = static_cast<uint64_t>(round) + 1;
        pc.quarantine_s = 0;
        nat::PortAllocator ports(pc);
        dp::FlowTableConfig fc;
        fc.name = "race" + std::to_string(round);
        fc.max_flows = 16384;
        fc.workers = kWorkers;
        dp::FlowTable flows(fc, ports);

        std::vector<std::pair<uint32_t, uint32_t>> order;
        for (uint32_t h = 0; h < kHosts; ++h)
            for (uint32_t d = 0; d < kDestinations; ++d)
                order.emplace_back(h, d);
        std::array<std::vector<Outcome>, kWorkers> got;
        std::atomic<uint32_t> ready{0};
        std::atomic<bool> registered_ok{true};
        std::vector<std::thread> threads;
        for (uint32_t w = 0; w < kWorkers; ++w) {
            threads.emplace_back([&, w] {
                if (rte_thread_register() != 0)
                    registered_ok = false;
                flows.register_worker(w);
                // Half the rounds in the same order (both hit every key at
                // once), half shuffled (a host's sessions meet on its mapping).
                std::vector<std::pair<uint32_t, uint32_t>> mine = order;
                if (round % 2 == 1) {
                    std::mt19937 rng(static_cast<uint32_t>(round * 7 + w));
                    std::shuffle(mine.begin(), mine.end(), rng);
                }
                got[w].assign(kHosts * kDestinations, Outcome{});
                ready.fetch_add(1);
                while (ready.load() < kWorkers) {
                }
                for (const auto& [h, d] : mine) {
                    Outcome& o = got[w][h * kDestinations + d];
                    o.pos = flows.create(key_of(h, d), w, 1, o.why, &o.created);
                }
                flows.unregister_worker(w);
                rte_thread_unregister();
            });
        }
        for (std::thread& t : threads)
            t.join();
        REQUIRE(registered_ok);

        std::map<uint32_t, uint16_t> port_of_host;
        std::map<uint16_t, uint32_t> host_of_port;
        uint32_t failures = 0;
        for (uint32_t h = 0; h < kHosts; ++h) {
            for (uint32_t d = 0; d < kDestinations; ++d) {
                const uint32_t i = h * kDestinations + d;
                uint32_t makers = 0;
                for (uint32_t w = 0; w < kWorkers; ++w) {
                    const Outcome& o = got[w][i];
                    if (o.pos < 0) {
                        // Only a bounded wait on the other worker may fail.
                        CHECK(o.why == Verdict::drop_flow_busy);
                        ++failures;
                        continue;
                    }
                    makers += o.created ? 1 : 0;
                    CHECK(o.pos == flows.lookup(key_of(h, d)));
                }
                CHECK(makers == 1);   // made once, found by the other
                const int32_t pos = flows.lookup(key_of(h, d));
                REQUIRE(pos >= 0);
                const uint16_t port = flows.session(pos).pub_port();
                const auto [it, fresh] = port_of_host.emplace(h, port);
                CHECK(it->second == port);   // EIM: every session of the host port has one public port
                if (fresh) {
                    const auto [jt, unique] = host_of_port.emplace(port, h);
                    CHECK(unique);           // and no other host port has it
                }
            }
        }
        CHECK(flows.session_count() == kHosts * kDestinations);
        CHECK(flows.mapping_count() == kHosts);
        CHECK(ports.in_use(0, nat::PortProto::tcp) == kHosts);   // the loser's port went back
        CHECK(failures <= kHosts * kDestinations / 100);
    }
}
