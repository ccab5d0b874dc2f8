// The packet path: rx burst -> classify -> bulk flow lookup -> translate in
// place -> Ethernet from the neighbour cache -> buffered tx. RFC 6146 s3 (state),
// RFC 7915 (translation, via xlate::), RFC 826 / RFC 4861 (the box's own ARP/NDP).
//
// A burst behaves as its packets one by one in arrival order: it is cut into
// runs of one family (handled in turn), and a session lookup that missed is
// repeated when the burst has opened sessions since, so a packet that depends
// on state an earlier packet of its burst created finds it.
#include "dataplane/worker/worker.hpp"

#include <algorithm>
#include <cstring>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_pause.h>
#include <rte_prefetch.h>

#include "dataplane/io/port.hpp"
#include "dataplane/nat/hash.hpp"
#include "dataplane/xlate/checksum.hpp"
#include "dataplane/xlate/classify.hpp"
#include "dataplane/xlate/fragment.hpp"
#include "dataplane/xlate/icmp_gen.hpp"
#include "dataplane/xlate/local_reply.hpp"
#include "dataplane/xlate/rfc6052.hpp"

namespace nat64d::dp {

namespace {

constexpr uint8_t kIcmp4EchoRequest = 8;
constexpr uint32_t kPrefetchAhead = 4;
constexpr uint64_t kTickMs = 100;
// How long a resolved next hop is reused without asking the neighbour table; a
// changed MAC (learned from ARP/NDP) takes effect within this time.
constexpr uint64_t kNextHopCacheMs = 100;
// Packet Too Big gets a budget of its own, so a flood of expiring packets can
// never silence the errors path MTU discovery depends on (a black hole).
constexpr uint32_t kPtbShareDivisor = 4;

uint8_t* l3_of(rte_mbuf* m) noexcept { return rte_pktmbuf_mtod(m, uint8_t*); }

xlate::MacBytes mac_of(const rte_ether_addr& e) noexcept
{
    xlate::MacBytes m;
    std::memcpy(m.data(), e.addr_bytes, 6);
    return m;
}

bool set_view(rte_mbuf* m, xlate::PacketView& pv) noexcept
{
    pv.l3 = l3_of(m);
    pv.len = rte_pktmbuf_data_len(m);
    pv.headroom = rte_pktmbuf_headroom(m);
    pv.tailroom = rte_pktmbuf_tailroom(m);
    return true;
}

// After an in-place translation the packet starts at pv.l3 and is pv.len long.
void commit_view(rte_mbuf* m, const xlate::PacketView& pv) noexcept
{
    const auto* base = static_cast<uint8_t*>(m->buf_addr);
    m->data_off = static_cast<uint16_t>(pv.l3 - base);
    m->data_len = static_cast<uint16_t>(pv.len);
    m->pkt_len = pv.len;
}

uint8_t proto6_of(uint8_t proto4) noexcept { return proto4 == kProtoIcmp4 ? kProtoIcmp6 : proto4; }

// The ICMP type and code a refusal gets in each family (RFC 4443 s3, RFC 792).
struct IcmpTypeCode {
    bool send;
    uint8_t type, code;
};
IcmpTypeCode icmp_for(IcmpReply r, bool ip6) noexcept
{
    switch (r) {
    case IcmpReply::none:
        break;
    case IcmpReply::time_exceeded:
        return ip6 ? IcmpTypeCode{true, 3, 0} : IcmpTypeCode{true, 11, 0};
    case IcmpReply::packet_too_big:
        return ip6 ? IcmpTypeCode{true, 2, 0} : IcmpTypeCode{true, 3, 4};
    case IcmpReply::param_problem:
        return ip6 ? IcmpTypeCode{true, 4, 0} : IcmpTypeCode{true, 12, 0};
    case IcmpReply::source_route_failed:
        return ip6 ? IcmpTypeCode{false, 0, 0} : IcmpTypeCode{true, 3, 5};
    case IcmpReply::port_unreachable:
        return ip6 ? IcmpTypeCode{true, 1, 4} : IcmpTypeCode{true, 3, 3};
    case IcmpReply::admin_prohibited:
        return ip6 ? IcmpTypeCode{true, 1, 1} : IcmpTypeCode{true, 3, 13};
    case IcmpReply::addr_unreachable:
        return ip6 ? IcmpTypeCode{true, 1, 3} : IcmpTypeCode{true, 3, 1};
    }
    return {false, 0, 0};
}

// The bytes of the original datagram a fragment carries (RFC 5722 checks).
nat::FragRange range_6(const xlate::Parsed6& p, const uint8_t* l3) noexcept
{
    const uint32_t total = kIp6HeaderLen + load_be16(l3 + 4);
    const uint32_t data = total - p.frag_hdr_off - kFragHeaderLen;
    return {p.frag.offset_bytes, p.frag.offset_bytes + data};
}
nat::FragRange range_4(const xlate::Parsed4& p, const uint8_t* l3) noexcept
{
    return {p.frag.offset_bytes, uint32_t{p.frag.offset_bytes} + load_be16(l3 + 2) - p.l4_off};
}

} // namespace

struct Worker::Item6 {
    rte_mbuf* m;
    xlate::Parsed6 p;
    nat::FlowKey6 key;
    bool is_error;
};

struct Worker::Item4 {
    rte_mbuf* m;
    xlate::Parsed4 p;
    FlowTable::PublicRef pub;
    nat::FlowKey6 key;
    bool is_error;
};

Worker::Worker(const WorkerConfig& cfg, FlowTable& flows)
    : cfg_(cfg), flows_(flows), mesh_(*cfg.mesh), neighbours_(cfg.neighbour),
      icmp_bucket_(cfg.icmp_errors_per_s, cfg.icmp_errors_per_s),
      ptb_bucket_(std::max(1u, cfg.icmp_errors_per_s / kPtbShareDivisor),
                  std::max(1u, cfg.icmp_errors_per_s / kPtbShareDivisor)),
      frags_(cfg.fragments),
      tx_inside_(cfg.inside_port, cfg.queue, &counters_.tx_inside, &counters_, cfg.inside_vlan),
      tx_outside_(cfg.outside_port, cfg.queue, &counters_.tx_outside, &counters_, cfg.outside_vlan),
      tx_kernel_inside_(cfg.kernel_inside_port, cfg.queue, &counters_.tx_kernel, &counters_, 0, Verdict::drop_punt_full),
      tx_kernel_outside_(cfg.kernel_outside_port, cfg.queue, &counters_.tx_kernel, &counters_, 0,
                         Verdict::drop_punt_full),
      punt_bucket_(cfg.punt_per_s, cfg.punt_per_s)
{
    for (const StaticNeighbourEntry& n : cfg.static_neighbours)
        if (!neighbours_.add_static(n.key, n.mac))
            throw StartupError("addresses.neighbours: more static neighbours than the neighbour table holds");
    wkp_ = xlate::is_well_known_prefix(cfg.prefix);
    // Through is_pool_address: the classifier follows the pool wherever it is
    // kept, and a reload may add to it.
    const xlate::PoolTest pool{
        [](const void* w, Ip4 a, uint32_t& index) noexcept {
            return static_cast<const Worker*>(w)->is_pool_address(a, index);
        },
        this};
    for (const Side s : {Side::inside, Side::outside})
        frame_rules_[static_cast<size_t>(s)] = {s,
                                                cfg.one_arm,
                                                cfg.inside_vlan,
                                                cfg.outside_vlan,
                                                mac_of(cfg.inside_mac),
                                                mac_of(cfg.outside_mac),
                                                cfg.inside_ip6,
                                                cfg.outside_ip4,
                                                pool};
    items6_ = std::make_unique<Item6[]>(kBurst);
    items4_ = std::make_unique<Item4[]>(kBurst);
    tsc_hz_ = rte_get_tsc_hz();
    start_tsc_ = rte_rdtsc();
    last_rx_tsc_.store(start_tsc_, std::memory_order_relaxed);
}

Worker::~Worker() = default;

void Worker::run(const std::atomic<bool>& stop) noexcept
{
    std::array<rte_mbuf*, kBurst> rx{};
    flows_.register_worker(cfg_.worker_id);   // QSBR reader from here on
    while (!stop.load(std::memory_order_relaxed)) {
        const uint64_t now_tsc = rte_rdtsc();
        set_now_ms((now_tsc - start_tsc_) * 1000 / tsc_hz_);
        bool busy = false;
        uint16_t n = rte_eth_rx_burst(cfg_.inside_port, cfg_.queue, rx.data(), kBurst);
        if (n != 0) {
            busy = true;
            process_burst(rx.data(), n, Side::inside);
        }
        if (!cfg_.one_arm) {
            n = rte_eth_rx_burst(cfg_.outside_port, cfg_.queue, rx.data(), kBurst);
            if (n != 0) {
                busy = true;
                process_burst(rx.data(), n, Side::outside);
            }
        }
        if (cfg_.workers > 1)
            poll_mesh();
        // A tap's receive is a system call: the kernel's own traffic (BGP,
        // SSH) is looked at every few loops, not every one. Only where the
        // data port has no TX queue for the control thread (KernelInjector).
        if (cfg_.kernel_inject_by_worker &&
            (cfg_.kernel_inside_port != kNoPort || cfg_.kernel_outside_port != kNoPort) &&
            (loops_.load(std::memory_order_relaxed) & 7) == 0)
            poll_kernel();
        if (now_ms_ - last_tick_ms_ >= kTickMs)
            tick();
        flush();
        if (busy) {
            last_rx_tsc_.store(now_tsc, std::memory_order_relaxed);
            counters_.busy_loops.add();
            idle_polls_ = 0;
        } else {
            counters_.idle_loops.add();
            if (cfg_.idle_sleep_us != 0)
                back_off();
        }
        const uint64_t loops = loops_.load(std::memory_order_relaxed) + 1;
        if ((loops & 0xF) == 0)
            flows_.drain_port_returns(cfg_.worker_id, now_s_);   // ports the ager freed, into quarantine
        loops_.store(loops, std::memory_order_relaxed);
        flows_.quiescent(cfg_.worker_id);   // no table reference held past this point
    }
    flows_.unregister_worker(cfg_.worker_id);
    flush();
}

// An idle worker first spins (a burst may be a microsecond away), then
// pauses the core, then sleeps in steps that double up to idle_sleep_us. It
// is offline for the flow table's grace periods while it sleeps, so the ager
// never waits for it.
void Worker::back_off() noexcept
{
    constexpr uint32_t kSpinPolls = 64;
    constexpr uint32_t kPausePolls = 256;
    constexpr uint32_t kSleepsPerStep = 4;
    constexpr uint32_t kMaxShift = 20;
    const uint32_t n = ++idle_polls_;
    if (n < kSpinPolls)
        return;
    if (n < kPausePolls) {
        rte_pause();
        return;
    }
    const uint32_t shift = std::min((n - kPausePolls) / kSleepsPerStep, kMaxShift);
    const uint32_t us = std::min(uint32_t{1} << shift, cfg_.idle_sleep_us);
    flows_.offline(cfg_.worker_id);
    rte_delay_us_sleep(us);
    flows_.online(cfg_.worker_id);
    counters_.idle_sleeps.add();
}

void Worker::flush() noexcept
{
    tx_inside_.flush();
    if (!cfg_.one_arm)
        tx_outside_.flush();
    if (cfg_.kernel_inside_port != kNoPort)
        tx_kernel_inside_.flush();
    if (cfg_.kernel_outside_port != kNoPort)
        tx_kernel_outside_.flush();
}

void Worker::punt(rte_mbuf* m, bool ip4, bool at_l2) noexcept
{
    const bool outside = ip4 && !cfg_.one_arm;
    if ((outside ? cfg_.kernel_outside_port : cfg_.kernel_inside_port) == kNoPort) {
        drop(m, Verdict::drop_not_for_us);
        return;
    }
    // A flood at the box's addresses must not take the workers with it.
    if (!punt_bucket_.take(now_ms_)) [[unlikely]] {
        drop(m, Verdict::drop_punt_rate_limited);
        return;
    }
    // The Ethernet header is still in front of the data (only adjusted away;
    // an 802.1Q tag was stripped, the kernel interface is untagged).
    if (!at_l2 && rte_pktmbuf_prepend(m, kEtherHeaderLen) == nullptr) [[unlikely]] {
        drop(m, Verdict::drop_no_headroom);
        return;
    }
    mark(m, TxMark::punted);
    (outside ? tx_kernel_outside_ : tx_kernel_inside_).push(m);
}

// What the box's own stack sends leaves through the matching data port as it
// is: the kernel resolved its neighbours and wrote its frames itself.
void Worker::poll_kernel() noexcept
{
    std::array<rte_mbuf*, kBurst> rx;
    for (const bool inside : {true, false}) {
        const uint16_t port = inside ? cfg_.kernel_inside_port : cfg_.kernel_outside_port;
        if (port == kNoPort)
            continue;
        const uint16_t n = rte_eth_rx_burst(port, cfg_.queue, rx.data(), kBurst);
        for (uint16_t i = 0; i < n; ++i) {
            mark(rx[i], TxMark::originated);
            (inside ? tx_inside_ : tx_outside_).push(rx[i]);
        }
        if (n != 0)
            counters_.injected.add(n);
    }
}

// A reload's timeouts and ICMP limits, from the next tick on: sessions keep
// their state and are judged by the new timeouts (the ager does the same).
void Worker::apply_live() noexcept
{
    LiveValues v{cfg_.timeouts, cfg_.icmp_errors_per_s, cfg_.icmp_errors_per_subscriber_per_s};
    if (!cfg_.live->read_newer(live_seen_, v))
        return;
    cfg_.timeouts = v.timeouts;
    cfg_.icmp_errors_per_subscriber_per_s = v.icmp_errors_per_subscriber_per_s;
    if (v.icmp_errors_per_s != cfg_.icmp_errors_per_s) {
        cfg_.icmp_errors_per_s = v.icmp_errors_per_s;
        icmp_bucket_ = nat::TokenBucket(v.icmp_errors_per_s, v.icmp_errors_per_s, now_ms_);
        const uint32_t ptb = std::max(1u, v.icmp_errors_per_s / kPtbShareDivisor);
        ptb_bucket_ = nat::TokenBucket(ptb, ptb, now_ms_);
    }
}

void Worker::tick() noexcept
{
    last_tick_ms_ = now_ms_;
    if (cfg_.live != nullptr)
        apply_live();
    if (mesh_.held_syns().any())
        expire_incoming_syns();
    // Re-solicit entries that are due and drop what waited too long (RFC 4861 s7.3.3).
    std::array<nat::NeighbourKey, 16> solicit_keys;
    std::array<uint64_t, 64> dropped;
    const nat::NeighbourTick t = neighbours_.tick(now_ms_, solicit_keys, dropped);
    for (uint32_t i = 0; i < t.solicits; ++i)
        solicit(solicit_keys[i]);
    for (uint32_t i = 0; i < t.dropped; ++i)
        drop(reinterpret_cast<rte_mbuf*>(static_cast<uintptr_t>(dropped[i])), Verdict::drop_no_neighbour);
    std::array<uint64_t, 64> expired;
    const size_t n = frags_.expire(now_ms_, expired);
    for (size_t i = 0; i < n; ++i)
        drop(reinterpret_cast<rte_mbuf*>(static_cast<uintptr_t>(expired[i])), Verdict::drop_fragment_no_state);
}

void Worker::poll_mesh() noexcept
{
    std::array<NeighbourLearn, 16> news;
    const uint32_t k = mesh_.take_learned(cfg_.worker_id, news.data(), static_cast<uint32_t>(news.size()));
    for (uint32_t i = 0; i < k; ++i)
        learn(news[i].key, news[i].mac, false);
    // Fragments other workers received for datagrams this worker owns: their
    // data starts at L3, so they join the stages as a burst of their own.
    std::array<rte_mbuf*, kBurst> frags;
    const uint32_t n = mesh_.take_fragments(cfg_.worker_id, frags.data(), kBurst);
    std::array<rte_mbuf*, kBurst> v6, v4;
    uint16_t n6 = 0, n4 = 0;
    for (uint32_t i = 0; i < n; ++i) {
        if ((l3_of(frags[i])[0] >> 4) == 6)
            v6[n6++] = frags[i];
        else
            v4[n4++] = frags[i];
    }
    if (n6 != 0)
        stage_6to4(v6.data(), n6);
    if (n4 != 0)
        stage_4to6(v4.data(), n4);
}

void Worker::drop(rte_mbuf* m, Verdict v) noexcept
{
    counters_.count(v);
    rte_pktmbuf_free(m);
}

// The one refusal path: count, answer as the verdict table says (rate-limited),
// free. m's data starts at its IP header and is as received.
void Worker::refuse(rte_mbuf* m, Verdict v, uint32_t param) noexcept
{
    const IcmpReply reply = verdict_reply(v);
    if (reply != IcmpReply::none) [[unlikely]]
        send_icmp_error(m, reply, param);
    drop(m, v);
}

bool Worker::is_pool_address(Ip4 a) const noexcept
{
    uint32_t addr_index = 0;
    return is_pool_address(a, addr_index);
}

bool Worker::is_pool_address(Ip4 a, uint32_t& addr_index) const noexcept
{
    // The allocator's own index: an address a reload adds is ours at once,
    // and an index once given stays that address's (the pool only grows).
    return flows_.ports().find_address(a, addr_index);
}

bool Worker::on_link_4(Ip4 a) const noexcept
{
    const uint32_t mask = cfg_.outside_prefix_len == 0 ? 0 : ~uint32_t{0} << (32 - cfg_.outside_prefix_len);
    return !cfg_.has_gateway4 || ((a ^ cfg_.outside_ip4) & mask) == 0;
}

bool Worker::on_link_6(const In6& a) const noexcept
{
    return !cfg_.has_gateway6 || xlate::is_link_local6(a.data()) ||
           xlate::in_prefix(cfg_.inside_ip6, cfg_.inside_prefix_len, a);
}

// Classify (xlate::classify_frame), answer what is for the box, and hand the
// rest to the stages in runs of one family, in arrival order.
void Worker::process_burst(rte_mbuf** pkts, uint16_t n, Side side) noexcept
{
    // Not value-initialised: only the first nrun are read.
    std::array<rte_mbuf*, kBurst> run;
    std::array<uint32_t, kBurst> run_pool_index;   // 4to6 runs: the classifier's pool index
    uint16_t nrun = 0;
    bool run_is_6 = true;
    const auto flush_run = [&]() noexcept {
        if (nrun == 0)
            return;
        if (run_is_6)
            stage_6to4(run.data(), nrun);
        else
            stage_4to6(run.data(), nrun, run_pool_index.data());
        nrun = 0;
    };
    DirectionCounters& rx = side == Side::inside ? counters_.rx_inside : counters_.rx_outside;
    rx.packets.add(n);

    const xlate::FrameRules& rules = frame_rules_[static_cast<size_t>(side)];

    for (uint16_t i = 0; i < n; ++i) {
        if (i + kPrefetchAhead < n)
            rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetchAhead], void*));
        rte_mbuf* m = pkts[i];
        rx.bytes.add(rte_pktmbuf_pkt_len(m));
        const xlate::FrameClass c = xlate::classify_frame(l3_of(m), rte_pktmbuf_data_len(m), m->nb_segs != 1, rules);
        if (c.kind == xlate::FrameKind::drop) [[unlikely]] {
            drop(m, c.why);
            continue;
        }
        // From here on frames are untagged, as the kernel interfaces are; the
        // strip cannot fail on a frame classify found tagged.
        if (c.strip_vlan)
            rte_vlan_strip(m);
        if (c.kind == xlate::FrameKind::arp) {
            flush_run();
            handle_arp(m, side);
            continue;
        }
        // Only moved past: handle_local_6 still reads the Ethernet source, punt prepends it back.
        rte_pktmbuf_adj(m, static_cast<uint16_t>(c.l3_offset - (c.strip_vlan ? xlate::kVlanTagLen : 0)));
        switch (c.kind) {
        case xlate::FrameKind::local6:
            flush_run();
            handle_local_6(m);
            break;
        case xlate::FrameKind::local4:
            flush_run();
            handle_local_4(m);
            break;
        case xlate::FrameKind::translate6:
        case xlate::FrameKind::translate4: {
            const bool is_6 = c.kind == xlate::FrameKind::translate6;
            if (is_6 != run_is_6)
                flush_run();
            run_is_6 = is_6;
            run_pool_index[nrun] = c.pool_index;
            run[nrun++] = m;
            break;
        }
        case xlate::FrameKind::drop:
        case xlate::FrameKind::arp:
            break;
        }
    }
    flush_run();
}

