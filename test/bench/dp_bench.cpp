// In-process dataplane benchmark: the real Worker, FlowTable and port allocator
// on net_null ports, fed synthetic frames without a NIC. Measures flow setup
// (new flows per second) and established-flow translation (Mpps, cycles per
// packet) at several flow counts, and the table memory per flow. The baseline,
// in the same run, is the same frame generation and net_null transmit with no
// translation: what is left is nat64d's own cost.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "dataplane/flow/flow_table.hpp"
#include "dataplane/io/port.hpp"
#include "dataplane/worker/worker.hpp"
#include "test/bench/machine.hpp"

using namespace nat64d;

namespace {

constexpr uint16_t kBurst = dp::kBurst;
constexpr uint32_t kFrameLen6 = 84;    // Ethernet + IPv6 + UDP + 22 bytes: 64 bytes once translated
constexpr uint32_t kPortsPerAddress = 60000;

struct Bench {
    rte_mempool* pool = nullptr;
    dp::PortInfo in, out;
    uint64_t hz = 1;
};

void build_frame(uint8_t* f, const rte_ether_addr& dst_mac, uint32_t flow)
{
    std::memset(f, 0, kFrameLen6);
    std::memcpy(f, dst_mac.addr_bytes, 6);
    f[6] = 0x02; f[11] = 0x06;
    store_be16(f + 12, kEtherTypeIp6);
    uint8_t* ip6 = f + 14;
    store_be32(ip6, 0x60000000);
    store_be16(ip6 + 4, kFrameLen6 - 14 - 40);
    ip6[6] = kProtoUdp;
    ip6[7] = 64;
    ip6[8] = 0x20; ip6[9] = 0x01; ip6[10] = 0x0d; ip6[11] = 0xb8; ip6[12] = 0; ip6[13] = 1;
    store_be32(ip6 + 20, flow / kPortsPerAddress + 1);    // the host
    ip6[24] = 0x20; ip6[25] = 0x01; ip6[26] = 0x0d; ip6[27] = 0xb8; ip6[28] = 0; ip6[29] = 0x64;
    store_be32(ip6 + 36, 0xCB007150);                      // 203.0.113.80 behind 2001:db8:64::/96
    uint8_t* u = ip6 + 40;
    store_be16(u, static_cast<uint16_t>(1024 + flow % kPortsPerAddress));
    store_be16(u + 2, 53);
    store_be16(u + 4, kFrameLen6 - 14 - 40);
    store_be16(u + 6, 0x1111);
}

// Frames for `flows` flows, visited round-robin; returns cycles per packet.
template <typename Sink>
double run(Bench& b, const std::vector<uint8_t>& frames, uint32_t flows, uint64_t packets, Sink sink)
{
    std::array<rte_mbuf*, kBurst> pkts;
    uint64_t cycles = 0, sent = 0;
    uint32_t next = 0;
    while (sent < packets) {
        if (rte_pktmbuf_alloc_bulk(b.pool, pkts.data(), kBurst) != 0) {
            std::fprintf(stderr, "mempool empty\n");
            break;
        }
        for (uint16_t i = 0; i < kBurst; ++i) {
            auto* d = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(pkts[i], kFrameLen6));
            std::memcpy(d, &frames[size_t(next) * kFrameLen6], kFrameLen6);
            next = next + 1 == flows ? 0 : next + 1;
        }
        const uint64_t t0 = rte_rdtsc();
        sink(pkts.data(), kBurst);
        cycles += rte_rdtsc() - t0;
        sent += kBurst;
    }
    return double(cycles) / double(sent);
}

} // namespace

