// Port block allocation (PBA, RFC 7422 s2's "port ranges" handed out on
// demand; RFC 6888 REQ-4's limit counted in blocks): each pool address's port
// range of a protocol is cut into blocks of block_size ports, and a block
// belongs to one subscriber at a time, so the NAT event log needs one record
// per block handed out and back instead of one per session.
//
// This is the blocks' shared state only: who owns each block, how many of its
// ports are in use, since when it is empty. Which blocks a subscriber holds is
// the subscriber table's (dataplane/flow/subscribers.hpp); choosing ports
// inside a block is the port allocator's (PortAllocator::allocate_in). Any
// thread may claim a free block (compare-and-swap on its owner word); only the
// thread that owns a block's subscriber slot gives it back. Pure: no DPDK.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>

#include "dataplane/nat/port_alloc.hpp"
#include "dataplane/nat/reserved.hpp"

namespace nat64d::nat {

struct BlockPoolConfig {
    uint32_t addresses = 1;               // at start
    uint32_t capacity = 0;                // addresses it may grow to (add_address()); 0: addresses
    std::array<uint16_t, kPortProtoCount> first{{1024, 1024, 1}};
    std::array<uint16_t, kPortProtoCount> last{{65535, 65535, 65535}};
    uint32_t block_size = 512;
};

/// The block pool a port allocator configuration describes (its addresses,
/// with room for as many as the allocator may grow to; its ranges less the
/// well-known ports, which stay out of every block).
BlockPoolConfig block_pool_of(const PortAllocConfig& cfg, uint32_t block_size) noexcept;

class BlockPool {
public:
    static constexpr uint32_t kNone = UINT32_MAX;

    /// nullptr if usable, else why not.
    static const char* validate(const BlockPoolConfig& cfg) noexcept;
    explicit BlockPool(const BlockPoolConfig& cfg);

    uint32_t block_size() const noexcept { return size_; }
    uint32_t per_address(PortProto p) const noexcept { return per_addr_[static_cast<uint32_t>(p)]; }

    struct Range {
        uint32_t addr_index;
        uint16_t first, last;
    };
    /// The ports of block `id` (an index over all addresses of the protocol).
    Range range(PortProto p, uint32_t id) const noexcept;
    /// The block holding a public port; false if the port is in none.
    bool block_of(PortProto p, uint32_t addr_index, uint16_t port, uint32_t& id) const noexcept;

    /// Any thread: takes a free block on `addr_index` for `owner` (non-zero),
    /// looking from `start` on; kNone if the address has none left.
    uint32_t claim(PortProto p, uint32_t addr_index, uint32_t owner, uint32_t start, uint32_t now_s) noexcept;
    /// Gives a block back (its owner's caller only).
    void release(PortProto p, uint32_t id) noexcept;
    uint32_t owner(PortProto p, uint32_t id) const noexcept;

    /// Ports of the block in use, counted by whoever takes or frees one.
    /// add_used(): before taking a port in it; sub_used(): after one is given
    /// back or a take failed; the block's empty time is noted when it hits 0.
    void add_used(PortProto p, uint32_t id) noexcept;
    void sub_used(PortProto p, uint32_t id, uint32_t now_s) noexcept;
    uint32_t used(PortProto p, uint32_t id) const noexcept;
    /// When the block last became empty (seconds).
    uint32_t empty_since(PortProto p, uint32_t id) const noexcept;

    /// Blocks owned now, of one protocol.
    uint32_t owned(PortProto p) const noexcept;
    /// Blocks for one more pool address (index addresses(), as the port
    /// allocator's add_address() gives it). Control thread. False if there
    /// is no room or no memory.
    bool add_address() noexcept;
    uint32_t addresses() const noexcept { return addresses_.load(std::memory_order_acquire); }
    size_t memory_bytes() const noexcept;

private:
    struct Block {
        std::atomic<uint32_t> owner{0};
        std::atomic<uint32_t> used{0};
        std::atomic<uint32_t> empty_since{0};
    };
    Block& at(PortProto p, uint32_t id) noexcept { return (*blocks_[static_cast<uint32_t>(p)])[id]; }
    const Block& at(PortProto p, uint32_t id) const noexcept { return (*blocks_[static_cast<uint32_t>(p)])[id]; }

    BlockPoolConfig cfg_;
    uint32_t size_ = 512;
    std::array<uint32_t, kPortProtoCount> per_addr_{};
    // Per protocol, block ids address-major (id / per_addr = address): room
    // for cfg_.capacity addresses, usable for addresses_ of them.
    std::array<std::unique_ptr<ReservedArray<Block>>, kPortProtoCount> blocks_;
    std::atomic<uint32_t> addresses_{0};
};

} // namespace nat64d::nat
