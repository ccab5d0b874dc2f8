// RFC 6052 IPv4-embedded IPv6 addresses (s2.2 address format, s2.1 well-known
// prefix, s3.1 restriction of the well-known prefix to global IPv4 addresses).
#include "rfc6052.hpp"

#include <array>
#include <cstring>

namespace nat64d::xlate {
namespace {

constexpr In6 kWellKnownPrefix = {0x00, 0x64, 0xff, 0x9b};
constexpr unsigned kUOctet = 8;   // RFC 6052 s2.2: bits 64..71 must be zero

struct Ip4Net {
    Ip4 addr;
    unsigned len;
};

// RFC 6052 s3.1 and RFC 6890: addresses that must not be reached through the
// well-known prefix.
constexpr std::array<Ip4Net, 16> kNonGlobal = {{
    {0x00000000, 8},   // 0.0.0.0/8 "this network"
    {0x0A000000, 8},   // 10.0.0.0/8 private
    {0x64400000, 10},  // 100.64.0.0/10 shared address space
    {0x7F000000, 8},   // 127.0.0.0/8 loopback
    {0xA9FE0000, 16},  // 169.254.0.0/16 link local
    {0xAC100000, 12},  // 172.16.0.0/12 private
    {0xC0000000, 24},  // 192.0.0.0/24 IETF protocol assignments
    {0xC0000200, 24},  // 192.0.2.0/24 TEST-NET-1
    {0xC0586300, 24},  // 192.88.99.0/24 6to4 relay anycast
    {0xC0A80000, 16},  // 192.168.0.0/16 private
    {0xC6120000, 15},  // 198.18.0.0/15 benchmarking
    {0xC6336400, 24},  // 198.51.100.0/24 TEST-NET-2
    {0xCB007100, 24},  // 203.0.113.0/24 TEST-NET-3
    {0xE0000000, 4},   // 224.0.0.0/4 multicast
    {0xF0000000, 4},   // 240.0.0.0/4 reserved
    {0xFFFFFFFF, 32},  // limited broadcast
}};

} // namespace

Prefix6 well_known_prefix() noexcept
{
    return Prefix6{kWellKnownPrefix, 96};
}

bool is_well_known_prefix(const Prefix6& p) noexcept
{
    return p.len == 96 && p.addr == kWellKnownPrefix;
}

bool is_valid_prefix_len(unsigned len) noexcept
{
    return len == 32 || len == 40 || len == 48 || len == 56 || len == 64 || len == 96;
}

In6 embed_ip4(const Prefix6& p, Ip4 ip4) noexcept
{
    if (p.len == 96) [[likely]] {
        // As in extract_ip4: 12 bytes of prefix, then the address, composed
        // in two registers: written into a stack copy and read back as words,
        // the halves stalled on store forwarding (every 4to6 packet).
        uint64_t w[2];
        uint32_t third;
        std::memcpy(&w[0], p.addr.data(), 8);
        std::memcpy(&third, p.addr.data() + 8, 4);
        if constexpr (std::endian::native == std::endian::little)
            w[1] = uint64_t{third} | uint64_t{__builtin_bswap32(ip4)} << 32;
        else
            w[1] = uint64_t{third} << 32 | ip4;
        return std::bit_cast<In6>(w);
    }
    In6 a{};
    const unsigned start = p.len / 8;
    for (unsigned i = 0; i < start; ++i)
        a[i] = p.addr[i];
    // The four IPv4 octets follow the prefix, stepping over the u octet.
    unsigned pos = start;
    for (int shift = 24; shift >= 0; shift -= 8) {
        if (pos == kUOctet)
            ++pos;
        a[pos++] = static_cast<uint8_t>(ip4 >> shift);
    }
    return a;
}

bool extract_ip4(const Prefix6& p, const In6& addr, Ip4& ip4) noexcept
{
    if (p.len == 96) [[likely]] {
        // The common case (the well-known prefix, most deployments): compare
        // 12 bytes, read the last 4.
        if (std::memcmp(addr.data(), p.addr.data(), 12) != 0)
            return false;
        ip4 = load_be32(addr.data() + 12);
        return true;
    }
    const unsigned start = p.len / 8;
    for (unsigned i = 0; i < start; ++i)
        if (addr[i] != p.addr[i])
            return false;
    if (start <= kUOctet && addr[kUOctet] != 0)
        return false;
    Ip4 v = 0;
    unsigned pos = start;
    for (int n = 0; n < 4; ++n) {
        if (pos == kUOctet)
            ++pos;
        v = (v << 8) | addr[pos++];
    }
    // The suffix is reserved (s2.2) and ignored on extraction.
    ip4 = v;
    return true;
}

bool is_global_ip4(Ip4 ip4) noexcept
{
    // Most addresses are global and their first octet starts no listed range:
    // answer those from one bit instead of the sixteen compares.
    static constexpr std::array<uint64_t, 4> may_be_listed = [] {
        std::array<uint64_t, 4> bits{};
        for (const Ip4Net& n : kNonGlobal) {
            const unsigned first = n.addr >> 24;
            const unsigned last = n.len >= 8 ? first : first | (0xFFu >> n.len);
            for (unsigned o = first; o <= last; ++o)
                bits[o / 64] |= uint64_t{1} << (o % 64);
        }
        return bits;
    }();
    const unsigned octet = ip4 >> 24;
    if ((may_be_listed[octet / 64] >> (octet % 64) & 1) == 0)
        return true;
    for (const Ip4Net& n : kNonGlobal) {
        const Ip4 mask = n.len == 0 ? 0 : ~Ip4{0} << (32 - n.len);
        if ((ip4 & mask) == n.addr)
            return false;
    }
    return true;
}

} // namespace nat64d::xlate
