// IPv4 -> IPv6 translation in place (RFC 7915 s4): header, fragment header,
// transport checksums (RFC 1624 incremental; full for UDP checksum 0, s4.5),
// ICMPv4 -> ICMPv6 including the embedded packet (s4.2, s4.3).
#include <algorithm>

#include "icmp_map.hpp"
#include "internal.hpp"
#include "translate.hpp"

namespace nat64d::xlate {
namespace {

constexpr uint32_t kTcpCsumOff = 16;
constexpr uint32_t kUdpCsumOff = 6;
constexpr uint32_t kIcmpCsumOff = 2;
constexpr uint32_t kIcmpIdOff = 4;
constexpr uint32_t kIcmpMtuOff = 6;
constexpr uint32_t kIcmpPointerOff = 4;
// RFC 7915 s4.2: Protocol Unreachable becomes Parameter Problem pointing at
// the IPv6 Next Header field.
constexpr uint32_t kIp6NextHeaderOff = 6;

uint8_t map_proto_4to6(uint8_t proto) noexcept
{
    return proto == kProtoIcmp4 ? kProtoIcmp6 : proto;
}

uint32_t addr_sum6(const Rewrite6& r) noexcept
{
    return csum_fold_in6_pair(r.src.data(), r.dst.data());
}

// Inlined: the TCP/UDP path of every translation, where a call chain
// (translate -> rewrite_l4 -> rewrite_ports) spilled registers twice a packet.
[[gnu::always_inline]] inline void rewrite_ports_4to6(uint8_t* l4, uint32_t avail, uint32_t csum_off,
                                                      bool udp, const uint8_t* ip4, const Rewrite6& r) noexcept
{
    uint32_t old_sum = csum_add32(csum_add32(0, load_be32(ip4 + 12)), load_be32(ip4 + 16));
    uint32_t new_sum = addr_sum6(r);
    if (avail >= 4) {
        old_sum += load_be16(l4) + load_be16(l4 + 2);
        new_sum += r.sport + r.dport;
        store_be16(l4, r.sport);
        store_be16(l4 + 2, r.dport);
    }
    if (avail < csum_off + 2)
        return;
    uint16_t cs = load_be16(l4 + csum_off);
    if (udp && cs == 0)
        return;   // computed by the caller where it can be (s4.5)
    cs = csum_update_sums(cs, old_sum, new_sum);
    if (udp && cs == 0)
        cs = 0xFFFF;   // RFC 768 / RFC 8200 s8.1: 0 is not a valid IPv6 UDP checksum
    store_be16(l4 + csum_off, cs);
}

// s4.5: an IPv4 UDP datagram without a checksum gets one computed over the
// whole datagram. Out of line: the byte loop's vector code gave every
// translation a 64-byte aligned stack frame (xlate_bench, objdump).
[[gnu::noinline]] void rewrite_udp_zero_checksum_4to6(uint8_t* l4, uint32_t ul_len, const Rewrite6& r) noexcept
{
    store_be16(l4, r.sport);
    store_be16(l4 + 2, r.dport);
    const uint32_t sum = pseudo_sum6(r.src.data(), r.dst.data(), ul_len, kProtoUdp);
    const uint16_t cs = csum_finish(csum_add_bytes(sum, l4, ul_len));
    store_be16(l4 + kUdpCsumOff, cs == 0 ? uint16_t{0xFFFF} : cs);   // RFC 768: 0 means none
}

// ICMPv4 echo -> ICMPv6 echo: new type and identifier, and the IPv6
// pseudo-header enters the checksum (RFC 4443 s2.3).
void rewrite_echo_4to6(uint8_t* l4, uint32_t avail, const Rewrite6& r, uint32_t ul_len,
                       uint16_t new_id) noexcept
{
    uint8_t type6 = l4[0] == kIcmp4Echo ? kIcmp6Echo : kIcmp6EchoReply;
    uint32_t old_sum = uint32_t{l4[0]} << 8;
    uint32_t new_sum = pseudo_sum6(r.src.data(), r.dst.data(), ul_len, kProtoIcmp6) +
                       (uint32_t{type6} << 8);
    l4[0] = type6;
    if (avail >= kIcmpIdOff + 2) {
        old_sum += load_be16(l4 + kIcmpIdOff);
        new_sum += new_id;
        store_be16(l4 + kIcmpIdOff, new_id);
    }
    if (avail >= kIcmpCsumOff + 2)
        csum_patch(l4 + kIcmpCsumOff, csum_fold(old_sum), csum_fold(new_sum));
}

[[gnu::always_inline]] inline void rewrite_l4_4to6(uint8_t* l4, uint32_t avail, uint32_t ul_len,
                                                   uint8_t proto, const uint8_t* ip4, const Rewrite6& r,
                                                   uint16_t echo_id) noexcept
{
    switch (proto) {
    case kProtoTcp:
        rewrite_ports_4to6(l4, avail, kTcpCsumOff, false, ip4, r);
        break;
    case kProtoUdp:
        rewrite_ports_4to6(l4, avail, kUdpCsumOff, true, ip4, r);
        break;
    default:
        rewrite_echo_4to6(l4, avail, r, ul_len, echo_id);
        break;
    }
}

/// IPv4 header fields a translated IPv6 header needs, read before the new
/// header overwrites them.
struct Ip4Fields {
    uint8_t tos, ttl, proto;
    FragmentInfo frag;
};

// A packet quoted in an ICMP error, which parse_4 looked at only for its tuple.
Ip4Fields read_ip4(const uint8_t* ip4) noexcept
{
    return {ip4[1], ip4[8], ip4[9], frag_info_4(ip4)};
}

// The packet itself: parse_4 has read all but the traffic class already.
Ip4Fields outer_fields(const uint8_t* ip4, const Parsed4& p) noexcept
{
    return {ip4[1], p.ttl, p.tuple.proto, p.frag};
}

// Writes the IPv6 header (and a fragment header for an IPv4 fragment, s4.1)
// ending at `end`; returns where it starts.
uint8_t* write_headers_4to6(uint8_t* end, const Ip4Fields& f, uint32_t ul_len, uint8_t hop,
                            const Rewrite6& r) noexcept
{
    const uint8_t nh = map_proto_4to6(f.proto);
    if (f.frag.is_fragment) {
        uint8_t* h = end - kFragHeaderLen - kIp6HeaderLen;
        write_ip6_header(h, f.tos, ul_len + kFragHeaderLen, kProtoFragment, hop, r.src, r.dst);
        // s4.1: identification = the IPv4 ID in the low-order 16 bits.
        write_frag_header(h + kIp6HeaderLen, nh, f.frag.offset_bytes, f.frag.more, f.frag.id);
        return h;
    }
    uint8_t* h = end - kIp6HeaderLen;
    write_ip6_header(h, f.tos, ul_len, nh, hop, r.src, r.dst);
    return h;
}

// Out of line, as its 6to4 twin: its vector checksum loop would otherwise make
// every translation pay for an aligned stack frame.
[[gnu::noinline]] Verdict translate_icmp_error_4to6(PacketView& pkt, const Parsed4& p, const Rewrite6& outer,
                                                    const Rewrite6& inner, const XlateConfig& cfg) noexcept
{
    uint8_t* l3 = pkt.l3;
    const uint32_t total4 = load_be16(l3 + 2);
    uint8_t* icmp = l3 + p.l4_off;
    const uint32_t msg_len = total4 - p.l4_off;
    // We recompute the checksum below; verify first so a corrupted error does
    // not leave here looking valid.
    if (csum_fold(csum_add_bytes(0, icmp, msg_len)) != 0xFFFF)
        return Verdict::drop_bad_checksum;

    uint8_t* in4 = l3 + p.inner_off;
    const uint32_t avail = total4 - p.inner_off;
    const uint32_t in_ihl = (in4[0] & 0x0Fu) * 4;
    const uint32_t in_total4 = load_be16(in4 + 2);

    const IcmpMapping m = map_icmp_type_4to6(icmp[0], icmp[1]);
    if (!m.ok)
        return Verdict::drop_icmp_untranslatable;
    uint32_t rest = 0;   // the 4 bytes after the ICMPv6 checksum
    if (m.type == kIcmp6PacketTooBig) {
        rest = ptb_mtu_4to6(load_be16(icmp + kIcmpMtuOff), in_total4, cfg);
    } else if (m.type == kIcmp6ParamProblem) {
        if (icmp[0] == kIcmp4DestUnreach) {
            rest = kIp6NextHeaderOff;
        } else if (!map_param_pointer_4to6(icmp[kIcmpPointerOff], rest)) {
            return Verdict::drop_icmp_untranslatable;
        }
    }

    const Ip4Fields in_f = read_ip4(in4);
    uint8_t* in_l4 = in4 + in_ihl;
    const uint32_t in_l4_avail = avail - in_ihl;
    const uint32_t in_ul_len = in_total4 - in_ihl;
    const uint32_t in_hdr6 = kIp6HeaderLen + (in_f.frag.is_fragment ? kFragHeaderLen : 0);
    const uint32_t new_headers = kIp6HeaderLen + kIcmpHeaderLen + in_hdr6;
    const uint32_t old_headers = p.inner_off + in_ihl;
    if (new_headers > old_headers && new_headers - old_headers > pkt.headroom)
        return Verdict::drop_no_headroom;
    if (in_f.frag.offset_bytes == 0) {
        // The embedded packet travelled 6to4: its identifier is the IPv6 side's, sport.
        rewrite_l4_4to6(in_l4, in_l4_avail, in_ul_len, in_f.proto, in4, inner, inner.sport);
    }
    const uint8_t out_tc = l3[1];
    const uint8_t out_hop = static_cast<uint8_t>(p.ttl - 1);


    // Only headers are written, back to front from the embedded transport
    // header, so the quoted data never moves.
    uint8_t* out = in_l4 - new_headers;
    uint32_t total6 = new_headers + in_l4_avail;
    // RFC 4443 s2.4 (c): an ICMPv6 error fits in the minimum IPv6 MTU.
    total6 = std::min({total6, kIp6MinMtu, cfg.mtu6});

    write_headers_4to6(in_l4, in_f, in_ul_len, in_f.ttl, inner);
    uint8_t* icmp6 = out + kIp6HeaderLen;
    icmp6[0] = m.type;
    icmp6[1] = m.code;
    store_be16(icmp6 + kIcmpCsumOff, 0);
    store_be32(icmp6 + 4, rest);
    const uint32_t icmp_len = total6 - kIp6HeaderLen;
    uint32_t sum = pseudo_sum6(outer.src.data(), outer.dst.data(), icmp_len, kProtoIcmp6);
    store_be16(icmp6 + kIcmpCsumOff, csum_finish(csum_add_bytes(sum, icmp6, icmp_len)));
    write_ip6_header(out, out_tc, icmp_len, kProtoIcmp6, out_hop, outer.src, outer.dst);
    move_view(pkt, out, total6);
    return Verdict::forward;
}

} // namespace

Verdict precheck_4to6(const uint8_t* l3, const Parsed4& p, const XlateConfig& cfg) noexcept
{
    // RFC 7915 s4.1: the translator is a router and decrements the TTL; a packet
    // that would leave with 0 stays unchanged for the caller's Time Exceeded.
    if (p.ttl <= 1) [[unlikely]]
        return Verdict::drop_ttl_expired;
    if (p.icmp == IcmpKind::error)
        return Verdict::forward;   // cut to fit (RFC 4443 s2.4 (c))
    const uint32_t ul_len = load_be16(l3 + 2) - p.l4_off;
    const uint32_t total6 = kIp6HeaderLen + (p.frag.is_fragment ? kFragHeaderLen : 0) + ul_len;
    // s4.1: with DF set the sender does path MTU discovery; it gets Fragmentation
    // Needed from the caller. With DF clear the caller fragments (needs_fragmentation_6).
    if (p.df && total6 > cfg.mtu6) [[unlikely]]
        return Verdict::drop_packet_too_big;
    // s4.5: a UDP checksum is mandatory in IPv6. It can only be computed over a
    // whole datagram; a fragmented one is dropped.
    if (p.tuple.proto == kProtoUdp && p.frag.offset_bytes == 0 && p.frag.more &&
        load_be16(l3 + p.l4_off + kUdpCsumOff) == 0) [[unlikely]]
        return Verdict::drop_udp_zero_checksum;
    return Verdict::forward;
}

uint32_t refused_mtu_4to6(const XlateConfig& cfg) noexcept
{
    return cfg.mtu6 - (kIp6HeaderLen - kIp4HeaderLen);
}

Verdict translate_4to6(PacketView& pkt, const Parsed4& p, const Rewrite6& outer,
                       const Rewrite6& inner, const XlateConfig& cfg) noexcept
{
    if (Verdict v = precheck_4to6(pkt.l3, p, cfg); v != Verdict::forward) [[unlikely]]
        return v;
    return translate_prechecked_4to6(pkt, p, outer, inner, cfg);
}

Verdict translate_prechecked_4to6(PacketView& pkt, const Parsed4& p, const Rewrite6& outer,
                                  const Rewrite6& inner, const XlateConfig& cfg) noexcept
{
    if (p.icmp == IcmpKind::error) [[unlikely]]
        return translate_icmp_error_4to6(pkt, p, outer, inner, cfg);

    uint8_t* l3 = pkt.l3;
    const uint32_t ihl = p.l4_off;
    const uint32_t total4 = load_be16(l3 + 2);
    const uint32_t ul_len = total4 - ihl;
    const uint32_t hdr6 = kIp6HeaderLen + (p.frag.is_fragment ? kFragHeaderLen : 0);
    const uint32_t total6 = hdr6 + ul_len;
    if (hdr6 > ihl && hdr6 - ihl > pkt.headroom) [[unlikely]]
        return Verdict::drop_no_headroom;

    uint8_t* l4 = l3 + ihl;
    if (p.frag.offset_bytes == 0) {
        const bool udp_zero = p.tuple.proto == kProtoUdp && load_be16(l4 + kUdpCsumOff) == 0;
        if (udp_zero) [[unlikely]] {
            rewrite_udp_zero_checksum_4to6(l4, ul_len, outer);
        } else {
            rewrite_l4_4to6(l4, ul_len, ul_len, p.tuple.proto, l3, outer, outer.dport);
        }
    }

    uint8_t* out = write_headers_4to6(l4, outer_fields(l3, p), ul_len, static_cast<uint8_t>(p.ttl - 1), outer);
    move_view(pkt, out, total6);
    return Verdict::forward;
}

bool needs_fragmentation_6(const Parsed4& p, uint32_t ip6_len, const XlateConfig& cfg) noexcept
{
    return !p.df && ip6_len > cfg.lowest_ipv6_mtu;
}

} // namespace nat64d::xlate
