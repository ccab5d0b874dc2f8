// Splitting translated IPv6 packets (RFC 8200 s4.5) for IPv4 packets with DF
// clear larger than lowest-ipv6-mtu (RFC 7915 s4.1).
#include "dataplane/xlate/fragment.hpp"
#include "xlate_fixtures.hpp"

using namespace nat64d;
using namespace nat64d::test;
using nat64d::xlate::fragment_count_6;
using nat64d::xlate::write_fragment_6;

namespace {

struct Fragment {
    Bytes bytes;
};

std::vector<Bytes> split(const Bytes& pkt, uint32_t mtu, uint32_t id)
{
    std::vector<Bytes> out;
    const uint32_t n = fragment_count_6(pkt.data(), static_cast<uint32_t>(pkt.size()), mtu);
    for (uint32_t i = 0; i < n; ++i) {
        Bytes f(4096);
        uint32_t len = write_fragment_6(f.data(), 4096, pkt.data(), static_cast<uint32_t>(pkt.size()),
                                        mtu, i, id);
        f.resize(len);
        out.push_back(f);
    }
    return out;
}

} // namespace

TEST_CASE("fragment: a large packet splits into 8-byte aligned fragments within the MTU",
          "[fragment][rfc8200]")
{
    const Bytes pkt = udp6(kServer6, kHost6, 53, kHostPort, pattern(2992));   // 40 + 3000
    const std::vector<Bytes> frags = split(pkt, 1280, 0xCAFE);
    REQUIRE(frags.size() == 3);   // 1232 + 1232 + 536
    Bytes reassembled;
    uint32_t expected_off = 0;
    for (size_t i = 0; i < frags.size(); ++i) {
        const Bytes& f = frags[i];
        INFO("fragment " << i);
        CHECK(f.size() <= 1280);
        CHECK(slice(f, 0, 4) == slice(pkt, 0, 4));
        CHECK(be16_at(f, 4) == f.size() - 40);
        CHECK(f[6] == kProtoFragment);
        CHECK(f[7] == pkt[7]);
        CHECK(slice(f, 8, 32) == slice(pkt, 8, 32));
        CHECK(f[40] == kProtoUdp);
        CHECK(f[41] == 0);
        const uint16_t off_m = be16_at(f, 42);
        CHECK((off_m & 0xFFF8) == expected_off);
        CHECK((off_m & 1) == (i + 1 < frags.size() ? 1 : 0));
        CHECK(be32_at(f, 44) == 0xCAFE);
        const Bytes data = slice(f, 48);
        if (i + 1 < frags.size())
            CHECK(data.size() % 8 == 0);
        reassembled = cat({reassembled, data});
        expected_off += static_cast<uint32_t>(data.size());
    }
    CHECK(reassembled == slice(pkt, 40));
    CHECK(frags[0].size() == 1280);
    CHECK(frags[2].size() == 48 + 536);
}

TEST_CASE("fragment: a fragment is split again relative to its own offset and id",
          "[fragment][rfc8200]")
{
    const bool more = GENERATE(true, false);
    Ip6Hdr h;
    h.src = kServer6;
    h.dst = kHost6;
    h.nh = kProtoFragment;
    const Bytes data = pattern(1480);
    const Bytes pkt = ip6_packet(h, cat({frag_header(kProtoTcp, 2960, more, 0x0000BEEF), data}));
    const std::vector<Bytes> frags = split(pkt, 1280, 0x1);
    REQUIRE(frags.size() == 2);
    CHECK(be16_at(frags[0], 42) == (2960 | 1));
    CHECK(be16_at(frags[1], 42) == ((2960 + 1232) | (more ? 1 : 0)));
    CHECK(be32_at(frags[0], 44) == 0xBEEF);
    CHECK(be32_at(frags[1], 44) == 0xBEEF);
    CHECK(frags[0][40] == kProtoTcp);
    CHECK(cat({slice(frags[0], 48), slice(frags[1], 48)}) == data);
}

TEST_CASE("fragment: translate then split an IPv4 datagram with DF clear", "[fragment][rfc7915][4to6]")
{
    const Bytes in = udp4(kServer4, kPublic4, 53, kPublicPort, pattern(1472));   // 1500 bytes
    Translated t = run_4to6(in, Rewrite6{kServer6, kHost6, 53, kHostPort});
    REQUIRE(t.verdict == Verdict::forward);
    REQUIRE(t.out.size() == 1520);
    const std::vector<Bytes> frags = split(t.out, 1280, 42);
    REQUIRE(frags.size() == 2);
    CHECK(cat({slice(frags[0], 48), slice(frags[1], 48)}) == slice(t.out, 40));
}

