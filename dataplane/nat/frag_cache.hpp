// Per-worker fragment tracking (RFC 6146 s3.4, RFC 7915 s5.1): only the first
// fragment carries the ports, so the mapping chosen for it is remembered under
// (source, destination, identification, protocol) for the rest of the datagram.
// Fragments that overtake the first are held (as opaque handles) until it
// arrives or the entry times out. Fixed capacity, no allocation after
// construction, no locks: one instance per worker.
#pragma once
#include <cstddef>
#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <type_traits>

#include "dataplane/nat/open_index.hpp"
#include "dataplane/nat/v4_mapped.hpp"
#include "dataplane/xlate/bytes.hpp"
#include "dataplane/verdict.hpp"

namespace nat64d::nat {

/// Which datagram a fragment belongs to. IPv4 addresses are stored v4-mapped
/// (::ffff:a.b.c.d); `family` keeps the two families apart regardless.
struct FragKey {
    In6 src;
    In6 dst;
    uint32_t id;        // IPv6 Fragment header identification (32 bits) or IPv4 ID (16 bits)
    uint8_t proto;      // upper-layer protocol
    uint8_t family;     // 4 or 6
    uint8_t pad[2];
};
static_assert(sizeof(FragKey) == 40);
static_assert(std::has_unique_object_representations_v<FragKey>);

constexpr FragKey make_frag_key6(const In6& src, const In6& dst, uint32_t id, uint8_t proto) noexcept
{
    return FragKey{src, dst, id, proto, 6, {0, 0}};
}

constexpr FragKey make_frag_key4(Ip4 src, Ip4 dst, uint16_t id, uint8_t proto) noexcept
{
    return FragKey{v4_mapped(src), v4_mapped(dst), id, proto, 4, {0, 0}};
}

struct FragCacheConfig {
    uint32_t max_entries = 1024;        // datagrams tracked at once
    uint32_t max_held_per_entry = 16;   // fragments held for one datagram
    uint32_t max_held_total = 1024;     // fragments held in all
    uint32_t timeout_ms = 2000;         // RFC 6146 s4 FRAGMENT_MIN: at least 2 s
    uint64_t seed = 0;                  // hash seed; any value works
    // Datagrams one source may have at once (0: no limit), so orphan
    // fragments from one subscriber cannot take every entry from the others:
    // past it the source's oldest datagram goes. A source is the IPv6 source's
    // first source_prefix_len6 bits (a subscriber), or the IPv4 address.
    uint32_t max_entries_per_source = 0;
    uint8_t source_prefix_len6 = 56;
};

/// What to do with a non-first fragment.
enum class FragAction : uint8_t {
    translate,  // the first fragment was seen: use `cookie`
    held,       // kept; it comes back from first_fragment() or expire()
    drop,       // `why` says which limit (drop_fragment_cache_full)
};

struct FragLater {
    FragAction action;
    Verdict why;        // forward unless action == drop
    uint64_t cookie;    // valid when action == translate
    uint32_t discarded = 0;   // overlap: held handles of the datagram written to `discard`, to drop too
};

struct FragFirst {
    bool recorded;      // false: cache full (later fragments will find no state), or overlap
    uint32_t released;  // held handles written to `released`: translate them now, or drop them on overlap
    bool overlap = false;   // the datagram overlaps itself: drop the first fragment and the released ones
};

/// The bytes of the original datagram's payload a fragment carries,
/// [start, end). end == 0: not known, not checked.
struct FragRange {
    uint32_t start = 0;
    uint32_t end = 0;
};

class FragCache {
public:
    /// nullptr if `cfg` is usable, else why not.
    static const char* validate(const FragCacheConfig& cfg) noexcept;
    /// Precondition: validate(cfg) == nullptr.
    explicit FragCache(const FragCacheConfig& cfg);
    FragCache(const FragCache&) = delete;
    FragCache& operator=(const FragCache&) = delete;

    /// The first fragment (offset 0) of `key` was mapped to `cookie`. Fragments
    /// held for it are written to `released` in arrival order.
    /// released.size() should be >= max_held_per_entry(); any that do not fit stay
    /// held and come back from expire(). For IPv6 (RFC 5722) a first fragment
    /// that overlaps a fragment already seen condemns the datagram: overlap.
    FragFirst first_fragment(const FragKey& key, uint64_t cookie, uint64_t now_ms,
                             std::span<uint64_t> released, FragRange range = {}) noexcept;

