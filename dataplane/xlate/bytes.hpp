// Big-endian loads and stores on packet bytes, and the address types the
// translator works with. Never cast packet bytes to structs (alignment, aliasing).
#pragma once
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

namespace nat64d {

using In6 = std::array<uint8_t, 16>;   // an IPv6 address, network byte order
using Ip4 = uint32_t;                  // an IPv4 address, host byte order

// One unaligned load or store and a byte swap (movbe where the CPU has it),
// not a byte at a time: a field written byte by byte and then read as a word
// stalls on store forwarding.
inline uint16_t load_be16(const uint8_t* p) noexcept
{
    uint16_t v;
    std::memcpy(&v, p, sizeof v);
    if constexpr (std::endian::native == std::endian::little)
        v = __builtin_bswap16(v);
    return v;
}
inline uint32_t load_be32(const uint8_t* p) noexcept
{
    uint32_t v;
    std::memcpy(&v, p, sizeof v);
    if constexpr (std::endian::native == std::endian::little)
        v = __builtin_bswap32(v);
    return v;
}
inline void store_be16(uint8_t* p, uint16_t v) noexcept
{
    if constexpr (std::endian::native == std::endian::little)
        v = __builtin_bswap16(v);
    std::memcpy(p, &v, sizeof v);
}
inline void store_be32(uint8_t* p, uint32_t v) noexcept
{
    if constexpr (std::endian::native == std::endian::little)
        v = __builtin_bswap32(v);
    std::memcpy(p, &v, sizeof v);
}
inline void store_be64(uint8_t* p, uint64_t v) noexcept
{
    if constexpr (std::endian::native == std::endian::little)
        v = __builtin_bswap64(v);
    std::memcpy(p, &v, sizeof v);
}
inline In6 load_in6(const uint8_t* p) noexcept
{
    In6 a;
    std::memcpy(a.data(), p, 16);
    return a;
}
inline void store_in6(uint8_t* p, const In6& a) noexcept { std::memcpy(p, a.data(), 16); }

// Protocol numbers and fixed header sizes (RFC 791, RFC 8200, RFC 792, RFC 4443).
inline constexpr uint8_t kProtoHopByHop = 0;
inline constexpr uint8_t kProtoIcmp4 = 1;
inline constexpr uint8_t kProtoTcp = 6;
inline constexpr uint8_t kProtoUdp = 17;
inline constexpr uint8_t kProtoRouting = 43;
inline constexpr uint8_t kProtoFragment = 44;
inline constexpr uint8_t kProtoIcmp6 = 58;
inline constexpr uint8_t kProtoNoNext = 59;
inline constexpr uint8_t kProtoDestOpts = 60;

inline constexpr uint32_t kIp4HeaderLen = 20;
inline constexpr uint32_t kIp6HeaderLen = 40;
inline constexpr uint32_t kFragHeaderLen = 8;
inline constexpr uint32_t kUdpHeaderLen = 8;
inline constexpr uint32_t kTcpMinHeaderLen = 20;
inline constexpr uint32_t kIcmpHeaderLen = 8;

inline constexpr uint16_t kEtherTypeIp4 = 0x0800;
inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr uint16_t kEtherTypeIp6 = 0x86DD;
inline constexpr uint16_t kEtherTypeVlan = 0x8100;
inline constexpr uint32_t kEtherHeaderLen = 14;

inline constexpr uint32_t kIp6MinMtu = 1280;   // RFC 8200 s5
inline constexpr uint32_t kIp4MinErrorLen = 576; // RFC 1812 s4.3.2.3: ICMPv4 errors up to 576 bytes

} // namespace nat64d
