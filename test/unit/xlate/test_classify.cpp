// Frame classification (dataplane/xlate/classify.hpp): which port takes which
// frame, every kind and every drop reason, the 802.1Q rules, one-arm against
// two-arm, and the lengths at each boundary.
#include <optional>

#include "dataplane/xlate/classify.hpp"
#include "xlate_fixtures.hpp"

using namespace nat64d;
using namespace nat64d::test;
using namespace nat64d::xlate;

namespace {

const MacBytes kOutsideMac{0x02, 0, 0, 0, 0x64, 0x02};   // kOwnMac is the inside port's
const MacBytes kOtherMac{0x02, 0, 0, 0, 0, 0x09};
const MacBytes kBroadcast{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
const MacBytes kAllNodes6{0x33, 0x33, 0, 0, 0, 0x01};
const In6 kBox6 = in6("2001:db8:1::1");
const Ip4 kBox4 = ip4("198.51.100.1");
const Ip4 kPoolA = ip4("203.0.113.5");
const Ip4 kPoolB = ip4("203.0.113.9");
const Ip4 kPool[] = {kPoolA, kPoolB};   // sorted ascending
const Ip4 kPoolWithBox[] = {kBox4, kPoolA};
const std::span<const Ip4> kPoolSpan{kPool};
const std::span<const Ip4> kPoolWithBoxSpan{kPoolWithBox};

FrameRules rules(Side side, bool one_arm = false, uint16_t inside_vlan = 0, uint16_t outside_vlan = 0)
{
    FrameRules r;
    r.side = side;
    r.one_arm = one_arm;
    r.inside_vlan = inside_vlan;
    r.outside_vlan = outside_vlan;
    r.inside_mac = kOwnMac;
    r.outside_mac = kOutsideMac;
    r.own6 = kBox6;
    r.own4 = kBox4;
    r.pool = sorted_pool(kPoolSpan);
    return r;
}

/// An Ethernet frame; tci: an 802.1Q tag in front of the type.
Bytes frame(const MacBytes& dst, uint16_t type, const Bytes& payload, std::optional<uint16_t> tci = {})
{
    const auto hi = [](uint16_t v) { return static_cast<uint8_t>(v >> 8); };
    const auto lo = [](uint16_t v) { return static_cast<uint8_t>(v); };
    const Bytes tag = tci ? Bytes{0x81, 0x00, hi(*tci), lo(*tci)} : Bytes{};
    return cat({Bytes(dst.begin(), dst.end()), Bytes(kOtherMac.begin(), kOtherMac.end()), tag,
                Bytes{hi(type), lo(type)}, payload});
}

Bytes to_server6() { return udp6(kHost6, kServer6, kHostPort, kServerPort, pattern(8)); }
Bytes to6(const In6& dst) { return udp6(kHost6, dst, kHostPort, kServerPort, pattern(8)); }
Bytes to4(Ip4 dst) { return udp4(kServer4, dst, kServerPort, kPublicPort, pattern(8)); }

FrameClass classify(const Bytes& f, const FrameRules& r, bool chained = false)
{
    return classify_frame(f.data(), static_cast<uint32_t>(f.size()), chained, r);
}
FrameClass classify(const Bytes& f, size_t len, const FrameRules& r)
{
    return classify_frame(f.data(), static_cast<uint32_t>(len), false, r);
}

void check_kind(const FrameClass& c, FrameKind kind, uint32_t l3_offset, bool strip = false)
{
    CHECK(c.kind == kind);
    CHECK(c.why == Verdict::forward);
    CHECK(c.l3_offset == l3_offset);
    CHECK(c.strip_vlan == strip);
}

void check_drop(const FrameClass& c, Verdict why)
{
    INFO("got " << verdict_name(c.why));
    CHECK(c.kind == FrameKind::drop);
    CHECK(c.why == why);
    CHECK_FALSE(c.strip_vlan);
}

} // namespace

TEST_CASE("classify: IPv6 inside is translated unless it is for the box", "[classify]")
{
    const FrameRules in = rules(Side::inside);
    check_kind(classify(frame(kOwnMac, kEtherTypeIp6, to_server6()), in), FrameKind::translate6, 14);
    // The box's own address, multicast (ND, MLD) and link-local are its own stack's.
    check_kind(classify(frame(kOwnMac, kEtherTypeIp6, to6(kBox6)), in), FrameKind::local6, 14);
    check_kind(classify(frame(kAllNodes6, kEtherTypeIp6, to6(in6("ff02::1"))), in), FrameKind::local6, 14);
    check_kind(classify(frame(kOwnMac, kEtherTypeIp6, to6(in6("ff0e::101"))), in), FrameKind::local6, 14);
    check_kind(classify(frame(kOwnMac, kEtherTypeIp6, to6(in6("fe80::1"))), in), FrameKind::local6, 14);
    check_kind(classify(frame(kOwnMac, kEtherTypeIp6, to6(in6("febf::1"))), in), FrameKind::local6, 14);
    // fec0::/10 is past the link-local block: translated (and refused later if it must be).
    check_kind(classify(frame(kOwnMac, kEtherTypeIp6, to6(in6("fec0::1"))), in), FrameKind::translate6, 14);
    check_kind(classify(frame(kOwnMac, kEtherTypeIp6, to6(in6("2001:db8:1::2"))), in), FrameKind::translate6, 14);
}

TEST_CASE("classify: IPv4 outside goes to the pool, the box or nowhere", "[classify]")
{
    const FrameRules out = rules(Side::outside);
    check_kind(classify(frame(kOutsideMac, kEtherTypeIp4, to4(kPoolA)), out), FrameKind::translate4, 14);
    check_kind(classify(frame(kOutsideMac, kEtherTypeIp4, to4(kPoolB)), out), FrameKind::translate4, 14);
    // Each with its address's index in the pool, for the 4to6 stage.
    CHECK(classify(frame(kOutsideMac, kEtherTypeIp4, to4(kPoolA)), out).pool_index == 0);
    CHECK(classify(frame(kOutsideMac, kEtherTypeIp4, to4(kPoolB)), out).pool_index == 1);
    check_kind(classify(frame(kOutsideMac, kEtherTypeIp4, to4(kBox4)), out), FrameKind::local4, 14);
    // A promiscuous port sees its neighbours' traffic.
    check_drop(classify(frame(kOutsideMac, kEtherTypeIp4, to4(ip4("203.0.113.6"))), out), Verdict::drop_not_for_us);
    check_drop(classify(frame(kBroadcast, kEtherTypeIp4, to4(ip4("198.51.100.255"))), out), Verdict::drop_not_for_us);

    // A one-address box: its own address in the pool is translated (the
    // 4to6 stage sorts out what its kernel keeps).
    FrameRules pooled = out;
    pooled.pool = sorted_pool(kPoolWithBoxSpan);
    check_kind(classify(frame(kOutsideMac, kEtherTypeIp4, to4(kBox4)), pooled), FrameKind::translate4, 14);
    CHECK(classify(frame(kOutsideMac, kEtherTypeIp4, to4(kPoolA)), pooled).pool_index == 1);

    // No pool test: no address is pooled, the box's own is still its own.
    FrameRules no_pool = out;
    no_pool.pool = {};
    check_drop(classify(frame(kOutsideMac, kEtherTypeIp4, to4(kPoolA)), no_pool), Verdict::drop_not_for_us);
    check_kind(classify(frame(kOutsideMac, kEtherTypeIp4, to4(kBox4)), no_pool), FrameKind::local4, 14);
}

TEST_CASE("classify: the pool is asked through the caller's function", "[classify]")
{
    struct Asked {
        Ip4 last = 0;
        int times = 0;
    } asked;
    FrameRules out = rules(Side::outside);
    out.pool = {[](const void* ctx, Ip4 a, uint32_t& index) noexcept {
                    auto* s = static_cast<Asked*>(const_cast<void*>(ctx));
                    s->last = a;
                    ++s->times;
                    index = 41;
                    return a == ip4("192.0.2.77");
                },
                &asked};
    const FrameClass pooled = classify(frame(kOutsideMac, kEtherTypeIp4, to4(ip4("192.0.2.77"))), out);
    check_kind(pooled, FrameKind::translate4, 14);
    CHECK(pooled.pool_index == 41);   // the caller's index, as its function gave it
    CHECK(asked.last == ip4("192.0.2.77"));
    check_drop(classify(frame(kOutsideMac, kEtherTypeIp4, to4(kPoolA)), out), Verdict::drop_not_for_us);
    CHECK(asked.times == 2);
    // Frames refused before their IPv4 destination is read never ask.
    check_drop(classify(frame(kOtherMac, kEtherTypeIp4, to4(kPoolA)), out), Verdict::drop_not_for_us);
    CHECK(asked.times == 2);
}

TEST_CASE("classify: ARP is taken on either side, its body left to parse_arp", "[classify]")
{
    const Bytes arp(28, 0);
    check_kind(classify(frame(kBroadcast, kEtherTypeArp, arp), rules(Side::inside)), FrameKind::arp, 14);
    check_kind(classify(frame(kBroadcast, kEtherTypeArp, arp), rules(Side::outside)), FrameKind::arp, 14);
    check_kind(classify(frame(kOutsideMac, kEtherTypeArp, arp), rules(Side::outside)), FrameKind::arp, 14);
    // Only the Ethernet header is promised.
    check_kind(classify(frame(kBroadcast, kEtherTypeArp, {}), rules(Side::inside)), FrameKind::arp, 14);
}

TEST_CASE("classify: two arms take one family each", "[classify]")
{
    check_drop(classify(frame(kOwnMac, kEtherTypeIp4, to4(kPoolA)), rules(Side::inside)), Verdict::drop_not_for_us);
    check_drop(classify(frame(kOwnMac, kEtherTypeIp4, to4(kBox4)), rules(Side::inside)), Verdict::drop_not_for_us);
    check_drop(classify(frame(kOutsideMac, kEtherTypeIp6, to_server6()), rules(Side::outside)),
               Verdict::drop_not_for_us);
    check_drop(classify(frame(kOutsideMac, kEtherTypeIp6, to6(kBox6)), rules(Side::outside)),
               Verdict::drop_not_for_us);
    // Each port answers to its own MAC only.
    check_drop(classify(frame(kOutsideMac, kEtherTypeIp6, to_server6()), rules(Side::inside)),
               Verdict::drop_not_for_us);
    check_drop(classify(frame(kOwnMac, kEtherTypeIp4, to4(kPoolA)), rules(Side::outside)),
               Verdict::drop_not_for_us);
}

TEST_CASE("classify: one arm takes both families on its one port", "[classify]")
{
    const FrameRules one = rules(Side::inside, true);
    check_kind(classify(frame(kOwnMac, kEtherTypeIp6, to_server6()), one), FrameKind::translate6, 14);
    check_kind(classify(frame(kOwnMac, kEtherTypeIp6, to6(kBox6)), one), FrameKind::local6, 14);
    check_kind(classify(frame(kOwnMac, kEtherTypeIp4, to4(kPoolA)), one), FrameKind::translate4, 14);
    check_kind(classify(frame(kOwnMac, kEtherTypeIp4, to4(kBox4)), one), FrameKind::local4, 14);
    check_kind(classify(frame(kBroadcast, kEtherTypeArp, Bytes(28, 0)), one), FrameKind::arp, 14);
    check_drop(classify(frame(kOwnMac, kEtherTypeIp4, to4(ip4("203.0.113.6"))), one), Verdict::drop_not_for_us);
}

TEST_CASE("classify: unicast to another host and other EtherTypes are not for us", "[classify]")
{
    const FrameRules in = rules(Side::inside);
    check_drop(classify(frame(kOtherMac, kEtherTypeIp6, to_server6()), in), Verdict::drop_not_for_us);
    // One bit off in the last byte.
    MacBytes near = kOwnMac;
    near[5] ^= 1;
    check_drop(classify(frame(near, kEtherTypeIp6, to_server6()), in), Verdict::drop_not_for_us);
    // Any group address passes the MAC check.
    const MacBytes group{0x01, 0, 0x5E, 0, 0, 0x01};
    check_kind(classify(frame(group, kEtherTypeIp6, to_server6()), in), FrameKind::translate6, 14);
    check_drop(classify(frame(kOwnMac, 0x88CC, Bytes(40, 0)), in), Verdict::drop_not_for_us);   // LLDP
    check_drop(classify(frame(kOwnMac, 0x0842, Bytes(40, 0)), in), Verdict::drop_not_for_us);   // Wake-on-LAN
}

TEST_CASE("classify: a chained mbuf is refused before anything is read", "[classify]")
{
    check_drop(classify(frame(kOwnMac, kEtherTypeIp6, to_server6()), rules(Side::inside), true),
               Verdict::drop_multiseg);
    check_drop(classify_frame(nullptr, 0, true, rules(Side::inside)), Verdict::drop_multiseg);
}

TEST_CASE("classify: lengths at each boundary", "[classify][length]")
{
    const FrameRules in = rules(Side::inside);
    const FrameRules out = rules(Side::outside);
    const Bytes arp = frame(kBroadcast, kEtherTypeArp, {});
    check_drop(classify(arp, 13, in), Verdict::drop_malformed);
    check_drop(classify(arp, 0, in), Verdict::drop_malformed);
    check_kind(classify(arp, 14, in), FrameKind::arp, 14);

    const Bytes v6 = frame(kOwnMac, kEtherTypeIp6, to_server6());
    check_drop(classify(v6, 14, in), Verdict::drop_malformed);
    check_drop(classify(v6, 14 + 39, in), Verdict::drop_malformed);
    check_kind(classify(v6, 14 + 40, in), FrameKind::translate6, 14);

    const Bytes v4 = frame(kOutsideMac, kEtherTypeIp4, to4(kPoolA));
    check_drop(classify(v4, 14, out), Verdict::drop_malformed);
    check_drop(classify(v4, 14 + 19, out), Verdict::drop_malformed);
    check_kind(classify(v4, 14 + 20, out), FrameKind::translate4, 14);

    // The family rule comes before the length: short IPv4 inside is just not ours.
    check_drop(classify(frame(kOwnMac, kEtherTypeIp4, {}), in), Verdict::drop_not_for_us);
}

TEST_CASE("classify: a port with a VLAN takes only its tag, and strips it", "[classify][vlan]")
{
    const FrameRules in = rules(Side::inside, false, 100, 200);
    const FrameRules out = rules(Side::outside, false, 100, 200);
    check_kind(classify(frame(kOwnMac, kEtherTypeIp6, to_server6(), 100), in), FrameKind::translate6, 18, true);
    check_kind(classify(frame(kOutsideMac, kEtherTypeIp4, to4(kPoolA), 200), out), FrameKind::translate4, 18, true);
    check_kind(classify(frame(kBroadcast, kEtherTypeArp, Bytes(28, 0), 200), out), FrameKind::arp, 18, true);
    check_kind(classify(frame(kOwnMac, kEtherTypeIp6, to6(kBox6), 100), in), FrameKind::local6, 18, true);
    check_kind(classify(frame(kOutsideMac, kEtherTypeIp4, to4(kBox4), 200), out), FrameKind::local4, 18, true);
    // Priority and DEI bits are not the VID.
    check_kind(classify(frame(kOwnMac, kEtherTypeIp6, to_server6(), 0xF000 | 100), in), FrameKind::translate6, 18,
               true);

    // Untagged, the other port's VID, another VID, VID 0 (priority tagged): not ours.
    check_drop(classify(frame(kOwnMac, kEtherTypeIp6, to_server6()), in), Verdict::drop_not_for_us);
    check_drop(classify(frame(kOwnMac, kEtherTypeIp6, to_server6(), 200), in), Verdict::drop_not_for_us);
    check_drop(classify(frame(kOutsideMac, kEtherTypeIp4, to4(kPoolA), 100), out), Verdict::drop_not_for_us);
    check_drop(classify(frame(kOwnMac, kEtherTypeIp6, to_server6(), 101), in), Verdict::drop_not_for_us);
    check_drop(classify(frame(kOwnMac, kEtherTypeIp6, to_server6(), 0), in), Verdict::drop_not_for_us);
    // A right tag does not make the wrong MAC, family or a second tag right.
    check_drop(classify(frame(kOtherMac, kEtherTypeIp6, to_server6(), 100), in), Verdict::drop_not_for_us);
    check_drop(classify(frame(kOwnMac, kEtherTypeIp4, to4(kPoolA), 100), in), Verdict::drop_not_for_us);
    check_drop(classify(frame(kOwnMac, kEtherTypeVlan, Bytes{0, 100, 0x86, 0xDD}, 100), in),
               Verdict::drop_not_for_us);

    // A port without a VLAN refuses tagged frames, whatever the VID.
    check_drop(classify(frame(kOwnMac, kEtherTypeIp6, to_server6(), 100), rules(Side::inside)),
               Verdict::drop_not_for_us);
    check_drop(classify(frame(kOwnMac, kEtherTypeIp6, to_server6(), 0), rules(Side::inside)),
               Verdict::drop_not_for_us);
    // Only one port tagged: the other takes untagged frames.
    check_kind(classify(frame(kOutsideMac, kEtherTypeIp4, to4(kPoolA)), rules(Side::outside, false, 100, 0)),
               FrameKind::translate4, 14);
}

TEST_CASE("classify: one arm uses the inside port's VLAN", "[classify][vlan]")
{
    // The outside VID belongs to no port a one-arm box has.
    const FrameRules one = rules(Side::inside, true, 100, 200);
    check_kind(classify(frame(kOwnMac, kEtherTypeIp4, to4(kPoolA), 100), one), FrameKind::translate4, 18, true);
    check_drop(classify(frame(kOwnMac, kEtherTypeIp4, to4(kPoolA), 200), one), Verdict::drop_not_for_us);
    const FrameRules one_out = rules(Side::outside, true, 100, 200);
    check_kind(classify(frame(kOutsideMac, kEtherTypeIp4, to4(kPoolA), 100), one_out), FrameKind::translate4, 18,
               true);
    check_drop(classify(frame(kOutsideMac, kEtherTypeIp4, to4(kPoolA), 200), one_out), Verdict::drop_not_for_us);
}

TEST_CASE("classify: tagged lengths at each boundary", "[classify][vlan][length]")
{
    const FrameRules in = rules(Side::inside, false, 100, 0);
    const Bytes arp = frame(kBroadcast, kEtherTypeArp, {}, 100);
    check_drop(classify(arp, 13, in), Verdict::drop_malformed);
    // The tag itself cut short: not a frame of this VLAN.
    check_drop(classify(arp, 14, in), Verdict::drop_not_for_us);
    check_drop(classify(arp, 17, in), Verdict::drop_not_for_us);
    check_kind(classify(arp, 18, in), FrameKind::arp, 18, true);

    const Bytes v6 = frame(kOwnMac, kEtherTypeIp6, to_server6(), 100);
    check_drop(classify(v6, 18 + 39, in), Verdict::drop_malformed);
    check_kind(classify(v6, 18 + 40, in), FrameKind::translate6, 18, true);

    const FrameRules out = rules(Side::outside, false, 0, 200);
    const Bytes v4 = frame(kOutsideMac, kEtherTypeIp4, to4(kPoolA), 200);
    check_drop(classify(v4, 18 + 19, out), Verdict::drop_malformed);
    check_kind(classify(v4, 18 + 20, out), FrameKind::translate4, 18, true);
}

TEST_CASE("classify: the minimum header each kind promises", "[classify]")
{
    CHECK(min_l3_len(FrameKind::translate6) == kIp6HeaderLen);
    CHECK(min_l3_len(FrameKind::local6) == kIp6HeaderLen);
    CHECK(min_l3_len(FrameKind::translate4) == kIp4HeaderLen);
    CHECK(min_l3_len(FrameKind::local4) == kIp4HeaderLen);
    CHECK(min_l3_len(FrameKind::arp) == 0);
    CHECK(min_l3_len(FrameKind::drop) == 0);
}
