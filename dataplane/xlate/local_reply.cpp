// ARP (RFC 826), neighbour discovery (RFC 4861) and echo replies (RFC 792,
// RFC 4443 s4.2) for the box's own addresses, as pure byte work.
#include "local_reply.hpp"

#include <algorithm>
#include <cstring>

#include "internal.hpp"

namespace nat64d::xlate {
namespace {

constexpr uint16_t kArpHwEthernet = 1;
constexpr uint16_t kArpOpRequest = 1;
constexpr uint16_t kArpOpReply = 2;
constexpr uint8_t kNdOptSourceLinkAddr = 1;
constexpr uint8_t kNdOptTargetLinkAddr = 2;
constexpr uint8_t kNdHopLimit = 255;        // RFC 4861 s7.1.1: only on-link senders
constexpr uint32_t kNdFixedLen = 24;        // type..target
constexpr uint32_t kNaFlagSolicited = 0x40000000;
constexpr uint32_t kNaFlagOverride = 0x20000000;
constexpr uint8_t kReplyHopLimit = 64;

uint16_t icmp6_sum(const uint8_t* ip6, uint32_t l4_len) noexcept
{
    return csum_finish(csum_add_bytes(pseudo_sum6(ip6 + 8, ip6 + 24, l4_len, kProtoIcmp6), ip6 + kIp6HeaderLen,
                                      l4_len));
}

bool is_unspecified(const In6& a) noexcept
{
    return std::all_of(a.begin(), a.end(), [](uint8_t b) { return b == 0; });
}

} // namespace

void write_ether(uint8_t* eth, const MacBytes& dst, const MacBytes& src, uint16_t type) noexcept
{
    std::memcpy(eth, dst.data(), 6);
    std::memcpy(eth + 6, src.data(), 6);
    store_be16(eth + 12, type);
}

bool parse_arp(const uint8_t* frame, uint32_t len, ArpMessage& out) noexcept
{
    if (len < kArpFrameLen)
        return false;
    const uint8_t* a = frame + kEtherHeaderLen;
    if (load_be16(a) != kArpHwEthernet || load_be16(a + 2) != kEtherTypeIp4 || a[4] != 6 || a[5] != 4)
        return false;
    out.op = load_be16(a + 6);
    std::memcpy(out.sender_mac.data(), a + 8, 6);
    out.sender = load_be32(a + 14);
    out.target = load_be32(a + 24);
    return out.op == kArpOpRequest || out.op == kArpOpReply;
}

void build_arp_request(uint8_t* frame, const MacBytes& own_mac, Ip4 own_ip, Ip4 target) noexcept
{
    const MacBytes broadcast{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    write_ether(frame, broadcast, own_mac, kEtherTypeArp);
    uint8_t* a = frame + kEtherHeaderLen;
    store_be16(a, kArpHwEthernet);
    store_be16(a + 2, kEtherTypeIp4);
    a[4] = 6;
    a[5] = 4;
    store_be16(a + 6, kArpOpRequest);
    std::memcpy(a + 8, own_mac.data(), 6);
    store_be32(a + 14, own_ip);
    std::memset(a + 18, 0, 6);
    store_be32(a + 24, target);
}

void answer_arp_request(uint8_t* frame, const ArpMessage& request, const MacBytes& own_mac) noexcept
{
    write_ether(frame, request.sender_mac, own_mac, kEtherTypeArp);
    uint8_t* a = frame + kEtherHeaderLen;
    store_be16(a + 6, kArpOpReply);
    std::memcpy(a + 8, own_mac.data(), 6);
    store_be32(a + 14, request.target);
    std::memcpy(a + 18, request.sender_mac.data(), 6);
    store_be32(a + 24, request.sender);
}

bool parse_nd(const uint8_t* ip6, uint32_t len, NdMessage& out) noexcept
{
    if (len < kIp6HeaderLen + kNdFixedLen || ip6[6] != kProtoIcmp6)
        return false;
    const uint32_t plen = load_be16(ip6 + 4);
    if (plen < kNdFixedLen || kIp6HeaderLen + plen > len)
        return false;
    const uint8_t* icmp = ip6 + kIp6HeaderLen;
    if ((icmp[0] != kIcmp6Ns && icmp[0] != kIcmp6Na) || icmp[1] != 0 || ip6[7] != kNdHopLimit)
        return false;
    if (icmp6_sum(ip6, plen) != 0)   // a sum over a correct checksum finishes as 0
        return false;
    out = NdMessage{};
    out.type = icmp[0];
    out.target = load_in6(icmp + 8);
    const uint8_t wanted = icmp[0] == kIcmp6Ns ? kNdOptSourceLinkAddr : kNdOptTargetLinkAddr;
    for (uint32_t off = kNdFixedLen; off + 2 <= plen;) {
        const uint32_t olen = icmp[off + 1] * 8u;
        if (olen == 0 || off + olen > plen)
            return false;   // RFC 4861 s7.1.1: options of length 0 invalidate the message
        if (icmp[off] == wanted && olen >= 8) {
            out.has_link_addr = true;
            std::memcpy(out.link_addr.data(), icmp + off + 2, 6);
        }
        off += olen;
    }
    return true;
}

void build_neighbour_solicit(uint8_t* frame, const MacBytes& own_mac, const In6& own_ip, const In6& target) noexcept
{
    // RFC 4291 s2.7.1: the solicited-node group ff02::1:ffXX:XXXX, and its
    // Ethernet group 33:33 + the low 32 bits (RFC 2464 s7).
    const In6 group{0xFF, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xFF, target[13], target[14], target[15]};
    const MacBytes mcast{0x33, 0x33, 0xFF, target[13], target[14], target[15]};
    write_ether(frame, mcast, own_mac, kEtherTypeIp6);
    uint8_t* ip6 = frame + kEtherHeaderLen;
    write_ip6_header(ip6, 0, kNdLen, kProtoIcmp6, kNdHopLimit, own_ip, group);
    uint8_t* ns = ip6 + kIp6HeaderLen;
    std::memset(ns, 0, kNdLen);
    ns[0] = kIcmp6Ns;
    store_in6(ns + 8, target);
    ns[24] = kNdOptSourceLinkAddr;
    ns[25] = 1;
    std::memcpy(ns + 26, own_mac.data(), 6);
    store_be16(ns + 2, icmp6_sum(ip6, kNdLen));
}

uint32_t build_neighbour_advert(uint8_t* ip6, const MacBytes& own_mac, const In6& own_ip, const In6& solicitor,
                                const MacBytes& solicitor_mac, MacBytes& dst_mac) noexcept
{
    // RFC 4861 s7.2.4: to the solicitor, solicited and override; to all-nodes
    // and not solicited when it was duplicate address detection.
    const bool dad = is_unspecified(solicitor);
    const In6 all_nodes{0xFF, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
    write_ip6_header(ip6, 0, kNdLen, kProtoIcmp6, kNdHopLimit, own_ip, dad ? all_nodes : solicitor);
    uint8_t* na = ip6 + kIp6HeaderLen;
    std::memset(na, 0, kNdLen);
    na[0] = kIcmp6Na;
    store_be32(na + 4, dad ? kNaFlagOverride : kNaFlagSolicited | kNaFlagOverride);
    store_in6(na + 8, own_ip);
    na[24] = kNdOptTargetLinkAddr;
    na[25] = 1;
    std::memcpy(na + 26, own_mac.data(), 6);
    store_be16(na + 2, icmp6_sum(ip6, kNdLen));
    dst_mac = dad ? MacBytes{0x33, 0x33, 0, 0, 0, 0x01} : solicitor_mac;
    return kIp6HeaderLen + kNdLen;
}

Verdict answer_echo6(uint8_t* ip6, uint32_t len, const In6& own) noexcept
{
    if (len < kIp6HeaderLen + kIcmpHeaderLen || ip6[6] != kProtoIcmp6)
        return Verdict::drop_not_for_us;
    const uint32_t plen = load_be16(ip6 + 4);
    if (plen < kIcmpHeaderLen || kIp6HeaderLen + plen > len)
        return Verdict::drop_malformed;
    uint8_t* icmp = ip6 + kIp6HeaderLen;
    if (icmp[0] != kIcmp6Echo || icmp[1] != 0)
        return Verdict::drop_not_for_us;
    if (icmp6_sum(ip6, plen) != 0)   // RFC 4443 s2.3: verified on receipt
        return Verdict::drop_bad_checksum;
    const In6 sender = load_in6(ip6 + 8);
    store_in6(ip6 + 24, sender);
    store_in6(ip6 + 8, own);
    ip6[7] = kReplyHopLimit;
    icmp[0] = kIcmp6EchoReply;
    store_be16(icmp + 2, 0);
    store_be16(icmp + 2, icmp6_sum(ip6, plen));
    return Verdict::forward;
}

Verdict answer_echo4(uint8_t* ip4, uint32_t len) noexcept
{
    if (len < kIp4HeaderLen || (ip4[0] >> 4) != kIp4Version)
        return Verdict::drop_malformed;
    const uint32_t ihl = (ip4[0] & 0x0Fu) * 4;
    const uint32_t total = load_be16(ip4 + 2);
    if (ihl < kIp4HeaderLen || total > len || total < ihl + kIcmpHeaderLen)
        return Verdict::drop_malformed;
    if (ip4[9] != kProtoIcmp4 || ip4[ihl] != kIcmp4Echo || ip4[ihl + 1] != 0 ||
        (load_be16(ip4 + 6) & (kIp4FlagMf | kIp4OffsetMask)) != 0)
        return Verdict::drop_not_for_us;
    uint8_t* icmp = ip4 + ihl;
    if (ip4_header_sum(ip4, ihl) != 0xFFFF || csum_fold(csum_add_bytes(0, icmp, total - ihl)) != 0xFFFF)
        return Verdict::drop_bad_checksum;
    const Ip4 src = load_be32(ip4 + 12);
    store_be32(ip4 + 12, load_be32(ip4 + 16));
    store_be32(ip4 + 16, src);
    ip4[8] = kReplyHopLimit;
    store_be16(ip4 + 10, 0);
    store_be16(ip4 + 10, csum_finish(csum_add_bytes(0, ip4, ihl)));
    icmp[0] = kIcmp4EchoReply;
    store_be16(icmp + 2, 0);
    store_be16(icmp + 2, csum_finish(csum_add_bytes(0, icmp, total - ihl)));
    return Verdict::forward;
}

} // namespace nat64d::xlate