    /// A non-first fragment of `key`, known to the caller as `handle`. For IPv6,
    /// one that overlaps another fragment of its datagram (other than an exact
    /// duplicate, RFC 8200 s4.5) is dropped as drop_fragment_overlap together
    /// with what is held (written to `discard`), and so is the rest of the
    /// datagram until its entry expires (RFC 5722).
    FragLater later_fragment(const FragKey& key, uint64_t handle, uint64_t now_ms, FragRange range = {},
                             std::span<uint64_t> discard = {}) noexcept;

    /// Removes entries older than the timeout, oldest first, and writes the
    /// handles still held by them to `expired` (the caller drops them as
    /// drop_fragment_no_state). Returns how many; if that equals expired.size()
    /// there may be more: call again. Call once per loop, before the burst.
    size_t expire(uint64_t now_ms, std::span<uint64_t> expired) noexcept;

    /// Handles held by datagrams evicted to keep a source within its limit,
    /// since the last call: the caller drops them (drop_fragment_cache_full).
    /// Call after first_fragment() and later_fragment().
    size_t take_evicted(std::span<uint64_t> out) noexcept;
    uint64_t evictions() const noexcept { return evictions_; }

    uint32_t entries() const noexcept { return live_; }
    uint32_t held() const noexcept { return held_; }
    uint32_t max_held_per_entry() const noexcept { return max_held_per_entry_; }
    size_t memory_bytes() const noexcept;

private:
    static constexpr uint32_t kNil = UINT32_MAX;
    // Byte ranges remembered per IPv6 datagram for the overlap check: a
    // datagram in more fragments than this is checked for its first ones only.
    static constexpr uint32_t kMaxRanges = 32;
    struct Span16 {          // [start, end) in bytes; end capped at 65535
        uint16_t start, end;
    };
    struct Entry {
        FragKey key;
        uint64_t cookie;
        uint64_t deadline_ms;
        uint32_t head;          // held list (node index) or, when unused, next free entry
        uint32_t tail;
        uint16_t count;         // held
        uint8_t mapped;         // the first fragment was seen
        uint8_t poisoned;       // overlapped itself: everything of it is dropped
        uint8_t ranges;         // used in range_
        uint32_t source;        // its source's counter in source_count_
        std::array<Span16, kMaxRanges> range;
    };
    // The subscriber a datagram's source belongs to, and its counter bucket.
    In6 subscriber_of(const FragKey& key) const noexcept;
    uint32_t source_of(const FragKey& key) const noexcept;
    // Makes room for one more datagram of `key`'s source: evicts its oldest
    // (or, should only a bucket mate have entries, the bucket's oldest).
    void evict_oldest_of(const FragKey& key, uint32_t source) noexcept;
    // Records r in e; false when it overlaps one recorded (not an exact duplicate).
    static bool add_range(Entry& e, const FragRange& r) noexcept;

    uint64_t hash_of(const FragKey& key) const noexcept;
    uint32_t find(const FragKey& key, uint64_t hash) const noexcept;
    uint32_t create(const FragKey& key, uint64_t hash, uint64_t now_ms) noexcept;
    uint32_t pop_held(Entry& e) noexcept;   // returns the node freed; caller reads its handle first
    void remove(uint32_t entry) noexcept;

    uint32_t max_entries_;
    uint32_t max_held_per_entry_;
    uint32_t max_held_total_;
    uint64_t timeout_ms_;
    uint64_t seed_;
    uint32_t live_ = 0;
    uint32_t held_ = 0;
    uint32_t free_entry_ = kNil;
    uint32_t free_node_ = kNil;
    uint32_t fifo_head_ = 0;    // ring of live entries in creation (= deadline) order
    uint32_t max_per_source_ = 0;
    uint8_t source_prefix_len6_ = 56;
    uint32_t source_mask_ = 0;
    std::unique_ptr<uint16_t[]> source_count_;   // datagrams per source hash bucket
    std::unique_ptr<uint64_t[]> evicted_;        // handles of evicted datagrams, for the caller
    uint32_t n_evicted_ = 0;
    uint64_t evictions_ = 0;
    OpenIndex index_;
    std::unique_ptr<Entry[]> entries_;
    std::unique_ptr<uint32_t[]> fifo_;
    std::unique_ptr<uint64_t[]> node_handle_;
    std::unique_ptr<uint32_t[]> node_next_;
};

} // namespace nat64d::nat
