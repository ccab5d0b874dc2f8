// RFC 6052 IPv4-embedded IPv6 addresses: the well-known prefix 64:ff9b::/96 and
// network-specific prefixes of length 32, 40, 48, 56, 64 and 96 (s2.2: bits 64..71, "u", are zero).
#pragma once
#include <algorithm>
#include <bit>
#include <cstring>

#include "bytes.hpp"

namespace nat64d::xlate {

struct Prefix6 {
    In6 addr{};          // bits past len are zero
    uint8_t len = 96;
};

/// 64:ff9b::/96 (RFC 6052 s2.1).
Prefix6 well_known_prefix() noexcept;
bool is_well_known_prefix(const Prefix6& p) noexcept;

/// true for 32, 40, 48, 56, 64, 96 (RFC 6052 s2.2).
bool is_valid_prefix_len(unsigned len) noexcept;

/// Embeds ip4 in prefix p (p.len must be valid). Byte 8 ("u") and the suffix are zero.
In6 embed_ip4(const Prefix6& p, Ip4 ip4) noexcept;

/// Extracts the IPv4 address from addr if addr lies in p; false if it does not
/// (including a non-zero "u" octet, which RFC 6052 s2.2 reserves).
bool extract_ip4(const Prefix6& p, const In6& addr, Ip4& ip4) noexcept;

/// RFC 6052 s3.1: with the well-known prefix, only global IPv4 addresses may be
/// embedded. false for 0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12,
/// 192.0.0/24, 192.0.2/24, 192.88.99/24, 192.168/16, 198.18/15, 198.51.100/24,
/// 203.0.113/24, 224/4, 240/4 and 255.255.255.255.
bool is_global_ip4(Ip4 ip4) noexcept;

/// The first `len` bits (0..128) of an IPv6 address as masks over its two
/// 8-byte halves in memory order.
struct PrefixMask {
    uint64_t half[2];
};
inline PrefixMask prefix_mask(unsigned len) noexcept
{
    const auto half_mask = [](unsigned n) noexcept {   // n in 0..64
        const uint64_t be = n == 0 ? 0 : ~uint64_t{0} << (64 - n);
        if constexpr (std::endian::native == std::endian::little)
            return __builtin_bswap64(be);
        return be;
    };
    return {{half_mask(std::min(len, 64u)), half_mask(len > 64 ? std::min(len - 64, 64u) : 0)}};
}

/// True when the first `len` bits (0..128) of addr are net's. Two masked
/// 64-bit compares, inline: the worker asks for every packet it sends inside.
inline bool in_prefix(const In6& net, unsigned len, const In6& addr) noexcept
{
    const PrefixMask m = prefix_mask(len);
    uint64_t a[2], b[2];
    std::memcpy(a, addr.data(), sizeof a);
    std::memcpy(b, net.data(), sizeof b);
    return ((a[0] ^ b[0]) & m.half[0]) == 0 && ((a[1] ^ b[1]) & m.half[1]) == 0;
}

/// addr with every bit past the first `len` (0..128) cleared: the prefix that
/// names a subscriber, a pairing group or a filter.
inline In6 mask_prefix(const In6& addr, unsigned len) noexcept
{
    const PrefixMask m = prefix_mask(len);
    uint64_t a[2];
    std::memcpy(a, addr.data(), sizeof a);
    a[0] &= m.half[0];
    a[1] &= m.half[1];
    In6 out;
    std::memcpy(out.data(), a, sizeof a);
    return out;
}

/// True when the first p.len bits of addr are p's (any length 0..128).
inline bool in_prefix(const Prefix6& p, const In6& addr) noexcept
{
    return in_prefix(p.addr, p.len, addr);
}

} // namespace nat64d::xlate
