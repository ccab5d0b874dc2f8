// IPv6 -> IPv4 translation in place (RFC 7915 s5): header, transport checksums
// (RFC 1624 incremental), ICMPv6 -> ICMPv4 including the embedded packet (s5.2).
#include <algorithm>

#include "icmp_map.hpp"
#include "internal.hpp"
#include "translate.hpp"

namespace nat64d::xlate {
namespace {

// RFC 7915 s5.1: DF stays clear up to 1260 bytes so that IPv4 links with an
// MTU below 1280 can still carry what IPv6 hosts send at the minimum MTU.
constexpr uint32_t kDfThreshold = kIp6MinMtu - (kIp6HeaderLen - kIp4HeaderLen);
constexpr uint32_t kTcpCsumOff = 16;
constexpr uint32_t kUdpCsumOff = 6;
constexpr uint32_t kIcmpCsumOff = 2;
constexpr uint32_t kIcmpIdOff = 4;

uint8_t traffic_class(const uint8_t* ip6) noexcept
{
    return static_cast<uint8_t>(load_be16(ip6) >> 4);
}

uint8_t map_proto_6to4(uint8_t nh) noexcept
{
    return nh == kProtoIcmp6 ? kProtoIcmp4 : nh;
}

// Identification and flags for a translated header (RFC 7915 s5.1).
uint32_t id_and_flags_6to4(const uint8_t* ip6, const Ext6& e, uint32_t total4, uint16_t ip4_id) noexcept
{
    if (e.frag_off != 0) {
        const uint8_t* fh = ip6 + e.frag_off;
        uint16_t off_m = load_be16(fh + 2);
        uint16_t ff = static_cast<uint16_t>((off_m >> 3) | ((off_m & 1u) ? kIp4FlagMf : 0));
        // The low 16 bits of the IPv6 identification; DF stays clear so IPv4
        // routers may fragment further.
        return (uint32_t{load_be16(fh + 6)} << 16) | ff;
    }
    if (total4 > kDfThreshold)
        return kIp4FlagDf;   // id 0: atomic datagram, RFC 6864 s4
    return uint32_t{ip4_id} << 16;
}

// TCP/UDP: the pseudo-header addresses and the ports change; the length and
// protocol words are the same in both pseudo-headers (RFC 1624 eqn. 3).
// Inlined: the TCP/UDP path of every translation, where a call chain
// (translate -> rewrite_l4 -> rewrite_ports) spilled registers twice a packet.
[[gnu::always_inline]] inline void rewrite_ports_6to4(uint8_t* l4, uint32_t avail, uint32_t csum_off,
                                                      bool udp, const uint8_t* ip6, const Rewrite4& r) noexcept
{
    uint32_t old_sum = csum_fold_in6_pair(ip6 + 8, ip6 + 24);
    uint32_t new_sum = csum_add32(csum_add32(0, r.src), r.dst);
    if (avail >= 4) {
        old_sum += load_be16(l4) + load_be16(l4 + 2);
        new_sum += r.sport + r.dport;
        store_be16(l4, r.sport);
        store_be16(l4 + 2, r.dport);
    }
    if (avail < csum_off + 2)
        return;
    uint16_t cs = load_be16(l4 + csum_off);
    // An IPv6 UDP checksum of 0 is invalid (RFC 8200 s8.1); in IPv4 it means
    // "none", which is what it is.
    if (udp && cs == 0)
        return;
    cs = csum_update_sums(cs, old_sum, new_sum);
    if (udp && cs == 0)
        cs = 0xFFFF;   // RFC 768: a computed 0 is sent as all ones
    store_be16(l4 + csum_off, cs);
}

// ICMPv6 echo -> ICMPv4 echo: new type, new identifier, and the pseudo-header
// leaves the checksum (ICMPv4 has none, RFC 792).
void rewrite_echo_6to4(uint8_t* l4, uint32_t avail, const uint8_t* ip6, uint32_t ul_len,
                       uint16_t new_id) noexcept
{
    uint8_t type4 = l4[0] == kIcmp6Echo ? kIcmp4Echo : kIcmp4EchoReply;
    uint32_t old_sum = pseudo_sum6(ip6 + 8, ip6 + 24, ul_len, kProtoIcmp6) + (uint32_t{l4[0]} << 8);
    uint32_t new_sum = uint32_t{type4} << 8;
    l4[0] = type4;
    if (avail >= kIcmpIdOff + 2) {
        old_sum += load_be16(l4 + kIcmpIdOff);
        new_sum += new_id;
        store_be16(l4 + kIcmpIdOff, new_id);
    }
    if (avail >= kIcmpCsumOff + 2)
        csum_patch(l4 + kIcmpCsumOff, csum_fold(old_sum), csum_fold(new_sum));
}

// Rewrites the upper-layer header at l4 (avail bytes present, ul_len in the
// original) for addresses r; echo identifiers take `echo_id`.
[[gnu::always_inline]] inline void rewrite_l4_6to4(uint8_t* l4, uint32_t avail, uint32_t ul_len,
                                                   uint8_t proto, const uint8_t* ip6, const Rewrite4& r,
                                                   uint16_t echo_id) noexcept
{
    switch (proto) {
    case kProtoTcp:
        rewrite_ports_6to4(l4, avail, kTcpCsumOff, false, ip6, r);
        break;
    case kProtoUdp:
        rewrite_ports_6to4(l4, avail, kUdpCsumOff, true, ip6, r);
        break;
    default:
        rewrite_echo_6to4(l4, avail, ip6, ul_len, echo_id);
        break;
    }
}

// Out of line: its vector checksum loop would otherwise make every translation
// pay for an aligned stack frame.
[[gnu::noinline]] Verdict translate_icmp_error_6to4(PacketView& pkt, const Parsed6& p, const Rewrite4& outer,
                                  const Rewrite4& inner, const XlateConfig& cfg,
                                  uint16_t ip4_id) noexcept
{
    uint8_t* l3 = pkt.l3;
    const uint32_t total6 = kIp6HeaderLen + load_be16(l3 + 4);
    uint8_t* icmp = l3 + p.l4_off;
    const uint32_t msg_len = total6 - p.l4_off;
    // We recompute the checksum below; verify first so a corrupted error does
    // not leave here looking valid.
    uint32_t sum = pseudo_sum6(l3 + 8, l3 + 24, msg_len, kProtoIcmp6);
    if (csum_fold(csum_add_bytes(sum, icmp, msg_len)) != 0xFFFF)
        return Verdict::drop_bad_checksum;

    const IcmpMapping m = map_icmp_type_6to4(icmp[0], icmp[1]);
    if (!m.ok)
        return Verdict::drop_icmp_untranslatable;
    uint32_t rest = 0;   // the 4 bytes after the ICMPv4 checksum
    if (icmp[0] == kIcmp6PacketTooBig) {
        rest = ptb_mtu_6to4(load_be32(icmp + 4), cfg);
    } else if (m.type == kIcmp4ParamProblem) {
        uint8_t ptr4 = 0;
        if (!map_param_pointer_6to4(load_be32(icmp + 4), ptr4))
            return Verdict::drop_icmp_untranslatable;
        rest = uint32_t{ptr4} << 24;
    }

    // The embedded packet: its own header translation; TTL not decremented.
    uint8_t* in6 = l3 + p.inner_off;
    const uint32_t avail = total6 - p.inner_off;
    Ext6 e;
    if (Verdict v = walk_ext_6(in6, avail, e); v != Verdict::forward)
        return v;
    uint8_t* in_l4 = in6 + e.l4_off;
    const uint32_t in_l4_avail = avail - e.l4_off;
    const uint32_t in_total6 = kIp6HeaderLen + load_be16(in6 + 4);
    if (in_total6 < e.l4_off)
        return Verdict::drop_malformed;
    const uint32_t in_ul_len = in_total6 - e.l4_off;
    const uint32_t in_total4 = kIp4HeaderLen + in_ul_len;
    // The quoted packet travelled 4to6, so it was once an IPv4 packet: a quote
    // claiming more than an IPv4 total length can say is not one of ours.
    if (in_total4 > 0xFFFF)
        return Verdict::drop_malformed;
    const bool in_first = e.frag_off == 0 || (load_be16(in6 + e.frag_off + 2) & ~7u) == 0;
    if (in_first) {
        // The embedded packet travelled 4to6: its identifier is the IPv6 side's, dport.
        rewrite_l4_6to4(in_l4, in_l4_avail, in_ul_len, e.proto, in6, inner, inner.dport);
    }
    const uint8_t in_tc = traffic_class(in6);
    const uint8_t in_hop = in6[7];
    const uint32_t in_idf = id_and_flags_6to4(in6, e, in_total4, 0);
    const uint8_t out_tc = traffic_class(l3);
    const uint8_t out_hop = static_cast<uint8_t>(l3[7] - 1);

    // New layout ends where the embedded transport header starts, so only the
    // headers are written and the quoted data stays where it is.
    constexpr uint32_t kNewHeaders = kIp4HeaderLen + kIcmpHeaderLen + kIp4HeaderLen;
    uint8_t* out = in_l4 - kNewHeaders;
    uint32_t total4 = kNewHeaders + in_l4_avail;
    // RFC 1812 s4.3.2.3: an ICMPv4 error carries at most 576 bytes.
    total4 = std::min({total4, kIp4MinErrorLen, cfg.mtu4});

    write_ip4_header(in_l4 - kIp4HeaderLen, in_tc, in_total4, static_cast<uint16_t>(in_idf >> 16),
                     static_cast<uint16_t>(in_idf), in_hop, map_proto_6to4(e.proto), inner.src,
                     inner.dst);
    uint8_t* icmp4 = out + kIp4HeaderLen;
    icmp4[0] = m.type;
    icmp4[1] = m.code;
    store_be16(icmp4 + kIcmpCsumOff, 0);
    store_be32(icmp4 + 4, rest);   // PTB: MTU in the low 16 bits (RFC 1191 s4)
    store_be16(icmp4 + kIcmpCsumOff,
               csum_finish(csum_add_bytes(0, icmp4, total4 - kIp4HeaderLen)));
    // Errors fit in 576 bytes, so DF stays clear (s5.1).
    write_ip4_header(out, out_tc, total4, ip4_id, 0, out_hop, kProtoIcmp4, outer.src, outer.dst);
    move_view(pkt, out, total4);
    return Verdict::forward;
}

} // namespace

Verdict precheck_6to4(const uint8_t* l3, const Parsed6& p, const XlateConfig& cfg) noexcept
{
    // RFC 7915 s5.1 / RFC 8200 s3: the translator forwards, so it decrements the
    // hop limit; left unchanged so the caller can quote it in Time Exceeded.
    if (p.hop_limit <= 1) [[unlikely]]
        return Verdict::drop_ttl_expired;
    if (p.icmp == IcmpKind::error)
        return Verdict::forward;   // cut to fit (RFC 1812 s4.3.2.3)
    const uint32_t total4 = kIp4HeaderLen + kIp6HeaderLen + load_be16(l3 + 4) - p.l4_off;
    // s5.1: up to 1260 bytes (and any fragment) DF stays clear, so a packet a
    // host sent within the IPv6 minimum MTU crosses an IPv4 link below 1260
    // in fragments; only bigger ones get Packet Too Big (RFC 8021: no atomic fragments).
    if (total4 > cfg.mtu4 && total4 > kDfThreshold && !p.frag.is_fragment) [[unlikely]]
        return Verdict::drop_packet_too_big;
    return Verdict::forward;
}

uint32_t refused_mtu_6to4(const XlateConfig& cfg) noexcept
{
    // RFC 8201 s4: a host never lowers its path MTU below 1280; what the IPv4
    // link cannot carry at that size the translator fragments (above).
    return std::max(cfg.mtu4 + (kIp6HeaderLen - kIp4HeaderLen), kIp6MinMtu);
}

bool needs_fragmentation_4(uint32_t ip4_len, const XlateConfig& cfg) noexcept
{
    return ip4_len > cfg.mtu4;
}

Verdict translate_6to4(PacketView& pkt, const Parsed6& p, const Rewrite4& outer,
                       const Rewrite4& inner, const XlateConfig& cfg, uint16_t ip4_id) noexcept
{
    if (Verdict v = precheck_6to4(pkt.l3, p, cfg); v != Verdict::forward) [[unlikely]]
        return v;
    return translate_prechecked_6to4(pkt, p, outer, inner, cfg, ip4_id);
}

Verdict translate_prechecked_6to4(PacketView& pkt, const Parsed6& p, const Rewrite4& outer,
                                  const Rewrite4& inner, const XlateConfig& cfg, uint16_t ip4_id) noexcept
{
    if (p.icmp == IcmpKind::error) [[unlikely]]
        return translate_icmp_error_6to4(pkt, p, outer, inner, cfg, ip4_id);

    uint8_t* l3 = pkt.l3;
    const uint32_t total6 = kIp6HeaderLen + load_be16(l3 + 4);
    const uint32_t ul_len = total6 - p.l4_off;
    const uint32_t total4 = kIp4HeaderLen + ul_len;

    uint8_t* l4 = l3 + p.l4_off;
    if (p.frag.offset_bytes == 0)
        rewrite_l4_6to4(l4, ul_len, ul_len, p.tuple.proto, l3, outer, outer.sport);

    Ext6 e;
    e.frag_off = p.frag_hdr_off;
    const uint32_t idf = id_and_flags_6to4(l3, e, total4, ip4_id);
    const uint8_t tc = traffic_class(l3);
    const uint8_t ttl = static_cast<uint8_t>(p.hop_limit - 1);
    uint8_t* out = l4 - kIp4HeaderLen;
    write_ip4_header(out, tc, total4, static_cast<uint16_t>(idf >> 16), static_cast<uint16_t>(idf),
                     ttl, map_proto_6to4(p.tuple.proto), outer.src, outer.dst);
    move_view(pkt, out, total4);
    return Verdict::forward;
}

} // namespace nat64d::xlate
