// Shared addresses and helpers for the xlate unit tests: one IPv6 client, one
// IPv4 server reached through 64:ff9b::/96, one public IPv4 address of the box.
#pragma once
#include <catch2/catch.hpp>

#include "checksum_ref.hpp"
#include "dataplane/xlate/local_reply.hpp"
#include "dataplane/xlate/translate.hpp"
#include "packet_buffer.hpp"
#include "packet_builder.hpp"

namespace nat64d::test {

using xlate::Parsed4;
using xlate::Parsed6;
using xlate::Rewrite4;
using xlate::Rewrite6;
using xlate::XlateConfig;

inline const In6 kHost6 = in6("2001:db8:1::10");        // IPv6-only client
inline const In6 kRouter6 = in6("2001:db8:1::1");       // an IPv6 router on the inside
inline const In6 kServer6 = in6("64:ff9b::c633:6407");  // 198.51.100.7 via the WKP
inline const In6 kRouter4As6 = in6("64:ff9b::c000:201");// 192.0.2.1 via the WKP
inline const Ip4 kServer4 = ip4("198.51.100.7");
inline const Ip4 kRouter4 = ip4("192.0.2.1");
inline const Ip4 kPublic4 = ip4("203.0.113.5");         // the box's public address
inline const xlate::MacBytes kOwnMac{0x02, 0, 0, 0, 0x64, 0x01};   // the box's inside port
inline constexpr uint16_t kHostPort = 40000;
inline constexpr uint16_t kPublicPort = 61000;
inline constexpr uint16_t kServerPort = 443;
inline constexpr uint16_t kIp4Id = 0x1234;

/// 6to4: the client's packet leaves from the public address and port.
inline const Rewrite4 kOut6to4{kPublic4, kServer4, kPublicPort, kServerPort};
/// 4to6: the server's reply reaches the client.
inline const Rewrite6 kOut4to6{kServer6, kHost6, kServerPort, kHostPort};

struct Translated {
    Verdict verdict;
    Bytes out;                 // the packet after the call (unchanged on refusal)
    xlate::PacketView view;
};

inline Translated run_6to4(const Bytes& in, const Rewrite4& outer = kOut6to4,
                           const Rewrite4& inner = {}, const XlateConfig& cfg = {},
                           uint32_t headroom = 128)
{
    Parsed6 p;
    Verdict v = xlate::parse_6(in.data(), static_cast<uint32_t>(in.size()), p);
    INFO("parse_6: " << verdict_name(v));
    REQUIRE(v == Verdict::forward);
    PacketBuffer b(in, headroom);
    v = xlate::translate_6to4(b.view, p, outer, inner, cfg, kIp4Id);
    return {v, b.bytes(), b.view};
}

inline Translated run_4to6(const Bytes& in, const Rewrite6& outer = kOut4to6,
                           const Rewrite6& inner = {}, const XlateConfig& cfg = {},
                           uint32_t headroom = 128)
{
    Parsed4 p;
    Verdict v = xlate::parse_4(in.data(), static_cast<uint32_t>(in.size()), p);
    INFO("parse_4: " << verdict_name(v));
    REQUIRE(v == Verdict::forward);
    PacketBuffer b(in, headroom);
    v = xlate::translate_4to6(b.view, p, outer, inner, cfg);
    return {v, b.bytes(), b.view};
}

inline Verdict parse6_verdict(const Bytes& in)
{
    Parsed6 p;
    return xlate::parse_6(in.data(), static_cast<uint32_t>(in.size()), p);
}

inline Verdict parse4_verdict(const Bytes& in)
{
    Parsed4 p;
    return xlate::parse_4(in.data(), static_cast<uint32_t>(in.size()), p);
}

inline Bytes slice(const Bytes& b, size_t off, size_t len = SIZE_MAX)
{
    size_t end = len == SIZE_MAX ? b.size() : off + len;
    return Bytes(b.begin() + static_cast<std::ptrdiff_t>(off),
                 b.begin() + static_cast<std::ptrdiff_t>(end));
}

} // namespace nat64d::test

namespace Catch {
template <>
struct StringMaker<nat64d::Verdict> {
    static std::string convert(nat64d::Verdict v) { return std::string(nat64d::verdict_name(v)); }
};
} // namespace Catch
