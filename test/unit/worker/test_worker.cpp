// The worker in process (frames in, counters and frames out): a table of
// refusals and what each answers, burst order, and two workers sharing one
// flow table (RFC 6146 with replies on any worker). Expected frames are
// written out field by field; checksums are recomputed by checksum_ref.
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <set>
#include <cstring>
#include <string>

#include "checksum_ref.hpp"
#include "dataplane/xlate/checksum.hpp"
#include "worker_rig.hpp"

using namespace nat64d;
using namespace nat64d::test;
using dp::Side;

namespace {

constexpr uint16_t kClientPort = 40000;
constexpr uint16_t kServerPort = 53;

Bytes client_udp(uint16_t sport = kClientPort, const Bytes& data = pattern(20), Ip4 dst = kServer4,
                 const In6& src = kClient6, uint8_t hop = 64)
{
    Ip6Hdr h;
    h.hop = hop;
    return udp6(src, via_prefix(dst), sport, kServerPort, data, h);
}

Bytes server_udp(uint16_t pub_port, const Bytes& data = pattern(12), Ip4 src = kServer4)
{
    return udp4(src, kBox4, kServerPort, pub_port, data);
}

Bytes part(const Bytes& b, size_t from, size_t to) { return Bytes(b.begin() + from, b.begin() + to); }

// The public port the rig's worker chose for the first IPv4 packet sent.
uint16_t public_port_of(const std::vector<Bytes>& ip4) { return be16_at(ip4.at(0), 20); }

} // namespace

// ---- a table of refusals: frame in, the counter, the answer out ---------------

namespace {

struct RefusalCase {
    std::string name;
    Side side;
    std::function<Bytes()> packet;        // the IP packet
    Verdict counted;
    int icmp_type;                        // -1: no answer
    int icmp_code;
    uint32_t icmp_param;                  // pointer or MTU as the answer carries it
};

Bytes with_udp_len(Bytes ip6, uint16_t len)
{
    ip6[44] = static_cast<uint8_t>(len >> 8);
    ip6[45] = static_cast<uint8_t>(len);
    return ip6;
}

std::vector<RefusalCase> refusal_cases()
{
    std::vector<RefusalCase> t;
    t.push_back({"hop limit 1", Side::inside, [] { return client_udp(40001, pattern(20), kServer4, kClient6, 1); },
                 Verdict::drop_ttl_expired, 3, 0, 0});
    t.push_back({"routing header with segments left", Side::inside,
                 [] {
                     Ip6Hdr h;
                     h.src = kClient6;
                     h.dst = via_prefix(kServer4);
                     h.nh = kProtoRouting;
                     return ip6_packet(h, cat({routing_header(kProtoUdp, 1), udp_header(1, 2, 0)}));
                 },
                 Verdict::drop_segments_left, 4, 0, 43});
    t.push_back({"UDP length below 8", Side::inside, [] { return with_udp_len(client_udp(40002), 4); },
                 Verdict::drop_udp_length, -1, 0, 0});
    t.push_back({"UDP length past the packet", Side::inside, [] { return with_udp_len(client_udp(40003), 400); },
                 Verdict::drop_udp_length, -1, 0, 0});
    t.push_back({"IPv6 UDP checksum 0", Side::inside,
                 [] {
                     Bytes p = client_udp(40004);
                     p[46] = p[47] = 0;
                     return p;
                 },
                 Verdict::drop_udp_zero_checksum6, -1, 0, 0});
    t.push_back({"multicast IPv6 source", Side::inside,
                 [] {
                     In6 mc{0xFF, 0x02};
                     mc[15] = 1;
                     return client_udp(40005, pattern(4), kServer4, mc);
                 },
                 Verdict::drop_bad_src6, -1, 0, 0});
    t.push_back({"outside the prefix", Side::inside,
                 [] { return udp6(kClient6, In6{0x20, 0x01, 0x0d, 0xb8, 0, 0x99}, 1, 2, pattern(4)); },
                 Verdict::drop_not_in_prefix, -1, 0, 0});
    t.push_back({"UDP to a port nobody holds", Side::outside, [] { return server_udp(5555); },
                 Verdict::drop_udp_no_mapping, 3, 3, 0});
    t.push_back({"TCP to a port nobody holds", Side::outside,
                 [] { return tcp4(kServer4, kBox4, 80, 5555, {}); }, Verdict::drop_no_mapping, -1, 0, 0});
    t.push_back({"loopback IPv4 source", Side::outside,
                 [] { return udp4(0x7F000001, kBox4, 1, 2, pattern(4)); }, Verdict::drop_bad_src4, -1, 0, 0});
    t.push_back({"IPv4 fragment of 13 bytes with more to come", Side::outside,
                 [] {
                     Ip4Hdr h;
                     h.src = kServer4;
                     h.dst = kBox4;
                     h.proto = kProtoUdp;
                     h.mf = true;
                     return ip4_packet(h, pattern(13));
                 },
                 Verdict::drop_fragment_size, 12, 0, 2});
    return t;
}

} // namespace

