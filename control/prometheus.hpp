// The `stats` document (control/stats.cpp) in the Prometheus text exposition
// format 0.0.4, for node_exporter's textfile collector (`nat64ctl stats
// --prometheus`). Pure: JSON in, text out.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace nat64d::ctl {

/// Every counter and gauge of a stats document, one # HELP / # TYPE per metric.
std::string stats_to_prometheus(const nlohmann::json& stats);

} // namespace nat64d::ctl
