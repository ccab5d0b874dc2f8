// Shared by the translation fuzz targets: the input layout (a fixed block of
// settings, then the packet), a buffer allocated to the exact byte so ASan sees
// any access outside [l3 - headroom, l3 + len + tailroom), and the invariants
// of the IPv6 fragment writer (RFC 8200 s4.5). Expectations are computed here
// from the input bytes and checked with test/support/checksum_ref, never with
// the translator's own helpers.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "checksum_ref.hpp"
#include "dataplane/xlate/fragment.hpp"
#include "dataplane/xlate/translate.hpp"
#include "fuzz_check.hpp"

namespace nat64d::fuzz {

using Bytes = std::vector<uint8_t>;

inline uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint32_t be32(const uint8_t* p)
{
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
inline In6 in6_at(const uint8_t* p)
{
    In6 a;
    std::memcpy(a.data(), p, 16);
    return a;
}

/// The settings block in front of every translation input (docs/SECURITY.md
/// and gen_corpus.py write the same layout). Values below a minimum the config
/// validation enforces are raised to it, so the translator only sees settings
/// nat64d could run with.
struct XlateParams {
    static constexpr size_t kBytes = 24;

    uint32_t mtu_out = 0;        // next-hop MTU of the side the packet leaves on
    uint32_t mtu_in = 0;         // the other side's
    uint32_t lowest_ipv6_mtu = 0;
    uint32_t headroom = 0;       // bytes before l3
    uint32_t tailroom = 0;       // bytes after the packet
    uint16_t sport = 0, dport = 0, inner_sport = 0, inner_dport = 0;
    uint16_t ip4_id = 0;
    uint8_t addr_salt = 0;       // varies the rewrite addresses (checksum deltas)
    uint8_t icmp_type = 0, icmp_code = 0;
    uint32_t icmp_cap = 0;       // buffer for a generated ICMP error
    uint32_t frag_mtu = 0;       // fragment size for the fragment writer

    /// Reads the block; false if the input is shorter than it.
    bool read(const uint8_t* d, size_t n, uint32_t min_out, uint32_t min_in)
    {
        if (n < kBytes)
            return false;
        constexpr uint32_t kMinIp6Mtu = 1280;   // RFC 8200 s5
        mtu_out = std::max<uint32_t>(be16(d), min_out);
        mtu_in = std::max<uint32_t>(be16(d + 2), min_in);
        lowest_ipv6_mtu = std::max<uint32_t>(be16(d + 4), kMinIp6Mtu);
        headroom = d[6];
        tailroom = d[7];
        sport = be16(d + 8);
        dport = be16(d + 10);
        inner_sport = be16(d + 12);
        inner_dport = be16(d + 14);
        ip4_id = be16(d + 16);
        addr_salt = d[18];
        icmp_type = d[19];
        icmp_code = d[20];
        icmp_cap = std::min<uint32_t>(be16(d + 21), 2048);
        frag_mtu = std::min<uint32_t>(d[23] * 8u, 2048);   // 0..2040 in steps of 8
        return true;
    }
};

/// The packet between a headroom and a tailroom, in one allocation of exactly
/// that size, as an mbuf holds it.
class ExactBuffer {
public:
    ExactBuffer(const uint8_t* pkt, size_t len, uint32_t headroom, uint32_t tailroom)
        : size_(headroom + len + tailroom), mem_(new uint8_t[size_])
    {
        // Room around the packet holds a pattern, not zeros: nothing may rely on it.
        std::memset(mem_.get(), 0xA5, size_);
        if (len != 0)
            std::memcpy(mem_.get() + headroom, pkt, len);
        view.l3 = mem_.get() + headroom;
        view.len = static_cast<uint32_t>(len);
        view.headroom = headroom;
        view.tailroom = tailroom;
    }

    /// The view still describes the same writable area (move_view's promise).
    bool view_consistent() const
    {
        return view.l3 >= mem_.get() && view.l3 - view.headroom == mem_.get() &&
               view.l3 + view.len + view.tailroom == mem_.get() + size_;
    }
    Bytes packet() const { return {view.l3, view.l3 + view.len}; }

    xlate::PacketView view;

private:
    size_t size_;
    std::unique_ptr<uint8_t[]> mem_;
};

/// Splits the IPv6 packet ip6 as the worker does (each fragment into its own
/// buffer of exactly mtu bytes) and checks every fragment: a valid IPv6
/// header with one fragment header, at most mtu bytes, 8-byte aligned
/// offsets that continue where the previous fragment stopped, M set on all
/// but the last (and on the last if the packet was itself a non-last
/// fragment), and data that joins back into the original fragmentable part.
/// A packet whose data would end past offset 65535 is never split (RFC 8200
/// s4.5: no offset could name its tail). must_split: the packet is one the
/// translator made, so the writer must accept it unless it ends past 65535.
/// Returns the number of fragments.
inline uint32_t check_fragments_6(const uint8_t* ip6, uint32_t len, uint32_t mtu, uint32_t id,
                                  bool must_split)
{
    const uint32_t count = xlate::fragment_count_6(ip6, len, mtu);
    constexpr uint32_t kIp6 = 40, kFrag = 8, kMaxEnd = 0xFFFF;
    if (count == 0 && !must_split)
        return 0;
    FUZZ_CHECK(len >= kIp6);
    const uint32_t total = kIp6 + be16(ip6 + 4);
    FUZZ_CHECK(total <= len);
    const bool had_frag = ip6[6] == kProtoFragment;
    const uint32_t data_off = had_frag ? kIp6 + kFrag : kIp6;
    FUZZ_CHECK(total > data_off);
    const uint8_t nh = had_frag ? ip6[kIp6] : ip6[6];
    const uint32_t base = had_frag ? (be16(ip6 + kIp6 + 2) & ~7u) : 0;
    const bool last_more = had_frag && (be16(ip6 + kIp6 + 2) & 1u) != 0;
    const uint32_t frag_id = had_frag ? be32(ip6 + kIp6 + 4) : id;
    const bool fits = base + (total - data_off) <= kMaxEnd;
    FUZZ_CHECK((count != 0) == fits);
    if (count == 0)
        return 0;

    Bytes joined;
    for (uint32_t i = 0; i < count; ++i) {
        std::unique_ptr<uint8_t[]> out(new uint8_t[mtu]);
        const uint32_t n = xlate::write_fragment_6(out.get(), mtu, ip6, len, mtu, i, id);
        FUZZ_CHECK(n > kIp6 + kFrag && n <= mtu);
        const uint8_t* f = out.get();
        FUZZ_CHECK(std::memcmp(f, ip6, 4) == 0);                 // version, class, flow label
        FUZZ_CHECK(be16(f + 4) + kIp6 == n);
        FUZZ_CHECK(f[6] == kProtoFragment);
        FUZZ_CHECK(std::memcmp(f + 7, ip6 + 7, 33) == 0);        // hop limit, addresses
        FUZZ_CHECK(f[kIp6] == nh && f[kIp6 + 1] == 0);
        const uint16_t off_m = be16(f + kIp6 + 2);
        FUZZ_CHECK((off_m & 6u) == 0);                           // reserved bits
        FUZZ_CHECK((off_m & ~7u) == base + joined.size());      // no gap, no overlap, no wrap
        const bool last = i + 1 == count;
        FUZZ_CHECK(((off_m & 1u) != 0) == (!last || last_more));
        FUZZ_CHECK(be32(f + kIp6 + 4) == frag_id);
        const uint32_t chunk = n - kIp6 - kFrag;
        FUZZ_CHECK(last || chunk % 8 == 0);
        joined.insert(joined.end(), f + kIp6 + kFrag, f + n);
    }
    FUZZ_CHECK(joined.size() == total - data_off);
    FUZZ_CHECK(std::memcmp(joined.data(), ip6 + data_off, joined.size()) == 0);
    std::unique_ptr<uint8_t[]> out(new uint8_t[mtu]);
    FUZZ_CHECK(xlate::write_fragment_6(out.get(), mtu, ip6, len, mtu, count, id) == 0);
    return count;
}

} // namespace nat64d::fuzz
