// The box's own link-layer and ping traffic as bytes: ARP requests and replies
// (RFC 826), neighbour solicitations and advertisements (RFC 4861 s4.3, s4.4,
// s7.2), echo replies (RFC 792, RFC 4443 s4.2). Pure: the worker owns the
// buffers and decides when to send; these only read and write bytes.
#pragma once
#include <array>

#include "bytes.hpp"
#include "dataplane/verdict.hpp"

namespace nat64d::xlate {

using MacBytes = std::array<uint8_t, 6>;

inline constexpr uint32_t kArpLen = 28;                          // ARP for IPv4 over Ethernet
inline constexpr uint32_t kArpFrameLen = kEtherHeaderLen + kArpLen;
inline constexpr uint32_t kNdLen = 24 + 8;                       // NS/NA with one link-layer option
inline constexpr uint32_t kNsFrameLen = kEtherHeaderLen + kIp6HeaderLen + kNdLen;
inline constexpr uint8_t kIcmp6Ns = 135;
inline constexpr uint8_t kIcmp6Na = 136;

/// Writes an Ethernet header.
void write_ether(uint8_t* eth, const MacBytes& dst, const MacBytes& src, uint16_t type) noexcept;

/// An ARP packet for IPv4 over Ethernet, as read from a frame.
struct ArpMessage {
    uint16_t op = 0;          // 1 request, 2 reply
    MacBytes sender_mac{};
    Ip4 sender = 0;
    Ip4 target = 0;
};
/// Reads the ARP packet after the Ethernet header at frame. false: not ARP for
/// IPv4 over Ethernet, or too short.
bool parse_arp(const uint8_t* frame, uint32_t len, ArpMessage& out) noexcept;
/// Writes a broadcast who-has for target (kArpFrameLen bytes).
void build_arp_request(uint8_t* frame, const MacBytes& own_mac, Ip4 own_ip, Ip4 target) noexcept;
/// Turns the request in frame (kArpFrameLen bytes at least) into the reply
/// saying target is at own_mac, addressed to the requester. In place.
void answer_arp_request(uint8_t* frame, const ArpMessage& request, const MacBytes& own_mac) noexcept;

/// What a neighbour solicitation or advertisement says.
struct NdMessage {
    uint8_t type = 0;         // kIcmp6Ns or kIcmp6Na
    In6 target{};
    bool has_link_addr = false;
    MacBytes link_addr{};     // NS: source link-layer option; NA: target link-layer option
};
/// Reads an NS or NA (RFC 4861 s4.3, s4.4) in the IPv6 packet at ip6 (len bytes):
/// hop limit 255, ICMPv6 code 0, checksum valid, options well formed (s7.1.1).
bool parse_nd(const uint8_t* ip6, uint32_t len, NdMessage& out) noexcept;
/// Writes a neighbour solicitation for target to its solicited-node group
/// (kNsFrameLen bytes, Ethernet included).
void build_neighbour_solicit(uint8_t* frame, const MacBytes& own_mac, const In6& own_ip, const In6& target) noexcept;
/// Writes into ip6 (room for kIp6HeaderLen + kNdLen bytes) the advertisement
/// answering a solicitation from `solicitor` (unspecified for duplicate address
/// detection: then to all-nodes, not solicited, RFC 4861 s7.2.4). Returns the
/// IPv6 length. dst_mac gets the Ethernet destination to use.
uint32_t build_neighbour_advert(uint8_t* ip6, const MacBytes& own_mac, const In6& own_ip, const In6& solicitor,
                                const MacBytes& solicitor_mac, MacBytes& dst_mac) noexcept;

/// Turns the ICMPv6 echo request at ip6 (len bytes) into the reply from `own`
/// to its sender, in place; the length stays. forward, or why not:
/// drop_not_for_us (not an echo request), drop_malformed, drop_bad_checksum.
Verdict answer_echo6(uint8_t* ip6, uint32_t len, const In6& own) noexcept;
/// The same for an ICMPv4 echo request: swapped addresses, a fresh TTL.
Verdict answer_echo4(uint8_t* ip4, uint32_t len) noexcept;

} // namespace nat64d::xlate