int main(int argc, char** argv)
{
    std::vector<std::string> args{"dp_bench", "--no-huge", "-m", "2048", "--no-pci", "-l", "0",
                                  "--file-prefix", "nat64d-bench", "--log-level", "lib.eal:error",
                                  "--vdev", "net_null0", "--vdev", "net_null1"};
    std::vector<char*> av;
    for (auto& a : args)
        av.push_back(a.data());
    if (rte_eal_init(int(av.size()), av.data()) < 0) {
        std::fprintf(stderr, "EAL init failed\n");
        return 1;
    }
    uint32_t max_flows = 1u << 20;
    if (argc > 1)
        max_flows = uint32_t(std::stoul(argv[1]));

    Bench b;
    b.hz = rte_get_tsc_hz();
    b.pool = dp::create_packet_pool("bench", 8191, 0);
    b.in = dp::start_port({"net_null0", 1, 1, 512, 512, 1500, nullptr}, b.pool);
    b.out = dp::start_port({"net_null1", 1, 1, 512, 512, 1500, nullptr}, b.pool);

    nat::PortAllocConfig pcfg;
    const uint32_t addresses = max_flows / kPortsPerAddress + 2;
    for (uint32_t i = 0; i < addresses; ++i)
        pcfg.pool.push_back(0xC6336400 + i + 1);          // 198.51.100.1 ...
    pcfg.paired_pooling = false;
    pcfg.seed = 1;
    nat::PortAllocator ports(pcfg);

    rte_malloc_socket_stats before{}, after{};
    rte_malloc_get_socket_stats(0, &before);
    dp::FlowTableConfig fcfg;
    fcfg.max_flows = max_flows;
    dp::FlowTable flows(fcfg, ports);
    rte_malloc_get_socket_stats(0, &after);
    const double hash_bytes = double(after.heap_allocsz_bytes - before.heap_allocsz_bytes);

    nat::NeighbourCache neighbours(nat::NeighbourConfig{});
    neighbours.add_static(nat::neighbour_key4(0xCB007150), nat::MacAddr{2, 0, 0, 0, 0, 4});

    dp::WorkerConfig wc;
    wc.inside_port = b.in.id;
    wc.outside_port = b.out.id;
    wc.inside_mac = b.in.mac;
    wc.outside_mac = b.out.mac;
    wc.outside_ip4 = pcfg.pool[0];
    wc.pool = pcfg.pool.data();
    wc.pool_size = uint32_t(pcfg.pool.size());
    wc.prefix.addr = In6{0x20, 0x01, 0x0d, 0xb8, 0, 0x64};
    wc.prefix.len = 96;
    wc.pool_for_generated = b.pool;
    auto worker = std::make_unique<dp::Worker>(wc, flows, neighbours);

    bench::print_machine("dp_bench: one worker, in process, net_null ports, 84-byte IPv6 frames -> 64-byte IPv4");
    std::printf("# flow table: %u flows, rte_hash %.1f MiB + sessions %.1f MiB = %.0f bytes per flow\n",
                max_flows, hash_bytes / (1 << 20), double(max_flows) * sizeof(dp::Session) / (1 << 20),
                (hash_bytes + double(max_flows) * sizeof(dp::Session)) / max_flows);
    std::printf("# (mappings: one per flow here, the worst case; the session table alone is %.0f bytes per flow)\n",
                flows.bytes_per_flow());

    const uint32_t counts[] = {1024, 65536, std::min(max_flows * 9 / 10, 1000000u)};
    const uint32_t biggest = counts[2];
    std::vector<uint8_t> frames(size_t(biggest) * kFrameLen6);
    for (uint32_t f = 0; f < biggest; ++f)
        build_frame(&frames[size_t(f) * kFrameLen6], b.in.mac, f);

    auto baseline = [&](rte_mbuf** p, uint16_t n) {
        uint16_t s = rte_eth_tx_burst(b.out.id, 0, p, n);
        for (uint16_t i = s; i < n; ++i)
            rte_pktmbuf_free(p[i]);
    };
    auto nat = [&](rte_mbuf** p, uint16_t n) {
        worker->process_burst(p, n, dp::Side::inside);
        worker->flush();
    };

    std::printf("\n| scenario | flows | cycles/pkt | Mpps | baseline cycles/pkt | nat64d own cycles/pkt |\n|---|---|---|---|---|---|\n");
    const double base = run(b, frames, biggest, 2'000'000, baseline);
    uint32_t created = 0;
    for (uint32_t n : counts) {
        // Setup: each new frame opens a flow.
        const uint64_t c0 = worker->counters().flows_created.read();
        const double setup = run(b, std::vector<uint8_t>(frames.begin() + size_t(created) * kFrameLen6,
                                                        frames.begin() + size_t(n) * kFrameLen6),
                                 n - created, n - created, nat);
        const uint64_t made = worker->counters().flows_created.read() - c0;
        created = n;
        std::printf("| new flows (setup) | %u..%u | %.0f | %.2f (flows/s: %.2fM) | %.0f | %.0f |\n",
                    n - uint32_t(made), n, setup, double(b.hz) / setup / 1e6, double(b.hz) / setup / 1e6, base,
                    setup - base);
        const double est = run(b, frames, n, 4'000'000, nat);
        std::printf("| established 6to4 | %u | %.0f | %.2f | %.0f | %.0f |\n", n, est, double(b.hz) / est / 1e6, base,
                    est - base);
    }
    const auto& c = worker->counters();
    uint64_t drops = 0;
    for (size_t v = 1; v < kVerdictCount; ++v)
        drops += c.verdicts[v].read();
    std::printf("\n# translated %lu, dropped %lu, sessions %u, tsc %.2f GHz\n",
                static_cast<unsigned long>(c.translated_6to4.packets.read()), static_cast<unsigned long>(drops), flows.session_count(),
                double(b.hz) / 1e9);
    worker.reset();
    dp::stop_port(b.in.id);
    dp::stop_port(b.out.id);
    rte_eal_cleanup();
    return 0;
}
