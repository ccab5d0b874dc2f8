// A token bucket on a caller-supplied millisecond clock, for the ICMP errors the
// box originates itself (RFC 1812 s4.3.2.8, RFC 4443 s2.4(f): rate-limit them).
// One per worker: no atomics, no shared state.
#pragma once
#include <algorithm>
#include <cstdint>

namespace nat64d::nat {

class TokenBucket {
public:
    /// `rate_per_s` tokens arrive each second, up to `burst` banked; starts full.
    /// rate_per_s == 0 allows the initial burst only.
    TokenBucket(uint32_t rate_per_s, uint32_t burst, uint64_t now_ms = 0) noexcept
        : rate_per_s_(rate_per_s),
          capacity_mt_(uint64_t{burst} * kMilli),
          tokens_mt_(capacity_mt_),
          last_ms_(now_ms)
    {
    }

    /// Takes one token if one is available at `now_ms`.
    bool take(uint64_t now_ms) noexcept
    {
        refill(now_ms);
        if (tokens_mt_ < kMilli)
            return false;
        tokens_mt_ -= kMilli;
        return true;
    }

    /// Whole tokens available at `now_ms`.
    uint32_t available(uint64_t now_ms) noexcept
    {
        refill(now_ms);
        return static_cast<uint32_t>(tokens_mt_ / kMilli);
    }

private:
    // Milli-tokens: rate_per_s tokens per second is exactly rate_per_s
    // milli-tokens per millisecond, so refill is one multiply, no division.
    static constexpr uint64_t kMilli = 1000;

    void refill(uint64_t now_ms) noexcept
    {
        if (now_ms <= last_ms_)   // same tick, or a clock that stepped back: nothing new
            return;
        const uint64_t elapsed_ms = now_ms - last_ms_;
        last_ms_ = now_ms;
        if (rate_per_s_ == 0)
            return;
        // Cap before multiplying so a long idle gap cannot overflow.
        const uint64_t to_full_ms = capacity_mt_ / rate_per_s_ + 1;
        tokens_mt_ = std::min(capacity_mt_, tokens_mt_ + std::min(elapsed_ms, to_full_ms) * rate_per_s_);
    }

    uint32_t rate_per_s_;
    uint64_t capacity_mt_;
    uint64_t tokens_mt_;
    uint64_t last_ms_;
};

} // namespace nat64d::nat
