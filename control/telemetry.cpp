// DPDK telemetry callbacks run on DPDK's telemetry thread: they only read
// counters (collect_stats() is safe from any thread). A telemetry dict is flat
// and holds at most RTE_TEL_MAX_DICT_ENTRIES values, so nested stats become
// slash-separated names ("drops/drop_no_mapping", "0/rx_inside/packets"):
// DPDK 22.11 accepts only [A-Za-z0-9_/] in names.
#include "control/telemetry.hpp"

#include <mutex>
#include <string>

#include <rte_telemetry.h>

namespace nat64d::ctl {
namespace {

std::mutex g_mutex;            // guards g_source against telemetry_stop() (control path only)
TelemetrySource g_source;
bool g_registered = false;

void flatten(rte_tel_data* d, const nlohmann::json& j, const std::string& prefix, unsigned& entries)
{
    if (entries >= RTE_TEL_MAX_DICT_ENTRIES)
        return;
    if (j.is_object() || j.is_array()) {
        size_t i = 0;
        for (auto it = j.begin(); it != j.end(); ++it, ++i) {
            const std::string key = j.is_object() ? it.key() : std::to_string(i);
            flatten(d, *it, prefix.empty() ? key : prefix + "/" + key, entries);
        }
        return;
    }
    const std::string name = prefix.substr(0, RTE_TEL_MAX_STRING_LEN - 1);
    int rc = -1;
    if (j.is_number_unsigned())
        rc = rte_tel_data_add_dict_u64(d, name.c_str(), j.get<uint64_t>());
    else if (j.is_number_integer())
        rc = rte_tel_data_add_dict_int(d, name.c_str(), static_cast<int>(j.get<int64_t>()));
    else if (j.is_number_float())
        rc = rte_tel_data_add_dict_u64(d, name.c_str(), static_cast<uint64_t>(j.get<double>() * 1e6));   // ppm
    else if (j.is_boolean())
        rc = rte_tel_data_add_dict_int(d, name.c_str(), j.get<bool>() ? 1 : 0);
    else if (j.is_string())
        rc = rte_tel_data_add_dict_string(d, name.c_str(), j.get<std::string>().substr(0, RTE_TEL_MAX_STRING_LEN - 1).c_str());
    if (rc == 0)
        ++entries;
}

int answer(const char* cmd, rte_tel_data* d)
{
    rte_tel_data_start_dict(d);
    std::lock_guard<std::mutex> lock(g_mutex);
    if (!g_source.stats)
        return 0;
    try {
        const std::string c(cmd);
        nlohmann::json doc;
        if (c == "/nat64d/health") {
            doc = g_source.health();
        } else {
            const nlohmann::json s = g_source.stats();
            if (c == "/nat64d/workers")
                doc = s.value("workers", nlohmann::json::array());
            else if (c == "/nat64d/ports")
                doc = s.value("ports", nlohmann::json::array());
            else if (c == "/nat64d/pool")
                doc = s.value("pool", nlohmann::json::array());
            else {
                doc = s;
                doc.erase("workers");
                doc.erase("ports");
                doc.erase("pool");
            }
        }
        unsigned entries = 0;
        flatten(d, doc, "", entries);
    } catch (const std::exception&) {
        return -1;
    }
    return 0;
}

int on_command(const char* cmd, const char* /*params*/, rte_tel_data* d) { return answer(cmd, d); }

} // namespace

void telemetry_start(TelemetrySource source)
{
    {
        std::lock_guard<std::mutex> lock(g_mutex);
        g_source = std::move(source);
    }
    if (g_registered)
        return;
    g_registered = true;
    rte_telemetry_register_cmd("/nat64d/stats", on_command, "nat64d totals: drops, flows, events. No parameters");
    rte_telemetry_register_cmd("/nat64d/workers", on_command, "nat64d per-worker counters. No parameters");
    rte_telemetry_register_cmd("/nat64d/ports", on_command, "nat64d per-port rte_eth_stats. No parameters");
    rte_telemetry_register_cmd("/nat64d/pool", on_command, "nat64d public port use per address. No parameters");
    rte_telemetry_register_cmd("/nat64d/health", on_command, "nat64d: are all workers polling. No parameters");
}

void telemetry_stop()
{
    std::lock_guard<std::mutex> lock(g_mutex);
    g_source = TelemetrySource{};
}

} // namespace nat64d::ctl
