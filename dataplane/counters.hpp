// Per-worker counters: one writer (the worker), any number of readers (the
// control thread sums them). No read-modify-write atomics: a relaxed load and
// store compile to a plain add on x86, and nobody else writes the line.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>

#include "dataplane/xlate/verdict.hpp"

namespace nat64d::dp {

class Counter {
public:
    void add(uint64_t n = 1) noexcept
    {
        v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    uint64_t read() const noexcept { return v_.load(std::memory_order_relaxed); }

private:
    std::atomic<uint64_t> v_{0};
};

struct DirectionCounters {
    Counter packets;
    Counter bytes;
};

struct alignas(64) WorkerCounters {
    DirectionCounters rx_inside, rx_outside;
    DirectionCounters tx_inside, tx_outside;
    DirectionCounters translated_6to4, translated_4to6;
    Counter flows_created;
    Counter flows_created_tcp, flows_created_udp, flows_created_icmp;
    Counter arp_replies, ndp_adverts, echo_replies, icmp_errors_sent;
    Counter neighbour_solicits_sent;
    Counter fragments_held;
    Counter neighbour_held;
    Counter busy_loops, idle_loops;
    std::array<Counter, kVerdictCount> verdicts;

    void count(Verdict v, uint64_t n = 1) noexcept { verdicts[static_cast<size_t>(v)].add(n); }
};

} // namespace nat64d::dp
