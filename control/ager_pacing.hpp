// How many session positions the ager examines in one control-loop pass.
#pragma once
#include <algorithm>
#include <cstdint>

namespace nat64d::ctl {

/// RFC 6146's timers count in seconds (the shortest, TCP_INCOMING_SYN, 6 s),
/// so the ager sweeps the whole table once a second and finds a session at
/// most about a second after it expired. Sweeping at the loop's own pace (a
/// pass every 10 ms, 65536 positions each) covered a 131K-position table 50
/// times a second and took ~2.5% of the control core, which it shares with
/// whatever else runs there.
inline constexpr uint64_t kAgerSweepUs = 1'000'000;
/// The most a pass examines (a pass that removes more than half of what it
/// examined runs again at once instead of sleeping), and the least, so that
/// a small table is swept faster than once a second at no cost.
inline constexpr uint32_t kAgerMaxBudget = 65536;
inline constexpr uint32_t kAgerMinBudget = 1024;

/// Positions to examine now: the share of `positions` due for `elapsed_us`
/// since the last pass, rounded up, within [kAgerMinBudget, kAgerMaxBudget].
inline uint32_t ager_budget(uint32_t positions, uint64_t elapsed_us) noexcept
{
    const uint64_t due = (uint64_t{positions} * std::min(elapsed_us, kAgerSweepUs) + kAgerSweepUs - 1) / kAgerSweepUs;
    return static_cast<uint32_t>(std::clamp<uint64_t>(due, kAgerMinBudget, kAgerMaxBudget));
}

} // namespace nat64d::ctl
