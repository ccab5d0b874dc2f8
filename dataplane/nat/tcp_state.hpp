// The TCP session state machine of a stateful NAT64 (RFC 6146 s3.5.2.2): which
// state a session moves to for a packet, and which lifetime governs each state.
// Pure functions; the caller stores the state (one byte) in its session.
#pragma once
#include <cstdint>
#include <string_view>

namespace nat64d::nat {

/// RFC 6146 s3.5.2.2 states. closed is 0 so a zeroed session starts there.
enum class TcpState : uint8_t {
    closed = 0,
    v4_init,            // SYN seen from IPv4 only (incoming connection or simultaneous open)
    v6_init,            // SYN seen from IPv6 only
    established,
    v4_fin_rcv,         // FIN seen from IPv4
    v6_fin_rcv,         // FIN seen from IPv6
    v4_fin_v6_fin_rcv,  // FIN seen from both sides
    trans,              // RST seen: transitory
};
inline constexpr uint32_t kTcpStateCount = 8;

/// Which side the packet came from: from_6 is translated 6to4, from_4 is 4to6.
enum class Direction : uint8_t { from_6, from_4 };

// TCP header flag bits (RFC 9293 s3.1), as in byte 13 of the header.
inline constexpr uint8_t kTcpFin = 0x01;
inline constexpr uint8_t kTcpSyn = 0x02;
inline constexpr uint8_t kTcpRst = 0x04;
inline constexpr uint8_t kTcpAck = 0x10;

/// Which configured lifetime applies to a session in a state (RFC 6146 s4).
enum class TcpTimer : uint8_t {
    transitory,     // TCP_TRANS, 4 min: opening, closing, reset
    established,    // TCP_EST, 2 h 4 min
    incoming_syn,   // TCP_INCOMING_SYN, 6 s: an IPv4-initiated SYN waiting for its IPv6 answer
};

/// A transition: the next state, and whether the packet sets the session's
/// lifetime again (RFC 6146 keeps it unchanged in some transitions, e.g. a FIN in
/// ESTABLISHED or any packet in V4 FIN + V6 FIN RCV).
struct TcpStep {
    TcpState state;
    bool refresh;
};

/// The RFC 6146 s3.5.2.2 transition for one packet with these TCP flags.
TcpStep tcp_step(TcpState state, Direction dir, uint8_t tcp_flags) noexcept;

/// tcp_step(...).state.
TcpState next_state(TcpState state, Direction dir, uint8_t tcp_flags) noexcept;

/// The lifetime class that governs a session in `state`.
TcpTimer tcp_timer(TcpState state) noexcept;

/// Stable snake_case names, for nat64ctl and logs.
std::string_view tcp_state_name(TcpState state) noexcept;

} // namespace nat64d::nat
