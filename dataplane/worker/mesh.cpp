// Cross-worker rings and held-SYN slots; see mesh.hpp for why each exists.
#include "dataplane/worker/mesh.hpp"

#include <cstring>
#include <string>

#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "dataplane/flow/rings.hpp"
#include "dataplane/io/port.hpp"
#include "dataplane/nat/hash.hpp"

namespace nat64d::dp {

static_assert(sizeof(NeighbourLearn) % 4 == 0, "rte_ring elements are multiples of 4 bytes");

HeldSyns::HeldSyns(uint32_t workers)
    : workers_(workers), slots_(std::make_unique<Slot[]>(size_t{workers} * kPerWorker))
{
}

HeldSyns::~HeldSyns() { clear(); }

bool HeldSyns::hold(uint32_t owner, const PermissionKey& key, rte_mbuf* m, uint64_t deadline_ms) noexcept
{
    for (uint32_t i = owner * kPerWorker; i < (owner + 1) * kPerWorker; ++i) {
        Slot& s = slots_[i];
        uint32_t w = s.word.load(std::memory_order_relaxed);
        if ((w & 0xFF) != kFree)
            continue;
        // Only the owner moves its slots out of kFree: no CAS needed here.
        const uint32_t gen = (w >> 8) + 1;
        s.word.store(gen << 8 | kFilling, std::memory_order_relaxed);
        s.key = key;
        s.m = m;
        s.deadline_ms = deadline_ms;
        held_.fetch_add(1, std::memory_order_relaxed);
        // release: pairs with the acquire in supersede(); key is complete.
        s.word.store(gen << 8 | kHeld, std::memory_order_release);
        return true;
    }
    return false;
}

void HeldSyns::supersede(const PermissionKey& key) noexcept
{
    const size_t n = size_t{workers_} * kPerWorker;
    for (size_t i = 0; i < n; ++i) {
        Slot& s = slots_[i];
        uint32_t w = s.word.load(std::memory_order_acquire);
        if ((w & 0xFF) != kHeld || std::memcmp(&s.key, &key, sizeof(key)) != 0)
            continue;
        // If the owner reused the slot meanwhile, the generation moved on and
        // this fails: a key read during reuse never supersedes the wrong SYN.
        s.word.compare_exchange_strong(w, (w & ~0xFFu) | kSuperseded, std::memory_order_relaxed);
    }
}

HeldSyns::Due HeldSyns::take_if_due(uint32_t i, uint64_t now_ms) noexcept
{
    Slot& s = slots_[i];
    uint32_t w = s.word.load(std::memory_order_relaxed);
    const uint32_t state = w & 0xFF;
    Due d = Due::keep;
    if (state == kSuperseded) {
        d = Due::superseded;
    } else if (state == kHeld && now_ms >= s.deadline_ms) {
        // Another worker may supersede it in this very moment: whoever moves
        // the word first decides.
        if (s.word.compare_exchange_strong(w, (w & ~0xFFu) | kFilling, std::memory_order_relaxed))
            d = Due::expired;
        else
            d = Due::superseded;
    } else {
        return Due::keep;
    }
    s.word.store(w & ~0xFFu, std::memory_order_relaxed);   // free, same generation
    held_.fetch_sub(1, std::memory_order_relaxed);
    return d;
}

void HeldSyns::clear() noexcept
{
    const size_t n = size_t{workers_} * kPerWorker;
    for (size_t i = 0; i < n; ++i) {
        Slot& s = slots_[i];
        const uint32_t state = s.word.load(std::memory_order_relaxed) & 0xFF;
        if (state == kHeld || state == kSuperseded) {
            rte_pktmbuf_free(s.m);
            s.word.store(0, std::memory_order_relaxed);
        }
    }
    held_.store(0, std::memory_order_relaxed);
}

WorkerMesh::WorkerMesh(uint32_t workers, int socket, uint32_t ring_size) : workers_(workers), held_syns_(workers)
{
    try {
        // Multi-producer (any worker), single consumer (the owner).
        for (uint32_t w = 0; w < workers; ++w) {
            learn_rings_.push_back(
                make_exact_ring("nat64d_nl" + std::to_string(w), ring_size, sizeof(NeighbourLearn), socket, RING_F_SC_DEQ));
            fragment_rings_.push_back(
                make_exact_ring("nat64d_fr" + std::to_string(w), ring_size, sizeof(rte_mbuf*), socket, RING_F_SC_DEQ));
        }
    } catch (...) {
        for (rte_ring* r : learn_rings_)
            rte_ring_free(r);
        for (rte_ring* r : fragment_rings_)
            rte_ring_free(r);
        throw;
    }
}

WorkerMesh::~WorkerMesh()
{
    clear();
    for (rte_ring* r : learn_rings_)
        rte_ring_free(r);
    for (rte_ring* r : fragment_rings_)
        rte_ring_free(r);
}

void WorkerMesh::learned(uint32_t from, const NeighbourLearn& l) noexcept
{
    // A full ring loses the news; that worker asks the neighbour itself.
    for (uint32_t w = 0; w < workers_; ++w)
        if (w != from)
            (void)rte_ring_mp_enqueue_elem(learn_rings_[w], const_cast<NeighbourLearn*>(&l), sizeof(l));
}

uint32_t WorkerMesh::take_learned(uint32_t w, NeighbourLearn* out, uint32_t max) noexcept
{
    return rte_ring_sc_dequeue_burst_elem(learn_rings_[w], out, sizeof(NeighbourLearn), max, nullptr);
}

uint32_t WorkerMesh::fragment_owner(const nat::FragKey& key) const noexcept
{
    return static_cast<uint32_t>(nat::hash_bytes(&key, sizeof(key), 0) % workers_);
}

bool WorkerMesh::hand_fragment(uint32_t to, rte_mbuf* m) noexcept
{
    void* obj = m;
    return rte_ring_mp_enqueue_elem(fragment_rings_[to], &obj, sizeof(obj)) == 0;
}

uint32_t WorkerMesh::take_fragments(uint32_t w, rte_mbuf** out, uint32_t max) noexcept
{
    return rte_ring_sc_dequeue_burst_elem(fragment_rings_[w], out, sizeof(rte_mbuf*), max, nullptr);
}

void WorkerMesh::clear() noexcept
{
    std::array<rte_mbuf*, 64> batch;
    for (uint32_t w = 0; w < workers_; ++w) {
        uint32_t n;
        while ((n = take_fragments(w, batch.data(), static_cast<uint32_t>(batch.size()))) != 0)
            rte_pktmbuf_free_bulk(batch.data(), n);
    }
    held_syns_.clear();
}

} // namespace nat64d::dp
