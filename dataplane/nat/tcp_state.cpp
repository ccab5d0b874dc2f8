// RFC 6146 s3.5.2.2 TCP session handling, as a pure transition function.
// Our own choices where the RFC leaves room are marked "choice:".
#include "dataplane/nat/tcp_state.hpp"

#include <array>

namespace nat64d::nat {
namespace {

// Choice: a segment with both SYN and RST is not a connection attempt, so a
// "SYN" below is SYN without RST. And RST wins over FIN in one segment: the
// connection is being aborted, so the shorter transitory lifetime applies.
constexpr bool is_syn(uint8_t f) noexcept { return (f & (kTcpSyn | kTcpRst)) == kTcpSyn; }
constexpr bool is_rst(uint8_t f) noexcept { return (f & kTcpRst) != 0; }
constexpr bool is_fin(uint8_t f) noexcept { return (f & (kTcpFin | kTcpRst)) == kTcpFin; }

constexpr TcpStep stay(TcpState s) noexcept { return {s, false}; }
constexpr TcpStep move(TcpState s) noexcept { return {s, true}; }

} // namespace

TcpStep tcp_step(TcpState state, Direction dir, uint8_t flags) noexcept
{
    const bool from_6 = dir == Direction::from_6;
    switch (state) {
    case TcpState::closed:
        // A SYN opens the session. From IPv6: lifetime TCP_TRANS. From IPv4 (the
        // BIB entry exists and filtering allowed it; the caller checks both):
        // TCP_INCOMING_SYN, after which RFC 6146 answers ICMP port unreachable.
        // Choice: any other segment leaves it CLOSED; whether to translate it is
        // the caller's policy.
        if (is_syn(flags))
            return move(from_6 ? TcpState::v6_init : TcpState::v4_init);
        return stay(state);
    case TcpState::v4_init:
        // The IPv6 side answers (SYN+ACK, or a simultaneous-open SYN).
        if (from_6 && is_syn(flags))
            return move(TcpState::established);
        return stay(state);   // lifetime unchanged: the 6 s clock keeps running
    case TcpState::v6_init:
        if (is_syn(flags))
            return from_6 ? move(TcpState::v6_init)        // retransmitted SYN: TCP_TRANS again
                          : move(TcpState::established);   // the IPv4 side answers
        return stay(state);
    case TcpState::established:
        if (is_rst(flags))
            return move(TcpState::trans);
        if (is_fin(flags))   // lifetime unchanged, per RFC 6146
            return stay(from_6 ? TcpState::v6_fin_rcv : TcpState::v4_fin_rcv);
        return move(state);  // any other segment: TCP_EST again
    case TcpState::v4_fin_rcv:
        if (from_6 && is_fin(flags))
            return move(TcpState::v4_fin_v6_fin_rcv);
        return move(state);  // half-closed traffic still counts as established
    case TcpState::v6_fin_rcv:
        if (!from_6 && is_fin(flags))
            return move(TcpState::v4_fin_v6_fin_rcv);
        return move(state);
    case TcpState::v4_fin_v6_fin_rcv:
        return stay(state);  // only the TCP_TRANS timer ends it
    case TcpState::trans:
        // Anything but a RST shows the connection alive after all.
        if (!is_rst(flags))
            return move(TcpState::established);
        return stay(state);
    }
    return stay(state);
}

TcpState next_state(TcpState state, Direction dir, uint8_t tcp_flags) noexcept
{
    return tcp_step(state, dir, tcp_flags).state;
}

TcpTimer tcp_timer(TcpState state) noexcept
{
    switch (state) {
    case TcpState::v4_init:
        return TcpTimer::incoming_syn;
    case TcpState::established:
    case TcpState::v4_fin_rcv:
    case TcpState::v6_fin_rcv:
        return TcpTimer::established;
    case TcpState::closed:   // choice: a session created without a SYN lives TCP_TRANS
    case TcpState::v6_init:
    case TcpState::v4_fin_v6_fin_rcv:
    case TcpState::trans:
        break;
    }
    return TcpTimer::transitory;
}

std::string_view tcp_state_name(TcpState state) noexcept
{
    static constexpr std::array<std::string_view, kTcpStateCount> kNames = {
        "closed", "v4_init", "v6_init", "established",
        "v4_fin_rcv", "v6_fin_rcv", "v4_fin_v6_fin_rcv", "trans"};
    const auto i = static_cast<uint32_t>(state);
    return i < kNames.size() ? kNames[i] : std::string_view{"invalid"};
}

} // namespace nat64d::nat