// ---- sessions -----------------------------------------------------------------

// Inline in both stages: GCC kept it a call, whose register saves and
// moves cost every established packet ~10 instructions (callgrind).
[[gnu::always_inline]] inline bool Worker::touch_session(Session& s, uint8_t proto, nat::Direction dir, uint8_t tcp_flags) noexcept
{
    const uint32_t old = s.seen.load(std::memory_order_relaxed);
    uint32_t kind = Session::kind_of(old);
    bool refresh = true;
    if (proto == kProtoTcp) {
        // RFC 6146 s3.5.2.2: some transitions leave the lifetime as it was (an
        // incoming SYN waits its 6 s, a FIN does not extend an established session).
        const nat::TcpStep step = nat::tcp_step(Session::tcp_state_of(kind), dir, tcp_flags);
        kind = static_cast<uint32_t>(step.state);
        refresh = step.refresh;
    }
    const uint32_t next = refresh ? Session::pack_seen(now_s_, kind) : (old & ~0xFu) | kind;
    // Store only on change: a busy flow must not bounce its line between workers.
    if (next == old)
        return false;
    s.seen.store(next, std::memory_order_relaxed);
    return refresh && ((next ^ old) & ~0xFu) != 0;
}

int32_t Worker::look_again(const nat::FlowKey6& key, uint64_t creates_before) const noexcept
{
    // Only when this burst opened sessions since its bulk lookup: on the
    // established path this costs one compare.
    if (creates_ == creates_before) [[likely]]
        return -1;
    return flows_.lookup(key);
}