TEST_CASE("fragment: a fragment whose data would end past offset 65535 is not split",
          "[fragment][rfc8200][4to6]")
{
    // An IPv4 last fragment at offset 8100 * 8 with 1400 bytes, DF clear:
    // translated whole it needs splitting, and a second IPv6 fragment would
    // start at 64800 + 1232, which the 13-bit offset field cannot hold.
    Ip4Hdr h;
    h.frag_offset_bytes = 64800;
    h.proto = kProtoUdp;
    h.src = kServer4;
    h.dst = kPublic4;
    const Bytes in = ip4_packet(h, pattern(1400));
    Translated t = run_4to6(in, Rewrite6{kServer6, kHost6, 53, kHostPort});
    REQUIRE(t.verdict == Verdict::forward);
    REQUIRE(t.out.size() == 48 + 1400);
    CHECK(fragment_count_6(t.out.data(), static_cast<uint32_t>(t.out.size()), 1280) == 0);
    Bytes out(4096);
    CHECK(write_fragment_6(out.data(), 4096, t.out.data(), static_cast<uint32_t>(t.out.size()), 1280, 1, 1) == 0);
    // Ending exactly at 65535 still splits, with every offset in range.
    h.frag_offset_bytes = 64800 - 8;
    const Bytes fits = ip4_packet(h, pattern(65535 - 64792));
    Translated f = run_4to6(fits, Rewrite6{kServer6, kHost6, 53, kHostPort});
    REQUIRE(f.verdict == Verdict::forward);
    CHECK(split(f.out, 800, 1).size() == 1);
    const std::vector<Bytes> frags = split(f.out, 400, 1);
    REQUIRE(frags.size() == 3);
    CHECK((be16_at(frags[2], 42) & 0xFFF8) == 64792 + 2 * 352);
}

TEST_CASE("fragment: packets that cannot be split give 0", "[fragment]")
{
    const Bytes pkt = udp6(kServer6, kHost6, 53, kHostPort, pattern(2000));
    CHECK(fragment_count_6(pkt.data(), static_cast<uint32_t>(pkt.size()), 55) == 0);
    CHECK(fragment_count_6(pkt.data(), 30, 1280) == 0);
    CHECK(fragment_count_6(pkt.data(), static_cast<uint32_t>(pkt.size() - 1), 1280) == 0);
    Bytes v4 = pkt;
    v4[0] = 0x45;
    CHECK(fragment_count_6(v4.data(), static_cast<uint32_t>(v4.size()), 1280) == 0);
    Ip6Hdr h;
    h.nh = kProtoDestOpts;
    const Bytes ext = ip6_packet(h, cat({options_header(kProtoUdp), pattern(2000)}));
    CHECK(fragment_count_6(ext.data(), static_cast<uint32_t>(ext.size()), 1280) == 0);
    h.nh = kProtoFragment;
    const Bytes short_frag = ip6_packet(h, pattern(4));
    CHECK(fragment_count_6(short_frag.data(), static_cast<uint32_t>(short_frag.size()), 1280) == 0);
    const Bytes empty_frag = ip6_packet(h, frag_header(kProtoUdp, 0, false, 1));
    CHECK(fragment_count_6(empty_frag.data(), static_cast<uint32_t>(empty_frag.size()), 1280) == 0);

    Bytes out(4096);
    CHECK(write_fragment_6(out.data(), 4096, pkt.data(), static_cast<uint32_t>(pkt.size()), 1280, 2, 1) == 0);
    CHECK(write_fragment_6(out.data(), 100, pkt.data(), static_cast<uint32_t>(pkt.size()), 1280, 0, 1) == 0);
    CHECK(write_fragment_6(out.data(), 4096, v4.data(), static_cast<uint32_t>(v4.size()), 1280, 0, 1) == 0);
}

