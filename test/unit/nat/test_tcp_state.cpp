// RFC 6146 s3.5.2.2 TCP state machine, transition by transition. The expected
// table is written from the RFC text, not derived from the implementation.
#include <catch2/catch.hpp>

#include <vector>

#include "dataplane/nat/tcp_state.hpp"

using namespace nat64d::nat;

namespace {

constexpr auto k6 = Direction::from_6;
constexpr auto k4 = Direction::from_4;
constexpr uint8_t kSyn = kTcpSyn;
constexpr uint8_t kSynAck = kTcpSyn | kTcpAck;
constexpr uint8_t kFin = kTcpFin | kTcpAck;
constexpr uint8_t kRst = kTcpRst;
constexpr uint8_t kAck = kTcpAck;

using S = TcpState;

struct Case {
    S from;
    Direction dir;
    uint8_t flags;
    S to;
    bool refresh;   // lifetime set again by this packet
};

// Every state x {SYN, FIN, RST, plain ACK} x {from IPv6, from IPv4}.
const std::vector<Case> kRfc6146Table = {
    // CLOSED: a SYN opens (V6 SYN -> V6 INIT, V4 SYN -> V4 INIT); nothing else does.
    {S::closed, k6, kSyn, S::v6_init, true},
    {S::closed, k4, kSyn, S::v4_init, true},
    {S::closed, k6, kFin, S::closed, false},
    {S::closed, k4, kFin, S::closed, false},
    {S::closed, k6, kRst, S::closed, false},
    {S::closed, k4, kRst, S::closed, false},
    {S::closed, k6, kAck, S::closed, false},
    {S::closed, k4, kAck, S::closed, false},
    // V4 INIT: only a V6 SYN moves it (to ESTABLISHED, TCP_EST); others keep the lifetime.
    {S::v4_init, k6, kSynAck, S::established, true},
    {S::v4_init, k4, kSyn, S::v4_init, false},
    {S::v4_init, k6, kFin, S::v4_init, false},
    {S::v4_init, k4, kFin, S::v4_init, false},
    {S::v4_init, k6, kRst, S::v4_init, false},
    {S::v4_init, k4, kRst, S::v4_init, false},
    {S::v4_init, k6, kAck, S::v4_init, false},
    {S::v4_init, k4, kAck, S::v4_init, false},
    // V6 INIT: V4 SYN -> ESTABLISHED; V6 SYN (retransmission) resets TCP_TRANS.
    {S::v6_init, k4, kSynAck, S::established, true},
    {S::v6_init, k6, kSyn, S::v6_init, true},
    {S::v6_init, k6, kFin, S::v6_init, false},
    {S::v6_init, k4, kFin, S::v6_init, false},
    {S::v6_init, k6, kRst, S::v6_init, false},
    {S::v6_init, k4, kRst, S::v6_init, false},
    {S::v6_init, k6, kAck, S::v6_init, false},
    {S::v6_init, k4, kAck, S::v6_init, false},
    // ESTABLISHED: FIN -> that side's FIN RCV (lifetime unchanged); RST -> TRANS;
    // anything else refreshes TCP_EST.
    {S::established, k6, kFin, S::v6_fin_rcv, false},
    {S::established, k4, kFin, S::v4_fin_rcv, false},
    {S::established, k6, kRst, S::trans, true},
    {S::established, k4, kRst, S::trans, true},
    {S::established, k6, kAck, S::established, true},
    {S::established, k4, kAck, S::established, true},
    {S::established, k6, kSyn, S::established, true},
    {S::established, k4, kSyn, S::established, true},
    // V4 FIN RCV: a V6 FIN closes both (TCP_TRANS); any other packet refreshes TCP_EST.
    {S::v4_fin_rcv, k6, kFin, S::v4_fin_v6_fin_rcv, true},
    {S::v4_fin_rcv, k4, kFin, S::v4_fin_rcv, true},
    {S::v4_fin_rcv, k6, kAck, S::v4_fin_rcv, true},
    {S::v4_fin_rcv, k4, kAck, S::v4_fin_rcv, true},
    {S::v4_fin_rcv, k6, kRst, S::v4_fin_rcv, true},
    {S::v4_fin_rcv, k4, kRst, S::v4_fin_rcv, true},
    {S::v4_fin_rcv, k6, kSyn, S::v4_fin_rcv, true},
    {S::v4_fin_rcv, k4, kSyn, S::v4_fin_rcv, true},
    // V6 FIN RCV: the mirror image.
    {S::v6_fin_rcv, k4, kFin, S::v4_fin_v6_fin_rcv, true},
    {S::v6_fin_rcv, k6, kFin, S::v6_fin_rcv, true},
    {S::v6_fin_rcv, k6, kAck, S::v6_fin_rcv, true},
    {S::v6_fin_rcv, k4, kAck, S::v6_fin_rcv, true},
    {S::v6_fin_rcv, k6, kRst, S::v6_fin_rcv, true},
    {S::v6_fin_rcv, k4, kRst, S::v6_fin_rcv, true},
    {S::v6_fin_rcv, k6, kSyn, S::v6_fin_rcv, true},
    {S::v6_fin_rcv, k4, kSyn, S::v6_fin_rcv, true},
    // V4 FIN + V6 FIN RCV: packets pass, only the timer ends it.
    {S::v4_fin_v6_fin_rcv, k6, kAck, S::v4_fin_v6_fin_rcv, false},
    {S::v4_fin_v6_fin_rcv, k4, kAck, S::v4_fin_v6_fin_rcv, false},
    {S::v4_fin_v6_fin_rcv, k6, kFin, S::v4_fin_v6_fin_rcv, false},
    {S::v4_fin_v6_fin_rcv, k4, kFin, S::v4_fin_v6_fin_rcv, false},
    {S::v4_fin_v6_fin_rcv, k6, kRst, S::v4_fin_v6_fin_rcv, false},
    {S::v4_fin_v6_fin_rcv, k4, kRst, S::v4_fin_v6_fin_rcv, false},
    {S::v4_fin_v6_fin_rcv, k6, kSyn, S::v4_fin_v6_fin_rcv, false},
    {S::v4_fin_v6_fin_rcv, k4, kSyn, S::v4_fin_v6_fin_rcv, false},
    // TRANS: anything but a RST revives it to ESTABLISHED (TCP_EST).
    {S::trans, k6, kAck, S::established, true},
    {S::trans, k4, kAck, S::established, true},
    {S::trans, k6, kFin, S::established, true},
    {S::trans, k4, kFin, S::established, true},
    {S::trans, k6, kSyn, S::established, true},
    {S::trans, k4, kSyn, S::established, true},
    {S::trans, k6, kRst, S::trans, false},
    {S::trans, k4, kRst, S::trans, false},
};

const char* dir_name(Direction d) { return d == k6 ? "from_6" : "from_4"; }

} // namespace

