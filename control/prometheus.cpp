// Stats JSON -> Prometheus text format. Metric names carry the unit and _total
// for counters (Prometheus naming conventions); labels name the worker, port,
// direction, protocol, drop reason or public address.
#include "control/prometheus.hpp"

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "dataplane/counters.hpp"

namespace nat64d::ctl {
namespace {

using nlohmann::json;
using Labels = std::vector<std::pair<std::string, std::string>>;

std::string escape_label(std::string_view v)
{
    std::string out;
    for (const char c : v) {
        if (c == '\\' || c == '"')
            out.push_back('\\');
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out.push_back(c);
    }
    return out;
}

class Exposition {
public:
    void add(const std::string& name, const char* type, const std::string& help, const Labels& labels, const json& value)
    {
        if (!value.is_number())
            return;
        Metric* m = nullptr;
        for (Metric& x : metrics_)
            if (x.name == name)
                m = &x;
        if (m == nullptr) {
            metrics_.push_back({name, type, help, {}});
            m = &metrics_.back();
        }
        std::string line = name;
        if (!labels.empty()) {
            line += '{';
            for (size_t i = 0; i < labels.size(); ++i)
                line += fmt::format("{}{}=\"{}\"", i ? "," : "", labels[i].first, escape_label(labels[i].second));
            line += '}';
        }
        if (value.is_number_float())
            line += fmt::format(" {}", value.get<double>());
        else if (value.is_number_unsigned())
            line += fmt::format(" {}", value.get<uint64_t>());
        else
            line += fmt::format(" {}", value.get<int64_t>());
        m->samples.push_back(std::move(line));
    }

