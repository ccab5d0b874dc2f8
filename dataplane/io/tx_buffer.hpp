// Buffered transmit: packets collect per port and leave in bursts. The one
// place where mbufs that the NIC refused are freed and counted, and where a
// received packet's outcome (translated, answered) is counted: only once the
// NIC took it, so a packet lost on the way counts under its loss alone.
#pragma once
#include <array>
#include <cstdint>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "dataplane/counters.hpp"

namespace nat64d::dp {

inline constexpr uint16_t kBurst = 32;

/// What a frame on its way out is, in the mbuf's user word (the RSS hash is
/// read before it is overwritten): set by whoever decides to send it.
enum class TxMark : uint32_t {
    originated = 0,       // the box's own (ICMP error, solicitation, fragment after the first)
    translated_6to4 = 1,
    translated_4to6 = 2,
    answered = 3,         // a received frame turned into the box's answer (ARP, NA, echo)
    punted = 4,           // a received frame for the box's own stack (the exception path)
};
inline constexpr uint32_t kTxMarks = 8;
inline void mark(rte_mbuf* m, TxMark t) noexcept { m->hash.usr = static_cast<uint32_t>(t); }

class TxBuffer {
public:
    TxBuffer() = default;
    TxBuffer(uint16_t port, uint16_t queue, DirectionCounters* sent, WorkerCounters* counters,
             uint16_t vlan = 0, Verdict unsent = Verdict::drop_tx_full) noexcept
        : port_(port), queue_(queue), vlan_(vlan), unsent_(unsent), sent_(sent), counters_(counters)
    {
    }

    void push(rte_mbuf* m) noexcept
    {
        // Every frame this port sends carries the port's 802.1Q tag, if it has one.
        if (vlan_ != 0) {
            m->vlan_tci = vlan_;
            if (rte_vlan_insert(&m) != 0) [[unlikely]] {
                counters_->count(Verdict::drop_vlan_insert);
                rte_pktmbuf_free(m);
                return;
            }
        }
        // Noted now: once the NIC has taken a frame, reading its mbuf races
        // the NIC's completion.
        len_[n_] = rte_pktmbuf_pkt_len(m);
        marks_[n_] = static_cast<uint8_t>(m->hash.usr & (kTxMarks - 1));
        pkts_[n_++] = m;
        if (n_ == kBurst)
            flush();
    }

    void flush() noexcept
    {
        if (n_ == 0)
            return;
        const uint16_t sent = rte_eth_tx_burst(port_, queue_, pkts_.data(), n_);
        uint64_t bytes = 0;
        uint64_t by_mark[kTxMarks] = {}, bytes_by_mark[kTxMarks] = {};
        for (uint16_t i = 0; i < sent; ++i) {
            bytes += len_[i];
            ++by_mark[marks_[i]];
            bytes_by_mark[marks_[i]] += len_[i];
        }
        if (sent < n_) [[unlikely]] {
            for (uint16_t i = sent; i < n_; ++i)
                rte_pktmbuf_free(pkts_[i]);
            counters_->count(unsent_, n_ - sent);
        }
        sent_->packets.add(sent);
        sent_->bytes.add(bytes);
        if (by_mark[1] != 0) {
            counters_->translated_6to4.packets.add(by_mark[1]);
            counters_->translated_6to4.bytes.add(bytes_by_mark[1]);
        }
        if (by_mark[2] != 0) {
            counters_->translated_4to6.packets.add(by_mark[2]);
            counters_->translated_4to6.bytes.add(bytes_by_mark[2]);
        }
        counters_->count(Verdict::forward, by_mark[1] + by_mark[2] + by_mark[3]);
        if (by_mark[4] != 0)
            counters_->count(Verdict::punted, by_mark[4]);
        n_ = 0;
    }

private:
    std::array<rte_mbuf*, kBurst> pkts_{};
    std::array<uint32_t, kBurst> len_{};
    std::array<uint8_t, kBurst> marks_{};
    uint16_t n_ = 0;
    uint16_t port_ = 0;
    uint16_t queue_ = 0;
    uint16_t vlan_ = 0;
    Verdict unsent_ = Verdict::drop_tx_full;
    DirectionCounters* sent_ = nullptr;
    WorkerCounters* counters_ = nullptr;
};

} // namespace nat64d::dp
