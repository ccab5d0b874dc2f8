// One worker: an lcore that runs to completion over its RX queues (queue w of
// every port for worker w). It owns its TX queues, counters, neighbour cache,
// fragment cache and port slice; the flow table and the WorkerMesh (neighbour
// news, fragment handoff, held SYNs) are shared with the other workers.
#pragma once
#include <array>
#include <atomic>
#include <bitset>
#include <memory>
#include <cstdint>
#include <span>
#include <vector>

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
#include "dataplane/worker/live_settings.hpp"
#include "dataplane/worker/mesh.hpp"
#include "dataplane/xlate/classify.hpp"
#include "dataplane/xlate/translate.hpp"

namespace nat64d::dp {

using Side = xlate::Side;

/// Ports of the box's own address that its kernel keeps, where that address
/// is a pool address too (a one-address box): never handed out, and what
/// arrives for them goes up to the kernel.
struct KernelPortSet {
    std::bitset<65536> tcp, udp;
    bool has(uint8_t proto, uint16_t port) const noexcept
    {
        return proto == kProtoTcp ? tcp.test(port) : proto == kProtoUdp && udp.test(port);
    }
};

inline constexpr uint16_t kNoPort = UINT16_MAX;

/// A configured neighbour (never resolved).
struct StaticNeighbourEntry {
    nat::NeighbourKey key;
    nat::MacAddr mac;
};

/// Everything a worker needs, as plain data (control/ builds it from the config).
struct WorkerConfig {
    uint32_t worker_id = 0;
    uint32_t workers = 1;
    uint16_t queue = 0;                   // its RX and TX queue on every port
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

    xlate::Prefix6 prefix;
    bool allow_non_global = false;
    AddressPermissions* permissions = nullptr;  // set: address-dependent filtering
    bool hairpinning = true;
    xlate::XlateConfig xlate;
    nat::Timeouts timeouts;
    uint32_t icmp_errors_per_s = 1000;    // this worker's share of the box's budget
    uint32_t icmp_errors_per_subscriber_per_s = 20;
    // A reload's new timeouts and ICMP limits (nullptr: fixed at start).
    const LiveSettings* live = nullptr;
    uint8_t subscriber_prefix_len = 56;
    bool subscriber_limit_icmp = true;  // refusals by a subscriber limit get their ICMP answer
    std::vector<xlate::Prefix6> clients;  // empty: any IPv6 source
    nat::FragCacheConfig fragments;
    nat::NeighbourConfig neighbour;
    std::vector<StaticNeighbourEntry> static_neighbours;
    rte_mempool* pool_for_generated = nullptr;  // ICMP errors, ARP/NDP requests, fragments
    uint32_t idle_sleep_us = 0;           // longest sleep when idle; 0: poll without pause
    // The exception path: the kernel interfaces beside the data ports (kNoPort: none).
    uint16_t kernel_inside_port = kNoPort, kernel_outside_port = kNoPort;
    // The workers carry the kernel's frames out too (a data port, such as
    // net_tap, that cannot have the control thread's extra TX queue).
    bool kernel_inject_by_worker = false;
    uint32_t punt_per_s = 10000;          // this worker's share
    const KernelPortSet* kernel_ports = nullptr;
    WorkerMesh* mesh = nullptr;           // required
};

class Worker {
public:
    /// Throws StartupError when the neighbour table cannot hold the static entries.
    Worker(const WorkerConfig& cfg, FlowTable& flows);
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    /// The lcore loop; returns when stop is set.
    void run(const std::atomic<bool>& stop) noexcept;

    /// One burst received on `side` (public for in-process benchmarks and tests).
    void process_burst(rte_mbuf** pkts, uint16_t n, Side side) noexcept;
    /// What a loop does besides receiving: neighbour news and handed-over
    /// fragments from other workers, timers (public for in-process tests).
    void poll_mesh() noexcept;
    void tick() noexcept;
    void flush() noexcept;
    void set_now(uint32_t now_s) noexcept { now_s_ = now_s; }
    void set_now_ms(uint64_t now_ms) noexcept
    {
        now_ms_ = now_ms;
        now_s_ = static_cast<uint32_t>(now_ms / 1000);
    }

