// "Who had 192.0.2.1:40123 at 14:02?" (nat64ctl lookup), answered without
// the daemon where it can be: by the RFC 7422 arithmetic in deterministic
// mode, from the NAT event log's mapping lines otherwise. Pure: unit-tested
// and run offline against a config file and a log.
#pragma once
#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <string_view>

#include "control/config/config.hpp"

namespace nat64d::ctl {

/// An event-log time from what an operator types: "2026-11-26T14:02",
/// "2026-11-26 14:02:03", "...Z", with or without milliseconds; nullopt
/// if it is none of those. The result compares with the log's times as text.
std::optional<std::string> normalise_log_time(std::string_view text);

/// Who held a public port, from the event log.
struct LogHolder {
    bool found = false;
    std::string ipv6;           // the IPv6 source ("2001:db8::5")
    uint16_t port6 = 0;
    std::string since;          // its mapping-create line's time
    std::string until;          // its mapping-delete line's time; empty: still held when the log ends
    // With port blocks: the subscriber (PREFIX/LEN) whose block held the
    // port, and the block; ipv6 and port6 are then empty.
    std::string subscriber;
    uint16_t block_first = 0, block_last = 0;
};

/// Scans the event log for the mapping of `proto` ("tcp", "udp", "icmp")
/// that held pub4:port at time `at` (normalised): the last mapping-create at
/// or before it with no mapping-delete between; or, with port blocks, the
/// last block-allocate of a block holding the port with no block-release
/// between.
LogHolder holder_from_log(std::istream& log, std::string_view proto, Ip4 pub4, uint16_t port, const std::string& at);

/// The deterministic answer for a public port: the subscriber prefix
/// ("2001:db8:100:ab00::/56") and its block, or nullopt if the port is in
/// no block. Precondition: config.deterministic is on.
struct DeterministicAnswer {
    std::string subscriber;     // PREFIX/LEN
    std::string address;        // the block's pool address
    uint16_t first = 0, last = 0;
};
std::optional<DeterministicAnswer> deterministic_owner(const Config& config, std::string_view proto, Ip4 pub4,
                                                       uint16_t port);
/// The block of the subscriber an IPv6 address belongs to; nullopt outside the prefix.
std::optional<DeterministicAnswer> deterministic_block(const Config& config, std::string_view proto, const In6& addr);

} // namespace nat64d::ctl