TEST_CASE("worker: each refusal is counted under its name and answered as the verdict table says",
          "[worker][rfc7915][rfc6146]")
{
    for (const RefusalCase& c : refusal_cases()) {
        SECTION(c.name)
        {
            Rig rig;
            const Bytes in = c.packet();
            rig.burst(0, c.side, {c.side == Side::inside ? Rig::from_inside(in) : Rig::from_outside(in)});
            CHECK(rig.count(c.counted) == 1);
            CHECK(rig.count(Verdict::forward) == 0);
            const auto out6 = Rig::ip_of(rig.sent_inside(), kEtherTypeIp6);
            const auto out4 = Rig::ip_of(rig.sent_outside(), kEtherTypeIp4);
            const bool v6 = c.side == Side::inside;
            const auto& answers = v6 ? out6 : out4;
            CHECK((v6 ? out4 : out6).empty());   // nothing translated
            if (c.icmp_type < 0) {
                CHECK(answers.empty());
                continue;
            }
            REQUIRE(answers.size() == 1);
            const Bytes& a = answers[0];
            if (v6) {
                CHECK(a[6] == kProtoIcmp6);
                CHECK(in6_at(a, 8) == kBox6);
                CHECK(in6_at(a, 24) == in6_at(in, 8));
                CHECK(a[40] == c.icmp_type);
                CHECK(a[41] == c.icmp_code);
                CHECK(be32_at(a, 44) == c.icmp_param);
                CHECK(ref_l4_ok6(a));
                // The quote starts with the refused packet.
                CHECK(Bytes(a.begin() + 48, a.begin() + 48 + 40) == Bytes(in.begin(), in.begin() + 40));
            } else {
                CHECK(a[9] == kProtoIcmp4);
                CHECK(be32_at(a, 12) == kBox4);
                CHECK(be32_at(a, 16) == be32_at(in, 12));
                CHECK(a[20] == c.icmp_type);
                CHECK(a[21] == c.icmp_code);
                if (c.icmp_type == 12)
                    CHECK(a[24] == c.icmp_param);
                CHECK(ref_ip4_header_ok(a));
                CHECK(ref_l4_ok4(a));
                CHECK(Bytes(a.begin() + 28, a.begin() + 28 + 20) == Bytes(in.begin(), in.begin() + 20));
            }
        }
    }
}

// ---- one burst behaves as its packets one by one -------------------------------

TEST_CASE("worker: an ICMPv6 error right behind its session's first packet finds the session",
          "[worker][burst][rfc6146]")
{
    Rig rig;
    const Bytes first = client_udp();
    Ip6Hdr qh;
    qh.hop = 60;
    const Bytes quoted = udp6(via_prefix(kServer4), kClient6, kServerPort, kClientPort, pattern(8), qh);
    const Bytes err = icmp6(kRouter6, via_prefix(kServer4), 1, 4, 0, quoted);
    rig.burst(0, Side::inside, {Rig::from_inside(first), Rig::from_inside(err)});
    const auto out4 = Rig::ip_of(rig.sent_outside(), kEtherTypeIp4);
    REQUIRE(out4.size() == 2);
    const uint16_t pub = public_port_of(out4);
    const Bytes& e = out4[1];
    CHECK(e[20] == 3);                  // Destination Unreachable
    CHECK(e[21] == 3);                  // port unreachable (RFC 7915 s5.2: 1/4 -> 3/3)
    CHECK(be32_at(e, 16) == kServer4);
    CHECK(be32_at(e, 28 + 12) == kServer4);   // the quote: server -> public address and port
    CHECK(be32_at(e, 28 + 16) == kBox4);
    CHECK(be16_at(e, 48 + 2) == pub);
    CHECK(ref_l4_ok4(e));
    CHECK(rig.count(Verdict::drop_no_mapping) == 0);
}

