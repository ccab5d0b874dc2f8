// plan_reload: which changed keys a reload applies in place and which need a
// restart (control/config/reload.hpp), from two parsed configurations.
#include <catch2/catch.hpp>

#include "config_test_util.hpp"
#include "control/config/reload.hpp"

using namespace nat64d::ctl;

namespace {

Config with(const std::vector<std::string>& flags)
{
    return parse_config_text(test::kMinimalConf, flags);
}

std::vector<std::string> keys(const std::vector<KeyChange>& changes)
{
    std::vector<std::string> k;
    for (const KeyChange& c : changes)
        k.push_back(c.key);
    return k;
}

} // namespace

TEST_CASE("reload: the same file changes nothing", "[config][reload]")
{
    const ReloadPlan p = plan_reload(with({}), with({}));
    CHECK(p.apply.empty());
    CHECK(p.restart.empty());
}

TEST_CASE("reload: timeouts, ICMP limits and static BIB apply in place", "[config][reload]")
{
    const Config running = with({});
    const Config next = with({"--timeouts.udp=120", "--timeouts.tcp_established=9000",
                              "--limits.icmp_errors_per_s=50", "--limits.icmp_errors_per_subscriber_per_s=5",
                              "--static.bib=tcp 2001:db8:1::5#80 192.0.2.8#8080"});
    const ReloadPlan p = plan_reload(running, next);
    CHECK(p.restart.empty());
    CHECK(keys(p.apply) == std::vector<std::string>{"limits.icmp_errors_per_s",
                                                    "limits.icmp_errors_per_subscriber_per_s", "static.bib",
                                                    "timeouts.tcp_established", "timeouts.udp"});
    const KeyChange& udp = p.apply.back();
    CHECK(udp.before == "300");
    CHECK(udp.after == "120");
    CHECK(p.apply[2].before == "[]");
    CHECK(p.apply[2].after == R"(["tcp 2001:db8:1::5#80 192.0.2.8#8080"])");
}

TEST_CASE("reload: ports, prefix, pool and workers need a restart, each named with both values", "[config][reload]")
{
    const Config running = with({});
    const Config next = with({"--ports.inside=net_tap7", "--nat64.prefix=2001:db8:64::/96",
                              "--pool.addresses=192.0.2.20", "--ports.workers=2", "--timeouts.udp=120"});
    const ReloadPlan p = plan_reload(running, next);
    CHECK(keys(p.restart) ==
          std::vector<std::string>{"nat64.prefix", "pool.addresses", "ports.inside", "ports.workers"});
    CHECK(keys(p.apply) == std::vector<std::string>{"timeouts.udp"});
    const std::string refusal = restart_refusal(p.restart);
    CHECK(refusal.find("config: ports.inside = \"net_tap7\": needs a restart (running: \"net_tap0\")") !=
          std::string::npos);
    CHECK(refusal.find("config: ports.workers = 2: needs a restart (running: 1)") != std::string::npos);
    CHECK(std::count(refusal.begin(), refusal.end(), '\n') == 3);   // one line per key
}

TEST_CASE("reload: only the named keys are reloadable", "[config][reload]")
{
    CHECK(reloadable("timeouts.udp"));
    CHECK(reloadable("static.bib"));
    CHECK(reloadable("limits.icmp_errors_per_s"));
    CHECK_FALSE(reloadable("timeouts.port_quarantine"));
    CHECK_FALSE(reloadable("limits.max_flows"));
    CHECK_FALSE(reloadable("pool.addresses"));   // only drains and returns: decided by the daemon
    CHECK(reloadable("control.log_file"));
    CHECK(reloadable("control.log_syslog"));
    CHECK(reloadable("limits.subscriber_sessions"));
    CHECK(reloadable("control.ipfix_collector"));
    CHECK(reloadable("control.ipfix_mtu"));
    CHECK_FALSE(reloadable("control.socket"));
    CHECK_FALSE(reloadable("timeouts"));
}
