// A fixed-capacity open-addressing index from a 64-bit hash to an entry number,
// for the fragment and neighbour caches. Linear probing with backward-shift
// deletion: no tombstones, so probe lengths do not grow with churn. Keys live in
// the caller's entry array; a slot keeps 32 bits of the hash to skip most key
// compares. Sized once (load factor <= 1/2), never allocates afterwards.
#pragma once
#include <cstdint>
#include <memory>

namespace nat64d::nat {

class OpenIndex {
public:
    static constexpr uint32_t kNone = UINT32_MAX;

    OpenIndex() = default;
    /// Room for `max_entries` entries at a load factor of at most 1/2.
    explicit OpenIndex(uint32_t max_entries)
    {
        uint32_t n = 8;
        while (n < 2 * static_cast<uint64_t>(max_entries))
            n <<= 1;
        mask_ = n - 1;
        slots_ = std::make_unique<Slot[]>(n);
    }

    /// Entry whose hash is `hash` and for which is_match(entry) holds, or kNone.
    template <class IsMatch>
    uint32_t find(uint64_t hash, IsMatch&& is_match) const noexcept
    {
        const auto h = static_cast<uint32_t>(hash);
        for (uint32_t i = h & mask_;; i = (i + 1) & mask_) {
            const Slot& s = slots_[i];
            if (s.entry_plus1 == 0)
                return kNone;
            if (s.hash == h && is_match(s.entry_plus1 - 1))
                return s.entry_plus1 - 1;
        }
    }

    /// Precondition: fewer than max_entries entries are indexed (so a free slot exists).
    void insert(uint64_t hash, uint32_t entry) noexcept
    {
        const auto h = static_cast<uint32_t>(hash);
        uint32_t i = h & mask_;
        while (slots_[i].entry_plus1 != 0)
            i = (i + 1) & mask_;
        slots_[i] = Slot{h, entry + 1};
    }

    /// Removes `entry` (indexed under `hash`); no-op if absent.
    void erase(uint64_t hash, uint32_t entry) noexcept
    {
        const auto h = static_cast<uint32_t>(hash);
        uint32_t hole = h & mask_;
        for (;; hole = (hole + 1) & mask_) {
            if (slots_[hole].entry_plus1 == 0)
                return;
            if (slots_[hole].entry_plus1 == entry + 1)
                break;
        }
        // Backward shift: an entry further along the run moves into the hole when
        // the hole lies on its probe path (between its home slot and where it sits).
        for (uint32_t j = (hole + 1) & mask_; slots_[j].entry_plus1 != 0; j = (j + 1) & mask_) {
            const uint32_t home = slots_[j].hash & mask_;
            if (((j - home) & mask_) >= ((j - hole) & mask_)) {
                slots_[hole] = slots_[j];
                hole = j;
            }
        }
        slots_[hole] = Slot{};
    }

    size_t memory_bytes() const noexcept { return (size_t{mask_} + 1) * sizeof(Slot); }

private:
    struct Slot {
        uint32_t hash = 0;
        uint32_t entry_plus1 = 0;   // 0: empty
    };
    uint32_t mask_ = 0;
    std::unique_ptr<Slot[]> slots_;
};

} // namespace nat64d::nat
