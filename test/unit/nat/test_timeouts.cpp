// Which lifetime applies to a session (RFC 6146 s4 defaults).
#include <catch2/catch.hpp>

#include "dataplane/nat/timeouts.hpp"

using namespace nat64d;
using namespace nat64d::nat;

TEST_CASE("default timeouts are RFC 6146's", "[nat][timeouts][rfc6146]")
{
    const Timeouts t;
    CHECK(t.udp_s == 300);
    CHECK(t.tcp_established_s == 7440);
    CHECK(t.tcp_transitory_s == 240);
    CHECK(t.icmp_s == 60);
    CHECK(t.tcp_incoming_syn_s == 6);
    CHECK(t.port_quarantine_s == 120);
    CHECK(t.fragment_s == 2);
}

TEST_CASE("each TCP state expires on its RFC 6146 timer", "[nat][timeouts][rfc6146]")
{
    Timeouts t;
    t.tcp_established_s = 1000;
    t.tcp_transitory_s = 200;
    t.tcp_incoming_syn_s = 7;
    struct Case {
        TcpState state;
        uint32_t expected_s;
    };
    const Case cases[] = {
        {TcpState::closed, 200},        {TcpState::v4_init, 7},
        {TcpState::v6_init, 200},       {TcpState::established, 1000},
        {TcpState::v4_fin_rcv, 1000},   {TcpState::v6_fin_rcv, 1000},
        {TcpState::v4_fin_v6_fin_rcv, 200}, {TcpState::trans, 200},
    };
    for (const Case& c : cases) {
        INFO(tcp_state_name(c.state));
        CHECK(expiry_s(kProtoTcp, c.state, t) == c.expected_s);
    }
}

TEST_CASE("UDP and ICMP sessions expire on their own timers whatever the TCP state", "[nat][timeouts][rfc6146]")
{
    Timeouts t;
    t.udp_s = 123;
    t.icmp_s = 45;
    CHECK(expiry_s(kProtoUdp, TcpState::closed, t) == 123);
    CHECK(expiry_s(kProtoUdp, TcpState::established, t) == 123);
    CHECK(expiry_s(kProtoIcmp6, TcpState::closed, t) == 45);
    CHECK(expiry_s(kProtoIcmp4, TcpState::closed, t) == 45);
    CHECK(expiry_s(47, TcpState::closed, t) == 0);   // GRE: not tracked
}
