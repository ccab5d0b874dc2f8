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
#include "dataplane/verdict.hpp"

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
    uint16_t problem_off = 0;        // a refusal answered with Parameter Problem: the field it points at
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
    uint16_t problem_off = 0;        // a refusal answered with Parameter Problem: the field it points at
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
/// Refusals: drop_malformed, drop_ext_header, drop_segments_left (problem_off
/// set), drop_unsupported_proto, drop_icmp_untranslatable,
/// drop_icmp_error_in_error, drop_bad_src6, drop_fragment_size (problem_off
/// set), drop_udp_length, drop_udp_zero_checksum6, drop_tcp_offset.
Verdict parse_6(const uint8_t* l3, uint32_t len, Parsed6& out) noexcept;

/// Parses an IPv4 packet (options allowed and skipped; an unexpired source route
/// option refuses with drop_source_route, RFC 7915 s4.1). Refusals besides the
/// shape ones: drop_bad_checksum, drop_bad_src4, drop_fragment_size
/// (problem_off set), drop_udp_length, drop_tcp_offset.
Verdict parse_4(const uint8_t* l3, uint32_t len, Parsed4& out) noexcept;

/// True for an IPv6 source a translator must never carry: multicast,
/// unspecified, loopback, link-local (RFC 4291 s2.5.2, s2.5.3, s2.5.6, s2.7).
bool is_bad_source6(const uint8_t* a) noexcept;
/// True for an IPv4 source no router forwards: 0/8, 127/8, 224/4 and up
/// (multicast, reserved, broadcast; RFC 1812 s5.3.7).
bool is_bad_source4(Ip4 a) noexcept;

/// Translates IPv6 to IPv4 in place (RFC 7915 s5). `outer` gives the IPv4
/// addresses and the new ports (or identifier, in `sport`). For an ICMPv6 error
/// `inner` gives the embedded packet's new addresses and ports; else it is unused.
/// pkt.l3 moves forward; pkt.len shrinks. Decrements the hop limit: a packet
/// that would leave with 0 is refused with drop_ttl_expired and left unchanged.
/// A result larger than cfg.mtu4 with DF to be set (over 1260 bytes and not a
/// fragment) is refused with drop_packet_too_big, unchanged; a smaller one is
/// translated with DF clear for the caller to fragment (needs_fragmentation_4).
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

/// What translate_6to4 / translate_4to6 would refuse for this packet's hop
/// limit, size or checksum rules, decided before the NAT opens any state for it
/// (a refused packet must not take a session or a port): forward,
/// drop_ttl_expired, drop_packet_too_big, drop_udp_zero_checksum (4to6).
Verdict precheck_6to4(const uint8_t* l3, const Parsed6& p, const XlateConfig& cfg) noexcept;
Verdict precheck_4to6(const uint8_t* l3, const Parsed4& p, const XlateConfig& cfg) noexcept;

/// translate_6to4 / translate_4to6 for a packet whose precheck_* said
/// forward (the worker asks before it opens state, and the packet has not
/// changed since): the same translation without deciding that twice.
Verdict translate_prechecked_6to4(PacketView& pkt, const Parsed6& p, const Rewrite4& outer,
                                  const Rewrite4& inner, const XlateConfig& cfg, uint16_t ip4_id) noexcept;
Verdict translate_prechecked_4to6(PacketView& pkt, const Parsed4& p, const Rewrite6& outer,
                                  const Rewrite6& inner, const XlateConfig& cfg) noexcept;

/// The MTU a Packet Too Big answering a refused 6to4 packet advertises: the
/// IPv4 link's plus 20, never below 1280 (RFC 8201 s4, RFC 7915 s5.1).
uint32_t refused_mtu_6to4(const XlateConfig& cfg) noexcept;
/// The next-hop MTU a Fragmentation Needed answering a refused 4to6 packet
/// advertises: the IPv6 link's minus 20 (RFC 7915 s4.1).
uint32_t refused_mtu_4to6(const XlateConfig& cfg) noexcept;

/// True when a translated IPv4 packet is larger than the IPv4 link carries; it
/// then has DF clear (precheck_6to4 refused the rest) and the caller splits it
/// with write_fragment_4.
bool needs_fragmentation_4(uint32_t ip4_len, const XlateConfig& cfg) noexcept;

/// True when a translated IPv6 packet must be split (DF was clear and it is
/// larger than cfg.lowest_ipv6_mtu).
bool needs_fragmentation_6(const Parsed4& p, uint32_t ip6_len, const XlateConfig& cfg) noexcept;

} // namespace nat64d::xlate