    const WorkerCounters& counters() const noexcept { return counters_; }
    const nat::NeighbourCache& neighbours() const noexcept { return neighbours_; }
    uint32_t id() const noexcept { return cfg_.worker_id; }
    /// TSC of the last non-empty receive (for exit_when_idle); relaxed.
    uint64_t last_rx_tsc() const noexcept { return last_rx_tsc_.load(std::memory_order_relaxed); }
    bool polling() const noexcept { return loops_.load(std::memory_order_relaxed) != 0; }
    uint64_t loops() const noexcept { return loops_.load(std::memory_order_relaxed); }
    /// The counter itself, for dataplane/io/unmap_guard.hpp.
    const std::atomic<uint64_t>& loop_counter() const noexcept { return loops_; }

private:
    struct Item6;
    struct Item4;
    // A burst's parsed packets, allocated once: Parsed6/Parsed4 zero their
    // members on construction, so an array of them on the stack cost every
    // burst 32 of those (about 20 stores a packet) before parse_* set them anyway.
    std::unique_ptr<Item6[]> items6_;
    std::unique_ptr<Item4[]> items4_;

    // --- the two stages, each in passes over the burst so cache misses overlap
    void stage_6to4(rte_mbuf** pkts, uint16_t n) noexcept;
    // pool_index: per packet, the pool's index of its destination where the
    // classifier found it (nullptr: look each up).
    void stage_4to6(rte_mbuf** pkts, uint16_t n, const uint32_t* pool_index = nullptr) noexcept;
    // RFC 6146 s3.4: the incoming tuple (and the refusals decided from the
    // packet alone, before any state is touched).
    bool incoming_tuple_6to4(rte_mbuf* m, Item6& it) noexcept;
    bool incoming_tuple_4to6(rte_mbuf* m, Item4& it, const uint32_t* dst_pool_index) noexcept;
    // RFC 6146 s3.5.2: may this IPv4 packet open a session to its mapping?
    bool filter_4to6(rte_mbuf* m, const Item4& it, const PermissionKey& pkey) noexcept;
    // RFC 6146 s3.6: the outgoing tuple of a packet of session s.
    xlate::Rewrite4 outgoing_tuple_6to4(const Item6& it, const Session& s, xlate::Rewrite4& inner) const noexcept;
    xlate::Rewrite6 outgoing_tuple_4to6(const Item4& it, xlate::Rewrite6& inner) const noexcept;
    // A miss after a create earlier in the burst may be that very flow: look again.
    int32_t look_again(const nat::FlowKey6& key, uint64_t creates_before) const noexcept;
    int32_t open_session(rte_mbuf* m, const nat::FlowKey6& key) noexcept;
    bool touch_session(Session& s, uint8_t proto, nat::Direction dir, uint8_t tcp_flags) noexcept;
    // Translate m and mark it for sending, or refuse it. prechecked: its
    // precheck_* already said forward (the stages ask before opening state).
    bool finish_6to4(rte_mbuf* m, const xlate::Parsed6& p, const xlate::Rewrite4& outer,
                     const xlate::Rewrite4& inner, bool prechecked) noexcept;
    bool finish_4to6(rte_mbuf* m, const xlate::Parsed4& p, const xlate::Rewrite6& outer,
                     const xlate::Rewrite6& inner, bool prechecked) noexcept;

    // --- fragments (RFC 6146 s3.4): non-first ones follow their first one's session
    bool hand_over_fragment(rte_mbuf* m, const nat::FragKey& fkey) noexcept;
    void forward_fragment_6to4(rte_mbuf* m, int32_t pos) noexcept;
    void forward_fragment_4to6(rte_mbuf* m, int32_t pos) noexcept;
    // Records a first fragment before it is sent; false: it overlaps (RFC 5722)
    // and was dropped with what was held for its datagram.
    bool record_first_fragment(rte_mbuf* m, const nat::FragKey& fkey, nat::FragRange range, int32_t pos,
                               std::span<uint64_t> released, uint32_t& n_released) noexcept;
    void forward_released(std::span<const uint64_t> released, int32_t pos, bool to_4) noexcept;
    void later_fragment(rte_mbuf* m, const nat::FragKey& fkey, nat::FragRange range, bool to_4) noexcept;

