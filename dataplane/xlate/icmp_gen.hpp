// ICMP errors the box originates itself: Time Exceeded, Packet Too Big /
// Fragmentation Needed, Destination Unreachable, Parameter Problem. Pure: they
// write into a caller's buffer.
#pragma once
#include "bytes.hpp"

namespace nat64d::xlate {

/// Writes an IPv4 packet carrying an ICMPv4 error about `orig` (an IPv4 packet)
/// into out. Quotes as much of orig as keeps the result within 576 bytes
/// (RFC 1812 s4.3.2.3). src is the box's address; the destination is orig's
/// source. `param`: next-hop MTU for type 3 code 4, pointer for type 12, else 0.
/// Returns the length written, 0 if cap is too small or orig is too short or
/// is itself an ICMP error (RFC 1812 s4.3.2.7).
uint32_t build_icmp4_error(uint8_t* out, uint32_t cap, const uint8_t* orig, uint32_t orig_len,
                           Ip4 src, uint8_t type, uint8_t code, uint32_t param) noexcept;

/// Same for IPv6: quotes orig within 1280 bytes (RFC 4443 s2.4 (c)). `param`:
/// MTU for Packet Too Big, pointer for Parameter Problem, else 0.
uint32_t build_icmp6_error(uint8_t* out, uint32_t cap, const uint8_t* orig, uint32_t orig_len,
                           const In6& src, uint8_t type, uint8_t code, uint32_t param) noexcept;

} // namespace nat64d::xlate
