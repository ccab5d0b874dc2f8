// Splitting an IPv6 packet into fragments (RFC 8200 s4.5), for IPv4 packets
// with DF clear that translate to more than lowest-ipv6-mtu (RFC 7915 s4.1).
#pragma once
#include "bytes.hpp"

namespace nat64d::xlate {

/// How many fragments write_fragment_6 will produce for a packet of len bytes.
/// 0 if the packet cannot be split (malformed, mtu too small, or a fragment
/// whose data would end past offset 65535, RFC 8200 s4.5).
uint32_t fragment_count_6(const uint8_t* ip6, uint32_t len, uint32_t mtu) noexcept;

/// Writes fragment `index` (0-based) of the IPv6 packet ip6 into out, each at
/// most mtu bytes. If ip6 already carries a fragment header (it was a fragment
/// already), offsets are relative to it and its identification is kept; else a
/// fragment header with identification `id` is inserted after the base header
/// (the packet must then have no extension headers). Returns the length
/// written, 0 on error.
uint32_t write_fragment_6(uint8_t* out, uint32_t cap, const uint8_t* ip6, uint32_t len,
                          uint32_t mtu, uint32_t index, uint32_t id) noexcept;

} // namespace nat64d::xlate