// A miss: open the session (and its mapping if new), or refuse m with the reason.
int32_t Worker::open_session(rte_mbuf* m, const nat::FlowKey6& key) noexcept
{
    Verdict why = Verdict::forward;
    bool is_new = false;
    const int32_t p = flows_.create(key, cfg_.worker_id, now_s_, why, &is_new);
    if (p < 0) [[unlikely]] {
        const bool by_subscriber_limit = why == Verdict::drop_subscriber_sessions ||
                                         why == Verdict::drop_subscriber_ports || why == Verdict::drop_subscriber_rate;
        if (by_subscriber_limit && !cfg_.subscriber_limit_icmp)
            drop(m, why);
        else
            refuse(m, why);
        return -1;
    }
    if (is_new) {
        ++creates_;
        counters_.flows_created.add();
    }
    return p;
}

bool Worker::finish_6to4(rte_mbuf* m, const xlate::Parsed6& p, const xlate::Rewrite4& outer,
                         const xlate::Rewrite4& inner, bool prechecked) noexcept
{
    xlate::PacketView pv;
    set_view(m, pv);
    const Verdict v = prechecked ? xlate::translate_prechecked_6to4(pv, p, outer, inner, cfg_.xlate, ip4_id_)
                                 : xlate::translate_6to4(pv, p, outer, inner, cfg_.xlate, ip4_id_);
    ++ip4_id_;
    if (v != Verdict::forward) [[unlikely]] {
        refuse(m, v, v == Verdict::drop_packet_too_big ? xlate::refused_mtu_6to4(cfg_.xlate) : 0);
        return false;
    }
    commit_view(m, pv);
    mark(m, TxMark::translated_6to4);
    return true;
}

