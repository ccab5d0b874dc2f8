// DPDK telemetry commands with the same numbers as `nat64ctl stats`, so DPDK's
// own /usr/bin/dpdk-telemetry.py reads them: /nat64d/stats (totals, drops,
// flows), /nat64d/workers, /nat64d/ports, /nat64d/pool and /nat64d/health.
#pragma once
#include <functional>

#include <nlohmann/json.hpp>

namespace nat64d::ctl {

/// What the commands report: a stats document (collect_stats) or health.
struct TelemetrySource {
    std::function<nlohmann::json()> stats;
    std::function<nlohmann::json()> health;
};

/// Registers the commands (once per process) and points them at `source`.
void telemetry_start(TelemetrySource source);
/// Before the sources go away: the commands then answer with an empty dict.
void telemetry_stop();

} // namespace nat64d::ctl
