// control/prometheus.cpp: the text exposition format (HELP/TYPE once per
// metric, labels, escaping). The integration test parses real output with
// prometheus_client's parser.
#include <catch2/catch.hpp>

#include "control/prometheus.hpp"

using namespace nat64d::ctl;

namespace {

size_t count(const std::string& hay, const std::string& needle)
{
    size_t n = 0;
    for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1))
        ++n;
    return n;
}

} // namespace

TEST_CASE("prometheus: counters and gauges with labels", "[control][prometheus]")
{
    const nlohmann::json stats = {
        {"uptime_s", 12},
        {"workers", {{{"id", 0}, {"rx_inside", {{"packets", 5}, {"bytes", 500}}}, {"loops", 99}}}},
        {"drops", {{"drop_malformed", 3}, {"drop_no_mapping", 0}}},
        {"ports", {{{"port", 1}, {"name", "net_\"tap\"1"}, {"ipackets", 7}, {"imissed", 2}}}},
        {"flows", {{"capacity", 1024}, {"fill", 0.5}, {"sessions_by_proto", {{"tcp", 4}, {"udp", 1}, {"icmp", 0}}}}},
        {"pool", {{{"address", "192.0.2.1"}, {"udp", {{"in_use", 1}, {"reserved", 0}, {"size", 64512}}}}}},
    };
    const std::string t = stats_to_prometheus(stats);
    CHECK(count(t, "# TYPE nat64d_worker_packets_total counter\n") == 1);
    CHECK(count(t, "# HELP nat64d_worker_packets_total ") == 1);
    CHECK(count(t, "nat64d_worker_packets_total{worker=\"0\",direction=\"rx_inside\"} 5\n") == 1);
    CHECK(count(t, "nat64d_worker_bytes_total{worker=\"0\",direction=\"rx_inside\"} 500\n") == 1);
    CHECK(count(t, "nat64d_drops_total{reason=\"drop_malformed\"} 3\n") == 1);
    CHECK(count(t, "nat64d_drops_total{reason=\"drop_no_mapping\"} 0\n") == 1);
    CHECK(count(t, "# TYPE nat64d_drops_total counter\n") == 1);
    CHECK(count(t, "nat64d_port_packets_total{port=\"1\",name=\"net_\\\"tap\\\"1\",direction=\"rx\"} 7\n") == 1);
    CHECK(count(t, "nat64d_port_missed_total{port=\"1\",name=\"net_\\\"tap\\\"1\"} 2\n") == 1);
    CHECK(count(t, "nat64d_sessions{proto=\"tcp\"} 4\n") == 1);
    CHECK(count(t, "# TYPE nat64d_sessions gauge\n") == 1);
    CHECK(count(t, "nat64d_flow_table_fill_ratio 0.5\n") == 1);
    CHECK(count(t, "nat64d_pool_ports_in_use{address=\"192.0.2.1\",proto=\"udp\"} 1\n") == 1);
    CHECK(count(t, "nat64d_uptime_seconds 12\n") == 1);
    // Absent values are left out, not printed as 0 or null.
    CHECK(count(t, "nat64d_worker_packets_total{worker=\"0\",direction=\"tx_inside\"}") == 0);
    CHECK(count(t, "null") == 0);
}

TEST_CASE("prometheus: an empty document gives no samples", "[control][prometheus]")
{
    CHECK(stats_to_prometheus(nlohmann::json::object()).empty());
}
