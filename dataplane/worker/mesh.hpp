// What workers share besides the flow table, each piece lock-free:
//  - neighbour learning: an ARP or NDP answer lands on whichever queue RSS (or
//    the kernel, for a tap) picked, but every worker resolves next hops in its
//    own cache; the worker that hears an answer tells the others through their
//    multi-producer rings (learned()), and each applies it once per loop.
//  - fragments: only a datagram's first fragment carries the ports, and a NIC
//    may hash its fragments to different queues. Every fragment goes to one
//    owner worker, chosen by (source, destination, identification, protocol),
//    through the owner's ring; the owner's fragment cache sees them all.
//  - held incoming SYNs (RFC 6146 s3.5.2.2): the IPv4 SYN waits on the worker
//    that received it, but the IPv6 SYN of a simultaneous open may arrive on
//    any worker: slots are shared, and any worker can mark one superseded.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "dataplane/flow/permissions.hpp"
#include "dataplane/nat/frag_cache.hpp"
#include "dataplane/nat/neighbour_cache.hpp"

struct rte_ring;
struct rte_mbuf;

namespace nat64d::dp {

/// A neighbour answer heard by one worker, for the others.
struct NeighbourLearn {
    nat::NeighbourKey key;
    nat::MacAddr mac;
    uint16_t pad = 0;
};

/// Shared slots for unsolicited IPv4 SYNs held under address-dependent filtering.
class HeldSyns {
public:
    static constexpr uint32_t kPerWorker = 64;
    explicit HeldSyns(uint32_t workers);
    ~HeldSyns();
    HeldSyns(const HeldSyns&) = delete;
    HeldSyns& operator=(const HeldSyns&) = delete;

    /// Worker `owner` holds m until deadline_ms (its own clock). False when its
    /// slots are full: refuse the SYN now instead.
    bool hold(uint32_t owner, const PermissionKey& key, rte_mbuf* m, uint64_t deadline_ms) noexcept;
    /// Any worker: the IPv6 host sent its own SYN for key, a simultaneous open
    /// its SYN completes; the held IPv4 SYNs for key are no longer needed.
    void supersede(const PermissionKey& key) noexcept;
    bool any() const noexcept { return held_.load(std::memory_order_relaxed) != 0; }

    /// What the owner does with each of its slots once per tick.
    enum class Due : uint8_t { keep, expired, superseded };
    /// Worker `owner`: calls fn(m, due) for each held SYN that expired by now_ms
    /// (answer Port Unreachable) or was superseded (drop silently); the slot is
    /// free afterwards. fn takes ownership of m.
    template <typename F>
    void sweep(uint32_t owner, uint64_t now_ms, F&& fn) noexcept
    {
        for (uint32_t i = owner * kPerWorker; i < (owner + 1) * kPerWorker; ++i) {
            Due d = take_if_due(i, now_ms);
            if (d != Due::keep)
                fn(slots_[i].m, d);
        }
    }
    /// Frees every held mbuf (shutdown, no worker running).
    void clear() noexcept;

private:
    // state word: generation << 8 | state; the generation defeats ABA when a
    // slot is reused while another worker compares its key.
    static constexpr uint32_t kFree = 0, kFilling = 1, kHeld = 2, kSuperseded = 3;
    struct alignas(64) Slot {
        std::atomic<uint32_t> word{0};
        PermissionKey key{};
        rte_mbuf* m = nullptr;
        uint64_t deadline_ms = 0;
    };
    Due take_if_due(uint32_t i, uint64_t now_ms) noexcept;

    uint32_t workers_;
    std::unique_ptr<Slot[]> slots_;
    std::atomic<uint32_t> held_{0};   // slots not free; any worker may change it (rare path)
};

class WorkerMesh {
public:
    /// Rings of `ring_size` entries per worker; throws StartupError.
    WorkerMesh(uint32_t workers, int socket, uint32_t ring_size = 4096);
    ~WorkerMesh();
    WorkerMesh(const WorkerMesh&) = delete;
    WorkerMesh& operator=(const WorkerMesh&) = delete;

    uint32_t workers() const noexcept { return workers_; }

    /// Worker `from` heard that key is at mac: tell every other worker.
    void learned(uint32_t from, const NeighbourLearn& l) noexcept;
    /// Worker w: up to out.size() answers the others heard.
    uint32_t take_learned(uint32_t w, NeighbourLearn* out, uint32_t max) noexcept;

    /// The worker that handles every fragment of the datagram `key`.
    uint32_t fragment_owner(const nat::FragKey& key) const noexcept;
    /// Hands a fragment (L3 at its data start) to worker `to`. False: its ring is full.
    bool hand_fragment(uint32_t to, rte_mbuf* m) noexcept;
    /// Worker w: fragments handed to it.
    uint32_t take_fragments(uint32_t w, rte_mbuf** out, uint32_t max) noexcept;

    HeldSyns& held_syns() noexcept { return held_syns_; }

    /// Frees everything still in the rings (shutdown, no worker running).
    void clear() noexcept;

private:
    uint32_t workers_;
    std::vector<rte_ring*> learn_rings_;
    std::vector<rte_ring*> fragment_rings_;
    HeldSyns held_syns_;
};

} // namespace nat64d::dp
