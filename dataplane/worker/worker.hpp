// One worker: an lcore that runs to completion over its RX queues. It owns its
// TX buffers, counters, neighbour view, fragment cache and port slice; the flow
// table is shared with every other worker.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <span>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "dataplane/counters.hpp"
#include "dataplane/flow/flow_table.hpp"
#include "dataplane/flow/permissions.hpp"
#include "dataplane/io/tx_buffer.hpp"
#include "dataplane/nat/frag_cache.hpp"
#include "dataplane/nat/neighbour_cache.hpp"
#include "dataplane/nat/rate_limit.hpp"
#include "dataplane/nat/timeouts.hpp"
#include "dataplane/xlate/translate.hpp"

namespace nat64d::dp {

enum class Side : uint8_t { inside, outside };

/// Everything a worker needs, as plain data (control/ builds it from the config).
struct WorkerConfig {
    uint32_t worker_id = 0;
    uint16_t queue = 0;
    bool one_arm = false;
    uint16_t inside_port = 0, outside_port = 0;
    rte_ether_addr inside_mac{}, outside_mac{};
    uint16_t inside_vlan = 0, outside_vlan = 0;   // 802.1Q VID; 0: untagged

    In6 inside_ip6{};
    uint8_t inside_prefix_len = 64;
    bool has_gateway6 = false;
    In6 gateway6{};
    Ip4 outside_ip4 = 0;
    uint8_t outside_prefix_len = 24;
    bool has_gateway4 = false;
    Ip4 gateway4 = 0;
    const Ip4* pool = nullptr;            // public addresses (sorted ascending)
    uint32_t pool_size = 0;

    xlate::Prefix6 prefix;
    bool allow_non_global = false;
    AddressPermissions* permissions = nullptr;  // set: address-dependent filtering
    bool hairpinning = true;
    xlate::XlateConfig xlate;
    nat::Timeouts timeouts;
    uint32_t icmp_errors_per_s = 1000;
    nat::FragCacheConfig fragments;
    rte_mempool* pool_for_generated = nullptr;  // ICMP errors, ARP/NDP requests, fragments
};

class Worker {
public:
    Worker(const WorkerConfig& cfg, FlowTable& flows, nat::NeighbourCache& neighbours);
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    /// The lcore loop; returns when stop is set.
    void run(const std::atomic<bool>& stop) noexcept;

    /// One burst received on `side` (public for in-process benchmarks and tests).
    void process_burst(rte_mbuf** pkts, uint16_t n, Side side) noexcept;
    void flush() noexcept;
    void set_now(uint32_t now_s) noexcept { now_s_ = now_s; }

