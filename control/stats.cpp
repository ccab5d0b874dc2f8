// Counters are read with relaxed loads while workers run; a sum may be a few
// packets behind, never torn (64-bit aligned atomics).
#include "control/stats.hpp"

#include <rte_ethdev.h>

namespace nat64d::ctl {

namespace {

nlohmann::json direction(const dp::DirectionCounters& c)
{
    return {{"packets", c.packets.read()}, {"bytes", c.bytes.read()}};
}

} // namespace

nlohmann::json collect_stats(const std::vector<const dp::Worker*>& workers, const dp::FlowTable& flows,
                             const std::vector<uint16_t>& ports)
{
    nlohmann::json j;
    nlohmann::json drops = nlohmann::json::object();
    nlohmann::json per_worker = nlohmann::json::array();
    uint64_t totals[kVerdictCount] = {};
    for (const dp::Worker* w : workers) {
        const dp::WorkerCounters& c = w->counters();
        for (size_t v = 0; v < kVerdictCount; ++v)
            totals[v] += c.verdicts[v].read();
        per_worker.push_back({
            {"rx_inside", direction(c.rx_inside)},
            {"rx_outside", direction(c.rx_outside)},
            {"tx_inside", direction(c.tx_inside)},
            {"tx_outside", direction(c.tx_outside)},
            {"translated_6to4", direction(c.translated_6to4)},
            {"translated_4to6", direction(c.translated_4to6)},
            {"flows_created", c.flows_created.read()},
            {"arp_replies", c.arp_replies.read()},
            {"ndp_adverts", c.ndp_adverts.read()},
            {"echo_replies", c.echo_replies.read()},
            {"icmp_errors_sent", c.icmp_errors_sent.read()},
            {"neighbour_solicits_sent", c.neighbour_solicits_sent.read()},
            {"neighbour_held", c.neighbour_held.read()},
            {"loops", w->loops()},
        });
    }
    for (size_t v = 1; v < kVerdictCount; ++v)   // 0 is forward
        drops[std::string(kVerdictNames[v])] = totals[v];
    j["workers"] = per_worker;
    j["drops"] = drops;
    j["flows"] = {{"sessions", flows.session_count()},
                  {"mappings", flows.mapping_count()},
                  {"capacity", flows.capacity()}};
    nlohmann::json jp = nlohmann::json::array();
    for (uint16_t p : ports) {
        rte_eth_stats s{};
        if (rte_eth_stats_get(p, &s) != 0)
            continue;
        jp.push_back({{"port", p},
                      {"ipackets", s.ipackets},
                      {"opackets", s.opackets},
                      {"ibytes", s.ibytes},
                      {"obytes", s.obytes},
                      {"imissed", s.imissed},
                      {"ierrors", s.ierrors},
                      {"oerrors", s.oerrors}});
    }
    j["ports"] = jp;
    return j;
}

} // namespace nat64d::ctl
