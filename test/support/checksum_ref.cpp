// Independent full checksum computation for tests (RFC 1071, RFC 768, RFC 793,
// RFC 4443 s2.3, RFC 8200 s8.1).
#include "checksum_ref.hpp"

namespace nat64d::test {
namespace {

struct Summer {
    uint64_t total = 0;
    bool odd = false;   // next byte is the low half of a word
    void byte(uint8_t b)
    {
        total += odd ? uint64_t{b} : uint64_t{b} << 8;
        odd = !odd;
    }
    void bytes(const uint8_t* p, size_t n)
    {
        for (size_t i = 0; i < n; ++i)
            byte(p[i]);
    }
    void be32(uint32_t v)
    {
        for (int s = 24; s >= 0; s -= 8)
            byte(static_cast<uint8_t>(v >> s));
    }
    uint16_t result() const
    {
        uint64_t t = total;
        while (t > 0xFFFF)
            t = (t & 0xFFFF) + (t >> 16);
        return static_cast<uint16_t>(~t & 0xFFFF);
    }
};

} // namespace

uint16_t ref_checksum(const uint8_t* p, size_t len)
{
    Summer s;
    s.bytes(p, len);
    return s.result();
}

uint16_t ref_checksum(const std::vector<uint8_t>& data)
{
    return ref_checksum(data.data(), data.size());
}

uint16_t ref_checksum4(Ip4 src, Ip4 dst, uint8_t proto, const uint8_t* l4, size_t len)
{
    Summer s;
    s.be32(src);
    s.be32(dst);
    s.byte(0);
    s.byte(proto);
    s.byte(static_cast<uint8_t>(len >> 8));
    s.byte(static_cast<uint8_t>(len));
    s.bytes(l4, len);
    return s.result();
}

uint16_t ref_checksum6(const In6& src, const In6& dst, uint8_t nh, const uint8_t* l4, size_t len)
{
    Summer s;
    s.bytes(src.data(), 16);
    s.bytes(dst.data(), 16);
    s.be32(static_cast<uint32_t>(len));
    s.be32(nh);
    s.bytes(l4, len);
    return s.result();
}

bool ref_ip4_header_ok(const std::vector<uint8_t>& pkt)
{
    if (pkt.size() < 20)
        return false;
    size_t ihl = (pkt[0] & 0x0Fu) * 4u;
    return pkt.size() >= ihl && ref_checksum(pkt.data(), ihl) == 0;
}

bool ref_l4_ok4(const std::vector<uint8_t>& pkt)
{
    size_t ihl = (pkt[0] & 0x0Fu) * 4u;
    size_t total = (size_t{pkt[2]} << 8) | pkt[3];
    const uint8_t* l4 = pkt.data() + ihl;
    size_t len = total - ihl;
    uint8_t proto = pkt[9];
    if (proto == 1)
        return ref_checksum(l4, len) == 0;
    if (proto == 17 && l4[6] == 0 && l4[7] == 0)
        return true;   // "no checksum"
    Ip4 src = (Ip4{pkt[12]} << 24) | (Ip4{pkt[13]} << 16) | (Ip4{pkt[14]} << 8) | pkt[15];
    Ip4 dst = (Ip4{pkt[16]} << 24) | (Ip4{pkt[17]} << 16) | (Ip4{pkt[18]} << 8) | pkt[19];
    return ref_checksum4(src, dst, proto, l4, len) == 0;
}

bool ref_l4_ok6(const std::vector<uint8_t>& pkt, size_t l4_off)
{
    size_t total = 40 + ((size_t{pkt[4]} << 8) | pkt[5]);
    In6 src, dst;
    for (size_t i = 0; i < 16; ++i) {
        src[i] = pkt[8 + i];
        dst[i] = pkt[24 + i];
    }
    // The protocol is the next header of the last header before l4_off.
    uint8_t nh = pkt[6];
    size_t off = 40;
    while (off < l4_off) {
        uint8_t next = pkt[off];
        size_t hlen = nh == 44 ? 8 : (size_t{pkt[off + 1]} + 1) * 8;
        nh = next;
        off += hlen;
    }
    return ref_checksum6(src, dst, nh, pkt.data() + l4_off, total - l4_off) == 0;
}

} // namespace nat64d::test
