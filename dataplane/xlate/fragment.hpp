// Splitting a translated packet into fragments: IPv6 (RFC 8200 s4.5) for IPv4
// packets with DF clear that translate to more than lowest-ipv6-mtu (RFC 7915
// s4.1); IPv4 (RFC 791) for IPv6 packets that may be fragmented on an IPv4 link
// whose MTU is below 1260 bytes (RFC 7915 s5.1).
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

/// How many fragments write_fragment_4 produces for the IPv4 packet ip4 (len
/// bytes) at the given mtu. 0 if it cannot be split: malformed, DF set, an
/// mtu below header + 8 bytes, or data that would end past offset 65535.
uint32_t fragment_count_4(const uint8_t* ip4, uint32_t len, uint32_t mtu) noexcept;

/// Writes fragment `index` (0-based) of the IPv4 packet ip4 into out, each at
/// most mtu bytes (RFC 791 s3.2, "fragmentation"): the header is repeated with
/// its identification, offsets are relative to the packet's own (it may be a
/// fragment already), MF is set on all but the last. Options are not copied
/// (a translated header has none). Returns the length written, 0 on error.
uint32_t write_fragment_4(uint8_t* out, uint32_t cap, const uint8_t* ip4, uint32_t len, uint32_t mtu,
                          uint32_t index) noexcept;

} // namespace nat64d::xlate
