// In-process dataplane benchmark: the real Worker, FlowTable and port allocator
// on net_null ports, fed synthetic frames without a NIC or a second process.
// Measures, at several flow counts:
//   - flow setup (new flows per second: first IPv6 packet of each flow),
//   - established-flow translation 6to4, 4to6 and mixed (cycles per packet, Mpps),
//   - tear-down by the ager (flows removed per second),
//   - table memory per flow (rte_hash heap + session and mapping arrays).
// The baseline, in the same run, is the same frame feed and net_null transmit
// with no translation: "own" cycles are nat64d's cost on top of that.
// Not a test: it prints a table, and `CSV,...` lines for scripts/bench.sh.
//
//   dp_bench [MAX_FLOWS] [--quick] [--packets N] [--repeat R] [--workers 2]   (root; EAL runs with --no-huge)
// --workers 2 adds, after the tear-down, two workers on two lcores over the
// one flow table: setup in parallel, established mixed traffic with half of
// each worker's replies belonging to sessions the other one created (the
// aggregate rate against one worker's, same flows), and the cost of a reply
// on the worker that did not create its session next to one on its creator.
// Established figures are the best of R runs (default 3); setup and tear-down
// happen once per flow and are measured once.
#include <malloc.h>
#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <pthread.h>
#include <thread>
#include <tuple>
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

#include "control/event_log.hpp"
#include "control/stats.hpp"
#include "dataplane/flow/flow_table.hpp"
#include "dataplane/io/port.hpp"
#include "dataplane/worker/mesh.hpp"
#include "dataplane/worker/worker.hpp"
#include "dataplane/xlate/checksum.hpp"
#include "test/bench/machine.hpp"

using namespace nat64d;

namespace {

constexpr uint16_t kBurst = dp::kBurst;
// Frame sizes as RFC 2544 counts them include the 4-byte FCS, which a frame in
// memory does not carry: an "84-byte" IPv6 frame is 80 bytes here.
constexpr uint32_t kFrameLen6 = 84 - 4;    // Ethernet + IPv6 + UDP + 18 bytes: a 64-byte frame once translated
constexpr uint32_t kFrameLen4 = 64 - 4;    // the reply: Ethernet + IPv4 + UDP + 18 bytes
constexpr uint32_t kFlowsPerHost = 4096;
constexpr Ip4 kServer = 0xC6120050;    // 198.18.0.80 (RFC 2544 benchmarking range)
const In6 kPrefix{0x20, 0x01, 0x0d, 0xb8, 0, 0x64};   // 2001:db8:64::/96, network-specific

struct Bench {
    rte_mempool* pool = nullptr;
    dp::PortInfo in, out;
    uint64_t hz = 1;
};

In6 host_of(uint32_t flow)
{
    // One subscriber /64 per host, as behind an ISP edge: 2001:db8:1000:HHHH::1.
    In6 a{0x20, 0x01, 0x0d, 0xb8, 0x10, 0};
    const uint32_t h = flow / kFlowsPerHost;
    a[4] = static_cast<uint8_t>(0x10 + (h >> 16));
    a[6] = static_cast<uint8_t>(h >> 8);
    a[7] = static_cast<uint8_t>(h);
    a[15] = 1;
    return a;
}

uint16_t sport_of(uint32_t flow) { return static_cast<uint16_t>(20000 + flow % kFlowsPerHost); }

void build_frame6(uint8_t* f, const rte_ether_addr& dst_mac, uint32_t flow, Ip4 server = kServer)
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
    store_in6(ip6 + 8, host_of(flow));
    store_in6(ip6 + 24, kPrefix);
    store_be32(ip6 + 36, server);
    uint8_t* u = ip6 + 40;
    store_be16(u, sport_of(flow));
    store_be16(u + 2, 53);
    store_be16(u + 4, kFrameLen6 - 14 - 40);
    const uint32_t len = kFrameLen6 - 14 - 40;
    uint32_t sum = xlate::csum_add_bytes(0, ip6 + 8, 32) + kProtoUdp + len;
    store_be16(u + 6, 0);
    const uint16_t c = xlate::csum_finish(xlate::csum_add_bytes(sum, u, len));
    store_be16(u + 6, c == 0 ? 0xFFFF : c);
}

// The IPv4 reply of a flow, to the public (address, port) the table gave it.
void build_frame4(uint8_t* f, const rte_ether_addr& dst_mac, Ip4 pub4, uint16_t pub_port, uint32_t flow,
                  Ip4 server = kServer)
{
    std::memset(f, 0, kFrameLen4);
    std::memcpy(f, dst_mac.addr_bytes, 6);
    f[6] = 0x02; f[11] = 0x04;
    store_be16(f + 12, kEtherTypeIp4);
    uint8_t* ip4 = f + 14;
    const uint16_t total = kFrameLen4 - 14;
    ip4[0] = 0x45;
    store_be16(ip4 + 2, total);
    store_be16(ip4 + 4, static_cast<uint16_t>(flow));
    ip4[8] = 64;
    ip4[9] = kProtoUdp;
    store_be32(ip4 + 12, server);
    store_be32(ip4 + 16, pub4);
    store_be16(ip4 + 10, xlate::csum_finish(xlate::csum_add_bytes(0, ip4, 20)));
    uint8_t* u = ip4 + 20;
    const uint32_t len = total - 20u;
    store_be16(u, 53);
    store_be16(u + 2, pub_port);
    store_be16(u + 4, static_cast<uint16_t>(len));
    const uint32_t pseudo = xlate::csum_add_bytes(0, ip4 + 12, 8) + kProtoUdp + len;
    const uint16_t c = xlate::csum_finish(xlate::csum_add_bytes(pseudo, u, len));
    store_be16(u + 6, c == 0 ? 0xFFFF : c);
}

