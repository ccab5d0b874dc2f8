// ARP / NDP neighbour cache (RFC 826; RFC 4861 s7.2-7.3, simplified: no DELAY
// state, a stale entry in use is probed at once). Fixed pool of entries indexed
// by an open-addressing table.
#include "dataplane/nat/neighbour_cache.hpp"

#include <cassert>

#include "dataplane/nat/hash.hpp"
#include "dataplane/nat/v4_mapped.hpp"

namespace nat64d::nat {
namespace {
constexpr uint32_t kEvictProbe = 8;   // entries looked at for a victim when the table is full
}

const char* NeighbourCache::validate(const NeighbourConfig& cfg) noexcept
{
    if (cfg.capacity == 0 || cfg.capacity > (1u << 24))
        return "neighbours: capacity must be 1..16777216";
    if (cfg.reachable_ms == 0 || cfg.retrans_ms == 0)
        return "neighbours: reachable and retrans times must be positive";
    if (cfg.max_solicits == 0 || cfg.max_solicits > UINT8_MAX)
        return "neighbours: max solicitations must be 1..255";
    if (cfg.max_held_total == 0)
        return "neighbours: the hold limit must be positive";
    return nullptr;
}

NeighbourCache::NeighbourCache(const NeighbourConfig& cfg)
    : capacity_(cfg.capacity),
      reachable_ms_(cfg.reachable_ms),
      retrans_ms_(cfg.retrans_ms),
      max_solicits_(cfg.max_solicits),
      stale_gc_ms_(cfg.stale_gc_ms),
      seed_(cfg.seed),
      max_held_total_(cfg.max_held_total),
      free_top_(cfg.capacity),
      index_(cfg.capacity),
      entries_(std::make_unique<Entry[]>(cfg.capacity)),
      free_(std::make_unique<uint32_t[]>(cfg.capacity))
{
    assert(validate(cfg) == nullptr);
    for (uint32_t k = 0; k < capacity_; ++k)
        free_[k] = capacity_ - 1 - k;   // pop order 0, 1, 2...
}

uint64_t NeighbourCache::hash_of(const In6& ip) const noexcept
{
    return hash_bytes(ip.data(), ip.size(), seed_);
}

uint32_t NeighbourCache::find(const In6& ip) const noexcept
{
    return index_.find(hash_of(ip), [&](uint32_t e) noexcept { return entries_[e].ip == ip; });
}

uint32_t NeighbourCache::create(const In6& ip) noexcept
{
    if (free_top_ == 0) {
        // Full: forget a stale entry nobody is probing (it holds no packets).
        for (uint32_t k = 0; k < kEvictProbe && free_top_ == 0; ++k) {
            const uint32_t i = evict_hand_;
            evict_hand_ = evict_hand_ + 1 == capacity_ ? 0 : evict_hand_ + 1;
            const Entry& e = entries_[i];
            if (e.live && e.state == NeighbourState::stale && e.solicits == 0)
                remove(i);
        }
        if (free_top_ == 0)
            return OpenIndex::kNone;
    }
    const uint32_t i = free_[--free_top_];
    Entry& e = entries_[i];
    e = Entry{};
    e.ip = ip;
    e.live = 1;
    index_.insert(hash_of(ip), i);
    ++live_;
    return i;
}

void NeighbourCache::remove(uint32_t i) noexcept
{
    Entry& e = entries_[i];
    index_.erase(hash_of(e.ip), i);
    e.live = 0;
    held_total_ -= e.held;
    e.held = 0;
    free_[free_top_++] = i;
    --live_;
}

bool NeighbourCache::solicit_due(const Entry& e, uint64_t now_ms) const noexcept
{
    return e.solicits < max_solicits_ && (e.solicits == 0 || now_ms >= e.solicited_ms + retrans_ms_);
}

void NeighbourCache::age(Entry& e, uint64_t now_ms) const noexcept
{
    // RFC 4861 s7.3.3: REACHABLE becomes STALE once ReachableTime has passed.
    if (e.state == NeighbourState::reachable && now_ms >= e.confirmed_ms + reachable_ms_) {
        e.state = NeighbourState::stale;
        e.solicits = 0;
    }
}

Resolution NeighbourCache::resolve(const NeighbourKey& key, uint64_t handle, uint64_t now_ms, MacAddr& mac) noexcept
{
    uint32_t i = find(key.ip);
    if (i == OpenIndex::kNone) {
        if (held_total_ >= max_held_total_) [[unlikely]]
            return Resolution::drop;
        i = create(key.ip);
        if (i == OpenIndex::kNone) [[unlikely]]
            return Resolution::drop;
        ++held_total_;
        Entry& e = entries_[i];
        e.state = NeighbourState::incomplete;
        e.confirmed_ms = now_ms;
        e.handles[0] = handle;
        e.held = 1;
        e.solicits = 1;
        e.solicited_ms = now_ms;
        return Resolution::held_solicit;
    }
    Entry& e = entries_[i];
    age(e, now_ms);
    switch (e.state) {
    case NeighbourState::static_entry:
    case NeighbourState::reachable:
        mac = e.mac;
        return Resolution::send;
    case NeighbourState::stale:
        // Still usable; traffic to it starts (or continues) a probe, and
        // unanswered probes end the entry in tick().
        mac = e.mac;
        if (solicit_due(e, now_ms)) {
            ++e.solicits;
            e.solicited_ms = now_ms;
            return Resolution::send_solicit;
        }
        return Resolution::send;
    case NeighbourState::incomplete:
        break;
    }
    if (e.held >= kNeighbourMaxHeld || held_total_ >= max_held_total_)
        return Resolution::drop;
    e.handles[e.held++] = handle;
    ++held_total_;
    if (solicit_due(e, now_ms)) {   // rate limit: one per retrans_ms per entry
        ++e.solicits;
        e.solicited_ms = now_ms;
        return Resolution::held_solicit;
    }
    return Resolution::held;
}

Learned NeighbourCache::learn(const NeighbourKey& key, const MacAddr& mac, uint64_t now_ms) noexcept
{
    Learned out;
    out.mac = mac;
    uint32_t i = find(key.ip);
    if (i == OpenIndex::kNone) {
        i = create(key.ip);
        if (i == OpenIndex::kNone)
            return out;
    }
    Entry& e = entries_[i];
    if (e.state == NeighbourState::static_entry) {
        out.mac = e.mac;   // configuration wins over what the wire says
        return out;
    }
    e.mac = mac;
    e.state = NeighbourState::reachable;
    e.confirmed_ms = now_ms;
    e.solicits = 0;
    for (uint32_t k = 0; k < e.held; ++k)
        out.handles[k] = e.handles[k];
    out.count = e.held;
    held_total_ -= e.held;
    e.held = 0;
    return out;
}

bool NeighbourCache::add_static(const NeighbourKey& key, const MacAddr& mac) noexcept
{
    uint32_t i = find(key.ip);
    if (i == OpenIndex::kNone) {
        i = create(key.ip);
        if (i == OpenIndex::kNone)
            return false;
    } else if (entries_[i].held != 0) {
        return false;   // packets are waiting on it: configure neighbours before traffic
    }
    Entry& e = entries_[i];
    e.mac = mac;
    e.state = NeighbourState::static_entry;
    e.solicits = 0;
    return true;
}

NeighbourTick NeighbourCache::tick(uint64_t now_ms, std::span<NeighbourKey> solicit,
                                   std::span<uint64_t> dropped) noexcept
{
    NeighbourTick out;
    for (uint32_t i = 0; i < capacity_; ++i) {
        Entry& e = entries_[i];
        if (!e.live || e.state == NeighbourState::static_entry)
            continue;
        age(e, now_ms);
        if (e.state == NeighbourState::reachable)
            continue;
        const bool retrans_due = now_ms >= e.solicited_ms + retrans_ms_;
        if (e.state == NeighbourState::stale && e.solicits == 0) {
            if (now_ms >= e.confirmed_ms + stale_gc_ms_)
                remove(i);   // unused since it went stale
            continue;
        }
        if (!retrans_due)
            continue;
        if (e.solicits < max_solicits_) {   // retransmit (RFC 4861 s7.2.2)
            if (out.solicits == solicit.size())
                continue;
            solicit[out.solicits++] = NeighbourKey{e.ip};
            ++e.solicits;
            e.solicited_ms = now_ms;
            continue;
        }
        // max_solicits unanswered: resolution failed (RFC 4861 s7.3.3); its packets are dropped.
        if (dropped.size() - out.dropped < e.held)
            continue;
        for (uint32_t k = 0; k < e.held; ++k)
            dropped[out.dropped++] = e.handles[k];
        remove(i);   // and the held count with it
    }
    return out;
}

NeighbourInfo NeighbourCache::lookup(const NeighbourKey& key, uint64_t now_ms) const noexcept
{
    NeighbourInfo info;
    const uint32_t i = find(key.ip);
    if (i == OpenIndex::kNone)
        return info;
    Entry e = entries_[i];
    age(e, now_ms);
    info.found = true;
    info.state = e.state;
    info.mac = e.mac;
    info.held = e.held;
    return info;
}

size_t NeighbourCache::memory_bytes() const noexcept
{
    return size_t{capacity_} * (sizeof(Entry) + sizeof(uint32_t)) + index_.memory_bytes();
}

} // namespace nat64d::nat
