// ICMP type/code, Parameter Problem pointer and Packet Too Big MTU mappings
// between ICMPv4 and ICMPv6 (RFC 7915 s4.2, s5.2, RFC 1191 s7). Internal to xlate.
#pragma once
#include "translate.hpp"

namespace nat64d::xlate {

/// The translated type and code; ok false when the message must be dropped.
/// Four-aligned so it is returned in a register built in a register: as a
/// 3-byte struct GCC 12 assembled it on the stack with byte stores and read
/// it back as a word, a failed store-forward (~10% of an ICMP error's
/// translation in xlate_bench, and paid by every ICMP packet's parse).
struct alignas(4) IcmpMapping {
    bool ok = false;
    uint8_t type = 0;
    uint8_t code = 0;
};

/// RFC 7915 s4.2: ICMPv4 type/code to ICMPv6 (queries and errors).
IcmpMapping map_icmp_type_4to6(uint8_t type, uint8_t code) noexcept;
/// RFC 7915 s5.2: ICMPv6 type/code to ICMPv4 (queries and errors).
IcmpMapping map_icmp_type_6to4(uint8_t type, uint8_t code) noexcept;

/// RFC 7915 s4.2 Figure 3: IPv4 Parameter Problem pointer to IPv6; false if n/a.
bool map_param_pointer_4to6(uint8_t ptr4, uint32_t& ptr6) noexcept;
/// RFC 7915 s5.2 Figure 6: IPv6 Parameter Problem pointer to IPv4; false if n/a.
bool map_param_pointer_6to4(uint32_t ptr6, uint8_t& ptr4) noexcept;

/// RFC 1191 s7: the greatest plateau below total_len (68 at the bottom).
uint32_t plateau_mtu(uint32_t total_len) noexcept;

/// RFC 7915 s4.2 / s6: ICMPv6 PTB MTU for an ICMPv4 Fragmentation Needed.
uint32_t ptb_mtu_4to6(uint32_t advertised, uint32_t quoted_total_len, const XlateConfig& cfg) noexcept;
/// RFC 7915 s5.2: ICMPv4 Fragmentation Needed MTU for an ICMPv6 PTB.
uint32_t ptb_mtu_6to4(uint32_t advertised, const XlateConfig& cfg) noexcept;

} // namespace nat64d::xlate
