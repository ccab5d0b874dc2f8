// Internet checksum helpers for the translator (and the benchmark frame
// builders in test/bench): full sums for the rare paths
// (ICMP errors, UDP with checksum 0) and RFC 1624 incremental updates for the
// per-packet paths.
#pragma once
#include <bit>
#include <cstring>

#include "bytes.hpp"

namespace nat64d::xlate {

/// Adds the bytes [p, p+len) as big-endian 16-bit words to sum (an odd last
/// byte is padded with zero, RFC 1071). Keep len below 64 KiB per call.
inline uint32_t csum_add_bytes(uint32_t sum, const uint8_t* p, uint32_t len) noexcept
{
    uint64_t acc = sum;
    uint32_t i = 0;
    for (; i + 1 < len; i += 2)
        acc += load_be16(p + i);
    if (i < len)
        acc += uint32_t{p[i]} << 8;
    while (acc >> 32)
        acc = (acc & 0xFFFFFFFFu) + (acc >> 32);
    return static_cast<uint32_t>(acc);
}

inline uint32_t csum_add16(uint32_t sum, uint16_t v) noexcept { return sum + v; }
inline uint32_t csum_add32(uint32_t sum, uint32_t v) noexcept
{
    return sum + (v >> 16) + (v & 0xFFFFu);
}

/// Folds a 32-bit accumulator to 16 bits of one's-complement sum (not inverted).
inline uint16_t csum_fold(uint32_t sum) noexcept
{
    sum = (sum & 0xFFFFu) + (sum >> 16);
    sum = (sum & 0xFFFFu) + (sum >> 16);
    return static_cast<uint16_t>(sum);
}

/// Folds a 64-bit accumulator to 16 bits of one's-complement sum (not inverted).
inline uint16_t csum_fold64(uint64_t acc) noexcept
{
    acc = (acc & 0xFFFFFFFFu) + (acc >> 32);
    acc = (acc & 0xFFFFFFFFu) + (acc >> 32);
    return csum_fold(static_cast<uint32_t>(acc));
}

/// The fixed fields every packet sums (the IPv4 header), len a multiple of 4:
/// native 32-bit words are added and the folded result swapped once
/// (csum_fold_native), instead of one load, swap and add per 16-bit word, as
/// the one's-complement sum is byte-order independent (RFC 1071 s2(B)).
inline uint64_t csum_add_words_native(const uint8_t* p, uint32_t len) noexcept
{
    uint64_t acc = 0;
    for (uint32_t i = 0; i < len; i += 4) {
        uint32_t w;
        std::memcpy(&w, p + i, sizeof w);
        acc += w;
    }
    return acc;
}
inline uint16_t csum_fold_native(uint64_t acc) noexcept
{
    const uint16_t folded = csum_fold64(acc);
    if constexpr (std::endian::native == std::endian::little)
        return __builtin_bswap16(folded);
    return folded;
}
/// csum_fold(csum_add_bytes(0, p, len)) for len a multiple of 4, a word at a time.
inline uint16_t csum_fold_words(const uint8_t* p, uint32_t len) noexcept
{
    return csum_fold_native(csum_add_words_native(p, len));
}

/// The folded sum of two IPv6 addresses (a pseudo-header's). Big-endian
/// 32-bit words here: a load-and-swap is one instruction (movbe), so the
/// native sum above saves nothing on 16-byte fields.
[[gnu::always_inline]] inline uint16_t csum_fold_in6_pair(const uint8_t* a, const uint8_t* b) noexcept
{
    uint64_t acc = 0;
    for (uint32_t i = 0; i < 16; i += 4)
        acc += load_be32(a + i) + uint64_t{load_be32(b + i)};
    return csum_fold64(acc);
}

/// The checksum field value for a one's-complement sum.
inline uint16_t csum_finish(uint32_t sum) noexcept
{
    return static_cast<uint16_t>(~csum_fold(sum));
}

/// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), with m and m' given as folded sums
/// of every 16-bit word that left and entered the covered data.
inline uint16_t csum_update(uint16_t hc, uint16_t old_sum, uint16_t new_sum) noexcept
{
    uint32_t s = static_cast<uint16_t>(~hc);
    s += static_cast<uint16_t>(~old_sum);
    s += new_sum;
    return static_cast<uint16_t>(~csum_fold(s));
}

/// csum_update with the sums that left and entered unfolded (each below
/// 2^26): subtracting in one's complement is adding C - m for a multiple C of
/// 0xFFFF above m, so one fold serves all three terms. The result is the value a
/// full recomputation gives (never 0xFFFF for data that is not all zero).
inline uint16_t csum_update_sums(uint16_t hc, uint32_t old_sum, uint32_t new_sum) noexcept
{
    constexpr uint64_t kZeroAbove = uint64_t{0xFFFF} << 26;
    return static_cast<uint16_t>(~csum_fold64(static_cast<uint16_t>(~hc) + uint64_t{new_sum} + (kZeroAbove - old_sum)));
}

/// Applies csum_update to the big-endian checksum field at p.
inline void csum_patch(uint8_t* p, uint16_t old_sum, uint16_t new_sum) noexcept
{
    store_be16(p, csum_update(load_be16(p), old_sum, new_sum));
}

/// IPv4 options, rare, summed out of line: the compiler vectorises a loop of
/// unknown length, and inlined into a parser that vector code costs every
/// packet an aligned stack frame.
[[gnu::noinline]] inline uint64_t ip4_options_words(const uint8_t* p, uint32_t len) noexcept
{
    return csum_add_words_native(p, len);
}

/// IPv4 header checksum over hdr_len bytes (field at offset 10 counted as is):
/// the fixed 20 bytes inline, options (IHL counts 32-bit words) out of line.
inline uint16_t ip4_header_sum(const uint8_t* ip4, uint32_t hdr_len) noexcept
{
    uint64_t acc = csum_add_words_native(ip4, kIp4HeaderLen);
    if (hdr_len > kIp4HeaderLen) [[unlikely]]
        acc += ip4_options_words(ip4 + kIp4HeaderLen, hdr_len - kIp4HeaderLen);
    return csum_fold_native(acc);
}

/// Writes the checksum of a freshly built 20-byte IPv4 header.
inline void ip4_set_header_checksum(uint8_t* ip4) noexcept
{
    store_be16(ip4 + 10, 0);
    store_be16(ip4 + 10, static_cast<uint16_t>(~csum_fold_words(ip4, kIp4HeaderLen)));
}

/// Sum of the IPv6 pseudo-header (RFC 8200 s8.1).
inline uint32_t pseudo_sum6(const uint8_t* src, const uint8_t* dst, uint32_t ul_len,
                            uint8_t nh) noexcept
{
    return csum_add32(csum_fold_in6_pair(src, dst), ul_len) + nh;
}

/// Sum of the IPv4 pseudo-header (RFC 793 s3.1, RFC 768).
inline uint32_t pseudo_sum4(Ip4 src, Ip4 dst, uint32_t ul_len, uint8_t proto) noexcept
{
    return csum_add32(csum_add32(0, src), dst) + ul_len + proto;
}

} // namespace nat64d::xlate