    const WorkerCounters& counters() const noexcept { return counters_; }
    /// TSC of the last non-empty receive (for exit_when_idle); relaxed.
    uint64_t last_rx_tsc() const noexcept { return last_rx_tsc_.load(std::memory_order_relaxed); }
    bool polling() const noexcept { return loops_.load(std::memory_order_relaxed) != 0; }
    uint64_t loops() const noexcept { return loops_.load(std::memory_order_relaxed); }

private:
    void handle_arp(rte_mbuf* m, Side side) noexcept;
    void handle_local_6(rte_mbuf* m) noexcept;
    void handle_local_4(rte_mbuf* m) noexcept;
    void stage_6to4(rte_mbuf** pkts, uint16_t n) noexcept;
    int32_t open_session(rte_mbuf* m, const nat::FlowKey6& key) noexcept;
    bool hold_incoming_syn(rte_mbuf* m, const PermissionKey& key) noexcept;
    void release_incoming_syns(const PermissionKey& key) noexcept;
    void expire_incoming_syns() noexcept;
    bool touch_session(Session& s, uint8_t proto, nat::Direction dir, uint8_t tcp_flags) noexcept;
    bool finish_6to4(rte_mbuf* m, const xlate::Parsed6& p, const xlate::Rewrite4& outer,
                     const xlate::Rewrite4& inner) noexcept;
    bool finish_4to6(rte_mbuf* m, const xlate::Parsed4& p, const xlate::Rewrite6& outer,
                     const xlate::Rewrite6& inner) noexcept;
    void forward_fragment_6to4(rte_mbuf* m, int32_t pos) noexcept;
    void forward_fragment_4to6(rte_mbuf* m, int32_t pos) noexcept;
    void record_first_fragment(const nat::FragKey& fkey, int32_t pos, bool to_4) noexcept;
    void later_fragment(rte_mbuf* m, const nat::FragKey& fkey, bool to_4) noexcept;
    void stage_4to6(rte_mbuf** pkts, uint16_t n) noexcept;
    void send_6(rte_mbuf* m, const In6& dst) noexcept;
    void send_4(rte_mbuf* m, Ip4 dst) noexcept;
    void send_via(rte_mbuf* m, const nat::NeighbourKey& next_hop) noexcept;
    void solicit(const nat::NeighbourKey& target) noexcept;
    void transmit(rte_mbuf* m, uint8_t* eth, const nat::MacAddr& mac, bool ip4) noexcept;
    void reply_icmp6_error(const rte_mbuf* orig, uint8_t type, uint8_t code, uint32_t param) noexcept;
    void reply_icmp4_error(const rte_mbuf* orig, uint8_t type, uint8_t code, uint32_t param) noexcept;
    void reply_icmp_error(const rte_mbuf* orig, bool ip6, uint8_t type, uint8_t code, uint32_t param) noexcept;
    void solicit_6(const In6& target) noexcept;
    void send_fragments_6(rte_mbuf* m, const In6& dst, uint32_t ip4_id) noexcept;
    void release_held(std::span<const uint64_t> handles, const nat::MacAddr& mac, bool ip6) noexcept;
    void release_or_drop(const nat::Learned& learned, bool ip6) noexcept;
    void tick_neighbours() noexcept;
    void drop_held(std::span<const uint64_t> handles) noexcept;
    void solicit_4(Ip4 target) noexcept;
    void drop(rte_mbuf* m, Verdict v) noexcept;
    bool is_pool_address(Ip4 a) const noexcept;
    bool on_link_4(Ip4 a) const noexcept;
    bool on_link_6(const In6& a) const noexcept;
    // One-arm: both families leave through the one (inside) port.
    TxBuffer& tx_for(Side side) noexcept
    {
        return side == Side::inside || cfg_.one_arm ? tx_inside_ : tx_outside_;
    }

    WorkerConfig cfg_;
    FlowTable& flows_;
    nat::NeighbourCache& neighbours_;
    struct NextHopCache {
        nat::NeighbourKey key{};
        nat::MacAddr mac{};
        uint64_t valid_until_ms = 0;
    };
    std::array<NextHopCache, 2> next_hop_cache_{};   // [0] inside (IPv6), [1] outside (IPv4)
    // RFC 6146 s3.5.2.2: unsolicited IPv4 SYNs under address-dependent filtering
    // wait TCP_INCOMING_SYN for an IPv6 SYN (a simultaneous open).
    struct HeldSyn {
        PermissionKey key{};
        rte_mbuf* m = nullptr;
        uint64_t deadline_ms = 0;
    };
    static constexpr uint32_t kHeldSynMax = 64;
    std::array<HeldSyn, kHeldSynMax> held_syns_{};
    uint32_t held_syn_count_ = 0;
    nat::TokenBucket icmp_bucket_;
    nat::FragCache frags_;
    WorkerCounters counters_;
    TxBuffer tx_inside_, tx_outside_;
    uint32_t now_s_ = 0;
    uint64_t now_ms_ = 0;
    uint64_t last_tick_ms_ = 0;
    uint16_t ip4_id_ = 0;
    uint64_t tsc_hz_ = 1;
    uint64_t start_tsc_ = 0;
    std::atomic<uint64_t> last_rx_tsc_{0};
    std::atomic<uint64_t> loops_{0};
};

} // namespace nat64d::dp
