#include "control/config/reload.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "control/config/load.hpp"

namespace nat64d::ctl {

namespace {

// Kept short on purpose: each entry is something the workers or the ager
// read again at run time (Worker::apply_live, the control loop); anything
// else is fixed when ports, tables and lcores are set up.
constexpr std::array kReloadable = {
    std::string_view{"timeouts.udp"},
    std::string_view{"timeouts.tcp_established"},
    std::string_view{"timeouts.tcp_transitory"},
    std::string_view{"timeouts.icmp"},
    std::string_view{"timeouts.tcp_incoming_syn"},
    std::string_view{"timeouts.allow_short"},
    std::string_view{"limits.icmp_errors_per_s"},
    std::string_view{"limits.icmp_errors_per_subscriber_per_s"},
    // While some subscriber limit is on (the subscriber table exists);
    // turning the first one on needs a restart (reload_subscriber_limits()).
    std::string_view{"limits.subscriber_sessions"},
    std::string_view{"limits.subscriber_tcp_ports"},
    std::string_view{"limits.subscriber_udp_ports"},
    std::string_view{"limits.subscriber_icmp_ids"},
    std::string_view{"limits.subscriber_new_sessions_per_s"},
    std::string_view{"static.bib"},
    // The event log's target and the IPFIX export (nat64d opens the new
    // file or socket first and keeps the old one if that fails).
    std::string_view{"control.log_file"},
    std::string_view{"control.log_syslog"},
    std::string_view{"control.ipfix_collector"},
    std::string_view{"control.ipfix_domain_id"},
    std::string_view{"control.ipfix_template_refresh_s"},
    std::string_view{"control.ipfix_mtu"},
};

void flatten(const nlohmann::json& j, std::vector<std::pair<std::string, std::string>>& out)
{
    for (const auto& [section, keys] : j.items())
        for (const auto& [key, value] : keys.items())
            out.emplace_back(section + "." + key, value.dump());
}

} // namespace

bool reloadable(std::string_view key)
{
    return std::find(kReloadable.begin(), kReloadable.end(), key) != kReloadable.end();
}

ReloadPlan plan_reload(const Config& running, const Config& next)
{
    std::vector<std::pair<std::string, std::string>> a, b;
    flatten(config_to_json(running), a);
    flatten(config_to_json(next), b);
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    ReloadPlan plan;
    // Both views have the same keys (config_to_json writes every key).
    for (size_t i = 0, k = 0; i < a.size() && k < b.size();) {
        if (a[i].first < b[k].first) {
            ++i;
        } else if (b[k].first < a[i].first) {
            ++k;
        } else {
            if (a[i].second != b[k].second)
                (reloadable(a[i].first) ? plan.apply : plan.restart)
                    .push_back({a[i].first, a[i].second, b[k].second});
            ++i;
            ++k;
        }
    }
    return plan;
}

std::string restart_refusal(const std::vector<KeyChange>& restart)
{
    std::string out;
    for (const KeyChange& c : restart)
        out += fmt::format("{}config: {} = {}: needs a restart (running: {})", out.empty() ? "" : "\n", c.key,
                           c.after, c.before);
    return out;
}

} // namespace nat64d::ctl
