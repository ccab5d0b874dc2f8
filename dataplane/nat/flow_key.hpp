// Hash keys for the flow table (RFC 6146 s3.1: session table and BIB). rte_hash
// hashes and compares raw bytes, so every byte is a named field and padding is
// explicit and zeroed by the builders. Values are host order, as in xlate/.
#pragma once
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "dataplane/xlate/bytes.hpp"

namespace nat64d::nat {

/// A session seen from the IPv6 side: (source address, port) to (IPv4
/// destination, port). For ICMP queries sport carries the identifier (RFC 6146
/// s3.5.3); dport is whatever the caller fills in consistently.
///
/// Laid out as rte_hash keeps an entry: an 8-byte head (rte_hash's data word)
/// and then the 24 bytes it stores as the key. The session table keeps the
/// protocol in the head (LfHash's headed mode, lf_hash.hpp), so a key slot is
/// 8 + 24 = 32 bytes instead of the 48 that a 25-byte key rounds up to: 16
/// bytes a flow.
// 8-byte aligned: rte_hash_crc reads keys 8 bytes at a time.
struct alignas(8) FlowKey6 {
    uint8_t pad[7];     // the rest of the head: zero
    uint8_t proto;      // IPv6-side protocol: kProtoTcp, kProtoUdp, kProtoIcmp6
    In6 src;            // IPv6 source, network byte order
    Ip4 dst4;           // IPv4 address embedded in the IPv6 destination (RFC 6052), host order
    uint16_t sport;     // host order
    uint16_t dport;     // host order
};
static_assert(sizeof(FlowKey6) == 32);
static_assert(std::has_unique_object_representations_v<FlowKey6>);
/// The head a session key carries before the bytes rte_hash stores as its key.
constexpr uint32_t kFlowKeyHead = 8;
static_assert(offsetof(FlowKey6, src) == kFlowKeyHead);

/// A mapping (BIB entry) seen from the IPv6 side: endpoint-independent, so no
/// destination (RFC 4787 REQ-1, RFC 6146 s3.5.1).
struct alignas(8) BibKey6 {
    In6 src;            // network byte order
    uint16_t sport;     // host order
    uint8_t proto;      // kProtoTcp, kProtoUdp, kProtoIcmp6
    uint8_t pad[5];     // to the alignment: a key slot holds 24 bytes either way
};
static_assert(sizeof(BibKey6) == 24);
static_assert(std::has_unique_object_representations_v<BibKey6>);

constexpr FlowKey6 make_flow_key6(const In6& src, Ip4 dst4, uint16_t sport, uint16_t dport,
                                  uint8_t proto) noexcept
{
    return FlowKey6{{0, 0, 0, 0, 0, 0, 0}, proto, src, dst4, sport, dport};
}

/// make_flow_key6 written straight into k as four 8-byte stores, for the
/// per-packet paths: a key assembled on the stack from byte and half-word
/// stores and then copied as 16-byte vectors stalls on store forwarding (the
/// copy's loads span several smaller stores), which cost two thirds of the
/// 6to4 tuple stage's time over memif.
inline void store_flow_key6(FlowKey6& k, const In6& src, Ip4 dst4, uint16_t sport, uint16_t dport,
                            uint8_t proto) noexcept
{
    // The head's last byte is the protocol; the tail is dst4, sport, dport,
    // each in host order: composed in a register, never through memory.
    uint64_t head, tail;
    if constexpr (std::endian::native == std::endian::little) {
        head = uint64_t{proto} << 56;
        tail = uint64_t{dst4} | uint64_t{sport} << 32 | uint64_t{dport} << 48;
    } else {
        head = proto;
        tail = uint64_t{dst4} << 32 | uint64_t{sport} << 16 | dport;
    }
    static_assert(offsetof(FlowKey6, proto) == 7 && offsetof(FlowKey6, dst4) == 24 &&
                  offsetof(FlowKey6, sport) == 28 && offsetof(FlowKey6, dport) == 30);
    uint64_t s[2];
    std::memcpy(s, src.data(), sizeof s);
    auto* out = reinterpret_cast<uint8_t*>(&k);
    std::memcpy(out, &head, 8);
    std::memcpy(out + 8, &s[0], 8);
    std::memcpy(out + 16, &s[1], 8);
    std::memcpy(out + 24, &tail, 8);
}

constexpr BibKey6 make_bib_key6(const In6& src, uint16_t sport, uint8_t proto) noexcept
{
    return BibKey6{src, sport, proto, {0, 0, 0, 0, 0}};
}

/// The mapping a session belongs to.
constexpr BibKey6 bib_key_of(const FlowKey6& k) noexcept { return make_bib_key6(k.src, k.sport, k.proto); }

} // namespace nat64d::nat
