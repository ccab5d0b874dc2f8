// Fragment tracking for stateful NAT64 (RFC 6146 s3.4; RFC 7915 s5.1 on
// translating fragments): a fixed pool of entries indexed by an open-addressing
// table, held fragments in a fixed pool of list nodes, expiry in creation order.
#include "dataplane/nat/frag_cache.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "dataplane/nat/hash.hpp"
#include "dataplane/xlate/rfc6052.hpp"

namespace nat64d::nat {

const char* FragCache::validate(const FragCacheConfig& cfg) noexcept
{
    if (cfg.max_entries == 0 || cfg.max_entries > (1u << 24))
        return "fragment cache: entries must be 1..16777216";
    if (cfg.max_held_per_entry == 0 || cfg.max_held_per_entry > UINT16_MAX)
        return "fragment cache: held per entry must be 1..65535";
    if (cfg.max_held_total > (1u << 24))
        return "fragment cache: held total must be at most 16777216";
    if (cfg.timeout_ms == 0)
        return "fragment cache: timeout must be positive";
    return nullptr;
}

FragCache::FragCache(const FragCacheConfig& cfg)
    : max_entries_(cfg.max_entries),
      max_held_per_entry_(cfg.max_held_per_entry),
      max_held_total_(cfg.max_held_total),
      timeout_ms_(cfg.timeout_ms),
      seed_(cfg.seed),
      max_per_source_(cfg.max_entries_per_source),
      source_prefix_len6_(cfg.source_prefix_len6),
      index_(cfg.max_entries),
      entries_(std::make_unique<Entry[]>(cfg.max_entries)),
      fifo_(std::make_unique<uint32_t[]>(cfg.max_entries)),
      node_handle_(std::make_unique<uint64_t[]>(cfg.max_held_total)),
      node_next_(std::make_unique<uint32_t[]>(cfg.max_held_total))
{
    // Buckets of sources, several per entry: two sources share one rarely,
    // and then only count together (stricter, never looser).
    uint32_t buckets = 1024;
    while (buckets < 8 * max_entries_)
        buckets <<= 1;
    source_mask_ = buckets - 1;
    source_count_ = std::make_unique<uint16_t[]>(buckets);
    evicted_ = std::make_unique<uint64_t[]>(max_held_per_entry_);
    assert(validate(cfg) == nullptr);
    for (uint32_t i = max_entries_; i-- > 0;) {
        entries_[i].head = free_entry_;
        free_entry_ = i;
    }
    for (uint32_t i = max_held_total_; i-- > 0;) {
        node_next_[i] = free_node_;
        free_node_ = i;
    }
}

uint64_t FragCache::hash_of(const FragKey& key) const noexcept
{
    return hash_bytes(&key, sizeof(key), seed_);
}

uint32_t FragCache::find(const FragKey& key, uint64_t hash) const noexcept
{
    return index_.find(hash, [&](uint32_t e) noexcept {
        return std::memcmp(&entries_[e].key, &key, sizeof(key)) == 0;
    });
}

In6 FragCache::subscriber_of(const FragKey& key) const noexcept
{
    const uint32_t bits = key.family == 6 ? source_prefix_len6_ : 128;   // IPv4: the whole mapped address
    return xlate::mask_prefix(key.src, bits);
}

uint32_t FragCache::source_of(const FragKey& key) const noexcept
{
    const In6 s = subscriber_of(key);
    return static_cast<uint32_t>(hash_bytes(s.data(), s.size(), seed_ ^ key.family)) & source_mask_;
}

void FragCache::evict_oldest_of(const FragKey& key, uint32_t source) noexcept
{
    // Oldest first in creation order; under a flood the flooder's entries are
    // most of the ring, so the scan ends early. The source's own oldest if it
    // has one here, else its bucket mate's.
    const In6 subscriber = subscriber_of(key);
    uint32_t victim = live_;
    for (uint32_t k = 0; k < live_; ++k) {
        uint32_t slot = fifo_head_ + k;
        if (slot >= max_entries_)
            slot -= max_entries_;
        const Entry& e = entries_[fifo_[slot]];
        if (e.source != source)
            continue;
        if (e.key.family == key.family && subscriber_of(e.key) == subscriber) {
            victim = k;
            break;
        }
        if (victim == live_)
            victim = k;
    }
    for (uint32_t k = victim; k < live_; ++k) {
        uint32_t slot = fifo_head_ + k;
        if (slot >= max_entries_)
            slot -= max_entries_;
        const uint32_t i = fifo_[slot];
        Entry& e = entries_[i];
        while (e.count != 0) {
            const uint64_t h = node_handle_[pop_held(e)];
            if (n_evicted_ < max_held_per_entry_)
                evicted_[n_evicted_++] = h;
        }
        // Out of the ring, which keeps its creation order.
        for (uint32_t j = k; j > 0; --j) {
            uint32_t to = fifo_head_ + j, from = fifo_head_ + j - 1;
            if (to >= max_entries_)
                to -= max_entries_;
            if (from >= max_entries_)
                from -= max_entries_;
            fifo_[to] = fifo_[from];
        }
        if (++fifo_head_ == max_entries_)
            fifo_head_ = 0;
        remove(i);
        ++evictions_;
        return;
    }
}

size_t FragCache::take_evicted(std::span<uint64_t> out) noexcept
{
    const size_t n = std::min<size_t>(n_evicted_, out.size());
    for (size_t k = 0; k < n; ++k)
        out[k] = evicted_[k];
    n_evicted_ = 0;
    return n;
}

uint32_t FragCache::create(const FragKey& key, uint64_t hash, uint64_t now_ms) noexcept
{
    if (max_per_source_ != 0) {
        const uint32_t source = source_of(key);
        if (source_count_[source] >= max_per_source_) [[unlikely]]
            evict_oldest_of(key, source);
    }
    if (free_entry_ == kNil) [[unlikely]]
        return kNil;
    const uint32_t i = free_entry_;
    Entry& e = entries_[i];
    free_entry_ = e.head;
    e.key = key;
    e.cookie = 0;
    e.deadline_ms = now_ms + timeout_ms_;
    e.head = e.tail = kNil;
    e.count = 0;
    e.mapped = 0;
    e.poisoned = 0;
    e.ranges = 0;
    e.source = source_of(key);
    ++source_count_[e.source];
    index_.insert(hash, i);
    // Deadlines are creation time + one constant, so creation order is expiry
    // order and a ring replaces a timer heap.
    uint32_t slot = fifo_head_ + live_;
    if (slot >= max_entries_)
        slot -= max_entries_;
    fifo_[slot] = i;
    ++live_;
    return i;
}

uint32_t FragCache::pop_held(Entry& e) noexcept
{
    const uint32_t n = e.head;
    e.head = node_next_[n];
    if (e.head == kNil)
        e.tail = kNil;
    --e.count;
    --held_;
    node_next_[n] = free_node_;
    free_node_ = n;
    return n;
}

void FragCache::remove(uint32_t i) noexcept
{
    Entry& e = entries_[i];
    index_.erase(hash_of(e.key), i);
    --source_count_[e.source];
    e.head = free_entry_;
    free_entry_ = i;
    --live_;
}

bool FragCache::add_range(Entry& e, const FragRange& r) noexcept
{
    if (r.end == 0 || e.key.family != 6)
        return true;   // RFC 5722 is IPv6's; IPv4 reassembly tolerates overlaps (RFC 791)
    // No datagram ends past 65535 bytes; a fragment that claims to is capped.
    const Span16 s{static_cast<uint16_t>(std::min<uint32_t>(r.start, 0xFFFF)),
                   static_cast<uint16_t>(std::min<uint32_t>(r.end, 0xFFFF))};
    for (uint32_t i = 0; i < e.ranges; ++i) {
        const Span16& o = e.range[i];
        if (o.start == s.start && o.end == s.end)
            return true;   // an exact duplicate is not an overlap (RFC 8200 s4.5)
        if (s.start < o.end && o.start < s.end)
            return false;
    }
    if (e.ranges < kMaxRanges)
        e.range[e.ranges++] = s;
    return true;
}

FragFirst FragCache::first_fragment(const FragKey& key, uint64_t cookie, uint64_t now_ms,
                                    std::span<uint64_t> released, FragRange range) noexcept
{
    const uint64_t h = hash_of(key);
    uint32_t i = find(key, h);
    if (i == OpenIndex::kNone) {
        i = create(key, h, now_ms);
        if (i == kNil) [[unlikely]]
            return {false, 0};
    }
    Entry& e = entries_[i];
    if (e.poisoned || !add_range(e, range)) [[unlikely]] {
        e.poisoned = 1;
        uint32_t n = 0;
        while (e.count != 0 && n < released.size())
            released[n++] = node_handle_[pop_held(e)];
        return {false, n, true};
    }
    // A repeated first fragment (retransmission of the same datagram) takes the
    // newer mapping; the caller decided it for the same flow.
    e.cookie = cookie;
    e.mapped = 1;
    uint32_t n = 0;
    while (e.count != 0 && n < released.size())
        released[n++] = node_handle_[pop_held(e)];
    return {true, n};
}

FragLater FragCache::later_fragment(const FragKey& key, uint64_t handle, uint64_t now_ms, FragRange range,
                                    std::span<uint64_t> discard) noexcept
{
    const uint64_t h = hash_of(key);
    uint32_t i = find(key, h);
    if (i != OpenIndex::kNone) {
        Entry& e = entries_[i];
        if (e.poisoned || !add_range(e, range)) [[unlikely]] {
            e.poisoned = 1;
            FragLater r{FragAction::drop, Verdict::drop_fragment_overlap, 0};
            while (e.count != 0 && r.discarded < discard.size())
                discard[r.discarded++] = node_handle_[pop_held(e)];
            return r;
        }
        if (e.mapped)
            return {FragAction::translate, Verdict::forward, e.cookie};
    }
    // It overtook the first fragment: hold it, within the limits.
    const FragLater full{FragAction::drop, Verdict::drop_fragment_cache_full, 0};
    if (free_node_ == kNil)
        return full;
    if (i == OpenIndex::kNone) {
        i = create(key, h, now_ms);
        if (i == kNil)
            return full;
        (void)add_range(entries_[i], range);   // the first range of a new entry never overlaps
    }
    Entry& e = entries_[i];
    if (e.count >= max_held_per_entry_)
        return full;
    const uint32_t n = free_node_;
    free_node_ = node_next_[n];
    node_handle_[n] = handle;
    node_next_[n] = kNil;
    if (e.tail == kNil)
        e.head = n;
    else
        node_next_[e.tail] = n;
    e.tail = n;
    ++e.count;
    ++held_;
    return {FragAction::held, Verdict::forward, 0};
}

size_t FragCache::expire(uint64_t now_ms, std::span<uint64_t> expired) noexcept
{
    size_t n = 0;
    while (live_ != 0) {
        const uint32_t i = fifo_[fifo_head_];
        Entry& e = entries_[i];
        if (e.deadline_ms > now_ms)
            break;
        while (e.count != 0 && n < expired.size())
            expired[n++] = node_handle_[pop_held(e)];
        if (e.count != 0)
            break;   // out of room; the rest next call
        remove(i);
        if (++fifo_head_ == max_entries_)
            fifo_head_ = 0;
    }
    return n;
}

size_t FragCache::memory_bytes() const noexcept
{
    return size_t{max_entries_} * (sizeof(Entry) + sizeof(uint32_t)) + index_.memory_bytes() +
           size_t{max_held_total_} * (sizeof(uint64_t) + sizeof(uint32_t));
}

} // namespace nat64d::nat