bool Worker::finish_4to6(rte_mbuf* m, const xlate::Parsed4& p, const xlate::Rewrite6& outer,
                         const xlate::Rewrite6& inner, bool prechecked) noexcept
{
    xlate::PacketView pv;
    set_view(m, pv);
    const Verdict v = prechecked ? xlate::translate_prechecked_4to6(pv, p, outer, inner, cfg_.xlate)
                                 : xlate::translate_4to6(pv, p, outer, inner, cfg_.xlate);
    if (v != Verdict::forward) [[unlikely]] {
        refuse(m, v, v == Verdict::drop_packet_too_big ? xlate::refused_mtu_4to6(cfg_.xlate) : 0);
        return false;
    }
    commit_view(m, pv);
    mark(m, TxMark::translated_4to6);
    return true;
}

// ---- fragments ------------------------------------------------------------------

// With several workers every fragment of a datagram goes to one owner, which
// holds the datagram's state. True: m went to another worker (or was dropped).
bool Worker::hand_over_fragment(rte_mbuf* m, const nat::FragKey& fkey) noexcept
{
    if (cfg_.workers == 1)
        return false;
    const uint32_t owner = mesh_.fragment_owner(fkey);
    if (owner == cfg_.worker_id)
        return false;
    if (!mesh_.hand_fragment(owner, m)) [[unlikely]]
        drop(m, Verdict::drop_fragment_cache_full);
    return true;
}

// A non-first fragment carries no ports: it follows the session its first
// fragment found (RFC 6146 s3.4, the fragment cache).
void Worker::forward_fragment_6to4(rte_mbuf* m, int32_t pos) noexcept
{
    xlate::Parsed6 p;
    const Verdict v = xlate::parse_6(l3_of(m), rte_pktmbuf_data_len(m), p);
    nat::FlowKey6 key;
    if (v != Verdict::forward || !flows_.key_at(pos, key)) {
        refuse(m, v != Verdict::forward ? v : Verdict::drop_fragment_no_state);
        return;
    }
    const Session& s = flows_.session(pos);
    const xlate::Rewrite4 outer{flows_.pub4(s), key.dst4, s.pub_port(), key.dport};
    if (!finish_6to4(m, p, outer, outer, false))   // a later fragment: not prechecked
        return;
    if (xlate::needs_fragmentation_4(rte_pktmbuf_data_len(m), cfg_.xlate))
        send_fragments_4(m, key.dst4);
    else
        send_4(m, key.dst4);
}

void Worker::forward_fragment_4to6(rte_mbuf* m, int32_t pos) noexcept
{
    xlate::Parsed4 p;
    const Verdict v = xlate::parse_4(l3_of(m), rte_pktmbuf_data_len(m), p);
    nat::FlowKey6 key;
    if (v != Verdict::forward || !flows_.key_at(pos, key)) {
        refuse(m, v != Verdict::forward ? v : Verdict::drop_fragment_no_state);
        return;
    }
    const xlate::Rewrite6 outer{xlate::embed_ip4(cfg_.prefix, p.tuple.src), key.src, key.dport, key.sport};
    if (!finish_4to6(m, p, outer, outer, false))   // a later fragment: not prechecked
        return;
    if (xlate::needs_fragmentation_6(p, rte_pktmbuf_data_len(m), cfg_.xlate))
        send_fragments_6(m, key.src, p.frag.id);
    else
        send_6(m, key.src);
}

bool Worker::record_first_fragment(rte_mbuf* m, const nat::FragKey& fkey, nat::FragRange range, int32_t pos,
                                   std::span<uint64_t> released, uint32_t& n_released) noexcept
{
    const nat::FragFirst f = frags_.first_fragment(fkey, static_cast<uint64_t>(pos), now_ms_, released, range);
    drop_evicted_fragments();
    n_released = f.released;
    if (!f.overlap) [[likely]]
        return true;
    // RFC 5722: the datagram overlaps itself; none of it is translated.
    for (uint32_t i = 0; i < f.released; ++i)
        drop(reinterpret_cast<rte_mbuf*>(static_cast<uintptr_t>(released[i])), Verdict::drop_fragment_overlap);
    n_released = 0;
    drop(m, Verdict::drop_fragment_overlap);
    return false;
}

void Worker::forward_released(std::span<const uint64_t> released, int32_t pos, bool to_4) noexcept
{
    for (uint64_t h : released) {
        auto* held = reinterpret_cast<rte_mbuf*>(static_cast<uintptr_t>(h));
        if (to_4)
            forward_fragment_6to4(held, pos);
        else
            forward_fragment_4to6(held, pos);
    }
}

void Worker::later_fragment(rte_mbuf* m, const nat::FragKey& fkey, nat::FragRange range, bool to_4) noexcept
{
    std::array<uint64_t, 64> discard;
    const nat::FragLater r = frags_.later_fragment(fkey, reinterpret_cast<uintptr_t>(m), now_ms_, range, discard);
    drop_evicted_fragments();
    switch (r.action) {
    case nat::FragAction::translate:
        if (to_4)
            forward_fragment_6to4(m, static_cast<int32_t>(r.cookie));
        else
            forward_fragment_4to6(m, static_cast<int32_t>(r.cookie));
        return;
    case nat::FragAction::held:
        counters_.fragments_held.add();
        return;
    case nat::FragAction::drop:
        for (uint32_t i = 0; i < r.discarded; ++i)
            drop(reinterpret_cast<rte_mbuf*>(static_cast<uintptr_t>(discard[i])), r.why);
        refuse(m, r.why);
        return;
    }
}

// ---- 6to4 ---------------------------------------------------------------------

// RFC 6146 s3.4: the incoming tuple, and what the packet alone decides. False:
// m was refused, held, or handed to another worker.
bool Worker::incoming_tuple_6to4(rte_mbuf* m, Item6& it) noexcept
{
    it.m = m;
    const uint8_t* l3 = l3_of(m);
    const Verdict v = xlate::parse_6(l3, rte_pktmbuf_data_len(m), it.p);
    if (v != Verdict::forward) [[unlikely]] {
        refuse(m, v, it.p.problem_off);
        return false;
    }
    // An ICMPv6 error belongs to the session of the packet it quotes, which
    // travelled 4to6: reverse its tuple (RFC 6146 s3.5.3).
    it.is_error = it.p.icmp == xlate::IcmpKind::error;
    const xlate::Tuple6& t = it.is_error ? it.p.inner : it.p.tuple;
    const In6& src6 = it.is_error ? t.dst : t.src;
    const In6& dst6 = it.is_error ? t.src : t.dst;
    // An error from a router speaks for the client its quote was addressed to.
    if (!cfg_.clients.empty() && !is_client(src6)) [[unlikely]] {
        refuse(m, Verdict::drop_not_client);
        return false;
    }
    Ip4 dst4 = 0;
    if (!xlate::extract_ip4(cfg_.prefix, dst6, dst4)) {
        refuse(m, Verdict::drop_not_in_prefix);
        return false;
    }
    if (wkp_ && !cfg_.allow_non_global && !xlate::is_global_ip4(dst4)) {
        refuse(m, Verdict::drop_non_global_dst);   // RFC 6052 s3.1
        return false;
    }
    if (it.p.frag.is_fragment) [[unlikely]] {
        const nat::FragKey fkey = nat::make_frag_key6(it.p.tuple.src, it.p.tuple.dst, it.p.frag.id, it.p.tuple.proto);
        if (hand_over_fragment(m, fkey))
            return false;
        if (it.p.frag.offset_bytes != 0) {
            later_fragment(m, fkey, range_6(it.p, l3), true);
            return false;
        }
    }
    // Decided before any state: a packet that will be refused takes no session.
    if (const Verdict pre = xlate::precheck_6to4(l3, it.p, cfg_.xlate); pre != Verdict::forward) [[unlikely]] {
        refuse(m, pre, pre == Verdict::drop_packet_too_big ? xlate::refused_mtu_6to4(cfg_.xlate) : 0);
        return false;
    }
    const uint16_t sport = it.is_error ? t.dport : t.sport;
    const uint16_t dport = it.is_error ? t.sport : t.dport;
    nat::store_flow_key6(it.key, src6, dst4, sport, dport, t.proto);
    return true;
}

