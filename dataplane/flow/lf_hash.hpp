// The lock-free rte_hash the flow module's tables share: readers never lock
// (RW_CONCURRENCY_LF), any worker may add (MULTI_WRITER_ADD), and a deleted
// key's position stays taken until free_position(), which the tables call
// only after a grace period (see flow_table.hpp).
//
// Memory. rte_hash rounds its buckets up to a power of two of the entries it
// is asked for, and its free-slot ring to the power of two above entries plus
// every possible lcore's cache (127 x 63 at RTE_MAX_LCORE 128). So a table
// for 2^20 keys asked for exactly 2^20 buys a 2^21 ring, 4 bytes a slot, that
// can never fill (2^20 bucket slots hold about 98% of 2^20 keys before an
// insert fails), and a table for 10M keys gets buckets for 16.8M. LfHash asks
// for what keeps both at one power of two, and past 2^18 keys splits a table
// that is far from a power of two into two rte_hash shards of power-of-two
// sizes (10M: 8M + 2M instead of 16M), each key's shard fixed by its hash.
//
// Headed keys. rte_hash keeps each key after an 8-byte data word in an entry
// rounded up to 16 bytes, so a 25-byte key takes 48. A headed table stores
// the key's first 8 bytes (its head) in that data word and only the rest as
// rte_hash's key: the caller's key is laid out as the entry is, so a 32-byte
// key takes a 32-byte entry. Hash and compare cover head and rest (DPDK's
// custom compare, rte_hash_set_cmp_func), reading the 8 bytes before the key
// pointer rte_hash holds: for a stored key its data word, for a looked-up key
// the caller's head. rte_hash never hashes a stored key except through
// rte_hash_get_key_with_position(), where that reads the same bytes.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

struct rte_hash;

namespace nat64d::dp {

/// The `entries` to ask one rte_hash for so it holds `wanted` keys (see above).
uint32_t lf_hash_entries(uint32_t wanted) noexcept;

/// How many positions an rte_hash can hand out (0 .. n - 1): its per-lcore
/// free-slot caches let them reach past its entries.
uint32_t lf_hash_positions(const rte_hash* h) noexcept;

/// One rte_hash for `wanted` keys. Throws StartupError naming the table when DPDK refuses.
rte_hash* make_lf_hash(const std::string& name, uint32_t wanted, uint32_t key_len, int socket);

/// The rte_hash entries of each shard of an LfHash for `wanted` keys: one, or
/// two when that takes less memory.
std::vector<uint32_t> lf_hash_shards(uint32_t wanted);

/// Where an rte_hash keeps the key of each position, so a reader that has a
/// position (from the port allocator's direct map) reads its key with one
/// load: rte_hash_get_key_with_position() looks the key up again to check it,
/// a second bucket search per packet. The layout (one 16-byte aligned entry
/// per position, the 8-byte data word, then the key) is read from DPDK itself
/// at start and checked; a library that lays keys out otherwise is refused
/// at start rather than misread.
class KeyStore {
public:
    KeyStore() = default;
    /// Throws StartupError when the layout is not as described above.
    /// head: bytes of each key kept before the entry's key (see headed keys).
    KeyStore(const rte_hash* h, const std::string& name, uint32_t key_len, uint32_t head = 0);
    const void* at(uint32_t pos) const noexcept { return first_ + size_t{pos} * stride_; }

private:
    const unsigned char* first_ = nullptr;
    size_t stride_ = 0;
};

/// One table over one or two rte_hash shards. Positions are global: shard 1's
/// follow shard 0's, so the arrays beside the table index them directly.
/// Thread rules as rte_hash with the flags above.
class LfHash {
public:
    /// split: two shards where lf_hash_shards() says they take less memory;
    /// else always one. head: 0, or kHead for a headed table of key_len-byte
    /// keys, key_len - kHead stored as rte_hash's key (8 or 24 bytes: the
    /// subscriber and session keys). Throws StartupError naming the table
    /// when DPDK refuses or the sizes are not those.
    static constexpr uint32_t kHead = 8;
    LfHash(const std::string& name, uint32_t wanted, uint32_t key_len, int socket, bool split, uint32_t head = 0);
    ~LfHash();
    LfHash(const LfHash&) = delete;
    LfHash& operator=(const LfHash&) = delete;

