// Frame classification (classify.hpp). The order of the checks is the order
// of the drop reasons a frame can get: the first rule it breaks names it.
#include "classify.hpp"

#include <algorithm>
#include <cstring>

namespace nat64d::xlate {
namespace {

bool in_sorted(const void* ctx, Ip4 a) noexcept
{
    const auto& pool = *static_cast<const std::span<const Ip4>*>(ctx);
    return std::binary_search(pool.begin(), pool.end(), a);
}

FrameClass dropped(Verdict why) noexcept { return {FrameKind::drop, why, false, 0}; }

} // namespace

PoolTest sorted_pool(const std::span<const Ip4>& pool) noexcept { return {in_sorted, &pool}; }

FrameClass classify_frame(const uint8_t* frame, uint32_t len, bool chained, const FrameRules& r) noexcept
{
    if (chained) [[unlikely]]
        return dropped(Verdict::drop_multiseg);
    if (len < kEtherHeaderLen) [[unlikely]]
        return dropped(Verdict::drop_malformed);
    // A one-arm box has one port, configured as the inside one.
    const bool inside = r.side == Side::inside || r.one_arm;
    const uint16_t vlan = inside ? r.inside_vlan : r.outside_vlan;
    // A port with a VLAN takes only frames tagged with it; one without takes
    // only untagged frames, so a tagged frame never reaches another VLAN's host.
    const bool tagged = load_be16(frame + 12) == kEtherTypeVlan;
    if (tagged != (vlan != 0))
        return dropped(Verdict::drop_not_for_us);
    uint32_t l3 = kEtherHeaderLen;
    if (tagged) {
        if (len < kEtherHeaderLen + kVlanTagLen || (load_be16(frame + 14) & 0x0FFF) != vlan)
            return dropped(Verdict::drop_not_for_us);
        l3 += kVlanTagLen;
    }
    // Group addresses (broadcast ARP, multicast ND) are for every host on the link.
    const MacBytes& own = r.side == Side::inside ? r.inside_mac : r.outside_mac;
    const bool group = (frame[0] & 0x01) != 0;
    if (!group && std::memcmp(frame, own.data(), own.size()) != 0)
        return dropped(Verdict::drop_not_for_us);
    const uint16_t type = load_be16(frame + l3 - 2);
    if (type == kEtherTypeArp)
        return {FrameKind::arp, Verdict::forward, tagged, l3};
    // IPv6 arrives inside and IPv4 outside; the other family on a port is
    // someone else's traffic, never translated back the way it came.
    if (type == kEtherTypeIp6 && (r.one_arm || r.side == Side::inside)) {
        if (len - l3 < kIp6HeaderLen) [[unlikely]]
            return dropped(Verdict::drop_malformed);
        const uint8_t* dst = frame + l3 + 24;
        const bool local = dst[0] == 0xFF || std::memcmp(dst, r.own6.data(), 16) == 0 || is_link_local6(dst);
        return {local ? FrameKind::local6 : FrameKind::translate6, Verdict::forward, tagged, l3};
    }
    if (type == kEtherTypeIp4 && (r.one_arm || r.side == Side::outside)) {
        if (len - l3 < kIp4HeaderLen) [[unlikely]]
            return dropped(Verdict::drop_malformed);
        const Ip4 dst = load_be32(frame + l3 + 16);
        // The box's own address can be a pool address too (a one-address box):
        // then the 4to6 stage sorts its mappings from what its kernel keeps.
        const bool pool = r.pool(dst);
        if (dst == r.own4 && !pool)
            return {FrameKind::local4, Verdict::forward, tagged, l3};
        // Not ours: a promiscuous port sees its neighbours' traffic too.
        if (!pool)
            return dropped(Verdict::drop_not_for_us);
        return {FrameKind::translate4, Verdict::forward, tagged, l3};
    }
    return dropped(Verdict::drop_not_for_us);
}

} // namespace nat64d::xlate
