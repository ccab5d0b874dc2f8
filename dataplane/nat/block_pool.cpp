// Port blocks: ownership and use counts. See block_pool.hpp.
#include "dataplane/nat/block_pool.hpp"

#include <algorithm>

namespace nat64d::nat {

BlockPoolConfig block_pool_of(const PortAllocConfig& cfg, uint32_t block_size) noexcept
{
    // The same reserved ports as deterministic blocks: none below 1024.
    const DeterministicConfig d = deterministic_of(cfg);
    BlockPoolConfig b;
    b.addresses = static_cast<uint32_t>(cfg.pool.size());
    b.capacity = std::max(b.addresses, PortAllocator::kGrowAddresses);
    b.first = d.first;
    b.last = d.last;
    b.block_size = block_size;
    return b;
}

const char* BlockPool::validate(const BlockPoolConfig& cfg) noexcept
{
    if (cfg.block_size == 0 || cfg.block_size > 32768)
        return "block size must be 1..32768 ports";
    if (cfg.addresses == 0)
        return "no pool address";
    for (uint32_t p = 0; p < kPortProtoCount; ++p)
        if (cfg.last[p] < cfg.first[p] || uint32_t{cfg.last[p]} - cfg.first[p] + 1 < cfg.block_size)
            return "a port range is smaller than one block";
    return nullptr;
}

BlockPool::BlockPool(const BlockPoolConfig& cfg) : cfg_(cfg), size_(cfg.block_size)
{
    cfg_.capacity = std::max(cfg.capacity, cfg.addresses);
    for (uint32_t p = 0; p < kPortProtoCount; ++p) {
        const uint32_t ports = cfg.last[p] >= cfg.first[p] ? uint32_t{cfg.last[p]} - cfg.first[p] + 1 : 0;
        per_addr_[p] = size_ == 0 ? 0 : ports / size_;
        blocks_[p] = std::make_unique<ReservedArray<Block>>(size_t{per_addr_[p]} * cfg_.capacity);
    }
    // Short of memory, fewer than all: the caller checks addresses().
    for (uint32_t a = 0; a < cfg.addresses; ++a)
        if (!add_address())
            break;
}

bool BlockPool::add_address() noexcept
{
    const uint32_t a = addresses_.load(std::memory_order_relaxed);
    if (a >= cfg_.capacity)
        return false;
    for (uint32_t p = 0; p < kPortProtoCount; ++p)
        if (!blocks_[p]->commit(size_t{a} * per_addr_[p], per_addr_[p]))
            return false;
    addresses_.store(a + 1, std::memory_order_release);   // pairs with addresses()
    return true;
}

BlockPool::Range BlockPool::range(PortProto p, uint32_t id) const noexcept
{
    const auto i = static_cast<uint32_t>(p);
    const uint32_t b = id % per_addr_[i];
    const uint32_t first = cfg_.first[i] + b * size_;
    return {id / per_addr_[i], static_cast<uint16_t>(first), static_cast<uint16_t>(first + size_ - 1)};
}

bool BlockPool::block_of(PortProto p, uint32_t addr_index, uint16_t port, uint32_t& id) const noexcept
{
    const auto i = static_cast<uint32_t>(p);
    if (addr_index >= addresses() || port < cfg_.first[i] || port > cfg_.last[i])
        return false;
    const uint32_t b = (uint32_t{port} - cfg_.first[i]) / size_;
    if (b >= per_addr_[i])
        return false;   // the ports past the last whole block
    id = addr_index * per_addr_[i] + b;
    return true;
}

uint32_t BlockPool::claim(PortProto p, uint32_t addr_index, uint32_t owner, uint32_t start, uint32_t now_s) noexcept
{
    const uint32_t n = per_addr_[static_cast<uint32_t>(p)];
    if (addr_index >= addresses() || n == 0)
        return kNone;
    for (uint32_t k = 0; k < n; ++k) {
        const uint32_t id = addr_index * n + (start + k) % n;
        Block& blk = at(p, id);
        uint32_t none = 0;
        // A block whose ports are still in use (its last ones in quarantine
        // are not counted) is not free even when unowned: never happens, as
        // a block is released only when empty, but cheap to hold to.
        if (blk.owner.load(std::memory_order_relaxed) == 0 && blk.used.load(std::memory_order_relaxed) == 0 &&
            blk.owner.compare_exchange_strong(none, owner, std::memory_order_acq_rel)) {
            // Fresh: empty since now, so the ager leaves it a quarantine
            // before taking it back unused.
            blk.empty_since.store(now_s, std::memory_order_relaxed);
            return id;
        }
    }
    return kNone;
}

void BlockPool::release(PortProto p, uint32_t id) noexcept { at(p, id).owner.store(0, std::memory_order_release); }

uint32_t BlockPool::owner(PortProto p, uint32_t id) const noexcept
{
    return at(p, id).owner.load(std::memory_order_acquire);
}

void BlockPool::add_used(PortProto p, uint32_t id) noexcept { at(p, id).used.fetch_add(1, std::memory_order_seq_cst); }

void BlockPool::sub_used(PortProto p, uint32_t id, uint32_t now_s) noexcept
{
    Block& blk = at(p, id);
    if (blk.used.fetch_sub(1, std::memory_order_seq_cst) == 1)
        blk.empty_since.store(now_s, std::memory_order_relaxed);
}

uint32_t BlockPool::used(PortProto p, uint32_t id) const noexcept
{
    return at(p, id).used.load(std::memory_order_seq_cst);
}

uint32_t BlockPool::empty_since(PortProto p, uint32_t id) const noexcept
{
    return at(p, id).empty_since.load(std::memory_order_relaxed);
}

uint32_t BlockPool::owned(PortProto p) const noexcept
{
    const auto i = static_cast<uint32_t>(p);
    uint32_t n = 0;
    for (uint32_t id = 0; id < per_addr_[i] * addresses(); ++id)
        n += at(p, id).owner.load(std::memory_order_relaxed) != 0 ? 1 : 0;
    return n;
}

size_t BlockPool::memory_bytes() const noexcept
{
    size_t total = 0;
    for (uint32_t p = 0; p < kPortProtoCount; ++p)
        total += size_t{per_addr_[p]} * addresses() * sizeof(Block);
    return total;
}

} // namespace nat64d::nat
