// The one list of what can happen to a packet, and what the box answers when it
// refuses one. Every outcome has a stable snake_case name: counters, nat64ctl,
// telemetry and Prometheus print exactly it, and the help text beside it feeds
// Prometheus HELP lines and `nat64ctl stats --explain`. It lives above xlate/
// because flow, fragment and I/O outcomes are here too; it is pure (no DPDK).
#pragma once
#include <array>
#include <cstdint>
#include <string_view>

namespace nat64d {

/// The ICMP answer a refusal gets, independent of the family: Worker::refuse()
/// picks the type and code of the refused packet's family (RFC 4443, RFC 792).
enum class IcmpReply : uint8_t {
    none,
    time_exceeded,        // v6 3/0, v4 11/0
    packet_too_big,       // v6 2/0 (MTU), v4 3/4 (next-hop MTU)
    param_problem,        // v6 4/0 (pointer), v4 12/0 (pointer)
    source_route_failed,  // v4 3/5 (RFC 7915 s4.1); nothing for v6
    port_unreachable,     // v6 1/4, v4 3/3
    admin_prohibited,     // v6 1/1, v4 3/13
    addr_unreachable,     // v6 1/3, v4 3/1
};

// X(name, icmp_reply, help): defined once, so the enum, the names, the replies
// and the help cannot drift apart. `forward`, `consumed` and `punted` are not drops.
#define NAT64D_VERDICTS(X)                                                                                        \
    X(forward, none, "translated, or answered by the box, and handed to the NIC")                                 \
    X(consumed, none, "ARP or neighbour discovery the box learned from and did not answer")                       \
    X(punted, none, "for the box's own stack: handed to its kernel interface (the exception path)")              \
    X(drop_malformed, none, "truncated header, inconsistent lengths or wrong IP version")                         \
    X(drop_ttl_expired, time_exceeded, "hop limit or TTL would reach 0 (RFC 7915 s4.1, s5.1)")                  \
    X(drop_ext_header, none, "an IPv6 extension header a translator may not skip (RFC 7915 s5.1)")              \
    X(drop_segments_left, param_problem, "IPv6 routing header with segments left != 0 (RFC 7915 s5.1)")         \
    X(drop_source_route, source_route_failed, "IPv4 with an unexpired source route option (RFC 7915 s4.1)")     \
    X(drop_unsupported_proto, none, "neither TCP, UDP nor ICMP: stateful NAT64 carries no other (RFC 6146 s1)") \
    X(drop_icmp_untranslatable, none, "ICMP type with no equivalent in the other family (RFC 7915 s4.2, s5.2)") \
    X(drop_icmp_error_in_error, none, "an ICMP error about an ICMP error (RFC 4443 s2.4(e), RFC 1812)")          \
    X(drop_packet_too_big, packet_too_big, "larger than the next-hop MTU and may not be fragmented")            \
    X(drop_non_global_dst, admin_prohibited, "well-known prefix to a non-global IPv4 address (RFC 6052 s3.1)")  \
    X(drop_non_global_src, none, "IPv4 source outside the global space the well-known prefix may carry (RFC 6052 s3.1)") \
    X(drop_bad_src6, none, "IPv6 source multicast, unspecified, loopback or link-local (RFC 4291, RFC 6146 s3.5)") \
    X(drop_bad_src4, none, "IPv4 source in 0/8, 127/8, multicast or broadcast (RFC 1812 s5.3.7)")               \
    X(drop_not_in_prefix, none, "IPv6 destination outside the NAT64 prefix")                                    \
    X(drop_no_mapping, none, "IPv4 packet (or ICMP error) with no session or mapping to belong to")             \
    X(drop_udp_no_mapping, port_unreachable, "UDP to a public port nobody holds (RFC 1122 s4.1.3.1)")           \
    X(drop_filtered, admin_prohibited, "address-dependent filtering refused it (RFC 6146 s3.5.2)")              \
    X(drop_incoming_syn_timeout, port_unreachable, "unsolicited IPv4 SYN answered by no IPv6 SYN in time (RFC 6146 s3.5.2.2)") \
    X(drop_incoming_syn_superseded, none, "held IPv4 SYN made moot by the IPv6 host's own SYN (RFC 6146 s3.5.2.2)") \
    X(drop_table_full, addr_unreachable, "flow table has no free entry (RFC 6146 s3.5.1.1)")                     \
    X(drop_ports_exhausted, addr_unreachable, "no free public port for this protocol (RFC 6146 s3.5.1.1)")       \
    X(drop_subscriber_sessions, admin_prohibited, "the subscriber holds limits.subscriber_sessions sessions (RFC 6888 REQ-4)") \
    X(drop_subscriber_ports, admin_prohibited, "the subscriber holds its limit of public ports of this protocol (RFC 6888 REQ-4)") \
    X(drop_subscriber_rate, admin_prohibited, "the subscriber opened limits.subscriber_new_sessions_per_s sessions this second") \
    X(drop_no_port_block, admin_prohibited, "deterministic NAT: the IPv6 source is outside pool.deterministic_prefix and has no port block (RFC 7422)") \
    X(drop_subscriber_table_full, none, "no room to track one more subscriber (limits.subscribers)")          \
    X(drop_flow_busy, none, "another worker was creating the same flow and did not finish in time")             \
    X(drop_fragment_no_state, none, "non-first fragment whose first fragment never came (RFC 6146 s3.4)")      \
    X(drop_fragment_cache_full, none, "fragment tracking cache is full")                                        \
    X(drop_fragment_overlap, none, "overlapping IPv6 fragments: the datagram is discarded (RFC 5722)")          \
    X(drop_fragment_size, param_problem, "non-last fragment not a multiple of 8 bytes (RFC 8200 s4.5)")         \
    X(drop_multiseg, none, "chained mbuf: not translated in place")                                             \
    X(drop_no_neighbour, none, "next hop did not answer ARP/NDP in time, or its hold queue was full")           \
    X(drop_not_for_us, none, "L2 destination, VLAN or L3 family not for this port")                             \
    X(drop_tx_full, none, "the NIC did not take it")                                                            \
    X(drop_no_mbuf, none, "mempool empty when a copy was needed")                                               \
    X(drop_bad_checksum, none, "a checksum we must verify did not verify (RFC 1812 s5.2.2)")                    \
    X(drop_no_headroom, none, "buffer lacks the room the 4to6 header growth needs")                             \
    X(drop_vlan_insert, none, "could not insert the port's 802.1Q tag")                                         \
    X(drop_udp_zero_checksum, none, "fragmented IPv4 UDP with checksum 0: cannot be computed (RFC 7915 s4.5)")  \
    X(drop_udp_zero_checksum6, none, "IPv6 UDP with checksum 0, which IPv6 forbids (RFC 8200 s8.1)")            \
    X(drop_udp_length, none, "UDP length below 8 or beyond the IP payload")                                     \
    X(drop_tcp_offset, none, "TCP data offset below 5 or beyond the packet")                                    \
    X(drop_not_client, none, "IPv6 source outside nat64.clients: the box is no open relay")                      \
    X(drop_punt_rate_limited, none, "for the box's own stack, over exception.punt_per_s")                        \
    X(drop_punt_full, none, "for the box's own stack, whose kernel interface did not take it")

enum class Verdict : uint8_t {
#define NAT64D_VERDICT_ENUM(name, reply, help) name,
    NAT64D_VERDICTS(NAT64D_VERDICT_ENUM)
#undef NAT64D_VERDICT_ENUM
};

inline constexpr std::array kVerdictNames = {
#define NAT64D_VERDICT_NAME(name, reply, help) std::string_view{#name},
    NAT64D_VERDICTS(NAT64D_VERDICT_NAME)
#undef NAT64D_VERDICT_NAME
};

inline constexpr std::array kVerdictReplies = {
#define NAT64D_VERDICT_REPLY(name, reply, help) IcmpReply::reply,
    NAT64D_VERDICTS(NAT64D_VERDICT_REPLY)
#undef NAT64D_VERDICT_REPLY
};

inline constexpr std::array kVerdictHelp = {
#define NAT64D_VERDICT_HELP(name, reply, help) std::string_view{help},
    NAT64D_VERDICTS(NAT64D_VERDICT_HELP)
#undef NAT64D_VERDICT_HELP
};

inline constexpr size_t kVerdictCount = kVerdictNames.size();
/// Verdicts from here on are drops; the first three are outcomes that are not.
inline constexpr size_t kFirstDropVerdict = 3;

constexpr std::string_view verdict_name(Verdict v) noexcept { return kVerdictNames[static_cast<size_t>(v)]; }
constexpr IcmpReply verdict_reply(Verdict v) noexcept { return kVerdictReplies[static_cast<size_t>(v)]; }
constexpr std::string_view verdict_help(Verdict v) noexcept { return kVerdictHelp[static_cast<size_t>(v)]; }

} // namespace nat64d
