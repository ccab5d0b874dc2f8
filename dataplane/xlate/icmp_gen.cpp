// ICMPv4 / ICMPv6 errors the box originates (RFC 792, RFC 1191, RFC 4443),
// written into a caller's buffer; quoting limits from RFC 1812 s4.3.2.3 and
// RFC 4443 s2.4 (c), never about an error (RFC 1812 s4.3.2.7, RFC 4443 s2.4 (e)).
#include "icmp_gen.hpp"

#include <algorithm>
#include <cstring>

#include "internal.hpp"

namespace nat64d::xlate {
namespace {

constexpr uint32_t kIcmp4ErrorHeaders = kIp4HeaderLen + kIcmpHeaderLen;
constexpr uint32_t kIcmp6ErrorHeaders = kIp6HeaderLen + kIcmpHeaderLen;
// RFC 792: at least the IP header and the first 64 bits of its data.
constexpr uint32_t kMinQuotedData = 8;

// True if orig is an ICMPv4 error (or a non-first fragment of anything, which
// RFC 1812 s4.3.2.7 also excludes).
bool must_not_answer_4(const uint8_t* orig, uint32_t ihl, uint32_t orig_len) noexcept
{
    if ((load_be16(orig + 6) & kIp4OffsetMask) != 0)
        return true;
    if (orig[9] != kProtoIcmp4)
        return false;
    return orig_len <= ihl || is_icmp4_error_type(orig[ihl]);
}

bool must_not_answer_6(const uint8_t* orig, uint32_t orig_len) noexcept
{
    Ext6 e;
    if (walk_ext_6(orig, orig_len, e) != Verdict::forward)
        return false;   // still worth an error (e.g. Parameter Problem)
    if (e.proto != kProtoIcmp6)
        return false;
    if (e.frag_off != 0 && (load_be16(orig + e.frag_off + 2) & ~7u) != 0)
        return false;
    return e.l4_off >= orig_len || orig[e.l4_off] < kIcmp6FirstInfo;
}

} // namespace

uint32_t build_icmp4_error(uint8_t* out, uint32_t cap, const uint8_t* orig, uint32_t orig_len,
                           Ip4 src, uint8_t type, uint8_t code, uint32_t param) noexcept
{
    if (orig_len < kIp4HeaderLen || (orig[0] >> 4) != kIp4Version)
        return 0;
    const uint32_t ihl = (orig[0] & 0x0Fu) * 4;
    if (ihl < kIp4HeaderLen || ihl > orig_len || must_not_answer_4(orig, ihl, orig_len))
        return 0;
    const uint32_t orig_total = std::min<uint32_t>(orig_len, load_be16(orig + 2));
    uint32_t quote = std::min({orig_total, kIp4MinErrorLen - kIcmp4ErrorHeaders});
    if (cap < kIcmp4ErrorHeaders)
        return 0;
    quote = std::min(quote, cap - kIcmp4ErrorHeaders);
    if (quote < std::min(orig_total, ihl + kMinQuotedData))
        return 0;
    const uint32_t total = kIcmp4ErrorHeaders + quote;
    const Ip4 dst = load_be32(orig + 12);

    uint8_t* icmp = out + kIp4HeaderLen;
    std::memmove(icmp + kIcmpHeaderLen, orig, quote);
    icmp[0] = type;
    icmp[1] = code;
    store_be16(icmp + 2, 0);
    store_be32(icmp + 4, 0);
    if (type == kIcmp4DestUnreach)
        store_be16(icmp + 6, static_cast<uint16_t>(param));   // RFC 1191 s4: next-hop MTU
    else if (type == kIcmp4ParamProblem)
        icmp[4] = static_cast<uint8_t>(param);                // RFC 792: pointer
    store_be16(icmp + 2, csum_finish(csum_add_bytes(0, icmp, total - kIp4HeaderLen)));
    // Errors stay within 576 bytes, never need fragmenting, so id 0 and DF clear.
    write_ip4_header(out, 0, total, 0, 0, kDefaultTtl, kProtoIcmp4, src, dst);
    return total;
}

uint32_t build_icmp6_error(uint8_t* out, uint32_t cap, const uint8_t* orig, uint32_t orig_len,
                           const In6& src, uint8_t type, uint8_t code, uint32_t param) noexcept
{
    if (orig_len < kIp6HeaderLen || (orig[0] >> 4) != kIp6Version)
        return 0;
    const uint32_t orig_total = std::min<uint32_t>(orig_len, kIp6HeaderLen + load_be16(orig + 4));
    if (must_not_answer_6(orig, orig_total))
        return 0;
    if (cap < kIcmp6ErrorHeaders + kIp6HeaderLen)
        return 0;
    uint32_t quote = std::min({orig_total, kIp6MinMtu - kIcmp6ErrorHeaders,
                               cap - kIcmp6ErrorHeaders});
    const uint32_t total = kIcmp6ErrorHeaders + quote;
    const In6 dst = load_in6(orig + 8);

    uint8_t* icmp = out + kIp6HeaderLen;
    std::memmove(icmp + kIcmpHeaderLen, orig, quote);
    icmp[0] = type;
    icmp[1] = code;
    store_be16(icmp + 2, 0);
    store_be32(icmp + 4, param);   // MTU (type 2), pointer (type 4), else unused
    const uint32_t icmp_len = total - kIp6HeaderLen;
    uint32_t sum = pseudo_sum6(src.data(), dst.data(), icmp_len, kProtoIcmp6);
    store_be16(icmp + 2, csum_finish(csum_add_bytes(sum, icmp, icmp_len)));
    write_ip6_header(out, 0, icmp_len, kProtoIcmp6, kDefaultTtl, src, dst);
    return total;
}

} // namespace nat64d::xlate
