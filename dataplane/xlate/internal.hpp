// Helpers shared by the translator's source files: the IPv6 extension-header
// walk (RFC 8200 s4, RFC 7915 s5.1) and writers for freshly built IP headers.
// Internal to xlate.
#pragma once
#include "bytes.hpp"
#include "checksum.hpp"
#include "packet_view.hpp"
#include "translate.hpp"
#include "dataplane/verdict.hpp"

namespace nat64d::xlate {

inline constexpr uint16_t kIp4FlagDf = 0x4000;
inline constexpr uint16_t kIp4FlagMf = 0x2000;
inline constexpr uint16_t kIp4OffsetMask = 0x1FFF;
inline constexpr uint8_t kIp4Version = 4;
inline constexpr uint8_t kIp6Version = 6;
inline constexpr uint8_t kDefaultTtl = 64;   // for errors the box originates

/// The fragment fields of an IPv4 header (RFC 791 s3.1): the parser's for the
/// packet, the translator's for a packet quoted in an ICMP error.
inline FragmentInfo frag_info_4(const uint8_t* ip4) noexcept
{
    const uint16_t ff = load_be16(ip4 + 6);
    FragmentInfo f;
    f.more = (ff & kIp4FlagMf) != 0;
    f.offset_bytes = static_cast<uint16_t>((ff & kIp4OffsetMask) * 8u);
    f.is_fragment = f.more || f.offset_bytes != 0;
    f.id = load_be16(ip4 + 4);
    return f;
}

// ICMP types (RFC 792, RFC 4443).
inline constexpr uint8_t kIcmp4EchoReply = 0;
inline constexpr uint8_t kIcmp4DestUnreach = 3;
inline constexpr uint8_t kIcmp4SourceQuench = 4;
inline constexpr uint8_t kIcmp4Redirect = 5;
inline constexpr uint8_t kIcmp4Echo = 8;
inline constexpr uint8_t kIcmp4TimeExceeded = 11;
inline constexpr uint8_t kIcmp4ParamProblem = 12;
inline constexpr uint8_t kIcmp6DestUnreach = 1;
inline constexpr uint8_t kIcmp6PacketTooBig = 2;
inline constexpr uint8_t kIcmp6TimeExceeded = 3;
inline constexpr uint8_t kIcmp6ParamProblem = 4;
inline constexpr uint8_t kIcmp6Echo = 128;
inline constexpr uint8_t kIcmp6EchoReply = 129;
inline constexpr uint8_t kIcmp6FirstInfo = 128;   // RFC 4443 s2.1: types < 128 are errors

/// Where the extension-header chain of an IPv6 packet ends.
struct Ext6 {
    uint8_t proto = 0;         // the upper-layer protocol (next header after the chain)
    uint32_t l4_off = 0;       // from the IPv6 header to the upper-layer header
    uint32_t frag_off = 0;     // from the IPv6 header to the fragment header, 0 if none
    uint32_t problem_off = 0;  // drop_segments_left: offset of the Segments Left field
};

/// Walks the extension headers of the IPv6 packet at ip6, reading no byte at or
/// past `end`. Skips hop-by-hop, destination options and routing headers with
/// segments left 0, records a fragment header and stops after a non-first
/// fragment's fragment header (no upper-layer header follows).
/// Refusals: drop_malformed, drop_ext_header, drop_segments_left.
Verdict walk_ext_6(const uint8_t* ip6, uint32_t end, Ext6& out) noexcept;

inline bool is_icmp4_error_type(uint8_t type) noexcept
{
    return type == kIcmp4DestUnreach || type == kIcmp4SourceQuench || type == kIcmp4Redirect ||
           type == kIcmp4TimeExceeded || type == kIcmp4ParamProblem;
}

/// Writes a 20-byte IPv4 header (no options) with its checksum. The checksum
/// is summed from the field values in registers, not read back from the bytes
/// just stored, and the header goes out as five 32-bit words.
inline void write_ip4_header(uint8_t* h, uint8_t tos, uint32_t total_len, uint16_t id,
                             uint16_t flags_frag, uint8_t ttl, uint8_t proto, Ip4 src,
                             Ip4 dst) noexcept
{
    const uint32_t w0 = (uint32_t{(kIp4Version << 4) | (kIp4HeaderLen / 4)} << 24) |
                        (uint32_t{tos} << 16) | static_cast<uint16_t>(total_len);
    const uint32_t w1 = (uint32_t{id} << 16) | flags_frag;
    const uint32_t ttl_proto = (uint32_t{ttl} << 8) | proto;
    const uint32_t sum = csum_add32(csum_add32(csum_add32(csum_add32(ttl_proto, w0), w1), src), dst);
    store_be32(h, w0);
    store_be32(h + 4, w1);
    store_be32(h + 8, (ttl_proto << 16) | csum_finish(sum));
    store_be32(h + 12, src);
    store_be32(h + 16, dst);
}

/// Writes a 40-byte IPv6 header; the flow label is 0 (RFC 7915 s4.1).
inline void write_ip6_header(uint8_t* h, uint8_t tclass, uint32_t payload_len, uint8_t nh,
                             uint8_t hop, const In6& src, const In6& dst) noexcept
{
    // The first 8 bytes as one word: four smaller stores cost as many store
    // slots, and a later 8-byte read of them would wait for all four.
    store_be64(h, (uint64_t{kIp6Version} << 60) | (uint64_t{tclass} << 52) |
                      (uint64_t{static_cast<uint16_t>(payload_len)} << 16) | (uint64_t{nh} << 8) | hop);
    store_in6(h + 8, src);
    store_in6(h + 24, dst);
}

/// Writes an IPv6 fragment header (RFC 8200 s4.5).
inline void write_frag_header(uint8_t* h, uint8_t nh, uint32_t offset_bytes, bool more,
                              uint32_t id) noexcept
{
    h[0] = nh;
    h[1] = 0;
    store_be16(h + 2, static_cast<uint16_t>((offset_bytes & ~7u) | (more ? 1u : 0u)));
    store_be32(h + 4, id);
}

/// Re-points the view at a packet that now starts at new_l3 and is new_len long,
/// keeping the writable area around it the same.
inline void move_view(PacketView& pkt, uint8_t* new_l3, uint32_t new_len) noexcept
{
    uint8_t* begin = pkt.l3 - pkt.headroom;
    uint8_t* end = pkt.l3 + pkt.len + pkt.tailroom;
    pkt.l3 = new_l3;
    pkt.len = new_len;
    pkt.headroom = static_cast<uint32_t>(new_l3 - begin);
    pkt.tailroom = static_cast<uint32_t>(end - (new_l3 + new_len));
}

} // namespace nat64d::xlate
