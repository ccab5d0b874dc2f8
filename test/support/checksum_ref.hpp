// An independent, deliberately plain Internet checksum (RFC 1071) for tests:
// byte-at-a-time, no incremental tricks, shares no code with dataplane/xlate.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dataplane/xlate/bytes.hpp"

namespace nat64d::test {

/// One's-complement checksum of data (the value a sender puts in the field
/// when the field itself is zero). A block that includes a correct checksum
/// gives 0.
uint16_t ref_checksum(const std::vector<uint8_t>& data);
uint16_t ref_checksum(const uint8_t* p, size_t len);

/// The same over the IPv4 / IPv6 pseudo-header followed by the upper-layer data.
uint16_t ref_checksum4(Ip4 src, Ip4 dst, uint8_t proto, const uint8_t* l4, size_t len);
uint16_t ref_checksum6(const In6& src, const In6& dst, uint8_t nh, const uint8_t* l4, size_t len);

/// Verifiers for whole packets.
bool ref_ip4_header_ok(const std::vector<uint8_t>& pkt);
/// TCP/UDP (pseudo-header) or ICMPv4 (no pseudo-header) checksum of an
/// unfragmented IPv4 packet.
bool ref_l4_ok4(const std::vector<uint8_t>& pkt);
/// TCP/UDP/ICMPv6 checksum of an IPv6 packet; l4_off locates the upper layer
/// (40 without extension headers). The upper-layer length is taken from the header.
bool ref_l4_ok6(const std::vector<uint8_t>& pkt, size_t l4_off = 40);

} // namespace nat64d::test