    std::string text() const
    {
        std::string out;
        for (const Metric& m : metrics_) {
            out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", m.name, m.help, m.name, m.type);
            for (const std::string& s : m.samples)
                out += s + "\n";
        }
        return out;
    }

private:
    struct Metric {
        std::string name;
        const char* type;
        std::string help;
        std::vector<std::string> samples;
    };
    std::vector<Metric> metrics_;
};

const json& at(const json& j, const char* key)
{
    static const json null_value;
    const auto it = j.find(key);
    return it == j.end() ? null_value : *it;
}

} // namespace

std::string stats_to_prometheus(const json& s)
{
    Exposition e;
    e.add("nat64d_uptime_seconds", "gauge", "Seconds since nat64d started.", {}, at(s, "uptime_s"));

    for (const json& w : at(s, "workers")) {
        const std::string id = std::to_string(at(w, "id").get<uint64_t>());
        for (const dp::DirectionField& d : dp::kDirectionFields) {
            const std::string dir(d.name);
            e.add("nat64d_worker_packets_total", "counter", "Packets per worker and direction.",
                  {{"worker", id}, {"direction", dir}}, at(at(w, dir.c_str()), "packets"));
            e.add("nat64d_worker_bytes_total", "counter", "Bytes per worker and direction.",
                  {{"worker", id}, {"direction", dir}}, at(at(w, dir.c_str()), "bytes"));
        }
        for (const dp::CounterField& c : dp::kCounterFields) {
            const std::string name(c.name);
            e.add(fmt::format("nat64d_worker_{}_total", name), "counter", fmt::format("Per worker: {}.", c.help),
                  {{"worker", id}}, at(w, name.c_str()));
        }
        e.add("nat64d_worker_loops_total", "counter", "Poll loops run by the worker (health).", {{"worker", id}},
              at(w, "loops"));
    }
    for (const auto& [reason, v] : at(s, "drops").items())
        e.add("nat64d_drops_total", "counter",
              "Packets dropped, by reason; `nat64ctl stats --explain` says what each reason means.",
              {{"reason", reason}}, v);

    for (const json& p : at(s, "ports")) {
        const Labels l{{"port", std::to_string(at(p, "port").get<uint64_t>())},
                       {"name", at(p, "name").is_string() ? at(p, "name").get<std::string>() : ""}};
        const auto with = [&](const char* dir) {
            Labels x = l;
            x.emplace_back("direction", dir);
            return x;
        };
        e.add("nat64d_port_packets_total", "counter", "Packets per DPDK port (rte_eth_stats).", with("rx"), at(p, "ipackets"));
        e.add("nat64d_port_packets_total", "counter", "", with("tx"), at(p, "opackets"));
        e.add("nat64d_port_bytes_total", "counter", "Bytes per DPDK port (rte_eth_stats).", with("rx"), at(p, "ibytes"));
        e.add("nat64d_port_bytes_total", "counter", "", with("tx"), at(p, "obytes"));
        e.add("nat64d_port_missed_total", "counter", "Packets the NIC dropped for lack of RX descriptors.", l,
              at(p, "imissed"));
        e.add("nat64d_port_errors_total", "counter", "Erroneous packets per DPDK port.", with("rx"), at(p, "ierrors"));
        e.add("nat64d_port_errors_total", "counter", "", with("tx"), at(p, "oerrors"));
    }

    const json& f = at(s, "flows");
    for (const char* proto : {"tcp", "udp", "icmp"}) {
        const Labels l{{"proto", proto}};
        e.add("nat64d_sessions", "gauge", "Live sessions by protocol.", l, at(at(f, "sessions_by_proto"), proto));
        e.add("nat64d_mappings", "gauge", "Live mappings (BIB entries) by protocol.", l,
              at(at(f, "mappings_by_proto"), proto));
        e.add("nat64d_sessions_created_total", "counter", "Sessions created.", l, at(at(f, "sessions_created"), proto));
        e.add("nat64d_sessions_expired_total", "counter", "Sessions removed (aged out or deleted).", l,
              at(at(f, "sessions_expired"), proto));
        e.add("nat64d_mappings_created_total", "counter", "Mappings created.", l, at(at(f, "mappings_created"), proto));
        e.add("nat64d_mappings_expired_total", "counter", "Mappings removed.", l, at(at(f, "mappings_expired"), proto));
    }
    e.add("nat64d_flow_table_capacity", "gauge", "Sessions the flow table holds at most.", {}, at(f, "capacity"));
    if (s.contains("mbufs")) {
        e.add("nat64d_mbufs_in_use", "gauge", "Packet buffers taken from the pool (steady under steady load).", {},
              at(at(s, "mbufs"), "in_use"));
        e.add("nat64d_mbufs_size", "gauge", "Packet buffers in the pool.", {}, at(at(s, "mbufs"), "size"));
    }
    e.add("nat64d_ager_passes_total", "counter", "Passes of the ager over the flow table.", {}, at(s, "ager_passes"));
    e.add("nat64d_flow_table_fill_ratio", "gauge", "Live sessions / capacity.", {}, at(f, "fill"));
    e.add("nat64d_subscribers", "gauge", "Subscribers tracked for their limits (0 with no subscriber limit set).",
          {}, at(f, "subscribers"));

    for (const json& a : at(s, "pool")) {
        const std::string addr = at(a, "address").is_string() ? at(a, "address").get<std::string>() : "";
        e.add("nat64d_pool_address_draining", "gauge",
              "1 while a pool address drains (taken out of pool.addresses by a reload; no new mappings).",
              {{"address", addr}}, at(a, "draining").is_boolean() && at(a, "draining").get<bool>() ? 1 : 0);
        for (const char* proto : {"tcp", "udp", "icmp"}) {
            const json& pp = at(a, proto);
            e.add("nat64d_pool_ports_in_use", "gauge", "Dynamically allocated public ports per address.",
                  {{"address", addr}, {"proto", proto}}, at(pp, "in_use"));
            e.add("nat64d_pool_ports_reserved", "gauge", "Public ports reserved by static BIB entries.",
                  {{"address", addr}, {"proto", proto}}, at(pp, "reserved"));
            e.add("nat64d_pool_ports_size", "gauge", "Public ports in the dynamic range per address.",
                  {{"address", addr}, {"proto", proto}}, at(pp, "size"));
        }
    }
    e.add("nat64d_neighbours", "gauge", "Entries in the ARP/NDP neighbour cache.", {}, at(s, "neighbours"));
    const json& ev = at(s, "events");
    e.add("nat64d_events_written_total", "counter", "NAT events written to the event log.", {}, at(ev, "written"));
    e.add("nat64d_events_lost_total", "counter", "NAT events lost to full rings.", {}, at(ev, "lost"));
    const json& ipfix = at(ev, "ipfix");
    e.add("nat64d_ipfix_records_sent_total", "counter", "IPFIX data records sent to the collector.", {},
          at(ipfix, "records_sent"));
    e.add("nat64d_ipfix_messages_sent_total", "counter", "IPFIX messages sent to the collector.", {},
          at(ipfix, "messages_sent"));
    e.add("nat64d_ipfix_send_errors_total", "counter", "IPFIX messages the socket refused (dropped, not retried).",
          {}, at(ipfix, "send_errors"));
    e.add("nat64d_ipfix_records_skipped_total", "counter", "NAT events with no IPFIX form (text log only).", {},
          at(ipfix, "records_skipped"));
    e.add("nat64d_port_returns_lost_total", "counter", "Freed public ports that could not be returned (ring full).",
          {}, at(f, "port_returns_lost"));
    e.add("nat64d_table_slots_lost_total", "counter", "Deleted flow table positions that could not wait for reuse.",
          {}, at(f, "slots_lost"));
    e.add("nat64d_ager_stalls_total", "counter", "Ager passes paused until readers passed a grace period.", {},
          at(f, "ager_stalls"));
    return e.text();
}

} // namespace nat64d::ctl
