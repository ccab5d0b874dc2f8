// Deterministic NAT (RFC 7422 s2): every subscriber prefix inside one IPv6
// prefix owns a fixed block of ports on a fixed pool address, computed from
// its position, so "who had 192.0.2.1:40123?" is answered by arithmetic, at
// any time, with no per-session log. Pure; nat64ctl uses it offline too.
//
// Subscribers are numbered i = 0 .. S-1 by the bits between the prefix and
// the subscriber length (S = 2^(subscriber_len - prefix_len)); with A pool
// addresses each address carries C = ceil(S / A) subscribers, and each gets
// M = floor(ports in the protocol's range / C) ports. RFC 7422's address
// assignment (its parameter A) is either
//   sequential: subscriber i on address i / C, block i % C (the first C
//               subscribers fill the first address), or
//   staggered:  subscriber i on address i % A, block i / A (neighbours spread
//               over the addresses).
// Block b of a protocol is ports first + b*M .. first + b*M + M - 1 of its
// range; the ports past C*M are never used.
#pragma once
#include <array>
#include <cstdint>

#include "dataplane/xlate/bytes.hpp"

namespace nat64d::nat {

enum class DeterministicOrder : uint8_t { off, sequential, staggered };

struct DeterministicConfig {
    DeterministicOrder order = DeterministicOrder::off;
    In6 prefix{};                     // the subscribers' prefix; bits past prefix_len zero
    uint8_t prefix_len = 48;
    uint8_t subscriber_len = 56;
    uint32_t addresses = 1;           // pool addresses, in pool order
    // First and last port of each protocol's range (TCP, UDP, ICMP identifiers).
    std::array<uint16_t, 3> first{{1024, 1024, 1}};
    std::array<uint16_t, 3> last{{65535, 65535, 65535}};
};

/// One subscriber's ports of one protocol.
struct PortBlock {
    uint32_t addr_index = 0;
    uint16_t first = 0;
    uint16_t last = 0;
};

class DeterministicMap {
public:
    /// Largest subscriber_len - prefix_len: 2^24 subscribers.
    static constexpr unsigned kMaxSubscriberBits = 24;

    /// nullptr if usable, else why not (for the config error).
    static const char* validate(const DeterministicConfig& cfg) noexcept;
    /// Precondition: validate(cfg) == nullptr, or order off.
    explicit DeterministicMap(const DeterministicConfig& cfg) noexcept;

    bool enabled() const noexcept { return cfg_.order != DeterministicOrder::off; }
    uint64_t subscribers() const noexcept { return subscribers_; }
    uint32_t per_address() const noexcept { return per_address_; }
    /// M: ports each subscriber gets of protocol `proto` (0 TCP, 1 UDP, 2 ICMP).
    uint32_t ports_per_subscriber(uint32_t proto) const noexcept { return ports_[proto]; }
    const DeterministicConfig& config() const noexcept { return cfg_; }

    /// The block of the subscriber src belongs to; false when src is
    /// outside the prefix.
    bool block_of(const In6& src, uint32_t proto, PortBlock& out) const noexcept;
    /// The subscriber prefix (of subscriber_len bits) that owns a public
    /// port; false when the port is in no block (outside the range, or in the
    /// unused ports past the last block).
    bool subscriber_of(uint32_t addr_index, uint32_t proto, uint16_t port, In6& prefix) const noexcept;

private:
    // The subscriber's number; false when outside the prefix.
    bool index_of(const In6& src, uint64_t& index) const noexcept;

    DeterministicConfig cfg_;
    uint64_t subscribers_ = 0;
    uint32_t per_address_ = 0;
    std::array<uint32_t, 3> ports_{};
};

} // namespace nat64d::nat
