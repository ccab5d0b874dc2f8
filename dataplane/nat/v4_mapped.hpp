// IPv4 addresses stored in 16-byte keys as IPv4-mapped IPv6 addresses
// (::ffff:a.b.c.d, RFC 4291 s2.5.5.2), so one key type serves both families.
#pragma once
#include <array>
#include <bit>
#include <cstdint>

#include "dataplane/xlate/bytes.hpp"

namespace nat64d::nat {

constexpr In6 v4_mapped(Ip4 a) noexcept
{
    // Two 64-bit words composed in registers: built byte by byte, the key
    // went through the stack in byte stores, and the neighbour look-up's
    // 8-byte loads of it stalled on store forwarding (every packet sent).
    uint64_t low;   // bytes 8..15 in memory order: 00 00 ff ff a b c d
    if constexpr (std::endian::native == std::endian::little)
        low = 0xFFFF0000u | uint64_t{__builtin_bswap32(a)} << 32;
    else
        low = uint64_t{0xFFFF} << 32 | a;
    return std::bit_cast<In6>(std::array<uint64_t, 2>{0, low});
}

constexpr bool is_v4_mapped(const In6& a) noexcept
{
    for (int i = 0; i < 10; ++i)
        if (a[i] != 0)
            return false;
    return a[10] == 0xFF && a[11] == 0xFF;
}

constexpr Ip4 v4_of_mapped(const In6& a) noexcept
{
    return (Ip4{a[12]} << 24) | (Ip4{a[13]} << 16) | (Ip4{a[14]} << 8) | a[15];
}

} // namespace nat64d::nat
