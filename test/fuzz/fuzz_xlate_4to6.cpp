// libFuzzer target: IPv4 -> IPv6 (RFC 7915 s4) on arbitrary bytes. parse_4,
// then translate_4to6 in a buffer of the exact size (headroom from the input,
// so drop_no_headroom is exercised), then the invariants of translate.hpp on
// whatever it forwarded: a well-formed IPv6 packet (payload length, hop limit,
// addresses, fragment header of s4.1), transport checksums that verify
// whenever the input's did and UDP checksum 0 computed (s4.5), payload
// untouched; ICMPv4 errors (s4.2, s4.3) with their embedded packet. A result
// that needs fragmenting goes through the fragment writer as the worker does
// it; the same input also feeds build_icmp4_error (RFC 1812 s4.3.2.3).
// Input: XlateParams::kBytes of settings (xlate_fuzz.hpp), then the packet.
#include "xlate_fuzz.hpp"

#include "dataplane/xlate/icmp_gen.hpp"

using namespace nat64d;
using namespace nat64d::fuzz;

namespace {

constexpr uint32_t kIp4 = 20, kIp6 = 40, kFrag = 8, kIcmp = 8;
constexpr uint32_t kMinIp4Mtu = 68;       // RFC 791
constexpr uint32_t kMinIp6Mtu = 1280;     // RFC 8200 s5
constexpr uint32_t kMaxIcmp4Error = 576;  // RFC 1812 s4.3.2.3
constexpr Ip4 kBox4 = 0xC6336401u;        // 198.51.100.1, the box's outside address

uint8_t proto_6(uint8_t proto4) { return proto4 == kProtoIcmp4 ? kProtoIcmp6 : proto4; }

void check_parsed(const xlate::Parsed4& p, const Bytes& in)
{
    const uint32_t ihl = (in[0] & 0x0Fu) * 4u;
    const uint32_t total4 = be16(&in[2]);
    FUZZ_CHECK(ihl >= kIp4 && ihl <= total4 && total4 <= in.size());
    FUZZ_CHECK(test::ref_checksum(in.data(), ihl) == 0);   // RFC 1812 s5.2.2: verified
    FUZZ_CHECK(p.l4_off == ihl && p.ttl == in[8]);
    FUZZ_CHECK(p.tuple.src == be32(&in[12]) && p.tuple.dst == be32(&in[16]) && p.tuple.proto == in[9]);
    FUZZ_CHECK(p.df == ((be16(&in[6]) & 0x4000u) != 0));
    FUZZ_CHECK(p.frag.offset_bytes == (be16(&in[6]) & 0x1FFFu) * 8u);
    FUZZ_CHECK(p.frag.more == ((be16(&in[6]) & 0x2000u) != 0));
    if (p.frag.offset_bytes != 0)
        return;
    const uint32_t rem = total4 - ihl;
    switch (p.tuple.proto) {
    case kProtoTcp:
        FUZZ_CHECK(rem >= 20);
        break;
    case kProtoUdp:
        FUZZ_CHECK(rem >= 8);
        break;
    case kProtoIcmp4:
        FUZZ_CHECK(rem >= kIcmp && !p.frag.more);
        FUZZ_CHECK(p.icmp != xlate::IcmpKind::none);
        if (p.icmp == xlate::IcmpKind::error) {
            FUZZ_CHECK(p.inner_off == ihl + kIcmp && p.inner_off + kIp4 <= total4);
            const uint32_t in_ihl = (in[p.inner_off] & 0x0Fu) * 4u;
            FUZZ_CHECK(in_ihl >= kIp4 && p.inner_off + in_ihl <= total4 && be16(&in[p.inner_off + 2]) >= in_ihl);
        }
        break;
    default:
        FUZZ_CHECK(false);   // parse_4 forwards TCP, UDP and ICMPv4 only
    }
}

void check_forwarded(const Bytes& in, const Bytes& o, const xlate::Parsed4& p, const xlate::Rewrite6& outer,
                     const xlate::Rewrite6& inner, const xlate::XlateConfig& cfg)
{
    const uint32_t ihl = p.l4_off;
    const uint32_t total4 = be16(&in[2]);
    const uint32_t len = static_cast<uint32_t>(o.size());
    FUZZ_CHECK(len >= kIp6);
    FUZZ_CHECK(be32(&o[0]) == ((6u << 28) | (uint32_t{in[1]} << 20)));   // TOS -> class, flow label 0
    FUZZ_CHECK(be16(&o[4]) + kIp6 == len);                              // payload length == view length
    FUZZ_CHECK(o[7] == in[8] - 1);                                      // hop limit = TTL - 1
    FUZZ_CHECK(in6_at(&o[8]) == outer.src && in6_at(&o[24]) == outer.dst);

    if (p.icmp == xlate::IcmpKind::error) {
        // s4.2: an ICMPv6 error within 1280 bytes, checksum with the pseudo-header.
        FUZZ_CHECK(o[6] == kProtoIcmp6);
        FUZZ_CHECK(len <= kMinIp6Mtu && len <= cfg.mtu6 && len >= kIp6 + kIcmp + kIp6);
        FUZZ_CHECK(test::ref_checksum6(outer.src, outer.dst, kProtoIcmp6, &o[kIp6], len - kIp6) == 0);
        const uint8_t t = o[kIp6];
        FUZZ_CHECK(t >= 1 && t <= 4);                                   // the four ICMPv6 errors
        const uint8_t* q = &o[kIp6 + kIcmp];                            // the embedded IPv6 header
        const uint8_t* qin = &in[p.inner_off];
        FUZZ_CHECK((q[0] >> 4) == 6);
        FUZZ_CHECK(in6_at(q + 8) == inner.src && in6_at(q + 24) == inner.dst);
        FUZZ_CHECK(q[7] == qin[8]);                                     // not decremented
        const bool in_frag = (be16(qin + 6) & 0x3FFFu) != 0;
        FUZZ_CHECK(q[6] == (in_frag ? kProtoFragment : proto_6(qin[9])));
        if (t == 2) {
            // RFC 7915 s4.2 / s6: an MTU IPv6 hosts accept, within our IPv6 side's.
            const uint32_t mtu = be32(&o[kIp6 + 4]);
            FUZZ_CHECK(mtu >= kMinIp6Mtu && mtu <= cfg.mtu6);
        } else if (t == 4) {
            // RFC 7915 s4.2 Figure 3: the pointer names an IPv6 header field
            // (6, Next Header, for Protocol Unreachable).
            const uint32_t ptr = be32(&o[kIp6 + 4]);
            FUZZ_CHECK(ptr == 0 || ptr == 1 || ptr == 4 || ptr == 6 || ptr == 7 || ptr == 8 || ptr == 24);
        }
        // The embedded transport header (it travelled 6to4) carries the
        // rewrite's ports; an echo's identifier is the IPv6 side's, sport.
        const uint32_t ql4_off = kIp6 + kIcmp + kIp6 + (in_frag ? kFrag : 0);
        if ((be16(qin + 6) & 0x1FFFu) == 0 && len > ql4_off) {
            const uint8_t* ql4 = &o[ql4_off];
            const uint32_t ql4_len = len - ql4_off;
            const uint8_t proto = qin[9];
            if ((proto == kProtoTcp || proto == kProtoUdp) && ql4_len >= 4)
                FUZZ_CHECK(be16(ql4) == inner.sport && be16(ql4 + 2) == inner.dport);
            if (proto == kProtoIcmp4) {
                FUZZ_CHECK(ql4[0] == 128 || ql4[0] == 129);
                FUZZ_CHECK(ql4_len < 6 || be16(ql4 + 4) == inner.sport);
            }
        }
        return;
    }

    const uint32_t ul_len = total4 - ihl;
    const uint32_t hdr6 = kIp6 + (p.frag.is_fragment ? kFrag : 0);
    FUZZ_CHECK(len == hdr6 + ul_len);
    if (p.frag.is_fragment) {
        // s4.1: a fragment header carries offset, MF and the 16-bit identification.
        const uint8_t* fh = &o[kIp6];
        FUZZ_CHECK(o[6] == kProtoFragment && fh[0] == proto_6(p.tuple.proto) && fh[1] == 0);
        FUZZ_CHECK(be16(fh + 2) == (p.frag.offset_bytes | (p.frag.more ? 1u : 0u)));
        FUZZ_CHECK(be32(fh + 4) == be16(&in[4]));
    } else {
        FUZZ_CHECK(o[6] == proto_6(p.tuple.proto));
    }
    if (p.df)
        FUZZ_CHECK(len <= cfg.mtu6);   // else refused for Fragmentation Needed

    const uint8_t* a = &in[ihl];   // upper layer before
    const uint8_t* b = &o[hdr6];   // and after
    if (p.frag.offset_bytes != 0) {
        FUZZ_CHECK(std::memcmp(a, b, ul_len) == 0);
        return;
    }
    const bool whole = !p.frag.more;
    const auto input_ok = [&](uint8_t proto) {
        return test::ref_checksum4(p.tuple.src, p.tuple.dst, proto, a, ul_len) == 0;
    };
    switch (p.tuple.proto) {
    case kProtoTcp:
        FUZZ_CHECK(be16(b) == outer.sport && be16(b + 2) == outer.dport);
        FUZZ_CHECK(std::memcmp(a + 4, b + 4, 12) == 0 && std::memcmp(a + 18, b + 18, ul_len - 18) == 0);
        if (whole && input_ok(kProtoTcp))
            FUZZ_CHECK(test::ref_checksum6(outer.src, outer.dst, kProtoTcp, b, ul_len) == 0);
        break;
    case kProtoUdp:
        FUZZ_CHECK(be16(b) == outer.sport && be16(b + 2) == outer.dport);
        FUZZ_CHECK(std::memcmp(a + 4, b + 4, 2) == 0 && std::memcmp(a + 8, b + 8, ul_len - 8) == 0);
        FUZZ_CHECK(be16(b + 6) != 0);   // RFC 8200 s8.1: mandatory in IPv6
        if (be16(a + 6) == 0) {
            // s4.5: computed over the whole datagram; a fragment is refused instead.
            FUZZ_CHECK(whole);
            FUZZ_CHECK(test::ref_checksum6(outer.src, outer.dst, kProtoUdp, b, ul_len) == 0);
        } else if (whole && input_ok(kProtoUdp)) {
            FUZZ_CHECK(test::ref_checksum6(outer.src, outer.dst, kProtoUdp, b, ul_len) == 0);
        }
        break;
    default:   // ICMPv4 echo / reply -> ICMPv6 (s4.2), identifier from outer.dport
        FUZZ_CHECK((a[0] == 8 && b[0] == 128) || (a[0] == 0 && b[0] == 129));
        FUZZ_CHECK(a[1] == b[1] && be16(b + 4) == outer.dport);
        FUZZ_CHECK(std::memcmp(a + 6, b + 6, ul_len - 6) == 0);
        if (test::ref_checksum(a, ul_len) == 0)
            FUZZ_CHECK(test::ref_checksum6(outer.src, outer.dst, kProtoIcmp6, b, ul_len) == 0);
        break;
    }
}

// RFC 792 / RFC 1812 s4.3.2.3: an error about `in` from the box, within 576 bytes.
void check_icmp4_error(const Bytes& in, const xlate::Parsed4& p, Verdict parse_v, const XlateParams& prm)
{
    std::unique_ptr<uint8_t[]> out(new uint8_t[prm.icmp_cap]);
    const uint32_t param = prm.ip4_id;
    const uint32_t n = xlate::build_icmp4_error(out.get(), prm.icmp_cap, in.data(), static_cast<uint32_t>(in.size()),
                                                kBox4, prm.icmp_type, prm.icmp_code, param);
    if (parse_v == Verdict::forward && (p.icmp == xlate::IcmpKind::error || p.frag.offset_bytes != 0))
        FUZZ_CHECK(n == 0);   // never about an error or a non-first fragment (RFC 1812 s4.3.2.7)
    if (n == 0)
        return;
    const uint8_t* o = out.get();
    FUZZ_CHECK(n <= prm.icmp_cap && n <= kMaxIcmp4Error && n >= kIp4 + kIcmp);
    FUZZ_CHECK(o[0] == 0x45 && be16(o + 2) == n && test::ref_checksum(o, kIp4) == 0);
    FUZZ_CHECK(o[9] == kProtoIcmp4 && be32(o + 12) == kBox4 && be32(o + 16) == be32(&in[12]));
    FUZZ_CHECK(o[kIp4] == prm.icmp_type && o[kIp4 + 1] == prm.icmp_code);
    if (prm.icmp_type == 3)
        FUZZ_CHECK(be16(o + kIp4 + 6) == param);   // RFC 1191 s4: next-hop MTU
    else if (prm.icmp_type == 12)
        FUZZ_CHECK(o[kIp4 + 4] == static_cast<uint8_t>(param));   // RFC 792: pointer
    FUZZ_CHECK(test::ref_checksum(o + kIp4, n - kIp4) == 0);
    const uint32_t quoted = n - kIp4 - kIcmp;
    FUZZ_CHECK(quoted <= in.size() && quoted <= be16(&in[2]));
    FUZZ_CHECK(std::memcmp(o + kIp4 + kIcmp, in.data(), quoted) == 0);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    XlateParams prm;
    if (!prm.read(data, size, kMinIp6Mtu, kMinIp4Mtu))
        return 0;
    const Bytes in(data + XlateParams::kBytes, data + size);
    xlate::XlateConfig cfg;
    cfg.mtu6 = prm.mtu_out;
    cfg.mtu4 = prm.mtu_in;
    cfg.lowest_ipv6_mtu = prm.lowest_ipv6_mtu;
    // 64:ff9b::198.51.100.7 (the server through the well-known prefix) and the client.
    In6 server{0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 198, 51, 100, 7};
    server[15] ^= prm.addr_salt;
    const In6 client{0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};
    const xlate::Rewrite6 outer{server, client, prm.sport, prm.dport};
    const xlate::Rewrite6 inner{client, server, prm.inner_sport, prm.inner_dport};

    ExactBuffer buf(in.data(), in.size(), prm.headroom, prm.tailroom);
    xlate::Parsed4 p;
    const Verdict pv = xlate::parse_4(buf.view.l3, buf.view.len, p);
    FUZZ_CHECK(buf.packet() == in);   // parsing reads only
    if (pv == Verdict::forward) {
        check_parsed(p, in);
        const Verdict v = xlate::translate_4to6(buf.view, p, outer, inner, cfg);
        FUZZ_CHECK(buf.view_consistent());
        if (v == Verdict::forward) {
            const Bytes o = buf.packet();
            check_forwarded(in, o, p, outer, inner, cfg);
            const bool split = !p.df && o.size() > cfg.lowest_ipv6_mtu;   // RFC 7915 s4.1
            FUZZ_CHECK(xlate::needs_fragmentation_6(p, buf.view.len, cfg) == split);
            if (split)
                check_fragments_6(o.data(), static_cast<uint32_t>(o.size()), cfg.lowest_ipv6_mtu,
                                  p.frag.id & 0xFFFFu, true);
        } else if (v == Verdict::drop_ttl_expired || v == Verdict::drop_packet_too_big) {
            // Left unchanged, so the caller can quote it in its ICMPv4 error.
            FUZZ_CHECK(buf.packet() == in);
        }
        FUZZ_CHECK((v == Verdict::drop_ttl_expired) == (p.ttl <= 1));
        // translate.hpp: too big only with DF set (DF clear is translated whole,
        // then split); never for an error, which is cut to fit.
        if (v == Verdict::drop_packet_too_big)
            FUZZ_CHECK(p.df && p.icmp != xlate::IcmpKind::error);
        // "Needs 20 bytes of headroom (28 for a fragment, 40/48 for an ICMP error)".
        if (v == Verdict::drop_no_headroom)
            FUZZ_CHECK(prm.headroom < (p.icmp == xlate::IcmpKind::error ? 48u : p.frag.is_fragment ? 28u : 20u));
    }
    check_icmp4_error(in, p, pv, prm);
    return 0;
}
