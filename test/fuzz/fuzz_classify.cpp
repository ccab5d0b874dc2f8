// libFuzzer target: the worker's frame classification (classify_frame) on
// arbitrary frames under arbitrary port rules, then what the worker does next
// with each kind, on the same bytes: parse_6 / translate_6to4 and parse_4 /
// translate_4to6 for traffic to translate, parse_nd and the echo answers for
// the box's own, parse_arp and its answer for ARP. Each buffer is the exact
// size of what an mbuf holds around it, so ASan sees a read the
// classification did not promise.
//
// Input: FrameParams::kBytes of port rules (below; gen_corpus.py writes the
// same layout), then the frame from its Ethernet destination on.
#include "dataplane/xlate/classify.hpp"
#include "dataplane/xlate/local_reply.hpp"
#include "xlate_fuzz.hpp"

using namespace nat64d;
using namespace nat64d::fuzz;

namespace {

constexpr uint32_t kEth = 14, kTag = 4, kIp4 = 20, kIp6 = 40;
// As a default mbuf (RTE_PKTMBUF_HEADROOM, RTE_MBUF_DEFAULT_DATAROOM): the
// room the translators get is what the worker's receive path leaves them.
constexpr uint32_t kMbufHeadroom = 128;
constexpr uint32_t kMbufDataRoom = 2048;
constexpr size_t kMaxPool = 4;

/// The rules block: byte 0 flags (bit 0 outside, bit 1 one-arm, bit 2 a
/// chained mbuf), inside and outside VID (12 bits of 16), inside and outside
/// MAC, the box's IPv6 and IPv4 address, the pool size (mod 5) and four
/// pool addresses, in any order.
struct FrameParams {
    static constexpr size_t kBytes = 1 + 2 + 2 + 6 + 6 + 16 + 4 + 1 + 4 * kMaxPool;

    xlate::FrameRules rules;
    bool chained = false;
    std::vector<Ip4> pool;                  // as given: the target's own lookups
    std::vector<Ip4> sorted;                // what the classifier is handed
    std::span<const Ip4> sorted_span;

