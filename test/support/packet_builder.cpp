// Test packet builders (RFC 791, RFC 8200, RFC 793, RFC 768, RFC 792, RFC 4443 layouts).
#include "packet_builder.hpp"

#include <arpa/inet.h>

#include <cstdio>
#include <cstdlib>

#include "checksum_ref.hpp"

namespace nat64d::test {
namespace {

void put16(Bytes& b, uint16_t v)
{
    b.push_back(static_cast<uint8_t>(v >> 8));
    b.push_back(static_cast<uint8_t>(v));
}
void put32(Bytes& b, uint32_t v)
{
    put16(b, static_cast<uint16_t>(v >> 16));
    put16(b, static_cast<uint16_t>(v));
}
void set16(Bytes& b, size_t off, uint16_t v)
{
    b.at(off) = static_cast<uint8_t>(v >> 8);
    b.at(off + 1) = static_cast<uint8_t>(v);
}
size_t csum_offset(uint8_t proto)
{
    switch (proto) {
    case 6: return 16;
    case 17: return 6;
    default: return 2;   // ICMP, ICMPv6
    }
}

} // namespace

In6 in6(const char* text)
{
    In6 a{};
    if (inet_pton(AF_INET6, text, a.data()) != 1) {
        std::fprintf(stderr, "bad IPv6 literal %s\n", text);
        std::abort();
    }
    return a;
}

Ip4 ip4(const char* text)
{
    uint8_t b[4];
    if (inet_pton(AF_INET, text, b) != 1) {
        std::fprintf(stderr, "bad IPv4 literal %s\n", text);
        std::abort();
    }
    return (Ip4{b[0]} << 24) | (Ip4{b[1]} << 16) | (Ip4{b[2]} << 8) | b[3];
}

Bytes cat(std::initializer_list<Bytes> parts)
{
    Bytes out;
    for (const Bytes& p : parts)
        out.insert(out.end(), p.begin(), p.end());
    return out;
}

Bytes pattern(size_t n, uint8_t first)
{
    Bytes b(n);
    for (size_t i = 0; i < n; ++i)
        b[i] = static_cast<uint8_t>(first + i);
    return b;
}

Bytes ip4_packet(const Ip4Hdr& h, const Bytes& payload)
{
    Bytes opts = h.options;
    while (opts.size() % 4 != 0)
        opts.push_back(0);
    const size_t ihl = 20 + opts.size();
    Bytes b;
    b.push_back(static_cast<uint8_t>(0x40 | (ihl / 4)));
    b.push_back(h.tos);
    put16(b, h.total_len ? *h.total_len : static_cast<uint16_t>(ihl + payload.size()));
    put16(b, h.id);
    uint16_t ff = static_cast<uint16_t>((h.df ? 0x4000 : 0) | (h.mf ? 0x2000 : 0) |
                                        (h.frag_offset_bytes / 8));
    put16(b, ff);
    b.push_back(h.ttl);
    b.push_back(h.proto);
    put16(b, 0);
    put32(b, h.src);
    put32(b, h.dst);
    b.insert(b.end(), opts.begin(), opts.end());
    uint16_t cs = ref_checksum(b);
    if (h.corrupt_checksum)
        cs = static_cast<uint16_t>(cs ^ 0x5555);
    set16(b, 10, cs);
    b.insert(b.end(), payload.begin(), payload.end());
    return b;
}

Bytes ip6_packet(const Ip6Hdr& h, const Bytes& payload)
{
    Bytes b;
    put32(b, (6u << 28) | (uint32_t{h.tclass} << 20) | (h.flow & 0xFFFFF));
    put16(b, h.payload_len ? *h.payload_len : static_cast<uint16_t>(payload.size()));
    b.push_back(h.nh);
    b.push_back(h.hop);
    b.insert(b.end(), h.src.begin(), h.src.end());
    b.insert(b.end(), h.dst.begin(), h.dst.end());
    b.insert(b.end(), payload.begin(), payload.end());
    return b;
}

Bytes options_header(uint8_t nh, uint8_t ext_len)
{
    const size_t len = 8 * (size_t{ext_len} + 1);
    Bytes b(len, 0);
    b[0] = nh;
    b[1] = ext_len;
    // One PadN option covering the rest (RFC 8200 s4.2).
    b[2] = 1;
    b[3] = static_cast<uint8_t>(len - 4);
    return b;
}

Bytes routing_header(uint8_t nh, uint8_t segments_left)
{
    Bytes b{nh, 2, 0, segments_left, 0, 0, 0, 0};
    In6 a = in6("2001:db8:ffff::1");
    b.insert(b.end(), a.begin(), a.end());
    return b;
}

Bytes frag_header(uint8_t nh, uint16_t offset_bytes, bool more, uint32_t id)
{
    Bytes b{nh, 0};
    put16(b, static_cast<uint16_t>((offset_bytes & 0xFFF8) | (more ? 1 : 0)));
    put32(b, id);
    return b;
}

Bytes tcp_header(uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
                 uint16_t window)
{
    Bytes b;
    put16(b, sport);
    put16(b, dport);
    put32(b, seq);
    put32(b, ack);
    b.push_back(5 << 4);
    b.push_back(flags);
    put16(b, window);
    put16(b, 0);   // checksum
    put16(b, 0);   // urgent pointer
    return b;
}

Bytes udp_header(uint16_t sport, uint16_t dport, size_t payload_len)
{
    Bytes b;
    put16(b, sport);
    put16(b, dport);
    put16(b, static_cast<uint16_t>(8 + payload_len));
    put16(b, 0);
    return b;
}

Bytes icmp_header(uint8_t type, uint8_t code, uint32_t rest)
{
    Bytes b{type, code, 0, 0};
    put32(b, rest);
    return b;
}

void set_l4_checksum4(Bytes& l4, uint8_t proto, Ip4 src, Ip4 dst)
{
    const size_t off = csum_offset(proto);
    set16(l4, off, 0);
    uint16_t cs = proto == 1 ? ref_checksum(l4) : ref_checksum4(src, dst, proto, l4.data(), l4.size());
    if (proto == 17 && cs == 0)
        cs = 0xFFFF;
    set16(l4, off, cs);
}

void set_l4_checksum6(Bytes& l4, uint8_t nh, const In6& src, const In6& dst)
{
    const size_t off = csum_offset(nh);
    set16(l4, off, 0);
    uint16_t cs = ref_checksum6(src, dst, nh, l4.data(), l4.size());
    if (nh == 17 && cs == 0)
        cs = 0xFFFF;
    set16(l4, off, cs);
}

Bytes tcp4(Ip4 src, Ip4 dst, uint16_t sport, uint16_t dport, const Bytes& data, Ip4Hdr h)
{
    Bytes l4 = cat({tcp_header(sport, dport), data});
    set_l4_checksum4(l4, 6, src, dst);
    h.proto = 6;
    h.src = src;
    h.dst = dst;
    return ip4_packet(h, l4);
}

Bytes udp4(Ip4 src, Ip4 dst, uint16_t sport, uint16_t dport, const Bytes& data, Ip4Hdr h)
{
    Bytes l4 = cat({udp_header(sport, dport, data.size()), data});
    set_l4_checksum4(l4, 17, src, dst);
    h.proto = 17;
    h.src = src;
    h.dst = dst;
    return ip4_packet(h, l4);
}

Bytes icmp4(Ip4 src, Ip4 dst, uint8_t type, uint8_t code, uint32_t rest, const Bytes& data, Ip4Hdr h)
{
    Bytes l4 = cat({icmp_header(type, code, rest), data});
    set_l4_checksum4(l4, 1, src, dst);
    h.proto = 1;
    h.src = src;
    h.dst = dst;
    return ip4_packet(h, l4);
}

Bytes tcp6(const In6& src, const In6& dst, uint16_t sport, uint16_t dport, const Bytes& data, Ip6Hdr h)
{
    Bytes l4 = cat({tcp_header(sport, dport), data});
    set_l4_checksum6(l4, 6, src, dst);
    h.nh = 6;
    h.src = src;
    h.dst = dst;
    return ip6_packet(h, l4);
}

Bytes udp6(const In6& src, const In6& dst, uint16_t sport, uint16_t dport, const Bytes& data, Ip6Hdr h)
{
    Bytes l4 = cat({udp_header(sport, dport, data.size()), data});
    set_l4_checksum6(l4, 17, src, dst);
    h.nh = 17;
    h.src = src;
    h.dst = dst;
    return ip6_packet(h, l4);
}

Bytes icmp6(const In6& src, const In6& dst, uint8_t type, uint8_t code, uint32_t rest,
            const Bytes& data, Ip6Hdr h)
{
    Bytes l4 = cat({icmp_header(type, code, rest), data});
    set_l4_checksum6(l4, 58, src, dst);
    h.nh = 58;
    h.src = src;
    h.dst = dst;
    return ip6_packet(h, l4);
}

uint16_t be16_at(const Bytes& b, size_t off)
{
    return static_cast<uint16_t>((b.at(off) << 8) | b.at(off + 1));
}

uint32_t be32_at(const Bytes& b, size_t off)
{
    return (uint32_t{be16_at(b, off)} << 16) | be16_at(b, off + 2);
}

In6 in6_at(const Bytes& b, size_t off)
{
    In6 a{};
    for (size_t i = 0; i < 16; ++i)
        a[i] = b.at(off + i);
    return a;
}

} // namespace nat64d::test