TEST_CASE("worker: a session opened twice in one burst is opened once", "[worker][burst]")
{
    Rig rig;
    rig.burst(0, Side::inside, {Rig::from_inside(client_udp()), Rig::from_inside(client_udp())});
    const auto out4 = Rig::ip_of(rig.sent_outside(), kEtherTypeIp4);
    REQUIRE(out4.size() == 2);
    CHECK(be16_at(out4[0], 20) == be16_at(out4[1], 20));
    CHECK(rig.worker(0).counters().flows_created.read() == 1);
    CHECK(rig.flows().session_count() == 1);
}

TEST_CASE("worker: a refused packet takes no session and no port", "[worker][rfc6146]")
{
    Rig rig;
    std::vector<Bytes> in;
    for (uint16_t i = 0; i < 20; ++i)
        in.push_back(Rig::from_inside(client_udp(static_cast<uint16_t>(41000 + i), pattern(8), kServer4, kClient6, 1)));
    rig.burst(0, Side::inside, in);
    CHECK(rig.count(Verdict::drop_ttl_expired) == 20);
    CHECK(rig.flows().session_count() == 0);
    CHECK(rig.flows().mapping_count() == 0);
}

TEST_CASE("worker: a reply finds its mapping on the pool address it was sent to, and only there",
          "[worker][rfc6146]")
{
    // Three pool addresses; paired pooling spreads the clients' /64s over
    // them. The classifier hands the 4to6 stage each destination's pool
    // index: a reply must reach the client whose mapping holds (address,
    // port), and the same port on another address must find nothing.
    constexpr Ip4 kPoolB = kBox4 + 1, kPoolC = kBox4 + 2;
    RigOptions o;
    o.more_pool = {kPoolB, kPoolC};
    o.inside_prefix_len = 48;   // the clients' /64s on the link
    const xlate::MacBytes mac{0x02, 0, 0, 0, 0, 0x31};
    std::vector<In6> clients;
    for (uint8_t i = 0; i < 12; ++i) {
        In6 a = kClient6;
        a[7] = static_cast<uint8_t>(0x40 + i);
        clients.push_back(a);
        o.neighbours6.push_back({a, mac});
    }
    Rig rig(o);
    std::vector<Bytes> in;
    for (const In6& c : clients)
        in.push_back(Rig::from_inside(client_udp(kClientPort, pattern(8), kServer4, c)));
    rig.burst(0, Side::inside, in);
    const auto out4 = Rig::ip_of(rig.sent_outside(), kEtherTypeIp4);
    REQUIRE(out4.size() == clients.size());
    struct Held {
        Ip4 addr;
        uint16_t port;
    };
    std::vector<Held> held;
    std::set<Ip4> used;
    for (const Bytes& p : out4) {
        held.push_back({be32_at(p, 12), be16_at(p, 20)});
        used.insert(held.back().addr);
    }
    REQUIRE(used.size() >= 2);   // replies to more than the first address
    const auto holds = [&](Ip4 a, uint16_t port) {
        return std::any_of(held.begin(), held.end(), [&](const Held& h) { return h.addr == a && h.port == port; });
    };

    uint64_t refused = 0;
    for (size_t i = 0; i < clients.size(); ++i) {
        INFO("client " << i);
        const Bytes data = pattern(12, static_cast<uint8_t>(i));
        rig.burst(0, Side::outside, {Rig::from_outside(udp4(kServer4, held[i].addr, kServerPort, held[i].port, data))});
        const auto out6 = Rig::ip_of(rig.sent_inside(), kEtherTypeIp6);
        REQUIRE(out6.size() == 1);
        CHECK(in6_at(out6[0], 24) == clients[i]);
        CHECK(be16_at(out6[0], 42) == kClientPort);
        CHECK(Bytes(out6[0].begin() + 48, out6[0].end()) == data);
        CHECK(ref_l4_ok6(out6[0]));
        for (const Ip4 other : {kBox4, kPoolB, kPoolC}) {
            if (other == held[i].addr || holds(other, held[i].port))
                continue;
            rig.burst(0, Side::outside, {Rig::from_outside(udp4(kServer4, other, kServerPort, held[i].port, data))});
            CHECK(Rig::ip_of(rig.sent_inside(), kEtherTypeIp6).empty());
            ++refused;
            CHECK(rig.count(Verdict::drop_udp_no_mapping) == refused);
        }
    }
    CHECK(refused > 0);
}

// ---- two workers, one flow table ---------------------------------------------

