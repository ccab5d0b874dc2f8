// The box's own ARP (RFC 826), neighbour discovery (RFC 4861) and echo replies
// (RFC 792, RFC 4443 s4.2) as bytes; checksums verified by checksum_ref.
#include "dataplane/xlate/local_reply.hpp"
#include "xlate_fixtures.hpp"

using namespace nat64d;
using namespace nat64d::test;
using namespace nat64d::xlate;

namespace {

const MacBytes kPeerMac{0x02, 0, 0, 0, 0, 0x06};
const In6 kOwn6 = in6("2001:db8:1::1");
const In6 kPeer6 = in6("2001:db8:1::2");

Bytes ns_from_peer(bool with_option, const In6& src = kPeer6)
{
    Bytes icmp = cat({icmp_header(kIcmp6Ns, 0, 0), Bytes(kOwn6.begin(), kOwn6.end())});
    if (with_option)
        icmp = cat({icmp, Bytes{1, 1}, Bytes(kPeerMac.begin(), kPeerMac.end())});
    set_l4_checksum6(icmp, kProtoIcmp6, src, kOwn6);
    Ip6Hdr h;
    h.src = src;
    h.dst = kOwn6;
    h.nh = kProtoIcmp6;
    h.hop = 255;
    return ip6_packet(h, icmp);
}

} // namespace

TEST_CASE("local reply: an ARP request is built and answered field by field", "[local][rfc826]")
{
    Bytes f(kArpFrameLen);
    build_arp_request(f.data(), kOwnMac, ip4("198.51.100.1"), ip4("198.51.100.254"));
    CHECK(Bytes(f.begin(), f.begin() + 6) == Bytes(6, 0xFF));
    CHECK(be16_at(f, 12) == kEtherTypeArp);
    ArpMessage a;
    REQUIRE(parse_arp(f.data(), kArpFrameLen, a));
    CHECK(a.op == 1);
    CHECK(a.sender == ip4("198.51.100.1"));
    CHECK(a.target == ip4("198.51.100.254"));
    CHECK(a.sender_mac == kOwnMac);
    // Answer it as the target would, in place.
    const MacBytes target_mac{0x02, 0, 0, 0, 0, 0x04};
    answer_arp_request(f.data(), a, target_mac);
    ArpMessage r;
    REQUIRE(parse_arp(f.data(), kArpFrameLen, r));
    CHECK(r.op == 2);
    CHECK(r.sender == ip4("198.51.100.254"));
    CHECK(r.sender_mac == target_mac);
    CHECK(r.target == ip4("198.51.100.1"));
    CHECK(Bytes(f.begin(), f.begin() + 6) == Bytes(kOwnMac.begin(), kOwnMac.end()));
    CHECK(Bytes(f.begin() + 32, f.begin() + 38) == Bytes(kOwnMac.begin(), kOwnMac.end()));   // target hardware address
    CHECK_FALSE(parse_arp(f.data(), kArpFrameLen - 1, r));
}

TEST_CASE("local reply: a neighbour solicitation goes to the solicited-node group", "[local][rfc4861]")
{
    Bytes f(kNsFrameLen);
    build_neighbour_solicit(f.data(), kOwnMac, kOwn6, in6("2001:db8:1::abcd:1234"));
    CHECK(Bytes(f.begin(), f.begin() + 6) == (Bytes{0x33, 0x33, 0xFF, 0xcd, 0x12, 0x34}));
    const Bytes ip6(f.begin() + 14, f.end());
    CHECK(in6_at(ip6, 24) == in6("ff02::1:ffcd:1234"));
    CHECK(ip6[7] == 255);
    CHECK(ref_l4_ok6(ip6));
    NdMessage nd;
    REQUIRE(parse_nd(ip6.data(), static_cast<uint32_t>(ip6.size()), nd));
    CHECK(nd.type == kIcmp6Ns);
    CHECK(nd.target == in6("2001:db8:1::abcd:1234"));
    CHECK(nd.has_link_addr);
    CHECK(nd.link_addr == kOwnMac);
}