// RFC 6146 s3.6: source becomes the mapping's public address and port, the
// destination the IPv4 address the prefix embeds; an error's quoted packet the reverse.
xlate::Rewrite4 Worker::outgoing_tuple_6to4(const Item6& it, const Session& s, xlate::Rewrite4& inner) const noexcept
{
    const Ip4 pub4 = flows_.pub4(s);
    inner = xlate::Rewrite4{it.key.dst4, pub4, it.key.dport, s.pub_port()};
    return xlate::Rewrite4{pub4, it.key.dst4, s.pub_port(), it.key.dport};
}

void Worker::stage_6to4(rte_mbuf** pkts, uint16_t n) noexcept
{
    Item6* items = items6_.get();
    // Not value-initialised (a memset and a rep stos a burst): only the first
    // k entries are ever read, each written first.
    std::array<const nat::FlowKey6*, kBurst> keys;
    std::array<int32_t, kBurst> pos;
    uint16_t k = 0;
    for (uint16_t i = 0; i < n; ++i) {
        if (incoming_tuple_6to4(pkts[i], items[k])) {
            keys[k] = &items[k].key;
            ++k;
        }
    }
    if (k == 0)
        return;

    const uint64_t creates_before = creates_;
    flows_.lookup_bulk(keys.data(), k, pos.data());
    flows_.prefetch_mappings(keys.data(), pos.data(), k);

    // Not value-initialised: only the first nh are read.
    std::array<rte_mbuf*, kBurst> hairpin;
    std::array<uint32_t, kBurst> hairpin_pool_index;
    uint16_t nh = 0;
    for (uint16_t i = 0; i < k; ++i) {
        Item6& it = items[i];
        rte_mbuf* m = it.m;
        int32_t p = pos[i] >= 0 ? pos[i] : look_again(it.key, creates_before);
        // Built only where used: most packets need no permission.
        const auto pkey = [&it] { return make_permission_key(it.key.src, it.key.sport, it.key.dst4, it.key.proto); };
        if (p < 0) {
            if (it.is_error) {
                refuse(m, Verdict::drop_no_mapping);
                continue;
            }
            p = open_session(m, it.key);
            if (p < 0) [[unlikely]]
                continue;
            if (cfg_.permissions != nullptr)
                cfg_.permissions->grant(pkey(), now_s_);
        }
        Session& s = flows_.session(p);
        // Address-dependent filtering: the remote address may answer from any
        // port while this host keeps sending to it (refreshed once a second).
        if (!it.is_error && touch_session(s, it.key.proto, nat::Direction::from_6, it.p.tcp_flags) &&
            cfg_.permissions != nullptr)
            cfg_.permissions->grant(pkey(), now_s_);
        if (it.key.proto == kProtoTcp && (it.p.tcp_flags & nat::kTcpSyn) != 0 && mesh_.held_syns().any()) [[unlikely]]
            mesh_.held_syns().supersede(pkey());
        xlate::Rewrite4 inner;
        const xlate::Rewrite4 outer = outgoing_tuple_6to4(it, s, inner);
        std::array<uint64_t, 64> released;
        uint32_t n_released = 0;
        if (it.p.frag.is_fragment) [[unlikely]] {
            const nat::FragKey fkey =
                nat::make_frag_key6(it.p.tuple.src, it.p.tuple.dst, it.p.frag.id, it.p.tuple.proto);
            if (!record_first_fragment(m, fkey, range_6(it.p, l3_of(m)), p, released, n_released))
                continue;
        }
        if (finish_6to4(m, it.p, outer, inner, true)) {   // incoming_tuple_6to4 prechecked it
            if (cfg_.hairpinning && is_pool_address(it.key.dst4, hairpin_pool_index[nh]))
                hairpin[nh++] = m;   // RFC 6146 s3.8: back in as if it came from outside
            else if (xlate::needs_fragmentation_4(rte_pktmbuf_data_len(m), cfg_.xlate)) [[unlikely]]
                send_fragments_4(m, it.key.dst4);
            else
                send_4(m, it.key.dst4);
        }
        if (n_released != 0) [[unlikely]]
            forward_released({released.data(), n_released}, p, true);
    }
    if (nh != 0)
        stage_4to6(hairpin.data(), nh, hairpin_pool_index.data());
}

// ---- 4to6 ---------------------------------------------------------------------

bool Worker::incoming_tuple_4to6(rte_mbuf* m, Item4& it, const uint32_t* dst_pool_index) noexcept
{
    it.m = m;
    const uint8_t* l3 = l3_of(m);
    const Verdict v = xlate::parse_4(l3, rte_pktmbuf_data_len(m), it.p);
    if (v != Verdict::forward) [[unlikely]] {
        refuse(m, v, it.p.problem_off);
        return false;
    }
    if (wkp_ && !cfg_.allow_non_global && !xlate::is_global_ip4(it.p.tuple.src)) {
        refuse(m, Verdict::drop_non_global_src);   // RFC 6052 s3.1: cannot be represented
        return false;
    }
    if (it.p.frag.is_fragment) [[unlikely]] {
        const nat::FragKey fkey = nat::make_frag_key4(it.p.tuple.src, it.p.tuple.dst,
                                                      static_cast<uint16_t>(it.p.frag.id), it.p.tuple.proto);
        if (hand_over_fragment(m, fkey))
            return false;
        if (it.p.frag.offset_bytes != 0) {
            later_fragment(m, fkey, range_4(it.p, l3), false);
            return false;
        }
    }
    if (const Verdict pre = xlate::precheck_4to6(l3, it.p, cfg_.xlate); pre != Verdict::forward) [[unlikely]] {
        refuse(m, pre, pre == Verdict::drop_packet_too_big ? xlate::refused_mtu_4to6(cfg_.xlate) : 0);
        return false;
    }
    // An ICMPv4 error quotes a packet that travelled 6to4: its source is our
    // public transport address (RFC 6146 s3.5.3).
    it.is_error = it.p.icmp == xlate::IcmpKind::error;
    if (it.is_error) [[unlikely]] {
        const xlate::Tuple4& t = it.p.inner;
        it.pub = flows_.resolve_public(proto6_of(t.proto), t.src, t.sport);
    } else if (dst_pool_index != nullptr) [[likely]] {
        it.pub = flows_.resolve_public_at(proto6_of(it.p.tuple.proto), *dst_pool_index, it.p.tuple.dport);
    } else {
        it.pub = flows_.resolve_public(proto6_of(it.p.tuple.proto), it.p.tuple.dst, it.p.tuple.dport);
    }
    return true;
}

