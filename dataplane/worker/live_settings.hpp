// Settings a reload changes while the workers run (control/config/reload.hpp
// names the keys). One writer, the control thread; each worker reads them in
// its tick (every few milliseconds), never per packet. A sequence counter
// (odd while a write is under way) keeps a worker from taking half of one.
#pragma once
#include <atomic>
#include <cstdint>

#include "dataplane/nat/timeouts.hpp"

namespace nat64d::dp {

struct LiveValues {
    nat::Timeouts timeouts;
    uint32_t icmp_errors_per_s = 1000;              // one worker's share
    uint32_t icmp_errors_per_subscriber_per_s = 20;
};

class LiveSettings {
public:
    /// Control thread.
    void publish(const LiveValues& v) noexcept
    {
        seq_.fetch_add(1, std::memory_order_relaxed);   // odd: writing
        std::atomic_thread_fence(std::memory_order_release);
        udp_s_.store(v.timeouts.udp_s, std::memory_order_relaxed);
        tcp_established_s_.store(v.timeouts.tcp_established_s, std::memory_order_relaxed);
        tcp_transitory_s_.store(v.timeouts.tcp_transitory_s, std::memory_order_relaxed);
        icmp_s_.store(v.timeouts.icmp_s, std::memory_order_relaxed);
        tcp_incoming_syn_s_.store(v.timeouts.tcp_incoming_syn_s, std::memory_order_relaxed);
        icmp_errors_per_s_.store(v.icmp_errors_per_s, std::memory_order_relaxed);
        icmp_errors_per_subscriber_per_s_.store(v.icmp_errors_per_subscriber_per_s, std::memory_order_relaxed);
        seq_.fetch_add(1, std::memory_order_release);   // even: done
    }

    /// Any worker: the values of a newer publication than `seen` into `out`
    /// (fields publish() does not carry are left as they are); false when
    /// there is none or one is being written (try again next tick).
    bool read_newer(uint32_t& seen, LiveValues& out) const noexcept
    {
        const uint32_t s1 = seq_.load(std::memory_order_acquire);
        if (s1 == seen || (s1 & 1) != 0)
            return false;
        LiveValues v = out;
        v.timeouts.udp_s = udp_s_.load(std::memory_order_relaxed);
        v.timeouts.tcp_established_s = tcp_established_s_.load(std::memory_order_relaxed);
        v.timeouts.tcp_transitory_s = tcp_transitory_s_.load(std::memory_order_relaxed);
        v.timeouts.icmp_s = icmp_s_.load(std::memory_order_relaxed);
        v.timeouts.tcp_incoming_syn_s = tcp_incoming_syn_s_.load(std::memory_order_relaxed);
        v.icmp_errors_per_s = icmp_errors_per_s_.load(std::memory_order_relaxed);
        v.icmp_errors_per_subscriber_per_s = icmp_errors_per_subscriber_per_s_.load(std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_acquire);
        if (seq_.load(std::memory_order_relaxed) != s1)
            return false;
        out = v;
        seen = s1;
        return true;
    }

private:
    std::atomic<uint32_t> seq_{0};
    std::atomic<uint32_t> udp_s_{0}, tcp_established_s_{0}, tcp_transitory_s_{0}, icmp_s_{0}, tcp_incoming_syn_s_{0};
    std::atomic<uint32_t> icmp_errors_per_s_{0}, icmp_errors_per_subscriber_per_s_{0};
};

} // namespace nat64d::dp
