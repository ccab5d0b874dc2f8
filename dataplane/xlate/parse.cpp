// Parsing IPv6 and IPv4 packets once into what the NAT and the translator need
// (RFC 7915 s4.1, s5.1 for what may be skipped; RFC 6146 s3.4/s3.5 for tuples).
#include <cstring>
#include <type_traits>

#include "icmp_map.hpp"
#include "internal.hpp"
#include "translate.hpp"

namespace nat64d::xlate {
namespace {

// IPv6 extension headers that RFC 7915 s5.1 does not let us skip.
constexpr uint8_t kProtoAh = 51;
constexpr uint8_t kProtoMobility = 135;
constexpr uint8_t kProtoHip = 139;
constexpr uint8_t kProtoShim6 = 140;
constexpr uint8_t kProtoExperiment1 = 253;
constexpr uint8_t kProtoExperiment2 = 254;
// A chain longer than this is an attack, not a packet worth translating.
constexpr int kMaxExtHeaders = 8;

// IPv4 options (RFC 791 s3.1).
constexpr uint8_t kOptEnd = 0;
constexpr uint8_t kOptNop = 1;
constexpr uint8_t kOptLsrr = 131;
constexpr uint8_t kOptSsrr = 137;
constexpr uint32_t kOptMinPointerLen = 3;

constexpr uint32_t kPortsLen = 4;     // source and destination port
constexpr uint32_t kUdpLenOff = 4;
constexpr uint32_t kUdpCsumOff = 6;
constexpr uint32_t kTcpOffsetOff = 12;
constexpr uint16_t kIp6PayloadLenOff = 4;   // RFC 8200 s4.5: Parameter Problem points here
constexpr uint16_t kIp4TotalLenOff = 2;
constexpr uint32_t kFragmentUnit = 8;       // fragment offsets count 8-byte units
constexpr uint32_t kIcmpIdEnd = 6;    // type, code, checksum, identifier
constexpr uint32_t kTcpFlagsOff = 13;

bool is_translated_proto6(uint8_t p) noexcept
{
    return p == kProtoTcp || p == kProtoUdp || p == kProtoIcmp6;
}
bool is_translated_proto4(uint8_t p) noexcept
{
    return p == kProtoTcp || p == kProtoUdp || p == kProtoIcmp4;
}

FragmentInfo frag_info_6(const uint8_t* fh) noexcept
{
    uint16_t off_m = load_be16(fh + 2);
    FragmentInfo f;
    f.is_fragment = true;
    f.more = (off_m & 1u) != 0;
    f.offset_bytes = static_cast<uint16_t>(off_m & ~7u);
    f.id = load_be32(fh + 4);
    return f;
}

// A TCP header whose data offset reaches past the bytes here cannot be
// translated (its options would be cut), nor can one below 5 words.
Verdict check_tcp(const uint8_t* l4, uint32_t rem) noexcept
{
    if (rem < kTcpMinHeaderLen)
        return Verdict::drop_malformed;
    const uint32_t header = (l4[kTcpOffsetOff] >> 4) * 4u;
    if (header < kTcpMinHeaderLen || header > rem)
        return Verdict::drop_tcp_offset;
    return Verdict::forward;
}

// The UDP length (RFC 768) covers the whole datagram: at least the header,
// and, unless this is the first fragment of several, no more than is here.
Verdict check_udp(const uint8_t* l4, uint32_t rem, bool fragment) noexcept
{
    if (rem < kUdpHeaderLen)
        return Verdict::drop_malformed;
    const uint32_t udp_len = load_be16(l4 + kUdpLenOff);
    if (udp_len < kUdpHeaderLen || (!fragment && udp_len > rem))
        return Verdict::drop_udp_length;
    return Verdict::forward;
}

// RFC 7915 s4.1: options are ignored, but an unexpired source route refuses
// the packet (the caller answers with ICMPv4 type 3 code 5).
Verdict check_ip4_options(const uint8_t* ip4, uint32_t ihl) noexcept
{
    uint32_t i = kIp4HeaderLen;
    while (i < ihl) {
        uint8_t type = ip4[i];
        if (type == kOptEnd)
            break;
        if (type == kOptNop) {
            ++i;
            continue;
        }
        if (i + 1 >= ihl)
            return Verdict::drop_malformed;
        uint32_t olen = ip4[i + 1];
        if (olen < 2 || i + olen > ihl)
            return Verdict::drop_malformed;
        if (type == kOptLsrr || type == kOptSsrr) {
            if (olen < kOptMinPointerLen)
                return Verdict::drop_malformed;
            if (ip4[i + 2] <= olen)   // RFC 791: pointer > length means the route is used up
                return Verdict::drop_source_route;
        }
        i += olen;
    }
    return Verdict::forward;
}

// The packet quoted in an ICMPv6 error: its tuple as written. It may be cut
// anywhere after its ports (RFC 4443 s2.4 (c)).
Verdict parse_inner_6(const uint8_t* ip6, uint32_t avail, Tuple6& t) noexcept
{
    if (avail < kIp6HeaderLen || (ip6[0] >> 4) != kIp6Version)
        return Verdict::drop_malformed;
    t.src = load_in6(ip6 + 8);
    t.dst = load_in6(ip6 + 24);
    Ext6 e;
    if (Verdict v = walk_ext_6(ip6, avail, e); v != Verdict::forward)
        return v;
    t.proto = e.proto;
    if (!is_translated_proto6(e.proto))
        return Verdict::drop_unsupported_proto;
    if (e.frag_off != 0 && (load_be16(ip6 + e.frag_off + 2) & ~7u) != 0)
        return Verdict::forward;   // a non-first fragment carries no ports
    const uint8_t* l4 = ip6 + e.l4_off;
    uint32_t rem = avail - e.l4_off;
    if (e.proto == kProtoIcmp6) {
        if (rem < 1)
            return Verdict::drop_malformed;
        if (l4[0] < kIcmp6FirstInfo)
            return Verdict::drop_icmp_error_in_error;   // RFC 7915 s5.2, RFC 4443 s2.4 (e)
        if (l4[0] != kIcmp6Echo && l4[0] != kIcmp6EchoReply)
            return Verdict::drop_icmp_untranslatable;
        if (rem < kIcmpIdEnd)
            return Verdict::drop_malformed;
        t.sport = t.dport = load_be16(l4 + 4);
        return Verdict::forward;
    }
    if (rem < kPortsLen)
        return Verdict::drop_malformed;
    t.sport = load_be16(l4);
    t.dport = load_be16(l4 + 2);
    return Verdict::forward;
}

Verdict parse_inner_4(const uint8_t* ip4, uint32_t avail, Tuple4& t) noexcept
{
    if (avail < kIp4HeaderLen || (ip4[0] >> 4) != kIp4Version)
        return Verdict::drop_malformed;
    uint32_t ihl = (ip4[0] & 0x0Fu) * 4;
    if (ihl < kIp4HeaderLen || ihl > avail || load_be16(ip4 + 2) < ihl)
        return Verdict::drop_malformed;
    t.src = load_be32(ip4 + 12);
    t.dst = load_be32(ip4 + 16);
    t.proto = ip4[9];
    if (!is_translated_proto4(t.proto))
        return Verdict::drop_unsupported_proto;
    if ((load_be16(ip4 + 6) & kIp4OffsetMask) != 0)
        return Verdict::forward;
    const uint8_t* l4 = ip4 + ihl;
    uint32_t rem = avail - ihl;
    if (t.proto == kProtoIcmp4) {
        if (rem < 1)
            return Verdict::drop_malformed;
        if (is_icmp4_error_type(l4[0]))
            return Verdict::drop_icmp_error_in_error;   // RFC 7915 s4.2, RFC 1812 s4.3.2.7
        if (l4[0] != kIcmp4Echo && l4[0] != kIcmp4EchoReply)
            return Verdict::drop_icmp_untranslatable;
        if (rem < kIcmpIdEnd)
            return Verdict::drop_malformed;
        t.sport = t.dport = load_be16(l4 + 4);
        return Verdict::forward;
    }
    if (rem < kPortsLen)
        return Verdict::drop_malformed;
    t.sport = load_be16(l4);
    t.dport = load_be16(l4 + 2);
    return Verdict::forward;
}

} // namespace

bool is_bad_source6(const uint8_t* a) noexcept
{
    if (a[0] == 0xFF)                                  // multicast
        return true;
    if (a[0] == 0xFE && (a[1] & 0xC0) == 0x80)         // link-local fe80::/10
        return true;
    for (int i = 0; i < 15; ++i)
        if (a[i] != 0)
            return false;
    return a[15] <= 1;                                 // :: and ::1
}

bool is_bad_source4(Ip4 a) noexcept
{
    const uint32_t first = a >> 24;
    return first == 0 || first == 127 || first >= 224;
}

Verdict walk_ext_6(const uint8_t* ip6, uint32_t end, Ext6& out) noexcept
{
    uint8_t nh = ip6[6];
    uint32_t off = kIp6HeaderLen;
    out = Ext6{};
    for (int n = 0; n < kMaxExtHeaders; ++n) {
        switch (nh) {
        case kProtoHopByHop:
            if (off != kIp6HeaderLen)   // RFC 8200 s4.1: only right after the base header
                return Verdict::drop_ext_header;
            [[fallthrough]];
        case kProtoDestOpts:
        case kProtoRouting: {
            if (off + 8 > end)
                return Verdict::drop_malformed;
            uint32_t hlen = (uint32_t{ip6[off + 1]} + 1) * 8;
            if (off + hlen > end)
                return Verdict::drop_malformed;
            // RFC 7915 s5.1: a routing header still in use names a next hop
            // beyond us; the caller answers with Parameter Problem.
            if (nh == kProtoRouting && ip6[off + 3] != 0) {
                out.problem_off = off + 3;
                return Verdict::drop_segments_left;
            }
            nh = ip6[off];
            off += hlen;
            break;
        }
        case kProtoFragment: {
            if (out.frag_off != 0 || off + kFragHeaderLen > end)
                return Verdict::drop_malformed;
            out.frag_off = off;
            bool first = (load_be16(ip6 + off + 2) & ~7u) == 0;
            nh = ip6[off];
            off += kFragHeaderLen;
            if (!first) {
                out.proto = nh;
                out.l4_off = off;
                return Verdict::forward;
            }
            break;
        }
        case kProtoAh:
        case kProtoMobility:
        case kProtoHip:
        case kProtoShim6:
        case kProtoExperiment1:
        case kProtoExperiment2:
            return Verdict::drop_ext_header;
        default:
            out.proto = nh;
            out.l4_off = off;
            return Verdict::forward;
        }
    }
    return Verdict::drop_ext_header;
}

Verdict parse_6(const uint8_t* l3, uint32_t len, Parsed6& out) noexcept
{
    // Copied from a zero object, not `out = Parsed6{}`: for its 104 bytes GCC
    // tuned for AMD Zen emits `rep stosq`, whose start-up took half of
    // parse_6's time over memif; a copy is a few vector moves.
    static_assert(std::is_trivially_copyable_v<Parsed6>);
    static constexpr Parsed6 kEmpty{};
    std::memcpy(&out, &kEmpty, sizeof out);
    if (len < kIp6HeaderLen || (l3[0] >> 4) != kIp6Version) [[unlikely]]
        return Verdict::drop_malformed;
    uint32_t plen = load_be16(l3 + 4);
    uint32_t total = kIp6HeaderLen + plen;
    // Payload length 0 is a jumbogram (RFC 2675): nothing IPv4 could carry.
    if (plen == 0 || total > len) [[unlikely]]
        return Verdict::drop_malformed;
    if (is_bad_source6(l3 + 8)) [[unlikely]]
        return Verdict::drop_bad_src6;
    out.tuple.src = load_in6(l3 + 8);
    out.tuple.dst = load_in6(l3 + 24);
    out.hop_limit = l3[7];

    Ext6 e;
    // Most packets carry no extension header: no walk for them.
    if (const uint8_t nh = l3[6]; nh == kProtoTcp || nh == kProtoUdp || nh == kProtoIcmp6) [[likely]] {
        e.proto = nh;
        e.l4_off = kIp6HeaderLen;
    } else if (Verdict v = walk_ext_6(l3, total, e); v != Verdict::forward) {
        out.problem_off = static_cast<uint16_t>(e.problem_off);
        return v;
    }
    out.tuple.proto = e.proto;
    out.l4_off = static_cast<uint16_t>(e.l4_off);
    out.frag_hdr_off = static_cast<uint16_t>(e.frag_off);
    if (e.frag_off != 0) {
        out.frag = frag_info_6(l3 + e.frag_off);
        // RFC 8200 s4.5: a fragment with more to come carries a multiple of 8 bytes.
        if (out.frag.more && (total - e.frag_off - kFragHeaderLen) % kFragmentUnit != 0) [[unlikely]] {
            out.problem_off = kIp6PayloadLenOff;
            return Verdict::drop_fragment_size;
        }
    }
    if (!is_translated_proto6(e.proto))
        return Verdict::drop_unsupported_proto;
    if (out.frag.offset_bytes != 0)
        return Verdict::forward;   // non-first fragment: no upper-layer header here

    const uint8_t* l4 = l3 + e.l4_off;
    uint32_t rem = total - e.l4_off;
    switch (e.proto) {
    case kProtoTcp:
        if (Verdict v = check_tcp(l4, rem); v != Verdict::forward)
            return v;
        out.tcp_flags = l4[kTcpFlagsOff];
        break;
    case kProtoUdp:
        if (Verdict v = check_udp(l4, rem, out.frag.is_fragment); v != Verdict::forward)
            return v;
        // RFC 8200 s8.1: IPv6 receivers discard UDP with checksum 0, so a
        // translator has nothing valid to carry (RFC 7915 s4.5 covers only
        // the IPv4 direction).
        if (load_be16(l4 + kUdpCsumOff) == 0)
            return Verdict::drop_udp_zero_checksum6;
        break;
    default: {   // ICMPv6
        if (rem < kIcmpHeaderLen)
            return Verdict::drop_malformed;
        out.icmp_type = l4[0];
        out.icmp_code = l4[1];
        // The ICMPv6 checksum covers a pseudo-header with the whole message's
        // length, which a first fragment does not tell: only whole messages
        // can be translated.
        if (out.frag.more)
            return Verdict::drop_icmp_untranslatable;
        if (!map_icmp_type_6to4(out.icmp_type, out.icmp_code).ok)
            return Verdict::drop_icmp_untranslatable;
        if (out.icmp_type >= kIcmp6FirstInfo) {
            out.icmp = IcmpKind::query;
            out.tuple.sport = out.tuple.dport = load_be16(l4 + 4);
            return Verdict::forward;
        }
        out.icmp = IcmpKind::error;
        out.inner_off = static_cast<uint16_t>(e.l4_off + kIcmpHeaderLen);
        return parse_inner_6(l4 + kIcmpHeaderLen, rem - kIcmpHeaderLen, out.inner);
    }
    }
    out.tuple.sport = load_be16(l4);
    out.tuple.dport = load_be16(l4 + 2);
    return Verdict::forward;
}

Verdict parse_4(const uint8_t* l3, uint32_t len, Parsed4& out) noexcept
{
    out = Parsed4{};
    if (len < kIp4HeaderLen || (l3[0] >> 4) != kIp4Version) [[unlikely]]
        return Verdict::drop_malformed;
    uint32_t ihl = (l3[0] & 0x0Fu) * 4;
    uint32_t total = load_be16(l3 + 2);
    if (ihl < kIp4HeaderLen || total < ihl || total > len) [[unlikely]]
        return Verdict::drop_malformed;
    // RFC 1812 s5.2.2: a router verifies the header checksum before forwarding.
    if (ip4_header_sum(l3, ihl) != 0xFFFF) [[unlikely]]
        return Verdict::drop_bad_checksum;
    if (ihl > kIp4HeaderLen) {
        if (Verdict v = check_ip4_options(l3, ihl); v != Verdict::forward)
            return v;
    }
    out.tuple.src = load_be32(l3 + 12);
    out.tuple.dst = load_be32(l3 + 16);
    if (is_bad_source4(out.tuple.src)) [[unlikely]]
        return Verdict::drop_bad_src4;
    out.tuple.proto = l3[9];
    out.ttl = l3[8];
    out.df = (load_be16(l3 + 6) & kIp4FlagDf) != 0;
    out.frag = frag_info_4(l3);
    out.l4_off = static_cast<uint16_t>(ihl);
    // RFC 791: every fragment but the last carries a multiple of 8 bytes.
    if (out.frag.more && (total - ihl) % kFragmentUnit != 0) [[unlikely]] {
        out.problem_off = kIp4TotalLenOff;
        return Verdict::drop_fragment_size;
    }
    if (!is_translated_proto4(out.tuple.proto))
        return Verdict::drop_unsupported_proto;
    if (out.frag.offset_bytes != 0)
        return Verdict::forward;

    const uint8_t* l4 = l3 + ihl;
    uint32_t rem = total - ihl;
    switch (out.tuple.proto) {
    case kProtoTcp:
        if (Verdict v = check_tcp(l4, rem); v != Verdict::forward)
            return v;
        out.tcp_flags = l4[kTcpFlagsOff];
        break;
    case kProtoUdp:
        if (Verdict v = check_udp(l4, rem, out.frag.is_fragment); v != Verdict::forward)
            return v;
        break;
    default: {   // ICMPv4
        if (rem < kIcmpHeaderLen)
            return Verdict::drop_malformed;
        out.icmp_type = l4[0];
        out.icmp_code = l4[1];
        // ICMPv6 adds a pseudo-header with the whole message length (RFC 4443
        // s2.3), unknown from a first fragment.
        if (out.frag.more)
            return Verdict::drop_icmp_untranslatable;
        if (!map_icmp_type_4to6(out.icmp_type, out.icmp_code).ok)
            return Verdict::drop_icmp_untranslatable;
        if (!is_icmp4_error_type(out.icmp_type)) {
            out.icmp = IcmpKind::query;
            out.tuple.sport = out.tuple.dport = load_be16(l4 + 4);
            return Verdict::forward;
        }
        out.icmp = IcmpKind::error;
        out.inner_off = static_cast<uint16_t>(ihl + kIcmpHeaderLen);
        return parse_inner_4(l4 + kIcmpHeaderLen, rem - kIcmpHeaderLen, out.inner);
    }
    }
    out.tuple.sport = load_be16(l4);
    out.tuple.dport = load_be16(l4 + 2);
    return Verdict::forward;
}

} // namespace nat64d::xlate