struct FrameSet {
    std::vector<uint8_t> bytes;
    uint32_t len = 0;
    uint32_t count = 0;
    const uint8_t* at(uint32_t i) const { return &bytes[size_t(i) * len]; }
};

// Feeds `packets` frames, flows visited round-robin from `first`; returns cycles
// per packet spent in `sink` (frame copy and mbuf allocation are outside).
// `sets` alternate burst by burst (one set: 6to4 or 4to6; two: mixed).
template <typename Sink>
double run(Bench& b, const std::vector<const FrameSet*>& sets, uint32_t first, uint32_t flows,
           uint64_t packets, Sink sink)
{
    std::array<rte_mbuf*, kBurst> pkts;
    uint64_t cycles = 0, sent = 0;
    uint32_t next = 0;
    size_t which = 0;
    while (sent < packets) {
        const FrameSet& fs = *sets[which];
        const uint16_t n = static_cast<uint16_t>(std::min<uint64_t>(kBurst, packets - sent));
        if (rte_pktmbuf_alloc_bulk(b.pool, pkts.data(), n) != 0) {
            std::fprintf(stderr, "mempool empty\n");
            break;
        }
        uint32_t f = next;
        for (uint16_t i = 0; i < n; ++i) {
            auto* d = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(pkts[i], static_cast<uint16_t>(fs.len)));
            std::memcpy(d, fs.at(first + f), fs.len);
            f = f + 1 == flows ? 0 : f + 1;
        }
        const uint64_t t0 = rte_rdtsc_precise();
        sink(pkts.data(), n, which);
        cycles += rte_rdtsc_precise() - t0;
        sent += n;
        which = (which + 1) % sets.size();
        if (which == 0)
            next = f;
    }
    return double(cycles) / double(std::max<uint64_t>(sent, 1));
}

// Two workers, one table (issue: many workers). The flows [0, n) split in
// halves: worker w creates the flows f with f % 2 == w. Each worker then gets
// the 6to4 frames of its own flows and the 4to6 replies of flows f with
// (f / 2) % 2 == w: half of those are the other worker's sessions, as with
// RSS, where a reply's queue has nothing to do with its request's.
struct WorkerRun {
    dp::Worker* worker;
    const FrameSet* f6;
    const FrameSet* f4;
    std::vector<uint32_t> out_flows, in_flows;   // which frames, in order
    uint64_t packets = 0;
    double cycles_per_packet = 0;
};

double feed(Bench& b, WorkerRun& r, bool mixed_dirs)
{
    std::array<rte_mbuf*, kBurst> pkts;
    uint64_t cycles = 0, sent = 0;
    size_t oi = 0, ii = 0;
    bool out_turn = true;
    while (sent < r.packets) {
        const bool out = mixed_dirs ? out_turn : r.in_flows.empty();
        const FrameSet& fs = out ? *r.f6 : *r.f4;
        const std::vector<uint32_t>& idx = out ? r.out_flows : r.in_flows;
        size_t& pos = out ? oi : ii;
        const uint16_t n = static_cast<uint16_t>(std::min<uint64_t>(kBurst, r.packets - sent));
        if (rte_pktmbuf_alloc_bulk(b.pool, pkts.data(), n) != 0)
            break;
        for (uint16_t i = 0; i < n; ++i) {
            auto* d = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(pkts[i], static_cast<uint16_t>(fs.len)));
            std::memcpy(d, fs.at(idx[pos]), fs.len);
            pos = pos + 1 == idx.size() ? 0 : pos + 1;
        }
        const uint64_t t0 = rte_rdtsc_precise();
        r.worker->process_burst(pkts.data(), n, out ? dp::Side::inside : dp::Side::outside);
        r.worker->flush();
        cycles += rte_rdtsc_precise() - t0;
        sent += n;
        out_turn = !out_turn;
    }
    return r.cycles_per_packet = double(cycles) / double(std::max<uint64_t>(sent, 1));
}

int feed_on_lcore(void* arg)
{
    auto* r = static_cast<std::pair<Bench*, WorkerRun*>*>(arg);
    feed(*r->first, *r->second, true);
    return 0;
}