TEST_CASE("fragment: an IPv4 packet splits into fragments within a small link MTU", "[fragment][rfc791][rfc7915]")
{
    const Bytes data = pattern(1172, 3);   // 20 + 8 + 1172 = 1200 bytes of IPv4, DF clear
    Ip4Hdr h;
    h.id = 0x7777;
    const Bytes pkt = udp4(kPublic4, kServer4, kPublicPort, kServerPort, data, h);
    const uint32_t n = xlate::fragment_count_4(pkt.data(), static_cast<uint32_t>(pkt.size()), 1000);
    REQUIRE(n == 2);   // 976 + 204 bytes of data: 976 is the largest multiple of 8 within 1000 - 20
    Bytes body;
    for (uint32_t i = 0; i < n; ++i) {
        Bytes f(2048);
        const uint32_t len = xlate::write_fragment_4(f.data(), 2048, pkt.data(), static_cast<uint32_t>(pkt.size()), 1000, i);
        REQUIRE(len != 0);
        f.resize(len);
        CHECK(f.size() <= 1000);
        CHECK(be16_at(f, 2) == f.size());
        CHECK(be16_at(f, 4) == 0x7777);                        // one identification
        CHECK((be16_at(f, 6) & 0x1FFF) * 8u == body.size());   // offsets follow the data
        CHECK(((be16_at(f, 6) & 0x2000) != 0) == (i + 1 < n)); // MF on all but the last
        CHECK((be16_at(f, 6) & 0x4000) == 0);                  // DF clear
        CHECK(ref_ip4_header_ok(f));
        body.insert(body.end(), f.begin() + 20, f.end());
    }
    CHECK(body == Bytes(pkt.begin() + 20, pkt.end()));   // the datagram, intact
}

TEST_CASE("fragment: IPv4 with DF set is never split", "[fragment][rfc791]")
{
    Ip4Hdr h;
    h.df = true;
    const Bytes pkt = udp4(kPublic4, kServer4, 1, 2, pattern(1400), h);
    CHECK(xlate::fragment_count_4(pkt.data(), static_cast<uint32_t>(pkt.size()), 1000) == 0);
}

TEST_CASE("fragment: IPv4 data that would end past offset 65535 is not split", "[fragment][rfc791]")
{
    // What an IPv6 fragment near the top offset becomes once translated: its
    // later IPv4 pieces would need offsets the 13-bit field cannot hold.
    Ip4Hdr h;
    h.frag_offset_bytes = 64800;
    const Bytes past = udp4(kPublic4, kServer4, 1, 2, pattern(1392), h);   // ends at 66200
    CHECK(xlate::fragment_count_4(past.data(), static_cast<uint32_t>(past.size()), 576) == 0);
    Bytes out(2048);
    CHECK(xlate::write_fragment_4(out.data(), 2048, past.data(), static_cast<uint32_t>(past.size()), 576, 0) == 0);
    h.frag_offset_bytes = 64800 - 8;
    const Bytes fits = udp4(kPublic4, kServer4, 1, 2, pattern(65535 - 64792 - 8), h);   // ends at 65535
    const uint32_t n = xlate::fragment_count_4(fits.data(), static_cast<uint32_t>(fits.size()), 576);
    REQUIRE(n == 2);
    const uint32_t len = xlate::write_fragment_4(out.data(), 2048, fits.data(), static_cast<uint32_t>(fits.size()), 576, 1);
    REQUIRE(len != 0);
    CHECK((be16_at(Bytes(out.begin(), out.begin() + len), 6) & 0x1FFF) * 8u == 64792 + 552);
}

TEST_CASE("6to4: a packet within 1280 bytes crosses a small IPv4 link in fragments, a bigger one is too big",
          "[rfc7915][rfc8201][6to4]")
{
    xlate::XlateConfig cfg;
    cfg.mtu4 = 1000;
    const Bytes fits = udp6(kHost6, kServer6, kHostPort, kServerPort, pattern(1152));   // 1200 bytes
    const Bytes big = udp6(kHost6, kServer6, kHostPort, kServerPort, pattern(1352));    // 1400 bytes
    Parsed6 p;
    REQUIRE(xlate::parse_6(fits.data(), static_cast<uint32_t>(fits.size()), p) == Verdict::forward);
    CHECK(xlate::precheck_6to4(fits.data(), p, cfg) == Verdict::forward);
    Translated t = run_6to4(fits, kOut6to4, kOut6to4, cfg);
    REQUIRE(t.verdict == Verdict::forward);
    CHECK((be16_at(t.out, 6) & 0x4000) == 0);               // DF clear: the caller fragments it
    CHECK(xlate::needs_fragmentation_4(static_cast<uint32_t>(t.out.size()), cfg));
    REQUIRE(xlate::parse_6(big.data(), static_cast<uint32_t>(big.size()), p) == Verdict::forward);
    CHECK(xlate::precheck_6to4(big.data(), p, cfg) == Verdict::drop_packet_too_big);
    CHECK(xlate::refused_mtu_6to4(cfg) == 1280);            // never below 1280 (RFC 8201 s4)
    cfg.mtu4 = 1400;
    CHECK(xlate::refused_mtu_6to4(cfg) == 1420);
}
