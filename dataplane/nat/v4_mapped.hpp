// IPv4 addresses stored in 16-byte keys as IPv4-mapped IPv6 addresses
// (::ffff:a.b.c.d, RFC 4291 s2.5.5.2), so one key type serves both families.
#pragma once
#include "dataplane/xlate/bytes.hpp"

namespace nat64d::nat {

constexpr In6 v4_mapped(Ip4 a) noexcept
{
    return In6{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF,
               static_cast<uint8_t>(a >> 24), static_cast<uint8_t>(a >> 16),
               static_cast<uint8_t>(a >> 8), static_cast<uint8_t>(a)};
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