void two_workers(Bench& b, dp::FlowTable& flows, dp::WorkerConfig wc, const FrameSet& f6, uint32_t n,
                 uint64_t packets, int repeat)
{
    std::printf("\n# two workers on lcores 0 and 1 (CPUs 0 and 1), one flow table, %u flows\n", n);
    std::array<std::unique_ptr<dp::Worker>, 2> w;
    for (uint32_t i = 0; i < 2; ++i) {
        wc.worker_id = i;
        wc.queue = static_cast<uint16_t>(i);
        w[i] = std::make_unique<dp::Worker>(wc, flows);
        w[i]->set_now(1);
    }
    // Setup in parallel: each worker opens its half of the flows.
    std::array<WorkerRun, 2> setup;
    for (uint32_t i = 0; i < 2; ++i) {
        setup[i].worker = w[i].get();
        setup[i].f6 = &f6;
        setup[i].f4 = &f6;
        for (uint32_t f = i; f < n; f += 2)
            setup[i].out_flows.push_back(f);
        setup[i].packets = setup[i].out_flows.size();
    }
    std::pair<Bench*, WorkerRun*> arg1{&b, &setup[1]};
    auto setup_one = [](void* a) {
        auto* p = static_cast<std::pair<Bench*, WorkerRun*>*>(a);
        feed(*p->first, *p->second, false);
        return 0;
    };
    rte_eal_remote_launch(setup_one, &arg1, 1);
    feed(b, setup[0], false);
    rte_eal_wait_lcore(1);
    const double setup_rate = double(b.hz) / setup[0].cycles_per_packet + double(b.hz) / setup[1].cycles_per_packet;
    std::printf("| two workers: new flows (setup) in parallel | %u | %.0f / %.0f | %.2f M flows/s together | - | - |\n",
                n, setup[0].cycles_per_packet, setup[1].cycles_per_packet, setup_rate / 1e6);
    std::printf("CSV,setup_2workers,%u,%.1f,%.3f,0\n", n, (setup[0].cycles_per_packet + setup[1].cycles_per_packet) / 2,
                setup_rate / 1e6);

    // The replies, to the public address and port each flow got.
    FrameSet f4{std::vector<uint8_t>(size_t(n) * kFrameLen4), kFrameLen4, n};
    uint32_t missing = 0;
    for (uint32_t f = 0; f < n; ++f) {
        const int32_t p = flows.lookup(nat::make_flow_key6(host_of(f), kServer, sport_of(f), 53, kProtoUdp));
        if (p < 0) {
            ++missing;
            continue;
        }
        build_frame4(&f4.bytes[size_t(f) * kFrameLen4], b.out.mac, flows.pub4(flows.session(p)),
                     flows.session(p).pub_port(), f);
    }
    std::array<WorkerRun, 2> run2;
    WorkerRun one;   // worker 0 alone, the same traffic as both together
    one.worker = w[0].get();
    one.f6 = &f6;
    one.f4 = &f4;
    for (uint32_t i = 0; i < 2; ++i) {
        run2[i].worker = w[i].get();
        run2[i].f6 = &f6;
        run2[i].f4 = &f4;
        run2[i].packets = packets;
        for (uint32_t f = i; f < n; f += 2)
            run2[i].out_flows.push_back(f);
        for (uint32_t f = 0; f < n; ++f)
            if ((f / 2) % 2 == i)
                run2[i].in_flows.push_back(f);   // half this worker's sessions, half the other's
    }
    for (uint32_t f = 0; f < n; ++f) {
        one.out_flows.push_back(f);
        one.in_flows.push_back(f);
    }
    one.packets = packets;
    double single = 1e30, together = 0;
    std::array<double, 2> per{1e30, 1e30};
    for (int r = 0; r < repeat; ++r) {
        single = std::min(single, feed(b, one, true));
        std::pair<Bench*, WorkerRun*> a1{&b, &run2[1]};
        rte_eal_remote_launch(feed_on_lcore, &a1, 1);
        feed(b, run2[0], true);
        rte_eal_wait_lcore(1);
        const double t = double(b.hz) / run2[0].cycles_per_packet + double(b.hz) / run2[1].cycles_per_packet;
        if (t > together) {
            together = t;
            per = {run2[0].cycles_per_packet, run2[1].cycles_per_packet};
        }
    }
    const double one_rate = double(b.hz) / single;
    std::printf("| established mixed, one worker (all flows) | %u | %.0f | %.2f | - | - |\n", n, single, one_rate / 1e6);
    std::printf("| established mixed, two workers, half the replies foreign | %u | %.0f / %.0f | %.2f together, %.2fx one worker | - | - |\n",
                n, per[0], per[1], together / 1e6, together / one_rate);
    std::printf("CSV,mixed_1worker,%u,%.1f,%.3f,0\nCSV,mixed_2workers,%u,%.1f,%.3f,%.3f\n", n, single, one_rate / 1e6, n,
                (per[0] + per[1]) / 2, together / 1e6, together / one_rate);

    // A reply on the session's creator against one on the other worker, one
    // worker at a time (worker 0: its own flows are the even ones).
    WorkerRun home, foreign;
    home.worker = foreign.worker = w[0].get();
    home.f6 = foreign.f6 = &f6;
    home.f4 = foreign.f4 = &f4;
    for (uint32_t f = 0; f < n; ++f)
        (f % 2 == 0 ? home : foreign).in_flows.push_back(f);
    home.packets = foreign.packets = packets;
    double c_home = 1e30, c_foreign = 1e30;
    feed(b, home, false);   // warm: both sets once before measuring either
    feed(b, foreign, false);
    for (int r = 0; r < repeat; ++r) {
        c_home = std::min(c_home, feed(b, home, false));
        c_foreign = std::min(c_foreign, feed(b, foreign, false));
    }
    std::printf("| 4to6 reply on its session's worker / on the other worker | %u | %.0f / %.0f | %.2f / %.2f | - | %+.1f%% |\n",
                n, c_home, c_foreign, double(b.hz) / c_home / 1e6, double(b.hz) / c_foreign / 1e6,
                (c_foreign / c_home - 1) * 100);
    std::printf("CSV,reply_home,%u,%.1f,%.3f,0\nCSV,reply_foreign,%u,%.1f,%.3f,0\n", n, c_home,
                double(b.hz) / c_home / 1e6, n, c_foreign, double(b.hz) / c_foreign / 1e6);
    if (missing != 0)
        std::printf("# %u flows had no session after setup\n", missing);
    for (uint32_t i = 0; i < 2; ++i)
        for (size_t v = kFirstDropVerdict; v < kVerdictCount; ++v)
            if (w[i]->counters().verdicts[v].read() != 0)
                std::printf("#   worker %u drop %.*s: %lu\n", i, int(kVerdictNames[v].size()), kVerdictNames[v].data(),
                            static_cast<unsigned long>(w[i]->counters().verdicts[v].read()));
}

