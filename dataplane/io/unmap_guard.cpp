#include "dataplane/io/unmap_guard.hpp"

#include <array>
#include <chrono>
#include <thread>

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <rte_interrupts.h>

namespace nat64d::dp {
namespace {

constexpr size_t kMaxGuarded = 1024;   // workers
std::array<std::atomic<const std::atomic<uint64_t>*>, kMaxGuarded> g_counters{};
std::atomic<size_t> g_count{0};
std::atomic<uint64_t> g_guarded{0}, g_gave_up{0};

// Waits until each guarded worker's loop count moved by two.
void wait_for_workers() noexcept
{
    const size_t n = g_count.load(std::memory_order_acquire);
    if (n == 0)
        return;
    // The PMD's flag was cleared before this call: make that store visible
    // before the counts are read, so a loop that starts after them sees it.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    std::array<uint64_t, kMaxGuarded> start{};
    for (size_t i = 0; i < n; ++i)
        if (const auto* c = g_counters[i].load(std::memory_order_acquire))
            start[i] = c->load(std::memory_order_acquire);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kUnmapGuardMaxWaitMs);
    for (size_t i = 0; i < n; ++i) {
        const auto* c = g_counters[i].load(std::memory_order_acquire);
        while (c != nullptr && c->load(std::memory_order_acquire) - start[i] < 2) {
            if (std::chrono::steady_clock::now() > deadline) {
                g_gave_up.fetch_add(1, std::memory_order_relaxed);
                return;
            }
            std::this_thread::sleep_for(std::chrono::microseconds(50));
        }
    }
    g_guarded.fetch_add(1, std::memory_order_relaxed);
}

} // namespace

void guard_unmaps(std::span<const std::atomic<uint64_t>* const> loop_counters) noexcept
{
    const size_t n = loop_counters.size() < kMaxGuarded ? loop_counters.size() : kMaxGuarded;
    for (size_t i = 0; i < n; ++i)
        g_counters[i].store(loop_counters[i], std::memory_order_release);
    g_count.store(n, std::memory_order_release);
}

void unguard_unmaps() noexcept
{
    g_count.store(0, std::memory_order_release);
    for (auto& c : g_counters)
        c.store(nullptr, std::memory_order_release);
}

uint64_t guarded_unmaps() noexcept { return g_guarded.load(std::memory_order_relaxed); }
uint64_t unguarded_unmaps() noexcept { return g_gave_up.load(std::memory_order_relaxed); }

} // namespace nat64d::dp

// The interposer: nat64d's executable exports it (control/meson.build), so the
// PMDs (loaded as plugins) and the EAL call it instead of libc's. Only the
// interrupt thread's calls wait; every call then goes straight to the kernel.
extern "C" int munmap(void* addr, size_t len) noexcept
{
    if (rte_thread_is_intr())
        nat64d::dp::wait_for_workers();
    return static_cast<int>(syscall(SYS_munmap, addr, len));
}