    bool read(const uint8_t* d, size_t n)
    {
        if (n < kBytes)
            return false;
        rules.side = (d[0] & 1) != 0 ? xlate::Side::outside : xlate::Side::inside;
        rules.one_arm = (d[0] & 2) != 0;
        chained = (d[0] & 4) != 0;
        rules.inside_vlan = be16(d + 1) & 0x0FFF;
        rules.outside_vlan = be16(d + 3) & 0x0FFF;
        std::memcpy(rules.inside_mac.data(), d + 5, 6);
        std::memcpy(rules.outside_mac.data(), d + 11, 6);
        rules.own6 = in6_at(d + 17);
        rules.own4 = be32(d + 33);
        const size_t count = d[37] % (kMaxPool + 1);
        for (size_t i = 0; i < count; ++i)
            pool.push_back(be32(d + 38 + 4 * i));
        sorted = pool;
        std::sort(sorted.begin(), sorted.end());
        sorted_span = sorted;
        rules.pool = xlate::sorted_pool(sorted_span);
        return true;
    }
    bool pooled(Ip4 a) const { return std::find(pool.begin(), pool.end(), a) != pool.end(); }
    bool inside_port() const { return rules.side == xlate::Side::inside || rules.one_arm; }
    uint16_t vlan() const { return inside_port() ? rules.inside_vlan : rules.outside_vlan; }
    const xlate::MacBytes& mac() const
    {
        return rules.side == xlate::Side::inside ? rules.inside_mac : rules.outside_mac;
    }
    bool takes6() const { return rules.one_arm || rules.side == xlate::Side::inside; }
    bool takes4() const { return rules.one_arm || rules.side == xlate::Side::outside; }
};

bool is_local6(const uint8_t* dst, const In6& own)
{
    return dst[0] == 0xFF || (dst[0] == 0xFE && (dst[1] & 0xC0) == 0x80) || std::memcmp(dst, own.data(), 16) == 0;
}

/// The frame as the worker holds it after rte_vlan_strip: the MACs moved up
/// over the tag.
Bytes untagged(const Bytes& f, bool strip)
{
    if (!strip)
        return f;
    Bytes u(f.begin(), f.begin() + 12);
    u.insert(u.end(), f.begin() + 12 + kTag, f.end());
    return u;
}

/// The L3 packet of frame f in an exact buffer with the room an mbuf leaves
/// around it once the tag is stripped and the Ethernet header adjusted away.
ExactBuffer l3_buffer(const Bytes& f, uint32_t l3)
{
    const uint32_t len = static_cast<uint32_t>(f.size());
    return ExactBuffer(f.data() + l3, len - l3, kMbufHeadroom + l3, len < kMbufDataRoom ? kMbufDataRoom - len : 0);
}

void check_class(const xlate::FrameClass& c, const Bytes& f, const FrameParams& prm)
{
    const uint32_t len = static_cast<uint32_t>(f.size());
    if (c.kind == xlate::FrameKind::drop) {
        FUZZ_CHECK(static_cast<size_t>(c.why) >= kFirstDropVerdict);
        FUZZ_CHECK(!c.strip_vlan && c.l3_offset == 0);
        // Each reason names a rule the frame broke.
        FUZZ_CHECK(prm.chained == (c.why == Verdict::drop_multiseg));
        if (c.why == Verdict::drop_malformed && len >= kEth) {
            // A header of a family the port takes, cut short.
            const uint32_t l3 = kEth + (prm.vlan() != 0 ? kTag : 0);
            FUZZ_CHECK(len >= l3);
            const uint16_t type = be16(&f[l3 - 2]);
            FUZZ_CHECK((type == kEtherTypeIp6 && prm.takes6() && len < l3 + kIp6) ||
                       (type == kEtherTypeIp4 && prm.takes4() && len < l3 + kIp4));
        }
        FUZZ_CHECK(c.why == Verdict::drop_multiseg || c.why == Verdict::drop_malformed ||
                   c.why == Verdict::drop_not_for_us);
        return;
    }
    FUZZ_CHECK(c.why == Verdict::forward);
    FUZZ_CHECK(!prm.chained);
    // VLAN rules: the port's tag, only it, and the offset past it.
    const uint16_t vlan = prm.vlan();
    FUZZ_CHECK(c.strip_vlan == (vlan != 0));
    FUZZ_CHECK(c.l3_offset == kEth + (c.strip_vlan ? kTag : 0));
    FUZZ_CHECK(c.l3_offset + xlate::min_l3_len(c.kind) <= len);
    FUZZ_CHECK((be16(&f[12]) == kEtherTypeVlan) == c.strip_vlan);
    if (c.strip_vlan)
        FUZZ_CHECK((be16(&f[14]) & 0x0FFF) == vlan);
    // Its own MAC or a group address.
    FUZZ_CHECK((f[0] & 1) != 0 || std::memcmp(f.data(), prm.mac().data(), 6) == 0);
    const uint16_t type = be16(&f[c.l3_offset - 2]);
    const uint8_t* l3 = f.data() + c.l3_offset;
    switch (c.kind) {
    case xlate::FrameKind::arp:
        FUZZ_CHECK(type == kEtherTypeArp);
        break;
    case xlate::FrameKind::local6:
    case xlate::FrameKind::translate6:
        FUZZ_CHECK(type == kEtherTypeIp6 && prm.takes6());
        FUZZ_CHECK(is_local6(l3 + 24, prm.rules.own6) == (c.kind == xlate::FrameKind::local6));
        break;
    case xlate::FrameKind::local4:
        FUZZ_CHECK(type == kEtherTypeIp4 && prm.takes4());
        FUZZ_CHECK(be32(l3 + 16) == prm.rules.own4 && !prm.pooled(prm.rules.own4));
        break;
    case xlate::FrameKind::translate4:
        FUZZ_CHECK(type == kEtherTypeIp4 && prm.takes4());
        // In the pool; the box's own address only where the pool holds it too.
        FUZZ_CHECK(prm.pooled(be32(l3 + 16)));
        // The index handed on is the destination's, never another address's.
        FUZZ_CHECK(c.pool_index < prm.sorted.size() && prm.sorted[c.pool_index] == be32(l3 + 16));
        break;
    case xlate::FrameKind::drop:
        break;
    }
}

/// What the worker would have taken: a frame that breaks no rule is not dropped.
void check_taken(const xlate::FrameClass& c, const Bytes& f, const FrameParams& prm)
{
    const uint32_t len = static_cast<uint32_t>(f.size());
    if (prm.chained || len < kEth)
        return;
    const uint16_t vlan = prm.vlan();
    const bool tagged = be16(&f[12]) == kEtherTypeVlan;
    if (tagged != (vlan != 0) || (tagged && (len < kEth + kTag || (be16(&f[14]) & 0x0FFF) != vlan)))
        return;
    if ((f[0] & 1) == 0 && std::memcmp(f.data(), prm.mac().data(), 6) != 0)
        return;
    const uint32_t l3 = kEth + (tagged ? kTag : 0);
    const uint16_t type = be16(&f[l3 - 2]);
    if (type == kEtherTypeArp)
        FUZZ_CHECK(c.kind == xlate::FrameKind::arp);
    else if (type == kEtherTypeIp6 && prm.takes6())
        FUZZ_CHECK(c.kind != xlate::FrameKind::drop || (c.why == Verdict::drop_malformed && len < l3 + kIp6));
    else if (type == kEtherTypeIp4 && prm.takes4() && len >= l3 + kIp4) {
        const Ip4 dst = be32(&f[l3 + 16]);
        FUZZ_CHECK((c.kind != xlate::FrameKind::drop) == (prm.pooled(dst) || dst == prm.rules.own4));
    } else if (type == kEtherTypeIp4 && prm.takes4())
        FUZZ_CHECK(c.why == Verdict::drop_malformed);
    else
        FUZZ_CHECK(c.why == Verdict::drop_not_for_us);
}

/// parse_6 or parse_4 on the packet in buf (in: its bytes); whatever the
/// verdict, parsing leaves the packet as it was.
template <class Parsed>
bool parsed(ExactBuffer& buf, const Bytes& in, Verdict (*parse)(const uint8_t*, uint32_t, Parsed&) noexcept,
            Parsed& p)
{
    const Verdict v = parse(buf.view.l3, buf.view.len, p);
    FUZZ_CHECK(buf.packet() == in);
    return v == Verdict::forward;
}

// 6to4 as the stage does it, with addresses a session would give it.
void drive_6to4(const Bytes& f, uint32_t l3, const FrameParams& prm)
{
    ExactBuffer buf = l3_buffer(f, l3);
    const Bytes in = buf.packet();
    xlate::Parsed6 p;
    if (!parsed(buf, in, xlate::parse_6, p))
        return;
    const Ip4 src = prm.pool.empty() ? prm.rules.own4 : prm.pool.front();
    const Ip4 dst = be32(&in[36]);   // as a /96 prefix embeds it
    const xlate::Rewrite4 outer{src, dst, p.tuple.sport, p.tuple.dport};
    const xlate::Rewrite4 inner{dst, src, p.inner.dport, p.inner.sport};
    const Verdict v = xlate::translate_6to4(buf.view, p, outer, inner, xlate::XlateConfig{}, 0x1234);
    FUZZ_CHECK(buf.view_consistent());
    FUZZ_CHECK(v != Verdict::drop_no_headroom);
    if (v != Verdict::forward)
        return;
    const Bytes o = buf.packet();
    FUZZ_CHECK(o.size() >= kIp4 && (o[0] >> 4) == 4 && be16(&o[2]) == o.size());
    FUZZ_CHECK(test::ref_checksum(o.data(), (o[0] & 0x0Fu) * 4u) == 0);
    FUZZ_CHECK(be32(&o[12]) == src && be32(&o[16]) == dst);
}

// 4to6 likewise: the mbuf's headroom is always enough for the growth.
void drive_4to6(const Bytes& f, uint32_t l3)
{
    ExactBuffer buf = l3_buffer(f, l3);
    const Bytes in = buf.packet();
    xlate::Parsed4 p;
    if (!parsed(buf, in, xlate::parse_4, p))
        return;
    In6 server{0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    std::memcpy(server.data() + 12, &in[12], 4);
    const In6 client{0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};
    const xlate::Rewrite6 outer{server, client, p.tuple.sport, p.tuple.dport};
    const xlate::Rewrite6 inner{client, server, p.inner.dport, p.inner.sport};
    const Verdict v = xlate::translate_4to6(buf.view, p, outer, inner, xlate::XlateConfig{});
    FUZZ_CHECK(buf.view_consistent());
    FUZZ_CHECK(v != Verdict::drop_no_headroom);
    if (v != Verdict::forward)
        return;
    const Bytes o = buf.packet();
    FUZZ_CHECK(o.size() >= kIp6 && (o[0] >> 4) == 6 && be16(&o[4]) + kIp6 == o.size());
    FUZZ_CHECK(in6_at(&o[8]) == server && in6_at(&o[24]) == client);
}

// The box's own IPv6: neighbour discovery, else an echo it answers in place.
void drive_local6(const Bytes& f, uint32_t l3, const In6& own)
{
    ExactBuffer buf = l3_buffer(f, l3);
    const Bytes in = buf.packet();
    xlate::NdMessage nd;
    if (xlate::parse_nd(buf.view.l3, buf.view.len, nd)) {
        FUZZ_CHECK(nd.type == xlate::kIcmp6Ns || nd.type == xlate::kIcmp6Na);
        FUZZ_CHECK(in[7] == 255);   // RFC 4861 s7.1.1: from on-link only
    }
    FUZZ_CHECK(buf.packet() == in);
    if (xlate::answer_echo6(buf.view.l3, buf.view.len, own) != Verdict::forward) {
        FUZZ_CHECK(buf.packet() == in);
        return;
    }
    const Bytes o = buf.packet();
    FUZZ_CHECK(o.size() == in.size());
    FUZZ_CHECK(in6_at(&o[8]) == own && std::memcmp(&o[24], &in[8], 16) == 0);
    FUZZ_CHECK(o[kIp6] == 129 && test::ref_checksum6(own, in6_at(&in[8]), kProtoIcmp6, &o[kIp6], be16(&o[4])) == 0);
}

void drive_local4(const Bytes& f, uint32_t l3)
{
    ExactBuffer buf = l3_buffer(f, l3);
    const Bytes in = buf.packet();
    if (xlate::answer_echo4(buf.view.l3, buf.view.len) != Verdict::forward) {
        FUZZ_CHECK(buf.packet() == in);
        return;
    }
    const Bytes o = buf.packet();
    const uint32_t ihl = (o[0] & 0x0Fu) * 4u;
    FUZZ_CHECK(o.size() == in.size());
    FUZZ_CHECK(be32(&o[12]) == be32(&in[16]) && be32(&o[16]) == be32(&in[12]));
    FUZZ_CHECK(test::ref_checksum(o.data(), ihl) == 0 && o[ihl] == 0);
    FUZZ_CHECK(test::ref_checksum(o.data() + ihl, be16(&o[2]) - ihl) == 0);
}

// ARP on the untagged frame, as handle_arp sees it: answered in place.
void drive_arp(const Bytes& f, const xlate::MacBytes& own)
{
    std::unique_ptr<uint8_t[]> frame(new uint8_t[f.size()]);
    std::memcpy(frame.get(), f.data(), f.size());
    xlate::ArpMessage a;
    if (!xlate::parse_arp(frame.get(), static_cast<uint32_t>(f.size()), a) || a.op != 1)
        return;
    FUZZ_CHECK(f.size() >= xlate::kArpFrameLen);
    xlate::answer_arp_request(frame.get(), a, own);
    xlate::ArpMessage r;
    FUZZ_CHECK(xlate::parse_arp(frame.get(), static_cast<uint32_t>(f.size()), r));
    FUZZ_CHECK(r.op == 2 && r.sender == a.target && r.target == a.sender && r.sender_mac == own);
    FUZZ_CHECK(std::memcmp(frame.get(), a.sender_mac.data(), 6) == 0);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    FrameParams prm;
    if (!prm.read(data, size))
        return 0;
    const Bytes f(data + FrameParams::kBytes, data + size);
    const uint32_t len = static_cast<uint32_t>(f.size());
    xlate::FrameClass c;
    {
        // Exactly the frame: a read past len is ASan's to see.
        std::unique_ptr<uint8_t[]> frame(new uint8_t[len]);
        if (len != 0)
            std::memcpy(frame.get(), f.data(), len);
        c = xlate::classify_frame(frame.get(), len, prm.chained, prm.rules);
        FUZZ_CHECK(len == 0 || std::memcmp(frame.get(), f.data(), len) == 0);   // reads only
    }
    check_class(c, f, prm);
    check_taken(c, f, prm);

    switch (c.kind) {
    case xlate::FrameKind::translate6:
        drive_6to4(f, c.l3_offset, prm);
        break;
    case xlate::FrameKind::translate4:
        drive_4to6(f, c.l3_offset);
        break;
    case xlate::FrameKind::local6:
        drive_local6(f, c.l3_offset, prm.rules.own6);
        break;
    case xlate::FrameKind::local4:
        drive_local4(f, c.l3_offset);
        break;
    case xlate::FrameKind::arp:
        drive_arp(untagged(f, c.strip_vlan), prm.mac());
        break;
    case xlate::FrameKind::drop:
        break;
    }
    return 0;
}