// The ager removes every session at `later` (as the control thread does, in
// budgets of 65536 positions); returns how many.
uint64_t expire_all(dp::FlowTable& flows, uint32_t later)
{
    nat::Timeouts t;
    uint64_t removed = 0;
    for (uint32_t round = 0; round < 4096 && flows.session_count() != 0; ++round) {
        removed += flows.expire(later, t, 65536);
        while (flows.drain_port_returns(0, later) != 0) {
        }   // the worker's share: freed ports into quarantine (a worker drains 1024 every 16 loops)
    }
    return removed;
}

// Whatever still waits for its port to go back frees its table position now,
// so what follows starts from an empty table.
void settle_ports(dp::FlowTable& flows, uint32_t later)
{
    for (int idle = 0; idle < 4;)
        idle = flows.drain_port_returns(0, later) + flows.release_ports() == 0 ? idle + 1 : 0;
}

// Mappings shared by two sessions: each client port talks to two servers, as
// a DNS or peer-to-peer client does. An inbound packet's mapping names one
// session (its last), so replies from the server it names skip the session
// hash, and replies that alternate between the two servers burst by burst
// miss that hint every time: they pay its check and rewrite on top of the
// hash lookup, the worst case of the shortcut. Set up on an empty table,
// emptied again after.
template <typename Best, typename Sink6, typename Sink4>
void shared_mappings(Bench& b, dp::FlowTable& flows, uint32_t n, uint64_t packets, double base4, Best&& best,
                     Sink6&& nat6, Sink4&& nat4)
{
    const std::array<Ip4, 2> servers{kServer, kServer + 1};
    std::array<FrameSet, 2> f6, f4;
    for (size_t s = 0; s < 2; ++s) {
        f6[s] = FrameSet{std::vector<uint8_t>(size_t(n) * kFrameLen6), kFrameLen6, n};
        for (uint32_t f = 0; f < n; ++f)
            build_frame6(&f6[s].bytes[size_t(f) * kFrameLen6], b.in.mac, f, servers[s]);
        run(b, {&f6[s]}, 0, n, n, nat6);   // the second server's sessions join the first's mappings
    }
    uint32_t missing = 0;
    for (size_t s = 0; s < 2; ++s) {
        f4[s] = FrameSet{std::vector<uint8_t>(size_t(n) * kFrameLen4), kFrameLen4, n};
        for (uint32_t f = 0; f < n; ++f) {
            const int32_t p = flows.lookup(nat::make_flow_key6(host_of(f), servers[s], sport_of(f), 53, kProtoUdp));
            missing += p < 0 ? 1 : 0;
            build_frame4(&f4[s].bytes[size_t(f) * kFrameLen4], b.out.mac, p < 0 ? 0 : flows.pub4(flows.session(p)),
                         p < 0 ? 0 : flows.session(p).pub_port(), f, servers[s]);
        }
    }
    std::printf("# %u mappings of two sessions each (%u sessions, %u mappings in the table)\n", n,
                flows.session_count(), flows.mapping_count());
    // The second server's sessions were made last: their mappings name them.
    const double one = best([&] { return run(b, {&f4[1]}, 0, n, packets, nat4); });
    const double alternating = best([&] { return run(b, {&f4[0], &f4[1]}, 0, n, packets, nat4); });
    for (const auto& [label, csv, cyc] : {std::tuple{"replies from the server each mapping names", "shared_4to6_named", one},
                                          std::tuple{"replies alternating between the servers", "shared_4to6_alternating", alternating}}) {
        std::printf("| established 4to6, 2 sessions a mapping: %s | %u | %.0f | %.2f | %.0f | %.0f |\n", label, n, cyc,
                    double(b.hz) / cyc / 1e6, base4, cyc - base4);
        std::printf("CSV,%s,%u,%.1f,%.3f,%.1f\n", csv, n, cyc, double(b.hz) / cyc / 1e6, base4);
    }
    if (missing != 0)
        std::printf("# %u of %u sessions missing after setup\n", missing, 2 * n);
    const uint32_t later = 1 + 200000;
    expire_all(flows, later);
    settle_ports(flows, later);
}

size_t malloc_in_use()
{
    const struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

// What building a table took: DPDK's heap (rte_hash, rte_zmalloc'd rings)
// and malloc (the arrays beside the hashes) grown while `make` ran.
struct TableMemory {
    double heap = 0, malloc = 0;
};
template <typename Make>
TableMemory measure_table(Make&& make)
{
    rte_malloc_socket_stats before{}, after{};
    rte_malloc_get_socket_stats(0, &before);
    const size_t malloc0 = malloc_in_use();
    make();
    rte_malloc_get_socket_stats(0, &after);
    return {double(after.heap_allocsz_bytes - before.heap_allocsz_bytes), double(malloc_in_use() - malloc0)};
}

} // namespace

