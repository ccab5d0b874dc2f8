// Sums per-worker counters, the flow table's totals, the port allocator's use
// and port statistics into one JSON document: what `stats: ...` at exit, the
// management socket (`nat64ctl stats`), Prometheus and telemetry report.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <rte_mempool.h>

#include "dataplane/flow/flow_table.hpp"
#include "dataplane/io/kernel_port.hpp"
#include "dataplane/nat/neighbour_cache.hpp"
#include "dataplane/worker/worker.hpp"

namespace nat64d::ctl {

struct PortRef {
    uint16_t id = 0;
    std::string name;       // the configured device, e.g. net_tap0
    std::string role;       // inside, outside, one-arm
};

struct StatsSources {
    std::vector<const dp::Worker*> workers;
    const dp::FlowTable* flows = nullptr;
    std::vector<PortRef> ports;
    const nat::NeighbourCache* neighbours = nullptr;
    uint64_t uptime_s = 0;
    uint64_t events_written = 0;
    // The IPFIX exporter's (control/ipfix.hpp); zero when it is off.
    uint64_t ipfix_records_sent = 0;
    uint64_t ipfix_messages_sent = 0;
    uint64_t ipfix_send_errors = 0;
    uint64_t ipfix_records_skipped = 0;
    const dp::KernelInjector* injector = nullptr;
    const rte_mempool* mbufs = nullptr;   // the packet pool: in use is the sign of a leak
    uint64_t ager_passes = 0;             // control loop passes of the ager
};

/// Any thread: reads counters with relaxed loads and never writes worker state.
nlohmann::json collect_stats(const StatsSources& src);

nlohmann::json collect_stats(const std::vector<const dp::Worker*>& workers, const dp::FlowTable& flows,
                             const std::vector<uint16_t>& ports);

} // namespace nat64d::ctl
