// sd_notify(3) messages for nat64d.service; see systemd_notify.hpp. A failed
// notification is not an error of the daemon: without systemd listening there
// is no one to tell, and under systemd a missing READY=1 shows as a start timeout.
#include "control/systemd_notify.hpp"

#include <cstdint>

#include <systemd/sd-daemon.h>

namespace nat64d::ctl::systemd {

// unset_environment = 0 everywhere: the watchdog pings need NOTIFY_SOCKET for
// the daemon's whole life.

void notify_ready() noexcept
{
    (void)sd_notify(0, "READY=1");
}

void notify_stopping() noexcept
{
    (void)sd_notify(0, "STOPPING=1");
}

void notify_watchdog() noexcept
{
    (void)sd_notify(0, "WATCHDOG=1");
}

std::chrono::microseconds watchdog_interval() noexcept
{
    uint64_t usec = 0;
    // > 0: systemd expects pings from this very process (WATCHDOG_PID, if set, matches).
    if (sd_watchdog_enabled(0, &usec) > 0)
        return std::chrono::microseconds(usec);
    return std::chrono::microseconds(0);
}

} // namespace nat64d::ctl::systemd
