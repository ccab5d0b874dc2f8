// A packet as the translator sees it: the layer-3 bytes plus the room around
// them that an in-place translation may grow into (an mbuf's head- and tailroom).
#pragma once
#include <cstdint>

namespace nat64d::xlate {

struct PacketView {
    uint8_t* l3 = nullptr;    // first byte of the IP header
    uint32_t len = 0;         // bytes from l3 to the end of the packet
    uint32_t headroom = 0;    // writable bytes before l3
    uint32_t tailroom = 0;    // writable bytes after l3 + len
};

} // namespace nat64d::xlate