// RFC 6146 s3.5.1/s3.5.2: with endpoint-independent filtering any remote may
// open a session to an existing mapping; with address-dependent filtering only
// one the host has sent to. False: m was refused or held.
bool Worker::filter_4to6(rte_mbuf* m, const Item4& it, const PermissionKey& pkey) noexcept
{
    if (cfg_.permissions == nullptr ||
        cfg_.permissions->allowed(pkey, now_s_,
                                  nat::expiry_s(it.key.proto, nat::TcpState::established, cfg_.timeouts)))
        return true;
    // s3.5.2.2: an unsolicited SYN waits TCP_INCOMING_SYN for the host's own.
    if (it.key.proto == kProtoTcp && (it.p.tcp_flags & (nat::kTcpSyn | nat::kTcpAck)) == nat::kTcpSyn &&
        mesh_.held_syns().hold(cfg_.worker_id, pkey, m, now_ms_ + uint64_t{cfg_.timeouts.tcp_incoming_syn_s} * 1000))
        return false;
    refuse(m, Verdict::drop_filtered);   // ICMP 3/13, RFC 1812 s5.2.7.1
    return false;
}

xlate::Rewrite6 Worker::outgoing_tuple_4to6(const Item4& it, xlate::Rewrite6& inner) const noexcept
{
    const In6 remote6 = xlate::embed_ip4(cfg_.prefix, it.key.dst4);
    inner = xlate::Rewrite6{it.key.src, remote6, it.key.sport, it.key.dport};
    // The outer source is the remote itself unless this is an ICMP error from a router.
    return xlate::Rewrite6{it.is_error ? xlate::embed_ip4(cfg_.prefix, it.p.tuple.src) : remote6, it.key.src,
                           it.p.tuple.sport, it.key.sport};
}

void Worker::stage_4to6(rte_mbuf** pkts, uint16_t n, const uint32_t* pool_index) noexcept
{
    Item4* items = items4_.get();
    // Not value-initialised (a memset and a rep stos a burst): only the first
    // k entries are ever read, each written first.
    std::array<const nat::FlowKey6*, kBurst> keys;
    std::array<int32_t, kBurst> pos;
    uint16_t parsed = 0;

    // Passes over the burst so its cache misses overlap: the direct-map slot
    // of each public port, then the mapping it names (and the mapping's last
    // session), then the session: the hinted one, else a bulk hash lookup.
    for (uint16_t i = 0; i < n; ++i)
        if (incoming_tuple_4to6(pkts[i], items[parsed], pool_index != nullptr ? &pool_index[i] : nullptr))
            ++parsed;
    for (uint16_t i = 0; i < parsed; ++i)
        flows_.name_mapping(items[i].pub);

    uint16_t k = 0;
    for (uint16_t i = 0; i < parsed; ++i) {
        Item4& it = items[i];
        rte_mbuf* m = it.m;
        const xlate::Tuple4& t = it.is_error ? it.p.inner : it.p.tuple;
        In6 addr6;
        uint16_t port6 = 0;
        if (!flows_.find_mapping(it.pub, addr6, port6)) {
            // The box's own address in the pool: its kernel keeps some ports,
            // and its pings' replies and the errors about its packets are its.
            if (it.p.tuple.dst == cfg_.outside_ip4 && has_kernel(true) &&
                ((cfg_.kernel_ports != nullptr &&
                  cfg_.kernel_ports->has(t.proto, it.is_error ? t.sport : t.dport)) ||
                 (!it.is_error && it.p.icmp == xlate::IcmpKind::query && it.p.icmp_type != kIcmp4EchoRequest) ||
                 (it.is_error && t.proto == kProtoIcmp4))) {
                punt(m, true);
                continue;
            }
            if (!it.is_error && it.p.icmp == xlate::IcmpKind::query && it.p.icmp_type == kIcmp4EchoRequest &&
                it.p.tuple.dst == cfg_.outside_ip4) {
                handle_local_4(m);   // a ping to the box's own (pool) address
                continue;
            }
            // UDP to a public port nobody holds: answered as a host with no listener would.
            refuse(m, !it.is_error && t.proto == kProtoUdp ? Verdict::drop_udp_no_mapping : Verdict::drop_no_mapping);
            continue;
        }
        const uint8_t proto6 = proto6_of(t.proto);
        const Ip4 remote4 = it.is_error ? t.dst : t.src;
        const uint16_t remote_port = it.is_error ? t.dport : t.sport;
        // ICMP queries key on the identifier in both port fields.
        const uint16_t key_dport = proto6 == kProtoIcmp6 ? port6 : remote_port;
        if (k != i)
            items[k] = it;   // keep the survivors contiguous for the bulk lookup
        nat::store_flow_key6(items[k].key, addr6, remote4, port6, key_dport, proto6);
        ++k;
    }
    if (k == 0)
        return;

    const uint64_t creates_before = creates_;
    // The hinted session where it is this packet's, else one bulk lookup of
    // the misses' keys.
    std::array<uint16_t, kBurst> miss_at;
    uint16_t misses = 0;
    for (uint16_t i = 0; i < k; ++i) {
        pos[i] = flows_.hinted_session(items[i].pub, items[i].key);
        if (pos[i] < 0) {
            keys[misses] = &items[i].key;
            miss_at[misses++] = i;
        }
    }
    if (misses != 0) {
        std::array<int32_t, kBurst> found;
        flows_.lookup_bulk(keys.data(), misses, found.data());
        for (uint16_t j = 0; j < misses; ++j) {
            pos[miss_at[j]] = found[j];
            if (found[j] >= 0)
                flows_.remember_session(items[miss_at[j]].pub, found[j]);
        }
    }

    for (uint16_t i = 0; i < k; ++i) {
        Item4& it = items[i];
        rte_mbuf* m = it.m;
        int32_t p = pos[i] >= 0 ? pos[i] : look_again(it.key, creates_before);
        if (p < 0) {
            if (it.is_error) {
                refuse(m, Verdict::drop_no_mapping);
                continue;
            }
            const PermissionKey pkey = make_permission_key(it.key.src, it.key.sport, it.key.dst4, it.key.proto);
            if (!filter_4to6(m, it, pkey))
                continue;
            p = open_session(m, it.key);
            if (p < 0) [[unlikely]]
                continue;
        }
        Session& s = flows_.session(p);
        if (!it.is_error)
            touch_session(s, it.key.proto, nat::Direction::from_4, it.p.tcp_flags);
        xlate::Rewrite6 inner;
        const xlate::Rewrite6 outer = outgoing_tuple_4to6(it, inner);
        std::array<uint64_t, 64> released;
        uint32_t n_released = 0;
        if (it.p.frag.is_fragment) [[unlikely]] {
            const nat::FragKey fkey = nat::make_frag_key4(it.p.tuple.src, it.p.tuple.dst,
                                                          static_cast<uint16_t>(it.p.frag.id), it.p.tuple.proto);
            if (!record_first_fragment(m, fkey, range_4(it.p, l3_of(m)), p, released, n_released))
                continue;
        }
        if (finish_4to6(m, it.p, outer, inner, true)) {   // incoming_tuple_4to6 prechecked it
            if (xlate::needs_fragmentation_6(it.p, rte_pktmbuf_data_len(m), cfg_.xlate)) [[unlikely]]
                send_fragments_6(m, it.key.src, it.p.frag.id);
            else
                send_6(m, it.key.src);
        }
        if (n_released != 0) [[unlikely]]
            forward_released({released.data(), n_released}, p, false);
    }
}

// ---- output: Ethernet from the neighbour cache -------------------------------

void Worker::send_4(rte_mbuf* m, Ip4 dst) noexcept
{
    send_via(m, nat::neighbour_key4(on_link_4(dst) ? dst : cfg_.gateway4), true);
}

void Worker::send_6(rte_mbuf* m, const In6& dst) noexcept
{
    send_via(m, nat::neighbour_key6(on_link_6(dst) ? dst : cfg_.gateway6), false);
}

