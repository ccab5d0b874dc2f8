// Buffered transmit: packets collect per port and leave in bursts. The one
// place (with drop_burst) where mbufs that the NIC refused are freed and counted.
#pragma once
#include <array>
#include <cstdint>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "dataplane/counters.hpp"

namespace nat64d::dp {

inline constexpr uint16_t kBurst = 32;

class TxBuffer {
public:
    TxBuffer() = default;
    TxBuffer(uint16_t port, uint16_t queue, DirectionCounters* sent, WorkerCounters* counters,
             uint16_t vlan = 0) noexcept
        : port_(port), queue_(queue), vlan_(vlan), sent_(sent), counters_(counters)
    {
    }

    void push(rte_mbuf* m) noexcept
    {
        // Every frame this port sends carries the port's 802.1Q tag, if it has one.
        if (vlan_ != 0) {
            m->vlan_tci = vlan_;
            if (rte_vlan_insert(&m) != 0) [[unlikely]] {
                counters_->count(Verdict::drop_no_headroom);
                rte_pktmbuf_free(m);
                return;
            }
        }
        pkts_[n_++] = m;
        if (n_ == kBurst)
            flush();
    }

    void flush() noexcept
    {
        if (n_ == 0)
            return;
        uint64_t bytes = 0;
        for (uint16_t i = 0; i < n_; ++i)
            bytes += rte_pktmbuf_pkt_len(pkts_[i]);
        uint16_t sent = rte_eth_tx_burst(port_, queue_, pkts_.data(), n_);
        if (sent < n_) [[unlikely]] {
            for (uint16_t i = sent; i < n_; ++i) {
                bytes -= rte_pktmbuf_pkt_len(pkts_[i]);
                rte_pktmbuf_free(pkts_[i]);
            }
            counters_->count(Verdict::drop_tx_full, n_ - sent);
        }
        sent_->packets.add(sent);
        sent_->bytes.add(bytes);
        n_ = 0;
    }

private:
    std::array<rte_mbuf*, kBurst> pkts_{};
    uint16_t n_ = 0;
    uint16_t port_ = 0;
    uint16_t queue_ = 0;
    uint16_t vlan_ = 0;
    DirectionCounters* sent_ = nullptr;
    WorkerCounters* counters_ = nullptr;
};

} // namespace nat64d::dp