TEST_CASE("local reply: an advertisement answers a solicitation, solicited and override", "[local][rfc4861]")
{
    const Bytes ns = ns_from_peer(true);
    NdMessage nd;
    REQUIRE(parse_nd(ns.data(), static_cast<uint32_t>(ns.size()), nd));
    CHECK(nd.target == kOwn6);
    CHECK(nd.link_addr == kPeerMac);
    Bytes na(kIp6HeaderLen + kNdLen);
    MacBytes dst{};
    CHECK(build_neighbour_advert(na.data(), kOwnMac, kOwn6, kPeer6, kPeerMac, dst) == na.size());
    CHECK(dst == kPeerMac);
    CHECK(in6_at(na, 8) == kOwn6);
    CHECK(in6_at(na, 24) == kPeer6);
    CHECK(na[40] == kIcmp6Na);
    CHECK(be32_at(na, 44) == 0x60000000u);   // S and O
    CHECK(in6_at(na, 48) == kOwn6);
    CHECK(ref_l4_ok6(na));
    // Duplicate address detection: from ::, answered to all-nodes, not solicited.
    CHECK(build_neighbour_advert(na.data(), kOwnMac, kOwn6, In6{}, kPeerMac, dst) == na.size());
    CHECK(in6_at(na, 24) == in6("ff02::1"));
    CHECK(be32_at(na, 44) == 0x20000000u);
    CHECK(dst == (MacBytes{0x33, 0x33, 0, 0, 0, 1}));
    CHECK(ref_l4_ok6(na));
}

TEST_CASE("local reply: neighbour discovery that is not on-link or not intact is ignored", "[local][rfc4861]")
{
    NdMessage nd;
    Bytes ns = ns_from_peer(true);
    ns[7] = 64;   // RFC 4861 s7.1.1: hop limit must be 255
    CHECK_FALSE(parse_nd(ns.data(), static_cast<uint32_t>(ns.size()), nd));
    ns = ns_from_peer(true);
    ns[60] ^= 1;  // a byte of the option: the checksum no longer holds
    CHECK_FALSE(parse_nd(ns.data(), static_cast<uint32_t>(ns.size()), nd));
}

TEST_CASE("local reply: echo requests become replies, checksums recomputed", "[local][rfc792][rfc4443]")
{
    Bytes e6 = icmp6(kPeer6, kOwn6, 128, 0, echo_rest(7, 1), pattern(56));
    REQUIRE(answer_echo6(e6.data(), static_cast<uint32_t>(e6.size()), kOwn6) == Verdict::forward);
    CHECK(e6[40] == 129);
    CHECK(in6_at(e6, 8) == kOwn6);
    CHECK(in6_at(e6, 24) == kPeer6);
    CHECK(be32_at(e6, 44) == echo_rest(7, 1));
    CHECK(ref_l4_ok6(e6));
    Bytes e4 = icmp4(ip4("203.0.113.9"), ip4("198.51.100.1"), 8, 0, echo_rest(9, 2), pattern(32));
    REQUIRE(answer_echo4(e4.data(), static_cast<uint32_t>(e4.size())) == Verdict::forward);
    CHECK(e4[20] == 0);
    CHECK(be32_at(e4, 12) == ip4("198.51.100.1"));
    CHECK(be32_at(e4, 16) == ip4("203.0.113.9"));
    CHECK(ref_ip4_header_ok(e4));
    CHECK(ref_l4_ok4(e4));
    // Not a request, or corrupted: refused with its reason.
    Bytes reply = icmp6(kPeer6, kOwn6, 129, 0, 0, pattern(8));
    CHECK(answer_echo6(reply.data(), static_cast<uint32_t>(reply.size()), kOwn6) == Verdict::drop_not_for_us);
    Bytes bad = icmp6(kPeer6, kOwn6, 128, 0, 0, pattern(8));
    bad.back() ^= 0xFF;
    CHECK(answer_echo6(bad.data(), static_cast<uint32_t>(bad.size()), kOwn6) == Verdict::drop_bad_checksum);
    Bytes bad4 = icmp4(ip4("203.0.113.9"), ip4("198.51.100.1"), 8, 0, 0, pattern(8));
    bad4.back() ^= 0xFF;
    CHECK(answer_echo4(bad4.data(), static_cast<uint32_t>(bad4.size())) == Verdict::drop_bad_checksum);
}
