// The watchdog pacing of control/systemd_notify.hpp on a fake clock: WATCHDOG=1
// at most every half interval, never while the service is unhealthy, never
// when systemd asked for no watchdog.
#include <catch2/catch.hpp>

#include <chrono>

#include "control/systemd_notify.hpp"

using nat64d::ctl::systemd::Watchdog;
using namespace std::chrono_literals;

namespace {

int g_pings = 0;
void count_ping() noexcept { ++g_pings; }

} // namespace

TEST_CASE("watchdog: pings at once, then at most every half interval", "[control][systemd]")
{
    g_pings = 0;
    Watchdog w(10s, count_ping);
    const Watchdog::Clock::time_point t0{};
    w.tick(t0, [] { return true; });
    CHECK(g_pings == 1);
    w.tick(t0 + 4999ms, [] { return true; });
    CHECK(g_pings == 1);
    w.tick(t0 + 5s, [] { return true; });
    CHECK(g_pings == 2);
    w.tick(t0 + 6s, [] { return true; });
    CHECK(g_pings == 2);
}

TEST_CASE("watchdog: no ping while unhealthy; the first healthy pass pings again", "[control][systemd]")
{
    g_pings = 0;
    Watchdog w(10s, count_ping);
    const Watchdog::Clock::time_point t0{};
    w.tick(t0, [] { return true; });
    for (auto t = 5s; t <= 30s; t += 1s)
        w.tick(t0 + t, [] { return false; });
    CHECK(g_pings == 1);
    w.tick(t0 + 31s, [] { return true; });
    CHECK(g_pings == 2);
}

TEST_CASE("watchdog: health is asked only when a ping is due", "[control][systemd]")
{
    g_pings = 0;
    int asked = 0;
    Watchdog w(10s, count_ping);
    const Watchdog::Clock::time_point t0{};
    for (auto t = 0ms; t < 5s; t += 10ms)
        w.tick(t0 + t, [&] { ++asked; return true; });
    CHECK(asked == 1);
    CHECK(g_pings == 1);
}

TEST_CASE("watchdog: off when systemd set no interval", "[control][systemd]")
{
    g_pings = 0;
    Watchdog w(0us, count_ping);
    CHECK_FALSE(w.enabled());
    w.tick(Watchdog::Clock::time_point{}, [] { return true; });
    CHECK(g_pings == 0);
}