TEST_CASE("workers: a reply that lands on the other worker is translated with no handoff",
          "[worker][workers][rfc6146]")
{
    Rig rig({.workers = 2});
    rig.burst(0, Side::inside, {Rig::from_inside(client_udp())});
    const auto out4 = Rig::ip_of(rig.sent_outside(), kEtherTypeIp4);
    REQUIRE(out4.size() == 1);
    const uint16_t pub = public_port_of(out4);
    CHECK(rig.flows().ports().worker_of(pub) == 0);   // from worker 0's slice
    const Bytes data = pattern(12, 9);
    rig.burst(1, Side::outside, {Rig::from_outside(server_udp(pub, data))});
    const auto out6 = Rig::ip_of(rig.sent_inside(), kEtherTypeIp6);
    REQUIRE(out6.size() == 1);
    const Bytes& r = out6[0];
    CHECK(in6_at(r, 8) == via_prefix(kServer4));
    CHECK(in6_at(r, 24) == kClient6);
    CHECK(be16_at(r, 40) == kServerPort);
    CHECK(be16_at(r, 42) == kClientPort);
    CHECK(Bytes(r.begin() + 48, r.end()) == data);
    CHECK(ref_l4_ok6(r));
    CHECK(rig.worker(1).counters().translated_4to6.packets.read() == 1);
}

TEST_CASE("workers: an ICMPv4 error about a session owned by the other worker is translated",
          "[worker][workers][rfc6146]")
{
    Rig rig({.workers = 2});
    rig.burst(1, Side::inside, {Rig::from_inside(client_udp(40100))});
    const uint16_t pub = public_port_of(Rig::ip_of(rig.sent_outside(), kEtherTypeIp4));
    Ip4Hdr qh;
    qh.ttl = 1;
    const Bytes quoted = udp4(kBox4, kServer4, pub, kServerPort, pattern(20), qh);
    rig.burst(0, Side::outside, {Rig::from_outside(icmp4(0xCB007101, kBox4, 11, 0, 0, quoted))});
    const auto out6 = Rig::ip_of(rig.sent_inside(), kEtherTypeIp6);
    REQUIRE(out6.size() == 1);
    CHECK(out6[0][40] == 3);                        // Time Exceeded
    CHECK(in6_at(out6[0], 24) == kClient6);
    CHECK(be16_at(out6[0], 48 + 40) == 40100);      // quoted source port restored
    CHECK(ref_l4_ok6(out6[0]));
}

TEST_CASE("workers: fragments hashed to different queues all reach their datagram's owner",
          "[worker][workers][fragment][rfc6146]")
{
    Rig rig({.workers = 2});
    // One UDP datagram of 2000 bytes in two IPv6 fragments.
    Bytes l4 = cat({udp_header(40200, kServerPort, 1992), pattern(1992, 5)});
    set_l4_checksum6(l4, kProtoUdp, kClient6, via_prefix(kServer4));
    Ip6Hdr h;
    h.src = kClient6;
    h.dst = via_prefix(kServer4);
    h.nh = kProtoFragment;
    const Bytes f1 = ip6_packet(h, cat({frag_header(kProtoUdp, 0, true, 0x4242), part(l4, 0, 1232)}));
    const Bytes f2 = ip6_packet(h, cat({frag_header(kProtoUdp, 1232, false, 0x4242), part(l4, 1232, l4.size())}));
    const uint32_t owner = rig.mesh().fragment_owner(nat::make_frag_key6(kClient6, via_prefix(kServer4), 0x4242, kProtoUdp));
    const uint32_t other = 1 - owner;
    // The second fragment first, on the worker that does not own the datagram,
    // then the first on it too: both go over to the owner.
    rig.burst(other, Side::inside, {Rig::from_inside(f2)});
    rig.burst(other, Side::inside, {Rig::from_inside(f1)});
    CHECK(Rig::ip_of(rig.sent_outside(), kEtherTypeIp4).empty());
    rig.worker(owner).poll_mesh();
    const auto out4 = Rig::ip_of(rig.sent_outside(), kEtherTypeIp4);
    REQUIRE(out4.size() == 2);
    CHECK(be16_at(out4[0], 4) == 0x4242);
    CHECK(be16_at(out4[1], 4) == 0x4242);
    CHECK((be16_at(out4[0], 6) & 0x1FFF) == 0);      // the first fragment, then the held one
    CHECK((be16_at(out4[1], 6) & 0x1FFF) == 1232 / 8);
    CHECK(be16_at(out4[0], 20) == rig.flows().session(rig.flows().lookup(
                                        nat::make_flow_key6(kClient6, kServer4, 40200, kServerPort, kProtoUdp)))
                                        .pub_port());
    CHECK(rig.count(Verdict::drop_fragment_no_state) == 0);
}

