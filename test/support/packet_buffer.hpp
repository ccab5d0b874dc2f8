// A packet in a buffer with head- and tailroom, as an mbuf would hold it, so
// tests can hand the translator a PacketView and read back what it made.
#pragma once
#include <array>
#include <cstring>
#include <vector>

#include "dataplane/xlate/packet_view.hpp"

namespace nat64d::test {

struct PacketBuffer {
    static constexpr uint32_t kSize = 4096;
    std::array<uint8_t, kSize> mem{};
    xlate::PacketView view;

    explicit PacketBuffer(const std::vector<uint8_t>& pkt, uint32_t headroom = 128)
    {
        std::memcpy(mem.data() + headroom, pkt.data(), pkt.size());
        view.l3 = mem.data() + headroom;
        view.len = static_cast<uint32_t>(pkt.size());
        view.headroom = headroom;
        view.tailroom = kSize - headroom - view.len;
    }
    std::vector<uint8_t> bytes() const { return {view.l3, view.l3 + view.len}; }
};

} // namespace nat64d::test