TEST_CASE("every RFC 6146 TCP transition goes where the RFC says", "[nat][tcp_state][rfc6146]")
{
    REQUIRE(kRfc6146Table.size() == 8 * 8);
    for (const Case& c : kRfc6146Table) {
        INFO(tcp_state_name(c.from) << " " << dir_name(c.dir) << " flags=0x" << std::hex << int{c.flags});
        const TcpStep step = tcp_step(c.from, c.dir, c.flags);
        CHECK(tcp_state_name(step.state) == tcp_state_name(c.to));
        CHECK(step.refresh == c.refresh);
        CHECK(next_state(c.from, c.dir, c.flags) == c.to);
    }
}

TEST_CASE("a SYN that also carries RST opens nothing", "[nat][tcp_state][rfc6146]")
{
    CHECK(next_state(S::closed, k6, kTcpSyn | kTcpRst) == S::closed);
    CHECK(next_state(S::v6_init, k4, kTcpSyn | kTcpRst) == S::v6_init);
}

TEST_CASE("RST wins over FIN in the same segment", "[nat][tcp_state][rfc6146]")
{
    CHECK(next_state(S::established, k6, kTcpFin | kTcpRst) == S::trans);
    CHECK(next_state(S::v4_fin_rcv, k6, kTcpFin | kTcpRst) == S::v4_fin_rcv);
}

TEST_CASE("an outgoing connection opens, closes from both sides and waits out TCP_TRANS",
          "[nat][tcp_state][rfc6146]")
{
    S s = S::closed;
    s = next_state(s, k6, kSyn);
    CHECK(s == S::v6_init);
    CHECK(tcp_timer(s) == TcpTimer::transitory);
    s = next_state(s, k4, kSynAck);
    CHECK(s == S::established);
    CHECK(tcp_timer(s) == TcpTimer::established);
    s = next_state(s, k6, kAck);
    s = next_state(s, k6, kFin);
    CHECK(s == S::v6_fin_rcv);
    CHECK(tcp_timer(s) == TcpTimer::established);
    s = next_state(s, k4, kFin);
    CHECK(s == S::v4_fin_v6_fin_rcv);
    CHECK(tcp_timer(s) == TcpTimer::transitory);
    s = next_state(s, k6, kAck);
    CHECK(s == S::v4_fin_v6_fin_rcv);
}

TEST_CASE("an incoming SYN waits on the incoming-SYN timer until IPv6 answers", "[nat][tcp_state][rfc6146]")
{
    S s = next_state(S::closed, k4, kSyn);
    CHECK(s == S::v4_init);
    CHECK(tcp_timer(s) == TcpTimer::incoming_syn);
    s = next_state(s, k6, kSynAck);
    CHECK(s == S::established);
}

TEST_CASE("state names are stable snake_case", "[nat][tcp_state]")
{
    CHECK(tcp_state_name(S::closed) == "closed");
    CHECK(tcp_state_name(S::v4_fin_v6_fin_rcv) == "v4_fin_v6_fin_rcv");
    CHECK(tcp_state_name(static_cast<S>(200)) == "invalid");
}
