// Counters are read with relaxed loads while workers run; a sum may be a few
// packets behind, never torn (64-bit aligned atomics). Drop reasons appear under
// their Verdict names, exactly as nat64ctl, Prometheus and telemetry print them.
#include "control/stats.hpp"

#include <rte_ethdev.h>

#include "control/config/load.hpp"

namespace nat64d::ctl {

namespace {

constexpr const char* kProtoNames[nat::kPortProtoCount] = {"tcp", "udp", "icmp"};

nlohmann::json direction(const dp::DirectionCounters& c)
{
    return {{"packets", c.packets.read()}, {"bytes", c.bytes.read()}};
}

template <typename F>
nlohmann::json by_proto(F f)
{
    nlohmann::json j = nlohmann::json::object();
    for (uint32_t p = 0; p < nat::kPortProtoCount; ++p)
        j[kProtoNames[p]] = f(p);
    return j;
}

} // namespace

nlohmann::json collect_stats(const StatsSources& src)
{
    nlohmann::json j;
    j["uptime_s"] = src.uptime_s;
    nlohmann::json drops = nlohmann::json::object();
    nlohmann::json per_worker = nlohmann::json::array();
    uint64_t totals[kVerdictCount] = {};
    uint32_t id = 0;
    for (const dp::Worker* w : src.workers) {
        const dp::WorkerCounters& c = w->counters();
        for (size_t v = 0; v < kVerdictCount; ++v)
            totals[v] += c.verdicts[v].read();
        nlohmann::json wj{{"id", id++}, {"loops", w->loops()}};
        for (const dp::DirectionField& d : dp::kDirectionFields)
            wj[std::string(d.name)] = direction(c.*d.field);
        for (const dp::CounterField& f : dp::kCounterFields)
            wj[std::string(f.name)] = (c.*f.field).read();
        // Outcomes that are not drops, per worker (drops are summed below).
        wj["forward"] = c.verdicts[static_cast<size_t>(Verdict::forward)].read();
        wj["consumed"] = c.verdicts[static_cast<size_t>(Verdict::consumed)].read();
        wj["punted"] = c.verdicts[static_cast<size_t>(Verdict::punted)].read();
        per_worker.push_back(std::move(wj));
    }
    for (size_t v = kFirstDropVerdict; v < kVerdictCount; ++v)
        drops[std::string(kVerdictNames[v])] = totals[v];
    j["workers"] = per_worker;
    j["drops"] = drops;
    // The box's own frames out through the data ports (the control thread's).
    if (src.injector != nullptr && !src.injector->empty())
        j["exception"] = {{"injected", src.injector->injected()}, {"inject_dropped", src.injector->dropped()}};

    uint64_t fragments = 0;
    for (const nlohmann::json& w : per_worker)
        fragments += w["fragments_held"].get<uint64_t>();
    j["fragments_held"] = fragments;

    if (src.flows != nullptr) {
        const dp::FlowTable& f = *src.flows;
        const dp::FlowTableStats st = f.stats();
        const auto live = [](uint64_t created, uint64_t removed) { return created > removed ? created - removed : 0; };
        uint64_t sessions = 0, mappings = 0;
        for (uint32_t p = 0; p < nat::kPortProtoCount; ++p) {
            sessions += live(st.sessions_created[p], st.sessions_removed[p]);
            mappings += live(st.mappings_created[p], st.mappings_removed[p]);
        }
        j["flows"] = {
            {"sessions", sessions},
            {"mappings", mappings},
            {"capacity", f.capacity()},
            {"fill", f.capacity() ? static_cast<double>(sessions) / f.capacity() : 0.0},
            {"sessions_by_proto", by_proto([&](uint32_t p) { return live(st.sessions_created[p], st.sessions_removed[p]); })},
            {"mappings_by_proto", by_proto([&](uint32_t p) { return live(st.mappings_created[p], st.mappings_removed[p]); })},
            {"sessions_created", by_proto([&](uint32_t p) { return st.sessions_created[p]; })},
            {"sessions_expired", by_proto([&](uint32_t p) { return st.sessions_removed[p]; })},
            {"mappings_created", by_proto([&](uint32_t p) { return st.mappings_created[p]; })},
            {"mappings_expired", by_proto([&](uint32_t p) { return st.mappings_removed[p]; })},
            {"hash_slots_used", st.hash_sessions_used},   // includes slots waiting for a grace period
            {"port_returns_lost", st.port_returns_lost},
            {"slots_lost", st.slots_lost},       // retired positions with no room to wait: never reused
            {"ager_stalls", st.ager_stalls},     // ager passes paused until grace periods end
            // With a subscriber limit set: subscribers holding something now.
            {"subscribers", f.subscribers() != nullptr ? f.subscribers()->count() : 0},
            {"subscribers_capacity", f.subscribers() != nullptr ? f.subscribers()->capacity() : 0},
        };
        const nat::PortAllocator& pa = f.ports();
        nlohmann::json pool = nlohmann::json::array();
        for (uint32_t a = 0; a < pa.address_count(); ++a) {
            // draining: out of pool.addresses since a reload; its mappings live out.
            nlohmann::json e{{"address", format_ip4(pa.address(a))}, {"draining", pa.draining(a)}};
            for (uint32_t p = 0; p < nat::kPortProtoCount; ++p) {
                const auto proto = static_cast<nat::PortProto>(p);
                uint64_t size = 0;
                for (uint32_t w = 0; w < pa.workers(); ++w)
                    size += pa.slice_size(w, proto);
                e[kProtoNames[p]] = {{"in_use", pa.in_use(a, proto)}, {"reserved", pa.reserved(a, proto)}, {"size", size}};
            }
            pool.push_back(std::move(e));
        }
        j["pool"] = pool;
        j["events"] = {{"lost", st.events_lost},
                       {"written", src.events_written},
                       {"ipfix", {{"records_sent", src.ipfix_records_sent},
                                  {"messages_sent", src.ipfix_messages_sent},
                                  {"send_errors", src.ipfix_send_errors},
                                  {"records_skipped", src.ipfix_records_skipped}}}};
    }
    // Read without synchronisation from the worker that owns it: a gauge that
    // may be a moment old, never used for a decision.
    j["neighbours"] = src.neighbours != nullptr ? src.neighbours->size() : 0;

    nlohmann::json jp = nlohmann::json::array();
    for (const PortRef& p : src.ports) {
        rte_eth_stats s{};
        if (rte_eth_stats_get(p.id, &s) != 0)
            continue;
        jp.push_back({{"port", p.id},
                      {"name", p.name},
                      {"role", p.role},
                      {"ipackets", s.ipackets},
                      {"opackets", s.opackets},
                      {"ibytes", s.ibytes},
                      {"obytes", s.obytes},
                      {"imissed", s.imissed},
                      {"ierrors", s.ierrors},
                      {"oerrors", s.oerrors},
                      {"rx_nombuf", s.rx_nombuf}});
    }
    j["ports"] = jp;
    if (src.mbufs != nullptr)
        j["mbufs"] = {{"size", src.mbufs->size},
                      {"in_use", rte_mempool_in_use_count(src.mbufs)},
                      {"available", rte_mempool_avail_count(src.mbufs)}};
    j["ager_passes"] = src.ager_passes;
    return j;
}

nlohmann::json collect_stats(const std::vector<const dp::Worker*>& workers, const dp::FlowTable& flows,
                             const std::vector<uint16_t>& ports)
{
    StatsSources src;
    src.workers = workers;
    src.flows = &flows;
    for (uint16_t p : ports)
        src.ports.push_back({p, "", ""});
    return collect_stats(src);
}

} // namespace nat64d::ctl
