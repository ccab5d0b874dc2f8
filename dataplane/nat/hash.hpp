// Small non-cryptographic mixers for nat/'s fixed tables (fragment and
// neighbour caches, paired pooling) and the deterministic port PRNG.
// Not for secrets: RFC 6056 port randomness comes from arc4random (port_alloc.cpp).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace nat64d::nat {

inline constexpr uint64_t kGolden64 = 0x9E3779B97F4A7C15ull;   // 2^64 / phi, splitmix64's increment

/// splitmix64's finaliser (Steele, Lea, Flood 2014): a bijective 64-bit mixer.
constexpr uint64_t mix64(uint64_t z) noexcept
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/// One splitmix64 step: advances `state`, returns the next 64 random bits.
constexpr uint64_t splitmix64_next(uint64_t& state) noexcept
{
    state += kGolden64;
    return mix64(state);
}

/// Hash of `len` bytes, 8 at a time (memcpy loads: no alignment assumed).
inline uint64_t hash_bytes(const void* data, size_t len, uint64_t seed) noexcept
{
    const auto* p = static_cast<const uint8_t*>(data);
    uint64_t h = mix64(seed ^ (len * kGolden64));
    for (; len >= 8; p += 8, len -= 8) {
        uint64_t w;
        std::memcpy(&w, p, 8);
        h = mix64(h ^ w) + kGolden64;
    }
    if (len != 0) {
        uint64_t w = 0;
        std::memcpy(&w, p, len);
        h = mix64(h ^ w) + kGolden64;
    }
    return mix64(h);
}

/// Jump consistent hashing (Lamping and Veach, "A Fast, Minimal Memory,
/// Consistent Hash Algorithm", 2014): a bucket in [0, n) such that going
/// from n to n + 1 buckets moves only the keys that land in the new one.
/// About ln(n) steps.
constexpr uint32_t jump_hash(uint64_t key, uint32_t n) noexcept
{
    int64_t bucket = -1, next = 0;
    while (next < static_cast<int64_t>(n)) {
        bucket = next;
        key = key * 2862933555777941757ull + 1;   // the paper's 64-bit LCG
        next = static_cast<int64_t>(static_cast<double>(bucket + 1) *
                                    (static_cast<double>(1ll << 31) / static_cast<double>((key >> 33) + 1)));
    }
    return static_cast<uint32_t>(bucket);
}

} // namespace nat64d::nat
