// Per-worker counters: one writer (the worker), any number of readers (the
// control thread sums them). No read-modify-write atomics: a relaxed load and
// store compile to a plain add on x86, and nobody else writes the line.
// Every counter is named once, with its help text, in the lists below: stats,
// Prometheus and `nat64ctl stats --explain` loop over the same lists.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

#include "dataplane/verdict.hpp"

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

// X(name, help): packet and byte counters by direction.
#define NAT64D_WORKER_DIRECTIONS(X)                                                       \
    X(rx_inside, "frames received on the inside (IPv6) port")                             \
    X(rx_outside, "frames received on the outside (IPv4) port")                           \
    X(tx_inside, "frames the inside port's NIC took")                                     \
    X(tx_outside, "frames the outside port's NIC took")                                   \
    X(tx_kernel, "frames handed to the box's own stack (exception path)")                 \
    X(translated_6to4, "IPv6 packets translated to IPv4 and handed to the NIC")           \
    X(translated_4to6, "IPv4 packets translated to IPv6 and handed to the NIC")

// X(name, help): event counters.
#define NAT64D_WORKER_COUNTERS(X)                                                         \
    X(flows_created, "sessions this worker opened")                                       \
    X(arp_replies, "ARP requests for the box's addresses answered")                       \
    X(ndp_adverts, "neighbour solicitations for the box's address answered")              \
    X(echo_replies, "pings to the box's own addresses answered")                          \
    X(icmp_errors_sent, "ICMP errors the box originated")                                 \
    X(icmp_errors_rate_limited, "ICMP errors not sent: over the rate limit")              \
    X(neighbour_solicits_sent, "ARP requests and neighbour solicitations sent")           \
    X(neighbour_solicits_no_mbuf, "solicitations not sent: mempool empty")                \
    X(neighbour_held, "packets held while their next hop was resolved")                   \
    X(fragments_held, "fragments held until their first fragment arrived")                \
    X(busy_loops, "worker loops that received something")                                 \
    X(idle_loops, "worker loops that received nothing")                                   \
    X(idle_sleeps, "sleeps of an idle worker (ports.idle_sleep)")                         \
    X(injected, "frames the box's own stack sent through its kernel interfaces")

struct alignas(64) WorkerCounters {
#define NAT64D_DIRECTION_FIELD(name, help) DirectionCounters name;
    NAT64D_WORKER_DIRECTIONS(NAT64D_DIRECTION_FIELD)
#undef NAT64D_DIRECTION_FIELD
#define NAT64D_COUNTER_FIELD(name, help) Counter name;
    NAT64D_WORKER_COUNTERS(NAT64D_COUNTER_FIELD)
#undef NAT64D_COUNTER_FIELD
    std::array<Counter, kVerdictCount> verdicts;

    void count(Verdict v, uint64_t n = 1) noexcept { verdicts[static_cast<size_t>(v)].add(n); }
};

/// One named counter of a WorkerCounters, for readers that loop over them all.
struct CounterField {
    std::string_view name;
    std::string_view help;
    Counter WorkerCounters::*field;
};
struct DirectionField {
    std::string_view name;
    std::string_view help;
    DirectionCounters WorkerCounters::*field;
};

inline constexpr std::array kCounterFields = {
#define NAT64D_COUNTER_ENTRY(name, help) CounterField{#name, help, &WorkerCounters::name},
    NAT64D_WORKER_COUNTERS(NAT64D_COUNTER_ENTRY)
#undef NAT64D_COUNTER_ENTRY
};
inline constexpr std::array kDirectionFields = {
#define NAT64D_DIRECTION_ENTRY(name, help) DirectionField{#name, help, &WorkerCounters::name},
    NAT64D_WORKER_DIRECTIONS(NAT64D_DIRECTION_ENTRY)
#undef NAT64D_DIRECTION_ENTRY
};

} // namespace nat64d::dp