TEST_CASE("workers: a held incoming SYN is released by the IPv6 SYN whichever worker sees it",
          "[worker][workers][rfc6146]")
{
    Rig rig({.workers = 2, .address_dependent = true});
    // The client's mapping, by sending to the server.
    rig.burst(0, Side::inside, {Rig::from_inside(tcp6(kClient6, via_prefix(kServer4), 40300, 80, {}))});
    const uint16_t pub = public_port_of(Rig::ip_of(rig.sent_outside(), kEtherTypeIp4));
    // A stranger's SYN (unsolicited under address-dependent filtering) waits on worker 1.
    rig.burst(1, Side::outside, {Rig::from_outside(tcp4(kStranger4, kBox4, 5000, pub, {}))});
    CHECK(rig.mesh().held_syns().any());
    // The client's own SYN to the stranger arrives on worker 0: a simultaneous open.
    rig.burst(0, Side::inside, {Rig::from_inside(tcp6(kClient6, via_prefix(kStranger4), 40300, 5000, {}))});
    rig.set_now_ms(1000 + 7000);   // past TCP_INCOMING_SYN (6 s)
    rig.worker(1).tick();
    CHECK(rig.count(Verdict::drop_incoming_syn_superseded) == 1);
    CHECK(rig.count(Verdict::drop_incoming_syn_timeout) == 0);
    const auto out4 = Rig::ip_of(rig.sent_outside(), kEtherTypeIp4);
    for (const Bytes& p : out4)
        CHECK(p[9] != kProtoIcmp4);   // no Port Unreachable for a superseded SYN
    CHECK_FALSE(rig.mesh().held_syns().any());
}

TEST_CASE("workers: an unanswered incoming SYN gets Port Unreachable from the worker holding it",
          "[worker][workers][rfc6146]")
{
    Rig rig({.workers = 2, .address_dependent = true});
    rig.burst(0, Side::inside, {Rig::from_inside(tcp6(kClient6, via_prefix(kServer4), 40400, 80, {}))});
    const uint16_t pub = public_port_of(Rig::ip_of(rig.sent_outside(), kEtherTypeIp4));
    rig.burst(1, Side::outside, {Rig::from_outside(tcp4(kStranger4, kBox4, 5001, pub, {}))});
    rig.set_now_ms(1000 + 7000);
    rig.worker(0).tick();   // not its SYN
    CHECK(rig.count(Verdict::drop_incoming_syn_timeout) == 0);
    rig.worker(1).tick();
    CHECK(rig.count(Verdict::drop_incoming_syn_timeout) == 1);
    const auto out4 = Rig::ip_of(rig.sent_outside(), kEtherTypeIp4);
    REQUIRE(out4.size() == 1);
    CHECK(out4[0][20] == 3);
    CHECK(out4[0][21] == 3);
    CHECK(be32_at(out4[0], 16) == kStranger4);
}

TEST_CASE("workers: a neighbour answer heard by one worker resolves the other's held packets",
          "[worker][workers][rfc4861]")
{
    Rig rig({.workers = 2});
    // A destination on the outside link that no worker knows yet.
    const Ip4 onlink = 0xC6336405;   // 198.51.100.5
    rig.burst(1, Side::inside, {Rig::from_inside(client_udp(40500, pattern(8), onlink))});
    auto arp = rig.sent_outside();
    REQUIRE(arp.size() == 1);
    CHECK(be16_at(arp[0], 12) == kEtherTypeArp);     // worker 1 asks
    // The answer lands on worker 0's queue.
    Bytes reply(42, 0);
    std::memcpy(reply.data(), kBoxMacOut.data(), 6);
    reply[6] = 0x02;
    reply[11] = 0x05;
    reply[12] = 0x08;
    reply[13] = 0x06;
    const uint8_t arp_body[] = {0, 1, 8, 0, 6, 4, 0, 2, 0x02, 0, 0, 0, 0, 0x05, 198, 51, 100, 5,
                                0x02, 0, 0, 0, 0x64, 0x02, 198, 51, 100, 1};
    std::memcpy(reply.data() + 14, arp_body, sizeof(arp_body));
    rig.burst(0, Side::outside, {reply});
    CHECK(rig.sent_outside().empty());
    rig.worker(1).poll_mesh();
    const auto out4 = Rig::ip_of(rig.sent_outside(), kEtherTypeIp4);
    REQUIRE(out4.size() == 1);
    CHECK(be32_at(out4[0], 16) == onlink);
    CHECK(rig.count(Verdict::drop_no_neighbour) == 0);
}

