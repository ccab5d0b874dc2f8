// libFuzzer target: IPv6 -> IPv4 (RFC 7915 s5) on arbitrary bytes. parse_6,
// then translate_6to4 in a buffer of the exact size, then the invariants of
// translate.hpp on whatever it forwarded: a well-formed IPv4 packet (lengths,
// header checksum, TTL, addresses, DF rule of s5.1, fragment fields of
// s5.1.1), transport checksums that verify whenever the input's did, payload
// untouched; ICMPv6 errors (s5.2) with their embedded packet. The same input
// also feeds build_icmp6_error (RFC 4443 s2.4) and the fragment writer.
// Input: XlateParams::kBytes of settings (xlate_fuzz.hpp), then the packet.
#include "xlate_fuzz.hpp"

#include "dataplane/xlate/icmp_gen.hpp"

using namespace nat64d;
using namespace nat64d::fuzz;

namespace {

constexpr uint32_t kIp4 = 20, kIp6 = 40, kIcmp = 8;
constexpr uint32_t kMinIp4Mtu = 68;      // RFC 791
constexpr uint32_t kMinIp6Mtu = 1280;    // RFC 8200 s5
constexpr uint32_t kDfThreshold = 1260;  // RFC 7915 s5.1: DF set above 1280 - 20
constexpr uint32_t kMaxIcmp4Error = 576; // RFC 1812 s4.3.2.3

// The box's inside address (2001:db8:1::1), the source of errors it originates.
constexpr In6 kBox6{0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};

// The upper layer of the input, checked against the original pseudo-header.
bool input_l4_ok(const Bytes& in, uint8_t nh, uint32_t l4_off, uint32_t total6)
{
    return test::ref_checksum6(in6_at(&in[8]), in6_at(&in[24]), nh, &in[l4_off], total6 - l4_off) == 0;
}

void check_parsed(const xlate::Parsed6& p, const Bytes& in)
{
    const uint32_t total6 = kIp6 + be16(&in[4]);
    FUZZ_CHECK(total6 <= in.size());
    FUZZ_CHECK(p.l4_off >= kIp6 && p.l4_off <= total6);
    FUZZ_CHECK(p.tuple.src == in6_at(&in[8]) && p.tuple.dst == in6_at(&in[24]));
    FUZZ_CHECK(p.hop_limit == in[7]);
    FUZZ_CHECK(p.frag_hdr_off == 0 || (p.frag_hdr_off >= kIp6 && p.frag_hdr_off + 8u <= p.l4_off));
    FUZZ_CHECK(p.frag.is_fragment == (p.frag_hdr_off != 0));
    if (p.frag.offset_bytes != 0)
        return;   // no upper-layer header in a non-first fragment
    const uint32_t rem = total6 - p.l4_off;
    switch (p.tuple.proto) {
    case kProtoTcp:
        FUZZ_CHECK(rem >= 20);
        break;
    case kProtoUdp:
        FUZZ_CHECK(rem >= 8);
        break;
    case kProtoIcmp6:
        FUZZ_CHECK(rem >= kIcmp && !p.frag.more);
        FUZZ_CHECK(p.icmp != xlate::IcmpKind::none);
        if (p.icmp == xlate::IcmpKind::error)
            FUZZ_CHECK(p.inner_off == p.l4_off + kIcmp && p.inner_off + kIp6 <= total6);
        break;
    default:
        FUZZ_CHECK(false);   // parse_6 forwards TCP, UDP and ICMPv6 only
    }
}

// The IPv4 fragments of o at mtu: each within it, 8-byte aligned offsets,
// contiguous, MF on all but the last, and together the original payload.
void check_fragments_4(const Bytes& o, uint32_t mtu)
{
    const uint32_t n = xlate::fragment_count_4(o.data(), static_cast<uint32_t>(o.size()), mtu);
    const uint32_t base = (be16(&o[6]) & 0x1fff) * 8u;
    if (n == 0) {   // only data that would end past offset 65535 (RFC 791 s3.1)
        FUZZ_CHECK(base + o.size() - kIp4 > 65535);
        return;
    }
    FUZZ_CHECK(n >= 2);
    uint32_t next = base;
    Bytes joined;
    for (uint32_t i = 0; i < n; ++i) {
        Bytes f(mtu);
        const uint32_t flen = xlate::write_fragment_4(f.data(), mtu, o.data(), static_cast<uint32_t>(o.size()), mtu, i);
        FUZZ_CHECK(flen >= kIp4 + 1 && flen <= mtu && be16(&f[2]) == flen);
        FUZZ_CHECK(test::ref_checksum(f.data(), kIp4) == 0);
        FUZZ_CHECK((be16(&f[6]) & 0x1fff) * 8u == next);
        const bool more = (be16(&f[6]) & 0x2000) != 0;
        FUZZ_CHECK(more == (i + 1 < n || (be16(&o[6]) & 0x2000) != 0));
        FUZZ_CHECK(i + 1 == n || (flen - kIp4) % 8 == 0);
        joined.insert(joined.end(), f.begin() + kIp4, f.begin() + flen);
        next += flen - kIp4;
    }
    FUZZ_CHECK(joined.size() == o.size() - kIp4 && std::equal(joined.begin(), joined.end(), o.begin() + kIp4));
}

void check_forwarded(const Bytes& in, const Bytes& o, const xlate::Parsed6& p, const xlate::Rewrite4& outer,
                     const xlate::Rewrite4& inner, const xlate::XlateConfig& cfg, uint16_t ip4_id)
{
    const uint32_t total6 = kIp6 + be16(&in[4]);
    const uint32_t len = static_cast<uint32_t>(o.size());
    FUZZ_CHECK(len >= kIp4);
    FUZZ_CHECK(o[0] == 0x45);                                   // version 4, no options
    FUZZ_CHECK(be16(&o[2]) == len);                             // total length == view length
    FUZZ_CHECK(test::ref_checksum(o.data(), kIp4) == 0);        // RFC 791 header checksum
    FUZZ_CHECK(o[1] == static_cast<uint8_t>(be16(&in[0]) >> 4));   // TOS = traffic class
    FUZZ_CHECK(o[8] == in[7] - 1);                              // TTL = hop limit - 1
    FUZZ_CHECK(be32(&o[12]) == outer.src && be32(&o[16]) == outer.dst);
    if (len > cfg.mtu4) {
        // Larger than the IPv4 link only with DF clear, for the worker to split
        // (RFC 7915 s5.1: DF only above 1260 bytes; PTB never below 1280).
        FUZZ_CHECK(xlate::needs_fragmentation_4(len, cfg) && (o[6] & 0x40) == 0);
        check_fragments_4(o, cfg.mtu4);
    }

    if (p.icmp == xlate::IcmpKind::error) {
        // s5.2: an ICMPv4 error, within 576 bytes, checksum recomputed over it all.
        FUZZ_CHECK(o[9] == kProtoIcmp4);
        FUZZ_CHECK(len <= kMaxIcmp4Error && len >= kIp4 + kIcmp + kIp4);
        FUZZ_CHECK(be16(&o[4]) == ip4_id && be16(&o[6]) == 0);
        FUZZ_CHECK(test::ref_checksum(&o[kIp4], len - kIp4) == 0);
        const uint8_t t = o[kIp4];
        FUZZ_CHECK(t == 3 || t == 11 || t == 12);               // unreachable, time exceeded, parameter
        const uint8_t* q = &o[kIp4 + kIcmp];                    // the embedded IPv4 header
        FUZZ_CHECK(q[0] == 0x45 && test::ref_checksum(q, kIp4) == 0);
        FUZZ_CHECK(be32(q + 12) == inner.src && be32(q + 16) == inner.dst);
        FUZZ_CHECK(q[8] == in[p.inner_off + 7]);                // not decremented
        FUZZ_CHECK(q[9] == (p.inner.proto == kProtoIcmp6 ? kProtoIcmp4 : p.inner.proto));
        if (t == 3 && o[kIp4 + 1] == 4) {
            // RFC 1191 s4 / RFC 7915 s5.2: the next-hop MTU fits the IPv4 side.
            const uint32_t mtu = be16(&o[kIp4 + 6]);
            FUZZ_CHECK(be16(&o[kIp4 + 4]) == 0 && mtu >= kMinIp4Mtu && mtu <= cfg.mtu4);
        } else if (t == 12) {
            // RFC 7915 s5.2 Figure 6: the pointer names an IPv4 header field.
            const uint8_t ptr = o[kIp4 + 4];
            FUZZ_CHECK(ptr == 0 || ptr == 1 || ptr == 2 || ptr == 8 || ptr == 9 || ptr == 12 || ptr == 16);
        }
        // The embedded transport header (it travelled 4to6) carries the
        // rewrite's ports; an echo's identifier is the IPv6 side's, dport.
        const uint8_t* ql4 = q + kIp4;
        const uint32_t ql4_len = len - kIp4 - kIcmp - kIp4;
        if ((be16(q + 6) & 0x1FFFu) == 0) {
            if ((q[9] == kProtoTcp || q[9] == kProtoUdp) && ql4_len >= 4)
                FUZZ_CHECK(be16(ql4) == inner.sport && be16(ql4 + 2) == inner.dport);
            if (q[9] == kProtoIcmp4) {
                FUZZ_CHECK(ql4_len < 1 || ql4[0] == 8 || ql4[0] == 0);
                FUZZ_CHECK(ql4_len < 6 || be16(ql4 + 4) == inner.dport);
            }
        }
        return;
    }

    const uint32_t ul_len = total6 - p.l4_off;
    FUZZ_CHECK(len == kIp4 + ul_len);
    FUZZ_CHECK(o[9] == (p.tuple.proto == kProtoIcmp6 ? kProtoIcmp4 : p.tuple.proto));
    const uint16_t ff = be16(&o[6]);
    if (p.frag.is_fragment) {
        // s5.1.1: offset and MF carried over, low 16 bits of the identification, DF clear.
        const uint8_t* fh = &in[p.frag_hdr_off];
        FUZZ_CHECK((ff & 0x1FFFu) * 8u == (be16(fh + 2) & ~7u));
        FUZZ_CHECK(((ff & 0x2000u) != 0) == ((be16(fh + 2) & 1u) != 0));
        FUZZ_CHECK((ff & 0x4000u) == 0);
        FUZZ_CHECK(be16(&o[4]) == (be32(fh + 4) & 0xFFFFu));
    } else if (len > kDfThreshold) {
        FUZZ_CHECK(ff == 0x4000);   // DF, atomic datagram (RFC 6864 s4)
    } else {
        FUZZ_CHECK(ff == 0 && be16(&o[4]) == ip4_id);
    }

    const uint8_t* a = &in[p.l4_off];   // upper layer before
    const uint8_t* b = &o[kIp4];        // and after
    if (p.frag.offset_bytes != 0) {
        FUZZ_CHECK(std::memcmp(a, b, ul_len) == 0);
        return;
    }
    // Only a whole datagram's checksum can be verified here.
    const bool whole = !p.frag.more;
    switch (p.tuple.proto) {
    case kProtoTcp:
        FUZZ_CHECK(be16(b) == outer.sport && be16(b + 2) == outer.dport);
        FUZZ_CHECK(std::memcmp(a + 4, b + 4, 12) == 0 && std::memcmp(a + 18, b + 18, ul_len - 18) == 0);
        if (whole && input_l4_ok(in, kProtoTcp, p.l4_off, total6))
            FUZZ_CHECK(test::ref_checksum4(outer.src, outer.dst, kProtoTcp, b, ul_len) == 0);
        break;
    case kProtoUdp:
        FUZZ_CHECK(be16(b) == outer.sport && be16(b + 2) == outer.dport);
        FUZZ_CHECK(std::memcmp(a + 4, b + 4, 2) == 0 && std::memcmp(a + 8, b + 8, ul_len - 8) == 0);
        if (be16(a + 6) == 0) {
            FUZZ_CHECK(be16(b + 6) == 0);   // invalid in IPv6; "none" in IPv4 (RFC 768)
        } else {
            FUZZ_CHECK(be16(b + 6) != 0);   // a computed 0 goes out as 0xFFFF
            if (whole && input_l4_ok(in, kProtoUdp, p.l4_off, total6))
                FUZZ_CHECK(test::ref_checksum4(outer.src, outer.dst, kProtoUdp, b, ul_len) == 0);
        }
        break;
    default:   // ICMPv6 echo request / reply -> ICMPv4 (s5.2), identifier from outer.sport
        FUZZ_CHECK((a[0] == 128 && b[0] == 8) || (a[0] == 129 && b[0] == 0));
        FUZZ_CHECK(a[1] == b[1] && be16(b + 4) == outer.sport);
        FUZZ_CHECK(std::memcmp(a + 6, b + 6, ul_len - 6) == 0);
        if (input_l4_ok(in, kProtoIcmp6, p.l4_off, total6))
            FUZZ_CHECK(test::ref_checksum(b, ul_len) == 0);   // ICMPv4: no pseudo-header
        break;
    }
}

// RFC 4443 s2.4: an error about `in` from the box, quoting as much as fits 1280 bytes.
void check_icmp6_error(const Bytes& in, const xlate::Parsed6& p, Verdict parse_v,
                       const XlateParams& prm)
{
    const In6& box = kBox6;
    std::unique_ptr<uint8_t[]> out(new uint8_t[prm.icmp_cap]);
    const uint32_t n = xlate::build_icmp6_error(out.get(), prm.icmp_cap, in.data(),
                                                static_cast<uint32_t>(in.size()), box,
                                                prm.icmp_type, prm.icmp_code, prm.addr_salt);
    if (parse_v == Verdict::forward && p.icmp == xlate::IcmpKind::error)
        FUZZ_CHECK(n == 0);   // never an error about an error (RFC 4443 s2.4 (e))
    if (n == 0)
        return;
    const uint8_t* o = out.get();
    FUZZ_CHECK(n <= prm.icmp_cap && n <= kMinIp6Mtu && n >= kIp6 + kIcmp + kIp6);
    FUZZ_CHECK((o[0] >> 4) == 6 && be16(o + 4) + kIp6 == n);
    FUZZ_CHECK(o[6] == kProtoIcmp6);
    FUZZ_CHECK(in6_at(o + 8) == box && in6_at(o + 24) == in6_at(&in[8]));
    FUZZ_CHECK(o[kIp6] == prm.icmp_type && o[kIp6 + 1] == prm.icmp_code);
    FUZZ_CHECK(be32(o + kIp6 + 4) == prm.addr_salt);
    FUZZ_CHECK(test::ref_checksum6(box, in6_at(&in[8]), kProtoIcmp6, o + kIp6, n - kIp6) == 0);
    const uint32_t quoted = n - kIp6 - kIcmp;
    FUZZ_CHECK(quoted <= in.size() && quoted <= kIp6 + be16(&in[4]));
    FUZZ_CHECK(std::memcmp(o + kIp6 + kIcmp, in.data(), quoted) == 0);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    XlateParams prm;
    if (!prm.read(data, size, kMinIp4Mtu, kMinIp6Mtu))
        return 0;
    const Bytes in(data + XlateParams::kBytes, data + size);
    xlate::XlateConfig cfg;
    cfg.mtu4 = prm.mtu_out;
    cfg.mtu6 = prm.mtu_in;
    cfg.lowest_ipv6_mtu = prm.lowest_ipv6_mtu;
    const xlate::Rewrite4 outer{0xCB007105u ^ prm.addr_salt, 0xC6336407u, prm.sport, prm.dport};
    const xlate::Rewrite4 inner{0xC6336407u, 0xCB007105u ^ prm.addr_salt, prm.inner_sport, prm.inner_dport};

    ExactBuffer buf(in.data(), in.size(), prm.headroom, prm.tailroom);
    xlate::Parsed6 p;
    const Verdict pv = xlate::parse_6(buf.view.l3, buf.view.len, p);
    FUZZ_CHECK(buf.packet() == in);   // parsing reads only
    if (pv == Verdict::forward) {
        check_parsed(p, in);
        const uint8_t* const l3_before = buf.view.l3;
        const Verdict v = xlate::translate_6to4(buf.view, p, outer, inner, cfg, prm.ip4_id);
        FUZZ_CHECK(buf.view_consistent());
        if (v == Verdict::forward) {
            // "pkt.l3 moves forward; pkt.len shrinks" (translate.hpp).
            FUZZ_CHECK(buf.view.l3 >= l3_before + (kIp6 - kIp4) && buf.view.len < in.size());
            check_forwarded(in, buf.packet(), p, outer, inner, cfg, prm.ip4_id);
        } else if (v == Verdict::drop_ttl_expired || v == Verdict::drop_packet_too_big) {
            // Left unchanged, so the caller can quote it in its ICMPv6 error.
            FUZZ_CHECK(buf.packet() == in);
        }
        FUZZ_CHECK((v == Verdict::drop_ttl_expired) == (p.hop_limit <= 1));
        // Too big only for a packet that would exceed the IPv4 MTU; errors are cut to fit.
        if (v == Verdict::drop_packet_too_big)
            FUZZ_CHECK(p.icmp != xlate::IcmpKind::error &&
                       kIp4 + kIp6 + be16(&in[4]) - p.l4_off > cfg.mtu4);
        FUZZ_CHECK(v != Verdict::drop_no_headroom);   // 6to4 only shrinks
    }
    check_icmp6_error(in, p, pv, prm);
    check_fragments_6(in.data(), static_cast<uint32_t>(in.size()), prm.frag_mtu, prm.ip4_id, false);
    return 0;
}
