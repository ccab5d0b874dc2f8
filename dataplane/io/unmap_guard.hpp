// Survives a net_memif peer that goes away while the workers poll.
//
// DPDK 22.11's memif PMD handles a peer's exit on the EAL interrupt thread:
// it clears the port's "connected" flag and then at once unmaps the shared
// rings and buffers (memif_disconnect -> memif_free_regions). A worker that
// checked the flag a moment earlier is still inside rte_eth_rx_burst() or
// tx_burst() on that memory: SIGSEGV (once in 80 peer exits under load). The
// PMD offers no hook between the two steps, so nat64d interposes munmap():
// called on the interrupt thread while workers run, it first waits until
// every worker has finished the loop it was in (its loop count moved by
// two), so no burst that began before the flag was cleared is still running;
// the next one sees the flag and returns at once. The wait is bounded
// (kMaxWaitMs): a worker that stopped looping is what health reports.
#pragma once
#include <atomic>
#include <cstdint>
#include <span>

namespace nat64d::dp {

inline constexpr uint32_t kUnmapGuardMaxWaitMs = 100;

/// From before the workers launch until after they stopped: the loop counters
/// to wait on. The counters must outlive unguard_unmaps().
void guard_unmaps(std::span<const std::atomic<uint64_t>* const> loop_counters) noexcept;
void unguard_unmaps() noexcept;
/// Unmaps waited for so far, and those that gave up waiting.
uint64_t guarded_unmaps() noexcept;
uint64_t unguarded_unmaps() noexcept;

} // namespace nat64d::dp