    /// Positions are 0 .. positions() - 1.
    uint32_t positions() const noexcept { return positions_; }
    uint32_t shards() const noexcept { return shards_; }

    /// Bulk lookup (n <= RTE_HASH_LOOKUP_BULK_MAX): positions[i] >= 0 is a hit,
    /// else -ENOENT.
    void lookup_bulk(const void** keys, uint32_t n, int32_t* positions) const noexcept;
    int32_t lookup(const void* key) const noexcept;
    /// The key's position (new or existing), or a negative errno; a headed
    /// table's -ENOENT: another thread deleted the key right after this added it.
    int32_t add(const void* key) noexcept;
    /// The deleted key's position (still taken), or a negative errno.
    int32_t del(const void* key) noexcept;
    /// After a grace period: the position may be handed out again.
    void free_position(uint32_t pos) noexcept;
    /// The key stored at a position, unchecked (see KeyStore). Inline: every
    /// inbound packet reads its mapping's key here.
    const void* key_at(uint32_t pos) const noexcept
    {
        const Shard& s = shard_[shard_of_position(pos)];
        return s.keys.at(pos - s.base);
    }
    /// The key at a position if the table holds one there (a lookup checks it).
    bool checked_key(uint32_t pos, const void*& key) const noexcept;

    /// A table without a head leaves rte_hash's data word, the 8 bytes before
    /// each stored key (key_at()), to its user: rte_hash never interprets it
    /// and writes it only when it adds a key (0, also when the key was already
    /// there). The flow table keeps a mapping's last session there, a hint it
    /// checks before use. Any thread; relaxed.
    static uint64_t spare_word(const void* stored_key) noexcept
    {
        return __atomic_load_n(word_before(stored_key), __ATOMIC_RELAXED);
    }
    static void set_spare_word(const void* stored_key, uint64_t v) noexcept
    {
        __atomic_store_n(word_before(stored_key), v, __ATOMIC_RELAXED);
    }
    /// Keys in the table, including those deleted and not freed yet.
    uint32_t count() const noexcept;

private:
    struct Shard {
        rte_hash* hash = nullptr;
        uint32_t base = 0;                // its first global position
        KeyStore keys;
    };
    uint32_t shard_of(uint32_t sig) const noexcept;
    // A shard's answer (a position in it, or a negative errno) as a global one.
    static int32_t global(int32_t pos, uint32_t base) noexcept { return pos >= 0 ? pos + static_cast<int32_t>(base) : pos; }
    // op(shard's rte_hash, key's hash) on the key's shard.
    template <typename WithHash>
    int32_t in_shard(const void* key, WithHash op) const noexcept;
    uint32_t shard_of_position(uint32_t pos) const noexcept { return pos >= shard_[1].base && shards_ == 2; }

    // At start: a headed key reads back whole from where rte_hash keeps it.
    void check_headed(const std::string& name, uint32_t key_len);
    static uint64_t* word_before(const void* stored_key) noexcept
    {
        return const_cast<uint64_t*>(static_cast<const uint64_t*>(stored_key) - 1);
    }
    // What rte_hash takes as the key: past a headed key's head.
    const void* body(const void* key) const noexcept { return static_cast<const unsigned char*>(key) + head_; }

    std::array<Shard, 2> shard_{};
    uint32_t shards_ = 1;
    uint32_t head_ = 0;
    uint32_t positions_ = 0;
    uint32_t split_ = 0;                  // shard 0 takes the keys whose mixed hash is below it
};

} // namespace nat64d::dp
