// What a reload (SIGHUP, `nat64ctl reload`) may change while sessions live,
// and what needs a restart: the running configuration against the file read
// again, key by key. Pure: no DPDK, no daemon state.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "control/config/config.hpp"

namespace nat64d::ctl {

struct KeyChange {
    std::string key;      // "section.key", as in the file and --help
    std::string before;   // the value as JSON text
    std::string after;
};

struct ReloadPlan {
    std::vector<KeyChange> apply;     // changed, and applied in place
    std::vector<KeyChange> restart;   // changed, and only a restart applies them
};

/// True for the keys a reload applies without dropping sessions: the session
/// timeouts (the ager and the workers take them at once, live sessions
/// included), the ICMP error limits and static.bib (entries removed and added).
bool reloadable(std::string_view key);

/// Every key whose value differs between the two, sorted by key.
ReloadPlan plan_reload(const Config& running, const Config& next);

/// "config: KEY = AFTER: needs a restart (running: BEFORE)", one line per key.
std::string restart_refusal(const std::vector<KeyChange>& restart);

} // namespace nat64d::ctl
