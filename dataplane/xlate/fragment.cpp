// Splitting an IPv6 packet into fragments of at most mtu bytes (RFC 8200 s4.5),
// for translated IPv4 packets with DF clear (RFC 7915 s4.1).
#include "fragment.hpp"

#include <algorithm>
#include <cstring>

#include "internal.hpp"

namespace nat64d::xlate {
namespace {

// RFC 8200 s4.5: a reassembled payload is at most 65535 bytes.
constexpr uint32_t kMaxFragmentEnd = 0xFFFF;

// Fragments of per_frag bytes (the last one shorter) that data_len bytes take.
template <typename Plan>
uint32_t pieces(const Plan& plan) noexcept
{
    return (plan.data_len + plan.per_frag - 1) / plan.per_frag;
}

/// The parts of the packet being split.
struct FragPlan {
    uint8_t nh = 0;             // upper-layer protocol for the fragment headers
    uint32_t data_off = 0;      // from ip6 to the fragmentable part
    uint32_t data_len = 0;
    uint32_t base_offset = 0;   // offset of the data in the original datagram
    bool more = false;          // the packet was itself a non-last fragment
    bool has_id = false;
    uint32_t id = 0;
    uint32_t per_frag = 0;      // data bytes per fragment, a multiple of 8
};

bool plan_fragments(const uint8_t* ip6, uint32_t len, uint32_t mtu, FragPlan& plan) noexcept
{
    if (len < kIp6HeaderLen || (ip6[0] >> 4) != kIp6Version)
        return false;
    const uint32_t total = kIp6HeaderLen + load_be16(ip6 + 4);
    if (total > len)
        return false;
    const uint8_t nh = ip6[6];
    plan.data_off = kIp6HeaderLen;
    if (nh == kProtoFragment) {
        if (total < kIp6HeaderLen + kFragHeaderLen)
            return false;
        const uint8_t* fh = ip6 + kIp6HeaderLen;
        const uint16_t off_m = load_be16(fh + 2);
        plan.nh = fh[0];
        plan.base_offset = off_m & ~7u;
        plan.more = (off_m & 1u) != 0;
        plan.has_id = true;
        plan.id = load_be32(fh + 4);
        plan.data_off += kFragHeaderLen;
    } else if (nh == kProtoHopByHop || nh == kProtoRouting || nh == kProtoDestOpts) {
        return false;   // the contract: no extension headers besides a fragment header
    } else {
        plan.nh = nh;
    }
    plan.data_len = total - plan.data_off;
    // RFC 8200 s4.5: the offset field counts 8-byte units in 13 bits. Data
    // that would end past 65535 bytes has fragments whose offsets do not fit
    // (they would wrap to the front of the datagram), and a receiver discards
    // its reassembly anyway; such a packet is not split.
    if (plan.base_offset + plan.data_len > kMaxFragmentEnd)
        return false;
    const uint32_t room = kIp6HeaderLen + kFragHeaderLen;
    if (mtu < room + 8)
        return false;
    plan.per_frag = (mtu - room) & ~7u;
    return plan.data_len != 0;
}

} // namespace

uint32_t fragment_count_6(const uint8_t* ip6, uint32_t len, uint32_t mtu) noexcept
{
    FragPlan plan;
    if (!plan_fragments(ip6, len, mtu, plan))
        return 0;
    return pieces(plan);
}

uint32_t write_fragment_6(uint8_t* out, uint32_t cap, const uint8_t* ip6, uint32_t len,
                          uint32_t mtu, uint32_t index, uint32_t id) noexcept
{
    FragPlan plan;
    if (!plan_fragments(ip6, len, mtu, plan))
        return 0;
    const uint32_t count = pieces(plan);
    if (index >= count)
        return 0;
    const uint32_t start = index * plan.per_frag;
    const uint32_t chunk = std::min(plan.per_frag, plan.data_len - start);
    const uint32_t out_len = kIp6HeaderLen + kFragHeaderLen + chunk;
    if (cap < out_len)
        return 0;
    std::memcpy(out, ip6, kIp6HeaderLen);
    store_be16(out + 4, static_cast<uint16_t>(kFragHeaderLen + chunk));
    out[6] = kProtoFragment;
    const bool more = index + 1 < count || plan.more;
    write_frag_header(out + kIp6HeaderLen, plan.nh, plan.base_offset + start, more,
                      plan.has_id ? plan.id : id);
    std::memcpy(out + kIp6HeaderLen + kFragHeaderLen, ip6 + plan.data_off + start, chunk);
    return out_len;
}

namespace {

struct FragPlan4 {
    uint32_t ihl = 0;
    uint32_t data_len = 0;
    uint32_t base_offset = 0;   // bytes
    bool more = false;
    uint32_t per_frag = 0;      // a multiple of 8
};

bool plan_fragments_4(const uint8_t* ip4, uint32_t len, uint32_t mtu, FragPlan4& plan) noexcept
{
    if (len < kIp4HeaderLen || (ip4[0] >> 4) != kIp4Version)
        return false;
    plan.ihl = (ip4[0] & 0x0Fu) * 4;
    const uint32_t total = load_be16(ip4 + 2);
    const uint16_t ff = load_be16(ip4 + 6);
    if (plan.ihl != kIp4HeaderLen || total > len || total <= plan.ihl || (ff & kIp4FlagDf) != 0)
        return false;
    plan.data_len = total - plan.ihl;
    plan.base_offset = (ff & kIp4OffsetMask) * 8u;
    plan.more = (ff & kIp4FlagMf) != 0;
    // RFC 791 s3.1: a datagram is at most 65535 octets; data past that has
    // no offset a fragment could carry (an IPv6 fragment near the top offset,
    // translated), so it is not split into pieces its receiver discards.
    if (mtu < plan.ihl + 8 || plan.base_offset + plan.data_len > 65535)
        return false;
    plan.per_frag = (mtu - plan.ihl) & ~7u;
    return true;
}

} // namespace

uint32_t fragment_count_4(const uint8_t* ip4, uint32_t len, uint32_t mtu) noexcept
{
    FragPlan4 plan;
    if (!plan_fragments_4(ip4, len, mtu, plan))
        return 0;
    return pieces(plan);
}

uint32_t write_fragment_4(uint8_t* out, uint32_t cap, const uint8_t* ip4, uint32_t len, uint32_t mtu,
                          uint32_t index) noexcept
{
    FragPlan4 plan;
    if (!plan_fragments_4(ip4, len, mtu, plan))
        return 0;
    const uint32_t count = pieces(plan);
    if (index >= count)
        return 0;
    const uint32_t start = index * plan.per_frag;
    const uint32_t chunk = std::min(plan.per_frag, plan.data_len - start);
    const uint32_t out_len = plan.ihl + chunk;
    if (cap < out_len || plan.base_offset + start > kIp4OffsetMask * 8u)
        return 0;
    std::memcpy(out, ip4, plan.ihl);
    store_be16(out + 2, static_cast<uint16_t>(out_len));
    const bool more = index + 1 < count || plan.more;
    store_be16(out + 6, static_cast<uint16_t>(((plan.base_offset + start) / 8u) | (more ? kIp4FlagMf : 0)));
    ip4_set_header_checksum(out);
    std::memcpy(out + plan.ihl, ip4 + plan.ihl + start, chunk);
    return out_len;
}

} // namespace nat64d::xlate
