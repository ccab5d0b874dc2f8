// systemd integration for nat64d.service (Type=notify, WatchdogSec=): READY=1
// once the ports are up and the workers run, STOPPING=1 when a stop begins,
// WATCHDOG=1 only while every worker polls. Through libsystemd's sd_notify(3);
// every call is a no-op when nat64d does not run under systemd (no NOTIFY_SOCKET).
#pragma once
#include <chrono>

namespace nat64d::ctl::systemd {

/// READY=1: start-up is complete (ports started, workers launched).
void notify_ready() noexcept;
/// STOPPING=1: the stop has begun; systemd shows "deactivating" meanwhile.
void notify_stopping() noexcept;
/// WATCHDOG=1: the service is alive and healthy.
void notify_watchdog() noexcept;
/// The watchdog timeout systemd set for this process (WatchdogSec=), or zero
/// when it set none.
std::chrono::microseconds watchdog_interval() noexcept;

/// Paces WATCHDOG=1 for the control loop: a ping at most every half interval
/// (sd_watchdog_enabled(3) advises that margin), and none while the service is
/// unhealthy, so a worker that stops polling lets the timeout fire and systemd
/// restarts the service. A stuck control thread sends nothing either.
class Watchdog {
public:
    using Clock = std::chrono::steady_clock;
    using Ping = void (*)() noexcept;

    /// interval zero: never pings.
    Watchdog(std::chrono::microseconds interval, Ping ping) noexcept : half_(interval / 2), ping_(ping) {}

    /// Once per control-loop pass. healthy() is asked only when a ping is due.
    template <class Healthy>
    void tick(Clock::time_point now, Healthy&& healthy)
    {
        if (half_.count() == 0 || (sent_ && now - last_ < half_))
            return;
        if (!healthy())
            return;
        ping_();
        last_ = now;
        sent_ = true;
    }

    bool enabled() const noexcept { return half_.count() != 0; }

private:
    std::chrono::microseconds half_;
    Ping ping_;
    Clock::time_point last_{};
    bool sent_ = false;
};

} // namespace nat64d::ctl::systemd
