// The ager's pacing: every position is examined at least once per sweep
// period, whatever the loop's pace, and a pass stays within its bounds.
#include <catch2/catch.hpp>

#include <cstdint>

#include "control/ager_pacing.hpp"

using namespace nat64d::ctl;

TEST_CASE("ager pacing: a table is swept within a second at any loop pace", "[ager]")
{
    for (const uint32_t positions : {100u, 139074u, 1'048'576u, 10'000'000u}) {
        for (const uint64_t step_us : {700u, 10'000u, 10'937u, 1'000'000u}) {
            // Passes over one simulated second: how many positions they examine.
            uint64_t examined = 0;
            for (uint64_t t = 0; t < kAgerSweepUs; t += step_us)
                examined += ager_budget(positions, step_us);
            INFO(positions << " positions, a pass every " << step_us << " us");
            // Capped at kAgerMaxBudget a pass, a 10M table takes longer; below
            // the cap, every position is seen within the sweep period.
            const uint64_t passes = (kAgerSweepUs + step_us - 1) / step_us;
            if (uint64_t{positions} <= kAgerMaxBudget * passes)
                CHECK(examined >= positions);
            else
                CHECK(examined == kAgerMaxBudget * passes);
        }
    }
}

TEST_CASE("ager pacing: a pass stays within its bounds", "[ager]")
{
    CHECK(ager_budget(0, 10'000) == kAgerMinBudget);
    CHECK(ager_budget(139074, 10'000) == 1391);   // the bench's table: 1/100 of it each 10 ms
    CHECK(ager_budget(139074, 0) == kAgerMinBudget);
    CHECK(ager_budget(10'000'000, 10'000) == kAgerMaxBudget);
    // A loop that stalled for minutes owes one sweep, not minutes of them.
    CHECK(ager_budget(1'000'000, 600'000'000) == kAgerMaxBudget);
    CHECK(ager_budget(50'000, 600'000'000) == 50'000);
}
