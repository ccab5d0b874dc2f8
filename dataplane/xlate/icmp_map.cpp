// ICMPv4 <-> ICMPv6 type/code, Parameter Problem pointer and PTB MTU mappings
// (RFC 7915 s4.2, s5.2, s6; RFC 1191 s7 plateau table).
#include "icmp_map.hpp"

#include <algorithm>
#include <array>

#include "internal.hpp"

namespace nat64d::xlate {
namespace {

constexpr IcmpMapping kDrop{};
constexpr IcmpMapping to(uint8_t type, uint8_t code) noexcept { return {true, type, code}; }

// ICMPv6 Destination Unreachable codes (RFC 4443 s3.1).
constexpr uint8_t kCode6NoRoute = 0;
constexpr uint8_t kCode6AdminProhibited = 1;
constexpr uint8_t kCode6BeyondScope = 2;
constexpr uint8_t kCode6AddrUnreach = 3;
constexpr uint8_t kCode6PortUnreach = 4;
// ICMPv6 Parameter Problem codes (RFC 4443 s3.4).
constexpr uint8_t kCode6ErroneousField = 0;
constexpr uint8_t kCode6UnknownNextHeader = 1;
// ICMPv4 Destination Unreachable codes (RFC 792, RFC 1122, RFC 1812).
constexpr uint8_t kCode4HostUnreach = 1;
constexpr uint8_t kCode4ProtoUnreach = 2;
constexpr uint8_t kCode4PortUnreach = 3;
constexpr uint8_t kCode4FragNeeded = 4;
constexpr uint8_t kCode4HostAdminProhibited = 10;
constexpr uint8_t kCode4HostPrecedence = 14;
constexpr uint8_t kCode4PrecedenceCutoff = 15;
// ICMPv4 Parameter Problem codes (RFC 792, RFC 1108).
// Code 1, a required option missing, has no IPv6 counterpart: not
// translated (RFC 7915 s4.2), so it needs no name here.
constexpr uint8_t kCode4PointerIndicates = 0;
constexpr uint8_t kCode4BadLength = 2;

constexpr uint32_t kIp4MinMtu = 68;   // RFC 791: every IPv4 link carries 68 bytes

} // namespace

IcmpMapping map_icmp_type_4to6(uint8_t type, uint8_t code) noexcept
{
    switch (type) {
    case kIcmp4Echo:
        return to(kIcmp6Echo, code);
    case kIcmp4EchoReply:
        return to(kIcmp6EchoReply, code);
    case kIcmp4DestUnreach:
        switch (code) {
        case 0: case 1: case 5: case 6: case 7: case 8: case 11: case 12:
            return to(kIcmp6DestUnreach, kCode6NoRoute);
        case kCode4ProtoUnreach:
            // Becomes Parameter Problem "unrecognized Next Header", pointer 6.
            return to(kIcmp6ParamProblem, kCode6UnknownNextHeader);
        case kCode4PortUnreach:
            return to(kIcmp6DestUnreach, kCode6PortUnreach);
        case kCode4FragNeeded:
            return to(kIcmp6PacketTooBig, 0);
        case 9: case 10: case 13: case kCode4PrecedenceCutoff:
            return to(kIcmp6DestUnreach, kCode6AdminProhibited);
        case kCode4HostPrecedence:
        default:
            return kDrop;
        }
    case kIcmp4TimeExceeded:
        return to(kIcmp6TimeExceeded, code);
    case kIcmp4ParamProblem:
        // Code 1 (missing required option) has no IPv6 counterpart.
        if (code == kCode4PointerIndicates || code == kCode4BadLength)
            return to(kIcmp6ParamProblem, kCode6ErroneousField);
        return kDrop;
    default:
        // Source quench, redirect, router and information messages, timestamps,
        // address masks and unknown types are single-hop or obsolete (s4.2).
        return kDrop;
    }
}

IcmpMapping map_icmp_type_6to4(uint8_t type, uint8_t code) noexcept
{
    switch (type) {
    case kIcmp6Echo:
        return to(kIcmp4Echo, code);
    case kIcmp6EchoReply:
        return to(kIcmp4EchoReply, code);
    case kIcmp6DestUnreach:
        switch (code) {
        case kCode6NoRoute:
        case kCode6BeyondScope:
        case kCode6AddrUnreach:
            return to(kIcmp4DestUnreach, kCode4HostUnreach);
        case kCode6AdminProhibited:
            return to(kIcmp4DestUnreach, kCode4HostAdminProhibited);
        case kCode6PortUnreach:
            return to(kIcmp4DestUnreach, kCode4PortUnreach);
        default:
            return kDrop;
        }
    case kIcmp6PacketTooBig:
        return to(kIcmp4DestUnreach, kCode4FragNeeded);
    case kIcmp6TimeExceeded:
        return to(kIcmp4TimeExceeded, code);
    case kIcmp6ParamProblem:
        if (code == kCode6ErroneousField)
            return to(kIcmp4ParamProblem, kCode4PointerIndicates);
        if (code == kCode6UnknownNextHeader)
            return to(kIcmp4DestUnreach, kCode4ProtoUnreach);
        return kDrop;   // code 2 (unrecognized option) and unknown codes
    default:
        // MLD (130-132, 143), ND (133-137) and unknown types are single-hop
        // or have no IPv4 counterpart (s5.2).
        return kDrop;
    }
}

bool map_param_pointer_4to6(uint8_t ptr4, uint32_t& ptr6) noexcept
{
    constexpr int kNa = -1;
    // Index: IPv4 header byte; value: IPv6 header byte (RFC 7915 Figure 3).
    constexpr std::array<int, 20> kTable = {
        0,  1,  4,   4,   kNa, kNa, kNa, kNa, 7,  6,
        kNa, kNa, 8, 8, 8, 8, 24, 24, 24, 24};
    if (ptr4 >= kTable.size() || kTable[ptr4] == kNa)
        return false;
    ptr6 = static_cast<uint32_t>(kTable[ptr4]);
    return true;
}

bool map_param_pointer_6to4(uint32_t ptr6, uint8_t& ptr4) noexcept
{
    // RFC 7915 Figure 6.
    if (ptr6 <= 1)
        ptr4 = static_cast<uint8_t>(ptr6);        // version / traffic class
    else if (ptr6 == 4 || ptr6 == 5)
        ptr4 = 2;                                  // payload length -> total length
    else if (ptr6 == 6)
        ptr4 = 9;                                  // next header -> protocol
    else if (ptr6 == 7)
        ptr4 = 8;                                  // hop limit -> TTL
    else if (ptr6 >= 8 && ptr6 <= 23)
        ptr4 = 12;                                 // source address
    else if (ptr6 >= 24 && ptr6 <= 39)
        ptr4 = 16;                                 // destination address
    else
        return false;                              // flow label, extension headers
    return true;
}

uint32_t plateau_mtu(uint32_t total_len) noexcept
{
    // RFC 1191 s7, Table 7-1.
    constexpr std::array<uint32_t, 11> kPlateaus = {65535, 32000, 17914, 8166, 4352, 2002,
                                                    1492,  1006,  508,   296,  68};
    for (uint32_t p : kPlateaus)
        if (p < total_len)
            return p;
    return kIp4MinMtu;
}

uint32_t ptb_mtu_4to6(uint32_t advertised, uint32_t quoted_total_len, const XlateConfig& cfg) noexcept
{
    // s4.2: a router that predates RFC 1191 advertises 0; estimate from the plateaus.
    uint32_t mtu4 = advertised != 0 ? advertised : plateau_mtu(quoted_total_len);
    constexpr uint32_t kGrowth = kIp6HeaderLen - kIp4HeaderLen;
    uint32_t mtu = std::min({mtu4 + kGrowth, cfg.mtu6, cfg.mtu4 + kGrowth});
    // s6 and RFC 8201 s4: IPv6 hosts ignore a PTB below 1280; the translator
    // sends packets up to 1260 bytes with DF clear, so IPv4 routers fragment them.
    return std::max(mtu, kIp6MinMtu);
}

uint32_t ptb_mtu_6to4(uint32_t advertised, const XlateConfig& cfg) noexcept
{
    constexpr uint32_t kShrink = kIp6HeaderLen - kIp4HeaderLen;
    uint32_t adv4 = advertised > kShrink ? advertised - kShrink : 0;
    uint32_t v6hop4 = cfg.mtu6 > kShrink ? cfg.mtu6 - kShrink : 0;
    uint32_t mtu = std::min({adv4, cfg.mtu4, v6hop4});
    return std::clamp(mtu, kIp4MinMtu, uint32_t{0xFFFF});
}

} // namespace nat64d::xlate
