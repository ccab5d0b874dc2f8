// Sums per-worker counters and port statistics into one JSON document: what
// `stats: ...` at exit, the management socket and telemetry report.
#pragma once
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "dataplane/flow/flow_table.hpp"
#include "dataplane/worker/worker.hpp"

namespace nat64d::ctl {

nlohmann::json collect_stats(const std::vector<const dp::Worker*>& workers, const dp::FlowTable& flows,
                             const std::vector<uint16_t>& ports);

} // namespace nat64d::ctl