TEST_CASE("workers: the ICMP error budget is the configured total, not one per worker",
          "[worker][workers][rfc4443]")
{
    Rig rig({.workers = 2, .icmp_errors_per_s = 10});
    for (uint32_t w = 0; w < 2; ++w) {
        std::vector<Bytes> in;
        for (uint16_t i = 0; i < 20; ++i)
            in.push_back(Rig::from_inside(client_udp(static_cast<uint16_t>(42000 + 100 * w + i), pattern(4), kServer4,
                                                     kClient6, 1)));
        rig.burst(w, Side::inside, in);
    }
    CHECK(Rig::ip_of(rig.sent_inside(), kEtherTypeIp6).size() == 10);
    CHECK(rig.count(Verdict::drop_ttl_expired) == 40);
    CHECK(rig.worker(0).counters().icmp_errors_rate_limited.read() + rig.worker(1).counters().icmp_errors_rate_limited.read() == 30);
}

// ---- next hops ----------------------------------------------------------------

namespace {

xlate::MacBytes dst_mac_of(const Bytes& frame)
{
    xlate::MacBytes m;
    std::memcpy(m.data(), frame.data(), 6);
    return m;
}

} // namespace

TEST_CASE("worker: a packet goes to its destination when on the link, else to the gateway", "[worker][neighbour]")
{
    // 2001:db8:1:7::5 shares the first 61 bits of 2001:db8:1::1, not 64;
    // 2001:db8:1:8::5 shares neither (bit 61 differs).
    const In6 near6{0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 7, 0, 0, 0, 0, 0, 0, 0, 5};
    const In6 far6{0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 8, 0, 0, 0, 0, 0, 0, 0, 5};
    const xlate::MacBytes near_mac{0x02, 0, 0, 0, 0, 0x75};
    for (const uint8_t len : {uint8_t{64}, uint8_t{61}}) {
        INFO("inside prefix /" << int{len});
        RigOptions o;
        o.gateway6 = true;
        o.inside_prefix_len = len;
        o.neighbours6 = {{near6, near_mac}};
        Rig rig(o);
        // IPv4: the server is off 198.51.100.0/24 (the gateway's MAC), the neighbour on it (its own).
        rig.burst(0, Side::inside,
                  {Rig::from_inside(client_udp(41000, pattern(8), kServer4)),
                   Rig::from_inside(client_udp(41001, pattern(8), kNeighbour4))});
        const std::vector<Bytes> out4 = rig.sent_outside();
        REQUIRE(out4.size() == 2);
        CHECK(dst_mac_of(out4[0]) == kGatewayMac);
        CHECK(dst_mac_of(out4[1]) == kNeighbourMac);
        // IPv6: replies to a client on the link, to one 61 bits in, to one off it.
        struct Client {
            In6 addr;
            uint16_t port;
            xlate::MacBytes expected;
        };
        const std::vector<Client> clients = {
            {kClient6, 42000, kClientMac},
            {near6, 42001, len <= 61 ? near_mac : kGateway6Mac},
            {far6, 42002, kGateway6Mac},
        };
        for (const Client& c : clients) {
            rig.burst(0, Side::inside, {Rig::from_inside(client_udp(c.port, pattern(8), kServer4, c.addr))});
            const auto sent = Rig::ip_of(rig.sent_outside(), kEtherTypeIp4);
            REQUIRE(sent.size() == 1);
            const Bytes reply = pattern(16);
            rig.burst(0, Side::outside, {Rig::from_outside(server_udp(public_port_of(sent), reply))});
            const std::vector<Bytes> in6 = rig.sent_inside();
            REQUIRE(in6.size() == 1);
            CHECK(dst_mac_of(in6[0]) == c.expected);
            CHECK(Bytes(in6[0].begin() + 14 + 24, in6[0].begin() + 14 + 40) == Bytes(c.addr.begin(), c.addr.end()));
            CHECK(ref_l4_ok6(Bytes(in6[0].begin() + 14, in6[0].end())));
        }
    }
}
