// Session lifetimes (RFC 6146 s4, RFC 4787 REQ-5, RFC 5382 REQ-5) and the one
// function that says which applies to a session. Plain data: control/ copies
// ctl::Timeouts into it field by field.
#pragma once
#include <cstdint>

#include "dataplane/nat/tcp_state.hpp"
#include "dataplane/xlate/bytes.hpp"

namespace nat64d::nat {

/// The longest configurable session timeout: the flow table keeps a session's
/// last activity on a 28-bit clock of seconds, compared modulo 2^28
/// (dataplane/flow/flow_table.hpp), so idle times up to 2^27 - 1 s (4 years).
inline constexpr uint32_t kMaxTimeoutS = (1u << 27) - 1;

struct Timeouts {
    uint32_t udp_s = 300;                   // RFC 6146 s4 UDP_DEFAULT (RFC 4787 REQ-5: >= 120 s)
    uint32_t tcp_established_s = 7440;      // TCP_EST: 2 h 4 min (RFC 5382 REQ-5)
    uint32_t tcp_transitory_s = 240;        // TCP_TRANS: 4 min
    uint32_t icmp_s = 60;                   // ICMP_DEFAULT
    uint32_t tcp_incoming_syn_s = 6;        // TCP_INCOMING_SYN
    uint32_t port_quarantine_s = 120;       // RFC 6888 REQ-8: a freed port rests 120 s before reuse
    uint32_t fragment_s = 2;                // FRAGMENT_MIN
    uint32_t neighbour_reachable_s = 30;    // RFC 4861 REACHABLE_TIME
};

/// Idle lifetime in seconds of a session of IPv6-side protocol `proto` (TCP
/// sessions: in `state`; ignored otherwise). 0 for protocols we do not track.
inline uint32_t expiry_s(uint8_t proto, TcpState state, const Timeouts& t) noexcept
{
    switch (proto) {
    case kProtoTcp:
        switch (tcp_timer(state)) {
        case TcpTimer::established:
            return t.tcp_established_s;
        case TcpTimer::incoming_syn:
            return t.tcp_incoming_syn_s;
        case TcpTimer::transitory:
            break;
        }
        return t.tcp_transitory_s;
    case kProtoUdp:
        return t.udp_s;
    case kProtoIcmp6:
    case kProtoIcmp4:
        return t.icmp_s;
    default:
        return 0;
    }
}

} // namespace nat64d::nat