int main(int argc, char** argv)
{
    uint32_t max_flows = 1u << 20;
    bool quick = false;
    uint64_t packets = 0;       // per established measurement; 0: 4M (1M with --quick)
    int repeat = 3;             // each figure is the best of this many runs (a shared machine is noisy)
    uint32_t nworkers = 1;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--quick") == 0)
            quick = true;
        else if (std::strcmp(argv[i], "--packets") == 0 && i + 1 < argc)
            packets = std::stoull(argv[++i]);
        else if (std::strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            repeat = std::max(1, std::stoi(argv[++i]));
        else if (std::strcmp(argv[i], "--workers") == 0 && i + 1 < argc)
            nworkers = std::clamp(uint32_t(std::stoul(argv[++i])), 1u, 2u);
        else
            max_flows = uint32_t(std::stoul(argv[i]));
    }
    // EAL memory holds the hashes: about 1.2 GB at 10M flows.
    const std::string eal_mb = max_flows > (1u << 21) ? "4096" : "3072";
    std::vector<std::string> args{"dp_bench", "--no-huge", "-m", eal_mb, "--no-pci", "-l", nworkers > 1 ? "0-1" : "0",
                                  "--file-prefix", "nat64d-dpbench", "--log-level", "lib.eal:error",
                                  "--log-level", "pmd.net.null:error", "--no-telemetry",
                                  "--vdev", "net_null0", "--vdev", "net_null1"};
    std::vector<char*> av;
    for (auto& a : args)
        av.push_back(a.data());
    if (rte_eal_init(int(av.size()), av.data()) < 0) {
        std::fprintf(stderr, "EAL init failed\n");
        return 1;
    }
    // After main's locals (tables, rings, the worker mesh) are gone: they live
    // in EAL memory, which the cleanup unmaps.
    std::atexit([] { rte_eal_cleanup(); });
    std::setvbuf(stdout, nullptr, _IOLBF, 0);

    Bench b;
    b.hz = rte_get_tsc_hz();
    b.pool = dp::create_packet_pool("bench", 8191, 0);
    const auto nq = static_cast<uint16_t>(nworkers);
    b.in = dp::start_port({"net_null0", nq, nq, 512, 512, 1500, nullptr}, b.pool);
    b.out = dp::start_port({"net_null1", nq, nq, 512, 512, 1500, nullptr}, b.pool);

    nat::PortAllocConfig pcfg;
    // One subscriber per kFlowsPerHost flows; paired pooling (the default) puts
    // each on one address, so the pool has room for the busiest address.
    const uint32_t hosts = (max_flows + kFlowsPerHost - 1) / kFlowsPerHost;
    // One mapping per flow: enough addresses that the busiest one keeps ports
    // to spare (about a third of its 64512 used on average).
    const uint32_t addresses = std::min(nat::PortAllocator::kMaxAddresses,
                                        std::max({4u, std::min(64u, hosts), 3 * (max_flows / 64512) + 1}));
    for (uint32_t i = 0; i < addresses; ++i)
        pcfg.pool.push_back(0x64400000 + i + 1);          // 100.64.0.1 ... (RFC 6598, a CGN pool)
    pcfg.paired_pooling = true;
    pcfg.workers = nworkers;
    pcfg.seed = 1;
    pcfg.quarantine_s = 0;
    nat::PortAllocator ports(pcfg);

    dp::FlowTableConfig fcfg;
    fcfg.max_flows = max_flows;
    fcfg.workers = nworkers;
    std::unique_ptr<dp::FlowTable> flows;
    const TableMemory table_memory = measure_table([&] { flows = std::make_unique<dp::FlowTable>(fcfg, ports); });
    const double hash_bytes = table_memory.heap;
    const double array_bytes = table_memory.malloc;
    // Fault every page in now, as hugepage memory is at EAL start: without
    // hugepages EAL memory and rte_zmalloc'd tables are touched lazily, and
    // the first flows would pay page faults a deployment never sees.
    if (mlockall(MCL_CURRENT) != 0)
        std::perror("dp_bench: mlockall (page faults will show in the setup figures)");

    const In6 gw6{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    const Ip4 gw4 = 0xCB0071FE;                            // 203.0.113.254
    dp::WorkerMesh mesh(nworkers, 0);
    dp::WorkerConfig wc;
    wc.mesh = &mesh;
    wc.static_neighbours = {{nat::neighbour_key4(gw4), nat::MacAddr{2, 0, 0, 0, 0, 4}},
                            {nat::neighbour_key6(gw6), nat::MacAddr{2, 0, 0, 0, 0, 6}}};
    wc.inside_port = b.in.id;
    wc.outside_port = b.out.id;
    wc.inside_mac = b.in.mac;
    wc.outside_mac = b.out.mac;
    wc.inside_ip6 = In6{0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    wc.inside_prefix_len = 64;
    wc.has_gateway6 = true;
    wc.gateway6 = gw6;
    wc.outside_ip4 = 0xCB0071F0;                           // 203.0.113.240, not in the pool
    wc.outside_prefix_len = 24;
    wc.has_gateway4 = true;
    wc.gateway4 = gw4;
    wc.prefix.addr = kPrefix;
    wc.prefix.len = 96;
    wc.pool_for_generated = b.pool;
    wc.hairpinning = true;
    wc.workers = nworkers;
    auto worker = std::make_unique<dp::Worker>(wc, *flows);
    worker->set_now(1);

    bench::print_machine("dp_bench: one worker, in process, net_null ports, 84-byte IPv6 frames <-> 64-byte IPv4");
    const double per_flow = (hash_bytes + array_bytes) / max_flows;
    std::printf("# flow table for %u flows: rte_hash %.1f MiB + session/mapping arrays %.1f MiB = %.0f bytes per flow"
                " (one mapping per flow: the worst case)\n",
                max_flows, hash_bytes / (1 << 20), array_bytes / (1 << 20), per_flow);
    std::printf("# rte_hash shards: sessions 1, mappings %u; tsc %.3f GHz\n", flows->mapping_shards(),
                double(b.hz) / 1e9);
    std::printf("CSV,memory,%u,%.1f,%.1f,%.1f\n", max_flows, hash_bytes, array_bytes, per_flow);
    // With port blocks (512 ports, nat64d's default of 4 per protocol) the
    // subscriber table comes too, sized per subscriber: nat64d's default
    // (one per 8 flows) and an ISP's ratio (one per 300 flows).
    if (max_flows <= (1u << 21))
        for (const uint32_t flows_per_subscriber : {8u, 300u}) {
            dp::FlowTableConfig bc = fcfg;
            bc.name = "pba" + std::to_string(flows_per_subscriber);
            bc.block_size = 512;
            bc.blocks = nat::block_pool_of(pcfg, bc.block_size);
            bc.subscribers.name = bc.name + "_sub";
            bc.subscribers.max_blocks = 4;
            bc.subscribers.max_subscribers = std::max(1024u, max_flows / flows_per_subscriber);
            std::unique_ptr<dp::FlowTable> with_blocks;
            const TableMemory m = measure_table([&] { with_blocks = std::make_unique<dp::FlowTable>(bc, ports); });
            std::printf("# with port blocks and a subscriber table for %u subscribers (one per %u flows): %.0f bytes "
                        "per flow\n", bc.subscribers.max_subscribers, flows_per_subscriber, (m.heap + m.malloc) / max_flows);
        }

    // 1K, 64K, ~1M, and ~95% of a bigger table (10M with scripts/bench.sh --full).
    std::vector<uint32_t> counts{1024, 65536, std::min(max_flows * 19 / 20, 1000000u)};
    if (max_flows * 19 / 20 > 1100000u)
        counts.push_back(max_flows * 19 / 20);
    // Only what the table holds (a small MAX_FLOWS, e.g. for callgrind, runs
    // the small counts alone), in ascending order: the frames are made for
    // the biggest and each count adds flows to the one before.
    const uint32_t fits = std::max(max_flows * 19 / 20, 1u);
    std::erase_if(counts, [&](uint32_t c) { return c > fits; });
    if (counts.empty())
        counts.push_back(fits);
    std::sort(counts.begin(), counts.end());
    counts.erase(std::unique(counts.begin(), counts.end()), counts.end());
    const uint32_t biggest = counts.back();
    FrameSet f6{std::vector<uint8_t>(size_t(biggest) * kFrameLen6), kFrameLen6, biggest};
    for (uint32_t f = 0; f < biggest; ++f)
        build_frame6(&f6.bytes[size_t(f) * kFrameLen6], b.in.mac, f);
    FrameSet f4{std::vector<uint8_t>(size_t(biggest) * kFrameLen4), kFrameLen4, biggest};
    const uint64_t est_packets = packets ? packets : quick ? 1'000'000 : 4'000'000;
    // Best of `repeat`: the least disturbed run is the closest to the code's cost.
    auto best = [&](auto&& measure) {
        double lo = 1e300;
        for (int r = 0; r < repeat; ++r)
            lo = std::min(lo, measure());
        return lo;
    };

    auto baseline = [&](rte_mbuf** p, uint16_t n, size_t which) {
        const uint16_t port = which == 0 ? b.out.id : b.in.id;
        const uint16_t s = rte_eth_tx_burst(port, 0, p, n);
        for (uint16_t i = s; i < n; ++i)
            rte_pktmbuf_free(p[i]);
    };
    auto nat6 = [&](rte_mbuf** p, uint16_t n, size_t) {
        worker->process_burst(p, n, dp::Side::inside);
        worker->flush();
    };
    auto nat4 = [&](rte_mbuf** p, uint16_t n, size_t) {
        worker->process_burst(p, n, dp::Side::outside);
        worker->flush();
    };
    auto mixed = [&](rte_mbuf** p, uint16_t n, size_t which) {
        worker->process_burst(p, n, which == 0 ? dp::Side::inside : dp::Side::outside);
        worker->flush();
    };

    std::printf("\n| scenario | flows | cycles/pkt | Mpps (1 core) | baseline cycles/pkt | nat64d own cycles/pkt |\n"
                "|---|---|---|---|---|---|\n");
    auto row = [&](const char* name, uint32_t n, double cyc, double base) {
        std::printf("| %s | %u | %.0f | %.2f | %.0f | %.0f |\n", name, n, cyc, double(b.hz) / cyc / 1e6, base,
                    cyc - base);
        std::printf("CSV,%s,%u,%.1f,%.3f,%.1f\n", name, n, cyc, double(b.hz) / cyc / 1e6, base);
    };
    const double base6 = best([&] { return run(b, {&f6}, 0, biggest, std::min<uint64_t>(est_packets, 2'000'000), baseline); });
    uint32_t created = 0;
    double last_base4 = 0;   // the 4to6 frames' baseline at the biggest count
    for (uint32_t n : counts) {
        // Setup: each frame is the first of its flow.
        const uint64_t c0 = worker->counters().flows_created.read();
        const double setup = run(b, {&f6}, created, n - created, n - created, nat6);
        const uint64_t made = worker->counters().flows_created.read() - c0;
        std::printf("| new flows (setup) %u..%u, %lu created | %u | %.0f | %.2f M flows/s | %.0f | %.0f |\n",
                    created, n, static_cast<unsigned long>(made), n, setup, double(b.hz) / setup / 1e6, base6,
                    setup - base6);
        std::printf("CSV,setup,%u,%.1f,%.3f,%.1f\n", n, setup, double(b.hz) / setup / 1e6, base6);
        // The replies go to the public (address, port) each flow was given.
        for (uint32_t f = created; f < n; ++f) {
            nat::FlowKey6 k = nat::make_flow_key6(host_of(f), kServer, sport_of(f), 53, kProtoUdp);
            const int32_t p = flows->lookup(k);
            Ip4 pub4 = 0;
            uint16_t pub_port = 0;
            if (p >= 0) {
                pub4 = flows->pub4(flows->session(p));
                pub_port = flows->session(p).pub_port();
            }
            build_frame4(&f4.bytes[size_t(f) * kFrameLen4], b.out.mac, pub4, pub_port, f);
        }
        created = n;
        row("established 6to4", n, best([&] { return run(b, {&f6}, 0, n, est_packets, nat6); }), base6);
        const double base4 = best([&] { return run(b, {&f4}, 0, n, est_packets / 2, baseline); });
        last_base4 = base4;
        row("established 4to6", n, best([&] { return run(b, {&f4}, 0, n, est_packets, nat4); }), base4);
        row("established mixed", n, best([&] { return run(b, {&f6, &f4}, 0, n, est_packets, mixed); }),
            (base6 + base4) / 2);
    }

    // Stats while the worker runs flat out (issue 4): a second thread on the
    // other core builds the full stats document (the socket's `stats` reply)
    // every 10 ms, 100 requests per second, far above any scrape rate. The
    // worker's cycles per packet with and without it, interleaved, best of each.
    {
        const uint32_t n = counts.back();
        ctl::StatsSources src;
        src.workers = {worker.get()};
        src.flows = flows.get();
        src.ports = {{b.in.id, "net_null0", "inside"}, {b.out.id, "net_null1", "outside"}};
        double quiet = 1e30, loaded = 1e30;
        uint64_t requests = 0;
        for (int round = 0; round < 3; ++round) {
            quiet = std::min(quiet, run(b, {&f6, &f4}, 0, n, est_packets, mixed));
            std::atomic<bool> stop{false};
            std::thread reader([&] {
                cpu_set_t set;
                CPU_ZERO(&set);
                CPU_SET(1, &set);
                pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
                while (!stop.load(std::memory_order_relaxed)) {
                    const std::string reply = ctl::collect_stats(src).dump();
                    requests += reply.empty() ? 0 : 1;
                    std::this_thread::sleep_for(std::chrono::milliseconds(10));
                }
            });
            loaded = std::min(loaded, run(b, {&f6, &f4}, 0, n, est_packets, mixed));
            stop.store(true, std::memory_order_relaxed);
            reader.join();
        }
        std::printf("| established mixed, stats every 10 ms | %u | %.0f | %.2f | %.0f (no stats) | %+.2f%% |\n", n,
                    loaded, double(b.hz) / loaded / 1e6, quiet, (loaded / quiet - 1.0) * 100.0);
        std::printf("CSV,stats_under_load,%u,%.1f,%.3f,%.1f\n", n, loaded, double(b.hz) / loaded / 1e6, quiet);
        std::printf("# %lu stats requests answered during the loaded intervals\n",
                    static_cast<unsigned long>(requests));
    }

    // Tear-down: the ager removes every session (as the control thread does,
    // in budgets of 65536 positions), timed on the same TSC.
    const uint32_t live = flows->session_count();
    const uint32_t later = 1 + 100000;
    const uint64_t t0 = rte_rdtsc_precise();
    const uint64_t removed = expire_all(*flows, later);
    const uint64_t cyc = rte_rdtsc_precise() - t0;
    settle_ports(*flows, later);
    const double per = double(cyc) / double(std::max<uint64_t>(removed, 1));
    std::printf("| tear-down (ager) %lu of %u sessions | %u | %.0f | %.2f M flows/s | - | - |\n",
                static_cast<unsigned long>(removed), live, live, per, double(b.hz) / per / 1e6);
    std::printf("CSV,teardown,%u,%.1f,%.3f,0\n", live, per, double(b.hz) / per / 1e6);

    shared_mappings(b, *flows, std::min(counts.back() / 2, 32768u), est_packets, last_base4, best, nat6, nat4);

    if (nworkers > 1)
        two_workers(b, *flows, wc, f6, counts.back(), est_packets, repeat);

    const auto& c = worker->counters();
    uint64_t drops = 0;
    for (size_t v = kFirstDropVerdict; v < kVerdictCount; ++v)
        drops += c.verdicts[v].read();
    std::printf("\n# translated 6to4 %lu, 4to6 %lu, dropped %lu, sessions left %u, mappings left %u\n",
                static_cast<unsigned long>(c.translated_6to4.packets.read()),
                static_cast<unsigned long>(c.translated_4to6.packets.read()), static_cast<unsigned long>(drops),
                flows->session_count(), flows->mapping_count());
    for (size_t v = kFirstDropVerdict; v < kVerdictCount; ++v)
        if (c.verdicts[v].read() != 0)
            std::printf("#   drop %.*s: %lu\n", int(kVerdictNames[v].size()), kVerdictNames[v].data(),
                        static_cast<unsigned long>(c.verdicts[v].read()));
    worker.reset();
    flows.reset();

    // Carrier-grade modes (issue: per-subscriber limits, port blocks,
    // deterministic NAT): the same 64K flows (16 subscribers /64 of 4096
    // flows each) set up and then translated in each mode, on fresh tables,
    // interleaved, best of R. Only creates and removals see the mode. Then
    // the event log's size per million sessions, with and without blocks.
    {
        const uint32_t n = std::min(65536u, biggest);
        constexpr int kModes = 4;
        const char* names[kModes] = {"dynamic", "subscriber limits", "port blocks of 512", "deterministic"};
        const auto configure = [&](int mode, const std::string& name, nat::PortAllocConfig& pc,
                                   dp::FlowTableConfig& fc) {
            pc = pcfg;
            fc = dp::FlowTableConfig{};
            fc.name = name;
            fc.max_flows = 2 * n;
            fc.workers = 1;
            fc.subscribers.name = name;
            fc.subscribers.prefix_len = 64;
            fc.subscribers.max_subscribers = 1024;
            if (mode == 1) {   // limits high enough never to refuse
                fc.subscribers.limits.sessions = 1u << 20;
                fc.subscribers.limits.ports = {65535, 65535, 65535};
                fc.subscribers.limits.new_sessions_per_s = 1u << 30;
            } else if (mode == 2) {
                fc.block_size = 512;
                fc.subscribers.max_blocks = 16;   // 8192 ports: room for 4096 flows a subscriber
                fc.blocks = nat::block_pool_of(pc, fc.block_size);
            } else if (mode == 3) {   // 2001:db8:1000::/60: the 16 hosts, one per pool address at most
                pc.deterministic.order = nat::DeterministicOrder::staggered;
                pc.deterministic.prefix = host_of(0);
                pc.deterministic.prefix[7] = 0;
                pc.deterministic.prefix[15] = 0;
                pc.deterministic.prefix_len = 60;
                pc.deterministic.subscriber_len = 64;
            }
        };
        double setup_best[kModes], est_best[kModes];
        std::fill(setup_best, setup_best + kModes, 1e300);
        std::fill(est_best, est_best + kModes, 1e300);
        for (int r = 0; r < repeat; ++r)
            for (int mode = 0; mode < kModes; ++mode) {
                nat::PortAllocConfig pc;
                dp::FlowTableConfig fc;
                configure(mode, "cg" + std::to_string(r * kModes + mode), pc, fc);
                nat::PortAllocator p2(pc);
                dp::FlowTable table(fc, p2);
                dp::WorkerConfig wc1 = wc;
                wc1.workers = 1;
                dp::Worker w(wc1, table);
                w.set_now(1);
                auto sink = [&](rte_mbuf** p, uint16_t k, size_t) {
                    w.process_burst(p, k, dp::Side::inside);
                    w.flush();
                };
                setup_best[mode] = std::min(setup_best[mode], run(b, {&f6}, 0, n, n, sink));
                est_best[mode] = std::min(est_best[mode], run(b, {&f6}, 0, n, est_packets, sink));
                if (table.session_count() != n)
                    std::printf("# %s: %u of %u sessions made\n", names[mode], table.session_count(), n);
            }
        for (int mode = 0; mode < kModes; ++mode) {
            std::printf("| new flows, %s | %u | %.0f | %.2f M flows/s | - | %+.1f%% vs dynamic |\n", names[mode], n,
                        setup_best[mode], double(b.hz) / setup_best[mode] / 1e6,
                        (setup_best[mode] / setup_best[0] - 1.0) * 100.0);
            std::printf("| established 6to4, %s | %u | %.0f | %.2f | - | %+.1f%% vs dynamic |\n", names[mode], n,
                        est_best[mode], double(b.hz) / est_best[mode] / 1e6,
                        (est_best[mode] / est_best[0] - 1.0) * 100.0);
            std::printf("CSV,setup_mode%d,%u,%.1f,%.3f,%.1f\n", mode, n, setup_best[mode],
                        double(b.hz) / setup_best[mode] / 1e6, setup_best[0]);
        }

        // Event log bytes per million sessions: 4096 sessions of 64
        // subscribers (64 each) opened and expired, every event formatted as
        // the log writes it, with and without port blocks.
        for (int mode : {0, 2}) {
            nat::PortAllocConfig pc;
            dp::FlowTableConfig fc;
            configure(mode, "log" + std::to_string(mode), pc, fc);
            fc.events = true;
            nat::PortAllocator p2(pc);
            dp::FlowTable table(fc, p2);
            std::vector<dp::FlowEvent> ev(1u << 16);
            uint64_t bytes = 0, lines = 0;
            const auto drain = [&] {
                const uint32_t k = table.drain_events(ev.data(), static_cast<uint32_t>(ev.size()));
                for (uint32_t i = 0; i < k; ++i)
                    bytes += ctl::format_event(ev[i], 1764547200000).size() + 1;   // + newline
                lines += k;
            };
            constexpr uint32_t kSessions = 4096;
            for (uint32_t i = 0; i < kSessions; ++i) {
                In6 src = host_of(0);
                src[7] = static_cast<uint8_t>(i / 64);   // 64 subscribers /64
                Verdict why = Verdict::forward;
                table.create(nat::make_flow_key6(src, kServer, static_cast<uint16_t>(10000 + i), 53, kProtoUdp), 0, 1,
                             why);
            }
            drain();
            for (int pass = 0; pass < 4; ++pass) {
                table.expire(100000, nat::Timeouts{}, 1u << 20);
                table.drain_port_returns(0, 100000);
                drain();
            }
            std::printf("| event log, %s | %u sessions | %lu lines | %.1f MB per million sessions | - | - |\n",
                        names[mode], kSessions, static_cast<unsigned long>(lines),
                        double(bytes) / kSessions * 1e6 / 1e6);
            std::printf("CSV,log_bytes_mode%d,%u,%.1f,0,0\n", mode, kSessions, double(bytes) / kSessions);
        }
    }

    dp::stop_port(b.in.id);
    dp::stop_port(b.out.id);
    return 0;
}