// IPv4 leaves on the outside, IPv6 on the inside; the next hop's family (ip4) says which.
void Worker::send_via(rte_mbuf* m, const nat::NeighbourKey& next_hop, bool ip4) noexcept
{
    auto* eth = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, kEtherHeaderLen));
    if (eth == nullptr) [[unlikely]] {
        drop(m, Verdict::drop_no_headroom);
        return;
    }
    // Most traffic goes to one next hop (the gateway): remember its answer for a
    // moment instead of hashing the neighbour table for every packet.
    NextHopCache& cached = next_hop_cache_[ip4 ? 1 : 0];
    if (now_ms_ < cached.valid_until_ms && cached.key.ip == next_hop.ip) [[likely]] {
        transmit(m, eth, cached.mac, ip4);
        return;
    }
    nat::MacAddr mac;
    switch (neighbours_.resolve(next_hop, reinterpret_cast<uintptr_t>(m), now_ms_, mac)) {
    case nat::Resolution::send_solicit:
        solicit(next_hop);   // stale: confirm it while it is in use (RFC 4861 s7.3.3)
        transmit(m, eth, mac, ip4);
        return;
    case nat::Resolution::send:
        cached = NextHopCache{next_hop, mac, now_ms_ + kNextHopCacheMs};
        transmit(m, eth, mac, ip4);
        return;
    case nat::Resolution::held_solicit:
        solicit(next_hop);
        [[fallthrough]];
    case nat::Resolution::held:
        counters_.neighbour_held.add();
        return;
    case nat::Resolution::drop:
        break;
    }
    drop(m, Verdict::drop_no_neighbour);
}

// Held packets already carry room for their Ethernet header; fill it and send.
void Worker::release_held(std::span<const uint64_t> handles, const nat::MacAddr& mac, bool ip6) noexcept
{
    for (uint64_t h : handles) {
        auto* m = reinterpret_cast<rte_mbuf*>(static_cast<uintptr_t>(h));
        transmit(m, l3_of(m), mac, !ip6);
    }
}

// Fill in the Ethernet header (room already prepended at eth) and queue m on
// the side its family leaves by.
void Worker::transmit(rte_mbuf* m, uint8_t* eth, const nat::MacAddr& mac, bool ip4) noexcept
{
    xlate::write_ether(eth, mac, mac_of(ip4 ? cfg_.outside_mac : cfg_.inside_mac),
                       ip4 ? kEtherTypeIp4 : kEtherTypeIp6);
    tx_for(ip4 ? Side::outside : Side::inside).push(m);
}

void Worker::send_fragments_6(rte_mbuf* m, const In6& dst, uint32_t ip4_id) noexcept
{
    const uint8_t* ip6 = l3_of(m);
    const uint32_t len = rte_pktmbuf_data_len(m);
    const uint32_t mtu = cfg_.xlate.lowest_ipv6_mtu;
    const uint32_t count = xlate::fragment_count_6(ip6, len, mtu);
    if (count == 0) [[unlikely]] {
        drop(m, Verdict::drop_malformed);
        return;
    }
    // RFC 7915 s4.1: the 16-bit IPv4 identification becomes the low bits of the
    // 32-bit IPv6 one, so fragments of one datagram keep one identity.
    const uint32_t id = ip4_id & 0xFFFF;
    for (uint32_t i = 0; i < count; ++i) {
        rte_mbuf* f = rte_pktmbuf_alloc(cfg_.pool_for_generated);
        if (f == nullptr) [[unlikely]] {
            counters_.count(Verdict::drop_no_mbuf);
            continue;
        }
        auto* out = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(f, static_cast<uint16_t>(mtu)));
        const uint32_t n = out ? xlate::write_fragment_6(out, mtu, ip6, len, mtu, i, id) : 0;
        if (n == 0) [[unlikely]] {
            drop(f, Verdict::drop_malformed);
            continue;
        }
        rte_pktmbuf_trim(f, static_cast<uint16_t>(mtu - n));
        // The translated packet counts once, with its first fragment.
        mark(f, i == 0 ? TxMark::translated_4to6 : TxMark::originated);
        send_6(f, dst);
    }
    rte_pktmbuf_free(m);
}

// RFC 7915 s5.1: an IPv6 packet of at most 1280 bytes leaves with DF clear; an
// IPv4 link below 1260 bytes gets it in IPv4 fragments (RFC 791).
void Worker::send_fragments_4(rte_mbuf* m, Ip4 dst) noexcept
{
    const uint8_t* ip4 = l3_of(m);
    const uint32_t len = rte_pktmbuf_data_len(m);
    const uint32_t mtu = cfg_.xlate.mtu4;
    const uint32_t count = xlate::fragment_count_4(ip4, len, mtu);
    if (count == 0) [[unlikely]] {
        drop(m, Verdict::drop_malformed);
        return;
    }
    for (uint32_t i = 0; i < count; ++i) {
        rte_mbuf* f = rte_pktmbuf_alloc(cfg_.pool_for_generated);
        if (f == nullptr) [[unlikely]] {
            counters_.count(Verdict::drop_no_mbuf);
            continue;
        }
        auto* out = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(f, static_cast<uint16_t>(mtu)));
        const uint32_t n = out ? xlate::write_fragment_4(out, mtu, ip4, len, mtu, i) : 0;
        if (n == 0) [[unlikely]] {
            drop(f, Verdict::drop_malformed);
            continue;
        }
        rte_pktmbuf_trim(f, static_cast<uint16_t>(mtu - n));
        mark(f, i == 0 ? TxMark::translated_6to4 : TxMark::originated);
        send_4(f, dst);
    }
    rte_pktmbuf_free(m);
}

// ---- packets the box originates ---------------------------------------------

// An error about `orig` (data at its IP header), from the box's own address on
// that side, back to the sender; rate-limited (RFC 4443 s2.4(f), RFC 1812
// s4.3.2.8), Packet Too Big from a budget of its own.
void Worker::send_icmp_error(const rte_mbuf* orig, IcmpReply reply, uint32_t param) noexcept
{
    const auto* o = rte_pktmbuf_mtod(orig, const uint8_t*);
    const uint32_t len = rte_pktmbuf_data_len(orig);
    if (len == 0)
        return;
    const bool ip6 = (o[0] >> 4) == 6;
    const IcmpTypeCode tc = icmp_for(reply, ip6);
    if (!tc.send)
        return;
    nat::TokenBucket& bucket = reply == IcmpReply::packet_too_big ? ptb_bucket_ : icmp_bucket_;
    // The sender of the refused packet gets the error: its source address.
    if (!subscriber_may_get_error(o + (ip6 ? 8 : 12), ip6) || !bucket.take(now_ms_)) {
        counters_.icmp_errors_rate_limited.add();
        return;
    }
    rte_mbuf* r = rte_pktmbuf_alloc(cfg_.pool_for_generated);
    if (r == nullptr) {
        counters_.count(Verdict::drop_no_mbuf);
        return;
    }
    // RFC 4443 s2.4(c) / RFC 1812 s4.3.2.3: an error fits the minimum MTU.
    const uint16_t cap = static_cast<uint16_t>(ip6 ? kIp6MinMtu : kIp4MinErrorLen);
    auto* out = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(r, cap));
    uint32_t n = 0;
    if (out != nullptr)
        n = ip6 ? xlate::build_icmp6_error(out, cap, o, len, cfg_.inside_ip6, tc.type, tc.code, param)
                : xlate::build_icmp4_error(out, cap, o, len, cfg_.outside_ip4, tc.type, tc.code, param);
    if (n == 0) {
        rte_pktmbuf_free(r);
        return;
    }
    rte_pktmbuf_trim(r, static_cast<uint16_t>(cap - n));
    mark(r, TxMark::originated);
    counters_.icmp_errors_sent.add();
    if (ip6)
        send_6(r, load_in6(out + 24));
    else
        send_4(r, load_be32(out + 16));
}

bool Worker::subscriber_may_get_error(const uint8_t* dst, bool ip6) noexcept
{
    In6 masked{};
    if (ip6)
        masked = xlate::mask_prefix(load_in6(dst), cfg_.subscriber_prefix_len);
    else
        std::memcpy(masked.data(), dst, 4);
    const uint64_t key = nat::hash_bytes(masked.data(), masked.size(), ip6 ? 6 : 4) | 1;   // never 0: slots start empty
    SubscriberErrors& s = errors_by_subscriber_[key % kSubscriberErrorSlots];
    if (s.key != key || s.second != now_s_)
        s = SubscriberErrors{key, now_s_, 0};
    if (s.sent >= cfg_.icmp_errors_per_subscriber_per_s)
        return false;
    ++s.sent;
    return true;
}

