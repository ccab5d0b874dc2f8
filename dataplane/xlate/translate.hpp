// The translator's whole public API: parse a packet once, let the NAT decide
// addresses and ports, then rewrite the packet in place (RFC 7915).
//
// Ports and ICMP identifiers: an ICMP query's identifier is treated as a port
// (RFC 6146 s3.5.3). Parsing reports it as both sport and dport. When
// rewriting, the identifier takes the port of the IPv6 host's side: `sport` in a
// packet that travels 6to4, `dport` in a packet that travels 4to6. An ICMP error's
// embedded packet travels the other way from its outer packet, so the same rule
// applies to it with the directions swapped.
#pragma once
#include "bytes.hpp"
#include "packet_view.hpp"
#include "rfc6052.hpp"
#include "verdict.hpp"

namespace nat64d::xlate {

enum class IcmpKind : uint8_t { none, query, error };

/// The transport identity of a packet: what the NAT looks up.
struct Tuple6 {
    In6 src{}, dst{};
    uint16_t sport = 0, dport = 0;   // host order; ICMP query: both = identifier
    uint8_t proto = 0;               // kProtoTcp, kProtoUdp, kProtoIcmp6
};
struct Tuple4 {
    Ip4 src = 0, dst = 0;
    uint16_t sport = 0, dport = 0;
    uint8_t proto = 0;               // kProtoTcp, kProtoUdp, kProtoIcmp4
};

struct FragmentInfo {
    bool is_fragment = false;        // a fragment header (v6) or MF/offset (v4)
    bool more = false;               // MF
    uint16_t offset_bytes = 0;       // fragment offset in bytes
    uint32_t id = 0;                 // v6: 32-bit identification; v4: 16-bit ID
};

struct Parsed6 {
    Tuple6 tuple;                    // ports valid only when !frag.is_fragment || frag.offset_bytes == 0
    FragmentInfo frag;
    uint16_t l4_off = 0;             // from l3 to the upper-layer header
    uint16_t frag_hdr_off = 0;       // from l3 to the fragment header, 0 if none
    uint8_t hop_limit = 0;
    uint8_t tcp_flags = 0;           // first fragment of TCP only
    IcmpKind icmp = IcmpKind::none;
    uint8_t icmp_type = 0, icmp_code = 0;
    Tuple6 inner;                    // ICMP error: the embedded packet's tuple as written
    uint16_t inner_off = 0;          // ICMP error: from l3 to the embedded IPv6 header
};

struct Parsed4 {
    Tuple4 tuple;
    FragmentInfo frag;
    uint16_t l4_off = 0;             // IHL * 4
    uint8_t ttl = 0;
    bool df = false;
    uint8_t tcp_flags = 0;
    IcmpKind icmp = IcmpKind::none;
    uint8_t icmp_type = 0, icmp_code = 0;
    Tuple4 inner;
    uint16_t inner_off = 0;
};

/// What the translated packet gets. Host order; In6 in network order.
struct Rewrite4 {
    Ip4 src = 0, dst = 0;
    uint16_t sport = 0, dport = 0;
};
struct Rewrite6 {
    In6 src{}, dst{};
    uint16_t sport = 0, dport = 0;
};

/// Per-box settings the translation rules depend on (RFC 7915 s4, s5).
struct XlateConfig {
    uint32_t mtu4 = 1500;            // IPv4 next-hop MTU (outside)
    uint32_t mtu6 = 1500;            // IPv6 next-hop MTU (inside)
    uint32_t lowest_ipv6_mtu = 1280; // RFC 7915 s4.1 "lowest-ipv6-mtu"
};

/// Parses an IPv6 packet: validates lengths, walks extension headers (hop-by-hop,
/// destination options and routing with segments left 0 are skipped; others
/// refused, RFC 7915 s5.1), reads ports / ICMP fields and, for ICMPv6 errors,
/// the embedded packet's tuple (which may be truncated after its ports).
/// Refusals: drop_malformed, drop_ext_header, drop_segments_left,
/// drop_unsupported_proto, drop_icmp_untranslatable, drop_icmp_error_in_error.
Verdict parse_6(const uint8_t* l3, uint32_t len, Parsed6& out) noexcept;

/// Parses an IPv4 packet (options allowed and skipped; an unexpired source route
/// option refuses with drop_source_route, RFC 7915 s4.1).
Verdict parse_4(const uint8_t* l3, uint32_t len, Parsed4& out) noexcept;

/// Translates IPv6 to IPv4 in place (RFC 7915 s5). `outer` gives the IPv4
/// addresses and the new ports (or identifier, in `sport`). For an ICMPv6 error
/// `inner` gives the embedded packet's new addresses and ports; else it is unused.
/// pkt.l3 moves forward; pkt.len shrinks. Decrements the hop limit: a packet
/// that would leave with 0 is refused with drop_ttl_expired and left unchanged.
/// A result larger than cfg.mtu4 is refused with drop_packet_too_big, unchanged.
/// ip4_id: the identification to use when the result has DF clear.
Verdict translate_6to4(PacketView& pkt, const Parsed6& p, const Rewrite4& outer,
                       const Rewrite4& inner, const XlateConfig& cfg, uint16_t ip4_id) noexcept;

/// Translates IPv4 to IPv6 in place (RFC 7915 s4). Needs 20 bytes of headroom
/// (28 for a fragment, 40/48 for an ICMP error whose embedded packet grows too).
/// The identifier of an ICMP query takes outer.dport. A result larger than
/// cfg.mtu6 with DF set is refused with drop_packet_too_big, unchanged. With DF
/// clear a result larger than cfg.lowest_ipv6_mtu is still translated whole;
/// the caller splits it with split_fragments_6 (RFC 7915 s4.1).
Verdict translate_4to6(PacketView& pkt, const Parsed4& p, const Rewrite6& outer,
                       const Rewrite6& inner, const XlateConfig& cfg) noexcept;

/// True when a translated IPv6 packet must be split (DF was clear and it is
/// larger than cfg.lowest_ipv6_mtu).
bool needs_fragmentation_6(const Parsed4& p, uint32_t ip6_len, const XlateConfig& cfg) noexcept;

} // namespace nat64d::xlate