    // --- output
    void send_6(rte_mbuf* m, const In6& dst) noexcept;
    void send_4(rte_mbuf* m, Ip4 dst) noexcept;
    void send_via(rte_mbuf* m, const nat::NeighbourKey& next_hop, bool ip4) noexcept;
    void transmit(rte_mbuf* m, uint8_t* eth, const nat::MacAddr& mac, bool ip4) noexcept;
    void send_fragments_6(rte_mbuf* m, const In6& dst, uint32_t ip4_id) noexcept;
    void send_fragments_4(rte_mbuf* m, Ip4 dst) noexcept;
    TxBuffer& tx_for(Side side) noexcept { return side == Side::inside || cfg_.one_arm ? tx_inside_ : tx_outside_; }

    // --- refusals: the one place that counts, answers (rate-limited) and frees
    void refuse(rte_mbuf* m, Verdict v, uint32_t param = 0) noexcept;
    void drop(rte_mbuf* m, Verdict v) noexcept;
    void send_icmp_error(const rte_mbuf* orig, IcmpReply reply, uint32_t param) noexcept;
    // One subscriber's share of the errors this second (RFC 4443 s2.4(f) per
    // destination, so a subscriber's own flood leaves the others' budget).
    bool subscriber_may_get_error(const uint8_t* dst, bool ip6) noexcept;
    bool is_client(const In6& src) const noexcept;
    void drop_evicted_fragments() noexcept;

    // --- the box's own traffic
    void handle_arp(rte_mbuf* m, Side side) noexcept;
    void handle_local_6(rte_mbuf* m) noexcept;
    void handle_local_4(rte_mbuf* m) noexcept;
    void learn(const nat::NeighbourKey& key, const nat::MacAddr& mac, bool tell_others) noexcept;
    void solicit(const nat::NeighbourKey& target) noexcept;
    void release_held(std::span<const uint64_t> handles, const nat::MacAddr& mac, bool ip6) noexcept;
    void expire_incoming_syns() noexcept;
    void back_off() noexcept;
    // The exception path: m (data at its IP header, or its Ethernet header for
    // ARP) goes up to the kernel interface of its family's side.
    void punt(rte_mbuf* m, bool ip4, bool at_l2 = false) noexcept;
    bool has_kernel(bool ip4) const noexcept
    {
        return (ip4 && !cfg_.one_arm ? cfg_.kernel_outside_port : cfg_.kernel_inside_port) != kNoPort;
    }
    void poll_kernel() noexcept;
    void apply_live() noexcept;

    bool is_pool_address(Ip4 a) const noexcept;
    bool is_pool_address(Ip4 a, uint32_t& addr_index) const noexcept;
    bool on_link_4(Ip4 a) const noexcept;
    bool on_link_6(const In6& a) const noexcept;

    WorkerConfig cfg_;
    std::array<xlate::FrameRules, 2> frame_rules_{};   // by Side
    FlowTable& flows_;
    WorkerMesh& mesh_;
    nat::NeighbourCache neighbours_;
    struct NextHopCache {
        nat::NeighbourKey key{};
        nat::MacAddr mac{};
        uint64_t valid_until_ms = 0;
    };
    std::array<NextHopCache, 2> next_hop_cache_{};   // [0] inside (IPv6), [1] outside (IPv4)
    nat::TokenBucket icmp_bucket_;
    nat::TokenBucket ptb_bucket_;
    struct SubscriberErrors {
        uint64_t key = 0;
        uint32_t second = 0;
        uint32_t sent = 0;
    };
    static constexpr uint32_t kSubscriberErrorSlots = 256;
    std::array<SubscriberErrors, kSubscriberErrorSlots> errors_by_subscriber_{};
    nat::FragCache frags_;
    WorkerCounters counters_;
    TxBuffer tx_inside_, tx_outside_;
    TxBuffer tx_kernel_inside_, tx_kernel_outside_;
    nat::TokenBucket punt_bucket_;
    uint32_t live_seen_ = 0;              // the LiveSettings publication in use
    uint64_t creates_ = 0;                // sessions opened, for look_again()
    uint32_t idle_polls_ = 0;             // loops since one received something
    uint32_t now_s_ = 0;
    uint64_t now_ms_ = 0;
    uint64_t last_tick_ms_ = 0;
    uint16_t ip4_id_ = 0;
    bool wkp_ = false;                    // the prefix is 64:ff9b::/96 (RFC 6052 s3.1 rules apply)
    uint64_t tsc_hz_ = 1;
    uint64_t start_tsc_ = 0;
    std::atomic<uint64_t> last_rx_tsc_{0};
    std::atomic<uint64_t> loops_{0};
};

} // namespace nat64d::dp
