#include "dataplane/flow/lf_hash.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>

#include "dataplane/io/port.hpp"

namespace nat64d::dp {

namespace {

// rte_hash's private sizes (lib/hash/rte_cuckoo_hash.h): the per-lcore
// free-slot cache and the key store's alignment.
constexpr uint32_t kLcoreCache = 64;
constexpr uint32_t kKeyAlignment = 16;
constexpr uint32_t kCacheSlots = (RTE_MAX_LCORE - 1) * (kLcoreCache - 1);
// Two shards only for tables of at least this many keys: below it the
// lcore-cache reservation is a large share of a shard.
constexpr uint32_t kMinSplit = 1u << 18;
// A shard's share of keys may exceed its share of bucket slots by chance, and
// buckets refuse inserts at about 98% full: shards hold wanted + 1/32 of it.
constexpr uint32_t kSplitMarginShift = 5;
// Picks the shard from a key's hash, independently of the bits rte_hash
// takes for the bucket and the signature.
constexpr uint32_t kShardSeed = 0x6a09e667;

// Headed keys (lf_hash.hpp): rte_hash passes the stored part's length and a
// pointer to it; the head is the 8 bytes before. Both are multiples of 8.
// One instance per stored length (LfHash picks it at start), so the compiler
// unrolls both over a length it knows: every packet hashes one key and
// compares about one.
template <uint32_t kStored>
uint32_t headed_crc(const void* key, uint32_t, uint32_t init)
{
    return rte_hash_crc(static_cast<const unsigned char*>(key) - LfHash::kHead, kStored + LfHash::kHead, init);
}

template <uint32_t kStored>
int headed_cmp(const void* a, const void* b, size_t)
{
    const auto* pa = static_cast<const unsigned char*>(a) - LfHash::kHead;
    const auto* pb = static_cast<const unsigned char*>(b) - LfHash::kHead;
    uint64_t diff = 0;
    for (size_t i = 0; i < kStored + LfHash::kHead; i += sizeof(uint64_t)) {
        uint64_t wa, wb;
        std::memcpy(&wa, pa + i, sizeof(wa));
        std::memcpy(&wb, pb + i, sizeof(wb));
        diff |= wa ^ wb;
    }
    return diff != 0;
}

// The stored lengths of headed keys nat64d has: session keys and subscriber prefixes.
struct HeadedFunctions {
    rte_hash_function hash;
    rte_hash_cmp_eq_t cmp;
};

template <uint32_t kStored>
constexpr HeadedFunctions headed_functions{headed_crc<kStored>, headed_cmp<kStored>};

const HeadedFunctions* headed_for(uint32_t stored) noexcept
{
    switch (stored) {
    case 8:
        return &headed_functions<8>;
    case 24:
        return &headed_functions<24>;
    default:
        return nullptr;
    }
}

rte_hash* create(const std::string& name, uint32_t entries, uint32_t key_len, int socket,
                 const HeadedFunctions* headed = nullptr)
{
    rte_hash_parameters params{};
    params.name = name.c_str();
    params.entries = entries;
    params.key_len = key_len;
    params.hash_func = headed != nullptr ? headed->hash : rte_hash_crc;
    params.hash_func_init_val = 0;
    params.socket_id = socket;
    params.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_MULTI_WRITER_ADD;
    rte_hash* h = rte_hash_create(&params);
    if (h == nullptr)
        throw StartupError("flow table " + name + " (" + std::to_string(entries) +
                           " entries): " + rte_strerror(rte_errno));
    if (headed != nullptr)
        rte_hash_set_cmp_func(h, headed->cmp);
    return h;
}

// Entries that fill `slots` bucket slots' worth of ring exactly.
uint32_t entries_for_ring(uint64_t slots) noexcept { return static_cast<uint32_t>(slots - kCacheSlots - 1); }

} // namespace

uint32_t lf_hash_entries(uint32_t wanted) noexcept
{
    const uint64_t buckets = rte_align64pow2(wanted);   // key slots in buckets, as rte_hash sizes them
    // The most entries whose free-slot ring is no bigger than the bucket
    // slots, as long as that still gives the same bucket count.
    const uint64_t fits_ring = buckets > kCacheSlots + 1 ? entries_for_ring(buckets) : 0;
    if (fits_ring > buckets / 2 && fits_ring < wanted)
        return static_cast<uint32_t>(fits_ring);
    return wanted;
}

uint32_t lf_hash_positions(const rte_hash* h) noexcept
{
    // DPDK's own count (entries plus every lcore cache), so the arrays
    // indexed by position cover whatever this DPDK hands out.
    return static_cast<uint32_t>(std::max(rte_hash_max_key_id(h), 0)) + 1;
}

rte_hash* make_lf_hash(const std::string& name, uint32_t wanted, uint32_t key_len, int socket)
{
    return create(name, lf_hash_entries(wanted), key_len, socket);
}

std::vector<uint32_t> lf_hash_shards(uint32_t wanted)
{
    const uint64_t whole = rte_align64pow2(wanted);
    const uint64_t need = uint64_t{wanted} + (wanted >> kSplitMarginShift);
    const uint64_t big = whole / 2;
    // Two shards when their bucket slots take at most 3/4 of the one shard's.
    if (wanted < kMinSplit || need <= big || need - big > whole / 4)
        return {lf_hash_entries(wanted)};
    const uint64_t small = std::max<uint64_t>(rte_align64pow2(need - big), kMinSplit / 2);
    std::vector<uint32_t> entries;
    for (const uint64_t slots : {big, small}) {
        // Keys spread as bucket slots. Positions (key store, ring, the
        // arrays beside the table) for the shard's share and eight standard
        // deviations of chance; rte_hash adds its lcore-cache reservation.
        const uint64_t share = (uint64_t{wanted} * slots + big + small - 1) / (big + small);
        const uint64_t slack = 8 * static_cast<uint64_t>(std::sqrt(double(share))) + 1;
        // Within the bucket count and the ring's power of two.
        const uint64_t e = std::clamp<uint64_t>(share + slack, slots / 2 + 1, entries_for_ring(slots));
        entries.push_back(static_cast<uint32_t>(e));
    }
    return entries;
}

KeyStore::KeyStore(const rte_hash* h, const std::string& name, uint32_t key_len, uint32_t head)
{
    // rte_hash_get_key_with_position() names where a position's key lives
    // before it checks whether that position holds one, so an empty table
    // tells where positions 0 and 1 are.
    void* k0 = nullptr;
    void* k1 = nullptr;
    rte_hash_get_key_with_position(h, 0, &k0);
    rte_hash_get_key_with_position(h, 1, &k1);
    const auto* p0 = static_cast<const unsigned char*>(k0);
    const auto* p1 = static_cast<const unsigned char*>(k1);
    const size_t expected = RTE_ALIGN_CEIL(sizeof(uint64_t) + key_len, kKeyAlignment);
    if (p0 == nullptr || p1 <= p0 || static_cast<size_t>(p1 - p0) != expected)
        throw StartupError("flow table " + name + ": this DPDK's rte_hash does not keep its keys as one " +
                           std::to_string(expected) + "-byte entry per position (built for DPDK 22.11)");
    first_ = p0 - head;
    stride_ = expected;
}

LfHash::LfHash(const std::string& name, uint32_t wanted, uint32_t key_len, int socket, bool split, uint32_t head)
    : head_(head)
{
    const HeadedFunctions* headed = head != 0 && key_len > head ? headed_for(key_len - head) : nullptr;
    if (head != 0 && (head != kHead || headed == nullptr))
        throw StartupError("flow table " + name + ": a " + std::to_string(key_len) + "-byte key cannot keep a " +
                           std::to_string(head) + "-byte head");
    key_len -= head;
    const std::vector<uint32_t> entries = split ? lf_hash_shards(wanted) : std::vector{lf_hash_entries(wanted)};
    shards_ = static_cast<uint32_t>(entries.size());
    try {
        uint64_t total_slots = 0;
        for (uint32_t s = 0; s < shards_; ++s) {
            const std::string shard_name = s == 0 ? name : name + std::to_string(s);
            shard_[s].hash = create(shard_name, entries[s], key_len, socket, headed);
            shard_[s].base = positions_;
            shard_[s].keys = KeyStore(shard_[s].hash, shard_name, key_len, head);
            positions_ += lf_hash_positions(shard_[s].hash);
            total_slots += rte_align64pow2(entries[s]);
        }
        // Keys go to the shards in proportion to their bucket slots.
        split_ = shards_ == 1 ? UINT32_MAX
                              : static_cast<uint32_t>((rte_align64pow2(entries[0]) << 32) / total_slots);
        if (head_ != 0)
            check_headed(name, key_len + head);
    } catch (...) {
        for (Shard& s : shard_)
            rte_hash_free(s.hash);
        throw;
    }
}

void LfHash::check_headed(const std::string& name, uint32_t key_len)
{
    // The head is read where rte_hash keeps its data word, right before the
    // key; KeyStore checked the stride, this checks that place. A probe key
    // goes in and must read back whole, head included; the same key with
    // another head must not match it. Then it goes again.
    std::array<uint64_t, 4> probe{0x0123456789abcdefull, 0xfedcba9876543210ull, 0x0f1e2d3c4b5a6978ull,
                                  0x8796a5b4c3d2e1f0ull};
    std::array<uint64_t, 4> other = probe;
    other[0] ^= 1;
    const int32_t pos = add(probe.data());
    const bool whole = pos >= 0 && std::memcmp(key_at(static_cast<uint32_t>(pos)), probe.data(), key_len) == 0 &&
                       lookup(probe.data()) == pos && lookup(other.data()) < 0;
    if (pos >= 0 && del(probe.data()) == pos)
        free_position(static_cast<uint32_t>(pos));
    if (!whole || count() != 0)
        throw StartupError("flow table " + name + ": this DPDK's rte_hash does not keep a key's data word right "
                           "before it (built for DPDK 22.11)");
}

LfHash::~LfHash()
{
    for (Shard& s : shard_)
        rte_hash_free(s.hash);
}

static_assert(sizeof(uintptr_t) == LfHash::kHead, "a headed key's head is kept in rte_hash's data word");

uint32_t LfHash::shard_of(uint32_t sig) const noexcept { return rte_hash_crc_4byte(sig, kShardSeed) >= split_; }

void LfHash::lookup_bulk(const void** keys, uint32_t n, int32_t* positions) const noexcept
{
    std::array<const void*, RTE_HASH_LOOKUP_BULK_MAX> bodies;
    if (head_ != 0) {
        for (uint32_t i = 0; i < n; ++i)
            bodies[i] = body(keys[i]);
        keys = bodies.data();
    }
    if (shards_ == 1) {
        rte_hash_lookup_bulk(shard_[0].hash, keys, n, positions);
        return;
    }
    // Each shard looks up its own keys in one bulk call.
    std::array<const void*, RTE_HASH_LOOKUP_BULK_MAX> shard_keys[2];
    std::array<hash_sig_t, RTE_HASH_LOOKUP_BULK_MAX> sigs[2];
    std::array<uint8_t, RTE_HASH_LOOKUP_BULK_MAX> index[2];
    std::array<int32_t, RTE_HASH_LOOKUP_BULK_MAX> found;
    uint32_t count[2] = {0, 0};
    for (uint32_t i = 0; i < n; ++i) {
        const hash_sig_t sig = rte_hash_hash(shard_[0].hash, keys[i]);
        const uint32_t s = shard_of(sig);
        shard_keys[s][count[s]] = keys[i];
        sigs[s][count[s]] = sig;
        index[s][count[s]] = static_cast<uint8_t>(i);
        ++count[s];
    }
    for (uint32_t s = 0; s < 2; ++s) {
        if (count[s] == 0)
            continue;
        rte_hash_lookup_with_hash_bulk(shard_[s].hash, shard_keys[s].data(), sigs[s].data(), count[s], found.data());
        for (uint32_t j = 0; j < count[s]; ++j)
            positions[index[s][j]] = global(found[j], shard_[s].base);
    }
}

template <typename WithHash>
int32_t LfHash::in_shard(const void* key, WithHash op) const noexcept
{
    const hash_sig_t sig = rte_hash_hash(shard_[0].hash, key);
    const Shard& s = shard_[shards_ == 1 ? 0 : shard_of(sig)];
    return global(op(s.hash, sig), s.base);
}

int32_t LfHash::lookup(const void* key) const noexcept
{
    key = body(key);
    if (shards_ == 1)
        return rte_hash_lookup(shard_[0].hash, key);
    return in_shard(key, [key](rte_hash* h, hash_sig_t sig) { return rte_hash_lookup_with_hash(h, key, sig); });
}

int32_t LfHash::add(const void* key) noexcept
{
    if (head_ == 0) {
        if (shards_ == 1)
            return rte_hash_add_key(shard_[0].hash, key);
        return in_shard(key, [key](rte_hash* h, hash_sig_t sig) { return rte_hash_add_key_with_hash(h, key, sig); });
    }
    // rte_hash adds a key with its data word in one step (a reader never sees
    // the key without its head) but then answers 0, not the position: the
    // lookup that follows finds the bucket it just wrote in cache.
    uintptr_t head;
    std::memcpy(&head, key, sizeof(head));
    void* const data = reinterpret_cast<void*>(head);
    key = body(key);
    return in_shard(key, [key, data](rte_hash* h, hash_sig_t sig) {
        const int rc = rte_hash_add_key_with_hash_data(h, key, sig, data);
        return rc < 0 ? rc : rte_hash_lookup_with_hash(h, key, sig);
    });
}

int32_t LfHash::del(const void* key) noexcept
{
    key = body(key);
    if (shards_ == 1)
        return rte_hash_del_key(shard_[0].hash, key);
    return in_shard(key, [key](rte_hash* h, hash_sig_t sig) { return rte_hash_del_key_with_hash(h, key, sig); });
}

void LfHash::free_position(uint32_t pos) noexcept
{
    const Shard& s = shard_[shard_of_position(pos)];
    rte_hash_free_key_with_position(s.hash, static_cast<int32_t>(pos - s.base));
}

bool LfHash::checked_key(uint32_t pos, const void*& key) const noexcept
{
    const Shard& s = shard_[shard_of_position(pos)];
    void* kp = nullptr;
    if (rte_hash_get_key_with_position(s.hash, static_cast<int32_t>(pos - s.base), &kp) < 0 || kp == nullptr)
        return false;
    key = static_cast<const unsigned char*>(kp) - head_;
    return true;
}

uint32_t LfHash::count() const noexcept
{
    uint32_t n = 0;
    for (uint32_t s = 0; s < shards_; ++s)
        n += static_cast<uint32_t>(std::max(rte_hash_count(shard_[s].hash), 0));
    return n;
}

} // namespace nat64d::dp