bool Worker::is_client(const In6& src) const noexcept
{
    for (const xlate::Prefix6& p : cfg_.clients)
        if (xlate::in_prefix(p, src))
            return true;
    return false;
}

void Worker::drop_evicted_fragments() noexcept
{
    std::array<uint64_t, 64> evicted;
    size_t n;
    while ((n = frags_.take_evicted(evicted)) != 0)
        for (size_t i = 0; i < n; ++i)
            drop(reinterpret_cast<rte_mbuf*>(static_cast<uintptr_t>(evicted[i])), Verdict::drop_fragment_cache_full);
}

void Worker::solicit(const nat::NeighbourKey& target) noexcept
{
    rte_mbuf* r = rte_pktmbuf_alloc(cfg_.pool_for_generated);
    if (r == nullptr) [[unlikely]] {
        counters_.neighbour_solicits_no_mbuf.add();
        return;
    }
    const bool ip4 = target.is_ip4();
    const uint16_t len = static_cast<uint16_t>(ip4 ? xlate::kArpFrameLen : xlate::kNsFrameLen);
    auto* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(r, len));
    if (p == nullptr) [[unlikely]] {
        rte_pktmbuf_free(r);
        counters_.neighbour_solicits_no_mbuf.add();
        return;
    }
    if (ip4)
        xlate::build_arp_request(p, mac_of(cfg_.outside_mac), cfg_.outside_ip4, target.ip4());
    else
        xlate::build_neighbour_solicit(p, mac_of(cfg_.inside_mac), cfg_.inside_ip6, target.ip);
    mark(r, TxMark::originated);
    counters_.neighbour_solicits_sent.add();
    tx_for(ip4 ? Side::outside : Side::inside).push(r);
}

// No IPv6 SYN came in time: ICMP Port Unreachable with the stored SYN; or the
// host's own SYN made it moot (RFC 6146 s3.5.2.2).
void Worker::expire_incoming_syns() noexcept
{
    mesh_.held_syns().sweep(cfg_.worker_id, now_ms_, [this](rte_mbuf* m, HeldSyns::Due due) noexcept {
        refuse(m, due == HeldSyns::Due::expired ? Verdict::drop_incoming_syn_timeout
                                                : Verdict::drop_incoming_syn_superseded);
    });
}

// ---- packets for the box itself ----------------------------------------------

void Worker::learn(const nat::NeighbourKey& key, const nat::MacAddr& mac, bool tell_others) noexcept
{
    const nat::Learned l = neighbours_.learn(key, mac, now_ms_);
    const bool ip6 = !key.is_ip4();
    next_hop_cache_[ip6 ? 0 : 1].valid_until_ms = 0;   // a neighbour may have moved: ask again
    release_held({l.handles.data(), l.count}, l.mac, ip6);
    if (tell_others && cfg_.workers > 1)
        mesh_.learned(cfg_.worker_id, NeighbourLearn{key, mac});
}

void Worker::handle_arp(rte_mbuf* m, Side side) noexcept
{
    uint8_t* frame = l3_of(m);
    xlate::ArpMessage a;
    if (!xlate::parse_arp(frame, rte_pktmbuf_data_len(m), a)) {
        drop(m, Verdict::drop_malformed);
        return;
    }
    // RFC 826 "merge": learn the sender when it asks us or answers.
    const bool for_us = a.target == cfg_.outside_ip4 || is_pool_address(a.target);
    if (a.sender != 0 && (for_us || a.op == 2))
        learn(nat::neighbour_key4(a.sender), a.sender_mac, true);
    if (a.op == 2 && has_kernel(true)) {
        punt(m, true, true);   // the kernel resolves its own neighbours too
        return;
    }
    if (a.op != 1 || !for_us) {
        drop(m, Verdict::consumed);
        return;
    }
    xlate::answer_arp_request(frame, a, mac_of(side == Side::inside ? cfg_.inside_mac : cfg_.outside_mac));
    rte_pktmbuf_trim(m, static_cast<uint16_t>(rte_pktmbuf_data_len(m) - xlate::kArpFrameLen));
    mark(m, TxMark::answered);
    counters_.arp_replies.add();
    tx_for(side).push(m);
}

void Worker::handle_local_6(rte_mbuf* m) noexcept
{
    uint8_t* ip6 = l3_of(m);
    const uint32_t len = rte_pktmbuf_data_len(m);
    xlate::NdMessage nd;
    if (xlate::parse_nd(ip6, len, nd)) {
        const In6 src = load_in6(ip6 + 8);
        if (nd.type == xlate::kIcmp6Na) {
            if (nd.has_link_addr)
                learn(nat::neighbour_key6(nd.target), nd.link_addr, true);
            if (has_kernel(false))
                punt(m, false);   // the kernel resolves its own neighbours too
            else
                drop(m, Verdict::consumed);
            return;
        }
        if (nd.target != cfg_.inside_ip6) {
            punt(m, false);   // for the kernel's own (link-local) address, if it has one here
            return;
        }
        // Learn the solicitor from its source link-layer option (RFC 4861 s7.2.3).
        const bool dad = std::all_of(src.begin(), src.end(), [](uint8_t b) { return b == 0; });
        if (nd.has_link_addr && !dad)
            learn(nat::neighbour_key6(src), nd.link_addr, true);
        xlate::MacBytes solicitor_mac;
        std::memcpy(solicitor_mac.data(), ip6 - kEtherHeaderLen + 6, 6);   // its Ethernet source
        constexpr uint32_t kNaLen = kIp6HeaderLen + xlate::kNdLen;
        if (len > kNaLen)
            rte_pktmbuf_trim(m, static_cast<uint16_t>(len - kNaLen));
        else if (len < kNaLen && rte_pktmbuf_append(m, static_cast<uint16_t>(kNaLen - len)) == nullptr) {
            drop(m, Verdict::drop_no_mbuf);
            return;
        }
        xlate::MacBytes dst_mac;
        xlate::build_neighbour_advert(ip6, mac_of(cfg_.inside_mac), cfg_.inside_ip6, src, solicitor_mac, dst_mac);
        auto* eth = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, kEtherHeaderLen));
        xlate::write_ether(eth, dst_mac, mac_of(cfg_.inside_mac), kEtherTypeIp6);
        mark(m, TxMark::answered);
        counters_.ndp_adverts.add();
        tx_for(Side::inside).push(m);
        return;
    }
    if (std::memcmp(ip6 + 24, cfg_.inside_ip6.data(), 16) != 0) {
        punt(m, false);   // multicast and link-local: the kernel's, if it has an interface here
        return;
    }
    const Verdict v = xlate::answer_echo6(ip6, len, cfg_.inside_ip6);
    if (v == Verdict::drop_not_for_us) {
        punt(m, false);   // BGP, SSH and the like on the box's address
        return;
    }
    if (v != Verdict::forward) {
        drop(m, v);
        return;
    }
    mark(m, TxMark::answered);
    counters_.echo_replies.add();
    send_6(m, load_in6(ip6 + 24));
}

void Worker::handle_local_4(rte_mbuf* m) noexcept
{
    uint8_t* ip4 = l3_of(m);
    const Verdict v = xlate::answer_echo4(ip4, rte_pktmbuf_data_len(m));
    if (v == Verdict::drop_not_for_us) {
        punt(m, true);   // BGP, SSH and the like on the box's address
        return;
    }
    if (v != Verdict::forward) {
        drop(m, v);
        return;
    }
    mark(m, TxMark::answered);
    counters_.echo_replies.add();
    send_4(m, load_be32(ip4 + 16));
}

} // namespace nat64d::dp
