// Test packet builders: every header field by field, byte by byte, with lengths
// and checksums filled in by the independent checksum_ref. Shares no code with
// dataplane/xlate beyond the address types in bytes.hpp.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <vector>

#include "dataplane/xlate/bytes.hpp"

namespace nat64d::test {

using Bytes = std::vector<uint8_t>;

/// "2001:db8::1" -> In6; "192.0.2.1" -> Ip4 (host order). Abort on bad text.
In6 in6(const char* text);
Ip4 ip4(const char* text);

Bytes cat(std::initializer_list<Bytes> parts);
/// n bytes 0, 1, 2, ... (mod 256) starting at `first`.
Bytes pattern(size_t n, uint8_t first = 0);

struct Ip4Hdr {
    uint8_t tos = 0;
    uint16_t id = 0;
    bool df = false;
    bool mf = false;
    uint16_t frag_offset_bytes = 0;   // multiple of 8
    uint8_t ttl = 64;
    uint8_t proto = 6;
    Ip4 src = 0xC0000201;   // 192.0.2.1: a source a router forwards (RFC 1812 s5.3.7)
    Ip4 dst = 0;
    Bytes options;                    // padded to 4 bytes with End of Options
    std::optional<uint16_t> total_len;   // override (e.g. a quoted, cut packet)
    bool corrupt_checksum = false;
};
/// An IPv4 packet: header (IHL from options, total length, checksum) + payload.
Bytes ip4_packet(const Ip4Hdr& h, const Bytes& payload);

struct Ip6Hdr {
    uint8_t tclass = 0;
    uint32_t flow = 0;
    uint8_t nh = 6;
    uint8_t hop = 64;
    In6 src{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};   // 2001:db8::1, a unicast source
    In6 dst{};
    std::optional<uint16_t> payload_len;   // override
};
/// An IPv6 packet: header (payload length) + payload (extension headers included).
Bytes ip6_packet(const Ip6Hdr& h, const Bytes& payload);

/// Hop-by-hop or destination options header of 8 * (1 + ext_len) bytes filled with PadN.
Bytes options_header(uint8_t nh, uint8_t ext_len = 0);
/// Routing header type 0 with one address and the given segments left (24 bytes).
Bytes routing_header(uint8_t nh, uint8_t segments_left);
/// Fragment header (RFC 8200 s4.5).
Bytes frag_header(uint8_t nh, uint16_t offset_bytes, bool more, uint32_t id);

/// TCP header without options, checksum 0.
Bytes tcp_header(uint16_t sport, uint16_t dport, uint32_t seq = 1, uint32_t ack = 0,
                 uint8_t flags = 0x02, uint16_t window = 65535);
/// UDP header, length = 8 + payload_len, checksum 0.
Bytes udp_header(uint16_t sport, uint16_t dport, size_t payload_len);
/// ICMP / ICMPv6 header: type, code, checksum 0, 4 bytes `rest`.
Bytes icmp_header(uint8_t type, uint8_t code, uint32_t rest = 0);
/// ICMP echo rest-of-header: identifier and sequence.
inline uint32_t echo_rest(uint16_t id, uint16_t seq) { return (uint32_t{id} << 16) | seq; }

/// Fills the checksum of an upper-layer block (TCP at 16, UDP at 6, ICMP at 2)
/// using the pseudo-header of the given family. ICMPv4 (proto 1) has none.
void set_l4_checksum4(Bytes& l4, uint8_t proto, Ip4 src, Ip4 dst);
void set_l4_checksum6(Bytes& l4, uint8_t nh, const In6& src, const In6& dst);

/// Whole packets in one call, checksums correct.
Bytes tcp4(Ip4 src, Ip4 dst, uint16_t sport, uint16_t dport, const Bytes& data, Ip4Hdr h = {});
Bytes udp4(Ip4 src, Ip4 dst, uint16_t sport, uint16_t dport, const Bytes& data, Ip4Hdr h = {});
Bytes icmp4(Ip4 src, Ip4 dst, uint8_t type, uint8_t code, uint32_t rest, const Bytes& data,
            Ip4Hdr h = {});
Bytes tcp6(const In6& src, const In6& dst, uint16_t sport, uint16_t dport, const Bytes& data,
           Ip6Hdr h = {});
Bytes udp6(const In6& src, const In6& dst, uint16_t sport, uint16_t dport, const Bytes& data,
           Ip6Hdr h = {});
Bytes icmp6(const In6& src, const In6& dst, uint8_t type, uint8_t code, uint32_t rest,
            const Bytes& data, Ip6Hdr h = {});

/// Field readers for assertions on output.
uint16_t be16_at(const Bytes& b, size_t off);
uint32_t be32_at(const Bytes& b, size_t off);
In6 in6_at(const Bytes& b, size_t off);

} // namespace nat64d::test
