// Ageing benchmark (printed, not asserted): how many expired sessions one core
// removes per second, with their mappings, QSBR deferral and port returns,
// (a) with no reader registered and (b) while a registered reader thread looks
// up sessions and reports quiescent states, as workers do. Also the cost of a
// sweep over live sessions that do not expire, and of a full `stats` document.
// In-process, EAL --no-huge; no NIC.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_lcore.h>

#include "dataplane/flow/flow_table.hpp"
#include "test/bench/machine.hpp"

using namespace nat64d;

namespace {

constexpr uint32_t kFlows = 1u << 20;
constexpr uint32_t kSessionsPerMapping = 4;

nat::FlowKey6 key_of(uint32_t i)
{
    const uint32_t m = i / kSessionsPerMapping;
    In6 src{0x20, 0x01, 0x0d, 0xb8};
    src[12] = static_cast<uint8_t>(m >> 24);
    src[13] = static_cast<uint8_t>(m >> 16);
    src[14] = static_cast<uint8_t>(m >> 8);
    src[15] = static_cast<uint8_t>(m);
    return nat::make_flow_key6(src, 0xCB007100 + i % kSessionsPerMapping, 5000, 53, kProtoUdp);
}

double seconds_since(uint64_t t0) { return double(rte_rdtsc() - t0) / double(rte_get_tsc_hz()); }

void fill(dp::FlowTable& flows, uint32_t now_s)
{
    for (uint32_t i = 0; i < kFlows; ++i) {
        Verdict why = Verdict::forward;
        if (flows.create(key_of(i), 0, now_s, why) < 0) {
            std::fprintf(stderr, "fill: flow %u: %s\n", i, std::string(verdict_name(why)).c_str());
            return;
        }
    }
}

void run(bool with_reader)
{
    nat::PortAllocConfig pc;
    for (uint32_t a = 0; a < 8; ++a)
        pc.pool.push_back(0xC0000201 + a);
    pc.paired_pooling = false;
    pc.workers = 1;
    pc.seed = 3;
    nat::PortAllocator ports(pc);
    dp::FlowTableConfig fc;
    fc.name = with_reader ? "ager_r" : "ager_n";
    fc.max_flows = kFlows;
    fc.workers = 1;
    dp::FlowTable flows(fc, ports);
    nat::Timeouts to;

    fill(flows, 1000);
    const uint32_t live = flows.session_count();

    std::atomic<bool> stop{false};
    std::atomic<uint64_t> reader_loops{0};
    std::thread reader;
    if (with_reader) {
        reader = std::thread([&] {
            rte_thread_register();
            flows.register_worker(0);
            uint32_t i = 0;
            uint64_t loops = 0;
            while (!stop.load(std::memory_order_relaxed)) {
                for (int k = 0; k < 32; ++k)
                    (void)flows.lookup(key_of(i++ % kFlows));
                if ((++loops & 0xF) == 0)
                    flows.drain_port_returns(0, 2000);
                flows.quiescent(0);
            }
            flows.drain_port_returns(0, 2000);
            flows.unregister_worker(0);
            reader_loops.store(loops);
            rte_thread_unregister();
        });
    }

    // A sweep where nothing is due: the cost of looking. Sessions idle for a
    // minute, past the shortest timeout (TCP_INCOMING_SYN, 6 s) but short of
    // their own (UDP, 5 min): the common case of an ISP's table.
    uint64_t t0 = rte_rdtsc();
    flows.expire(1000 + 60, to, UINT32_MAX);
    const double sweep_s = seconds_since(t0);

    // Everything is due: remove it all, as the control loop would, in passes.
    // Without a reader thread this thread also does the worker's share:
    // freeing the returned ports (timed apart, within the same interval).
    t0 = rte_rdtsc();
    uint64_t removed = 0, drained = 0, drain_cycles = 0;
    for (uint32_t pass = 0; pass < 1000 && flows.session_count() != 0; ++pass) {
        removed += flows.expire(1000 + to.udp_s + 1, to, 65536);
        const uint64_t d0 = rte_rdtsc();
        for (uint32_t n = 1; !with_reader && n != 0;) {
            n = flows.drain_port_returns(0, 2000);
            drained += n;
        }
        drain_cycles += rte_rdtsc() - d0;
    }
    const double drain_s = double(drain_cycles) / double(rte_get_tsc_hz());
    const double expire_s = seconds_since(t0) - drain_s;
    stop.store(true);
    if (reader.joinable())
        reader.join();

    std::printf("%-30s %8u live: sweep %.1f M positions/s; expired %lu in %.3f s = %.2f M flows/s "
                "(mappings too)%s\n",
                with_reader ? "ageing, reader polling:" : "ageing, no reader:", live,
                double(kFlows) / sweep_s / 1e6, static_cast<unsigned long>(removed), expire_s,
                double(removed) / expire_s / 1e6, with_reader ? "" : "");
    if (!with_reader)
        std::printf("%-30s %lu ports freed by the worker at %.1f M ports/s\n", "port returns:",
                    static_cast<unsigned long>(drained), double(drained) / drain_s / 1e6);
    else
        std::printf("%-30s %lu reader loops meanwhile\n", "", static_cast<unsigned long>(reader_loops.load()));
}

} // namespace

int main()
{
    const char* eal[] = {"ager_bench", "--no-huge", "-m", "2048", "--no-pci", "--no-shconf", "-l", "0",
                         "--no-telemetry", "--log-level", "lib.eal:error"};
    if (rte_eal_init(static_cast<int>(std::size(eal)), const_cast<char**>(eal)) < 0) {
        std::fprintf(stderr, "ager_bench: EAL init failed\n");
        return 1;
    }
    bench::print_machine("ager_bench: FlowTable::expire on one core (control thread)");
    run(false);
    run(true);
    rte_eal_cleanup();
    return 0;
}
