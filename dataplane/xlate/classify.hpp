// The worker's first look at a received frame: does this port take it, and is
// it ARP, the box's own IPv6 or IPv4, or traffic to translate. Bytes in, a
// decision out, so the rules every frame from either side meets are unit
// tested and fuzzed without DPDK; the worker applies the decision to its mbuf
// (strips the tag, moves past the Ethernet header).
#pragma once
#include <cstdint>
#include <cstring>
#include <span>

#include "bytes.hpp"
#include "local_reply.hpp"
#include "dataplane/verdict.hpp"

namespace nat64d::xlate {

enum class Side : uint8_t { inside, outside };

inline constexpr uint32_t kVlanTagLen = 4;   // 802.1Q: TPID is the EtherType, then the TCI

/// Is an IPv4 address one of the pool's, and at which index? Asked through a
/// function and its context because the pool's storage is the caller's (it may
/// grow at runtime). The index goes on with the frame, so the 4to6 stage does
/// not search the pool a second time for the same address.
struct PoolTest {
    bool (*contains)(const void* ctx, Ip4 a, uint32_t& index) noexcept = nullptr;
    const void* ctx = nullptr;   // handed to contains as it is

    bool operator()(Ip4 a, uint32_t& index) const noexcept { return contains != nullptr && contains(ctx, a, index); }
};

/// A pool held as addresses sorted ascending, indexed by position; pool must
/// outlive the test.
PoolTest sorted_pool(const std::span<const Ip4>& pool) noexcept;

/// What the box is on the port a frame arrived on.
struct FrameRules {
    Side side = Side::inside;
    // One port carries both families, with the inside port's VLAN.
    bool one_arm = false;
    uint16_t inside_vlan = 0, outside_vlan = 0;   // 802.1Q VID; 0: untagged
    MacBytes inside_mac{}, outside_mac{};
    In6 own6{};                                   // the box's inside address
    Ip4 own4 = 0;                                 // the box's outside address
    PoolTest pool;
};

enum class FrameKind : uint8_t {
    drop,         // FrameClass::why says why
    arp,          // RFC 826, either side: the ARP body is the caller's to check
    local6,       // for the box: multicast, its own address, link-local
    translate6,   // IPv6 to translate (6to4)
    local4,       // for the box: its own address where that is no pool address
    translate4,   // IPv4 to a pool address (4to6)
};

struct FrameClass {
    FrameKind kind = FrameKind::drop;
    Verdict why = Verdict::forward;   // drop: drop_multiseg, drop_malformed or drop_not_for_us
    bool strip_vlan = false;          // tagged with the port's VID; the tag goes before anything else
    uint32_t l3_offset = 0;           // from the frame's first byte (tag included) to the ARP or IP header
    uint32_t pool_index = 0;          // translate4: the pool's index of the destination (PoolTest)
};

/// fe80::/10 (RFC 4291 s2.5.6): never forwarded, so always the box's own.
inline bool is_link_local6(const uint8_t* a) noexcept { return a[0] == 0xFE && (a[1] & 0xC0) == 0x80; }

/// The smallest header a kind promises at l3_offset: a frame classified so
/// holds at least l3_offset + this many bytes.
constexpr uint32_t min_l3_len(FrameKind k) noexcept
{
    switch (k) {
    case FrameKind::local6:
    case FrameKind::translate6:
        return kIp6HeaderLen;
    case FrameKind::local4:
    case FrameKind::translate4:
        return kIp4HeaderLen;
    case FrameKind::drop:
    case FrameKind::arp:
        break;
    }
    return 0;
}

constexpr FrameClass classify_drop(Verdict why) noexcept { return {FrameKind::drop, why, false, 0, 0}; }

/// Classifies the len bytes at frame (an mbuf's first segment; chained: more
/// segments follow, which the in-place translation cannot handle). Reads only.
/// Inline: it runs on every received frame, inside the worker's burst loop.
/// The order of the checks is the order of the drop reasons a frame can get:
/// the first rule it breaks names it.
inline FrameClass classify_frame(const uint8_t* frame, uint32_t len, bool chained, const FrameRules& r) noexcept
{
    if (chained) [[unlikely]]
        return classify_drop(Verdict::drop_multiseg);
    if (len < kEtherHeaderLen) [[unlikely]]
        return classify_drop(Verdict::drop_malformed);
    // A one-arm box has one port, configured as the inside one.
    const bool inside = r.side == Side::inside || r.one_arm;
    const uint16_t vlan = inside ? r.inside_vlan : r.outside_vlan;
    // A port with a VLAN takes only frames tagged with it; one without takes
    // only untagged frames, so a tagged frame never reaches another VLAN's host.
    const bool tagged = load_be16(frame + 12) == kEtherTypeVlan;
    if (tagged != (vlan != 0))
        return classify_drop(Verdict::drop_not_for_us);
    uint32_t l3 = kEtherHeaderLen;
    if (tagged) {
        if (len < kEtherHeaderLen + kVlanTagLen || (load_be16(frame + 14) & 0x0FFF) != vlan)
            return classify_drop(Verdict::drop_not_for_us);
        l3 += kVlanTagLen;
    }
    // Group addresses (broadcast ARP, multicast ND) are for every host on the link.
    const MacBytes& own = r.side == Side::inside ? r.inside_mac : r.outside_mac;
    const bool group = (frame[0] & 0x01) != 0;
    if (!group && std::memcmp(frame, own.data(), own.size()) != 0)
        return classify_drop(Verdict::drop_not_for_us);
    const uint16_t type = load_be16(frame + l3 - 2);
    if (type == kEtherTypeArp)
        return {FrameKind::arp, Verdict::forward, tagged, l3, 0};
    // IPv6 arrives inside and IPv4 outside; the other family on a port is
    // someone else's traffic, never translated back the way it came.
    if (type == kEtherTypeIp6 && (r.one_arm || r.side == Side::inside)) {
        if (len - l3 < kIp6HeaderLen) [[unlikely]]
            return classify_drop(Verdict::drop_malformed);
        const uint8_t* dst = frame + l3 + 24;
        const bool local = dst[0] == 0xFF || std::memcmp(dst, r.own6.data(), 16) == 0 || is_link_local6(dst);
        return {local ? FrameKind::local6 : FrameKind::translate6, Verdict::forward, tagged, l3, 0};
    }
    if (type == kEtherTypeIp4 && (r.one_arm || r.side == Side::outside)) {
        if (len - l3 < kIp4HeaderLen) [[unlikely]]
            return classify_drop(Verdict::drop_malformed);
        const Ip4 dst = load_be32(frame + l3 + 16);
        // The box's own address can be a pool address too (a one-address box):
        // then the 4to6 stage sorts its mappings from what its kernel keeps.
        uint32_t pool_index = 0;
        const bool pool = r.pool(dst, pool_index);
        if (dst == r.own4 && !pool)
            return {FrameKind::local4, Verdict::forward, tagged, l3, 0};
        // Not ours: a promiscuous port sees its neighbours' traffic too.
        if (!pool)
            return classify_drop(Verdict::drop_not_for_us);
        return {FrameKind::translate4, Verdict::forward, tagged, l3, pool_index};
    }
    return classify_drop(Verdict::drop_not_for_us);
}

} // namespace nat64d::xlate
