// The packet path: rx burst -> classify -> bulk flow lookup -> translate in
// place -> Ethernet from the neighbour cache -> buffered tx. RFC 6146 s3 (state),
// RFC 7915 (translation, via xlate::), RFC 826 / RFC 4861 (the box's own ARP/NDP).
#include "dataplane/worker/worker.hpp"

#include <algorithm>
#include <cstring>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_prefetch.h>

#include "dataplane/xlate/checksum.hpp"
#include "dataplane/xlate/fragment.hpp"
#include "dataplane/xlate/icmp_gen.hpp"

namespace nat64d::dp {

namespace {

constexpr uint8_t kIcmp6EchoRequest = 128;
constexpr uint8_t kIcmp6EchoReply = 129;
constexpr uint8_t kIcmp6NeighbourSolicit = 135;
constexpr uint8_t kIcmp6NeighbourAdvert = 136;
constexpr uint8_t kIcmp6TimeExceeded = 3;
constexpr uint8_t kIcmp6PacketTooBig = 2;
constexpr uint8_t kIcmp6DestUnreachable = 1;
constexpr uint8_t kIcmp4EchoRequest = 8;
constexpr uint8_t kIcmp4EchoReply = 0;
constexpr uint8_t kIcmp4TimeExceeded = 11;
constexpr uint8_t kIcmp4DestUnreachable = 3;
constexpr uint8_t kIcmp4FragNeeded = 4;
constexpr uint8_t kIcmp4PortUnreachable = 3;
constexpr uint8_t kIcmp4AdminProhibited = 13;
constexpr uint8_t kNdOptSourceLinkAddr = 1;
constexpr uint8_t kNdOptTargetLinkAddr = 2;
constexpr uint32_t kArpLen = 28;
constexpr uint32_t kPrefetchAhead = 4;
constexpr uint64_t kNeighbourTickMs = 100;
// How long a resolved next hop is reused without asking the neighbour table; a
// changed MAC (learned from ARP/NDP) takes effect within this time.
constexpr uint64_t kNextHopCacheMs = 100;

uint8_t* l3_of(rte_mbuf* m) noexcept { return rte_pktmbuf_mtod(m, uint8_t*); }

void write_ether(uint8_t* eth, const rte_ether_addr& dst, const rte_ether_addr& src, uint16_t type) noexcept
{
    std::memcpy(eth, dst.addr_bytes, 6);
    std::memcpy(eth + 6, src.addr_bytes, 6);
    store_be16(eth + 12, type);
}

rte_ether_addr to_ether(const nat::MacAddr& m) noexcept
{
    rte_ether_addr e;
    std::memcpy(e.addr_bytes, m.data(), 6);
    return e;
}

nat::MacAddr to_mac(const uint8_t* p) noexcept
{
    nat::MacAddr m;
    std::memcpy(m.data(), p, 6);
    return m;
}

// RFC 4443 s2.3: the ICMPv6 checksum covers the IPv6 pseudo-header.
uint16_t icmp6_checksum(const uint8_t* ip6, uint32_t l4_len) noexcept
{
    const uint32_t pseudo = xlate::pseudo_sum6(ip6 + 8, ip6 + 24, l4_len, kProtoIcmp6);
    return xlate::csum_finish(xlate::csum_add_bytes(pseudo, ip6 + kIp6HeaderLen, l4_len));
}

bool is_ip6_multicast(const uint8_t* a) noexcept { return a[0] == 0xFF; }

} // namespace

Worker::Worker(const WorkerConfig& cfg, FlowTable& flows, nat::NeighbourCache& neighbours)
    : cfg_(cfg), flows_(flows), neighbours_(neighbours),
      icmp_bucket_(cfg.icmp_errors_per_s, cfg.icmp_errors_per_s), frags_(cfg.fragments),
      tx_inside_(cfg.inside_port, cfg.queue, &counters_.tx_inside, &counters_, cfg.inside_vlan),
      tx_outside_(cfg.outside_port, cfg.queue, &counters_.tx_outside, &counters_, cfg.outside_vlan)
{
    tsc_hz_ = rte_get_tsc_hz();
    start_tsc_ = rte_rdtsc();
    last_rx_tsc_.store(start_tsc_, std::memory_order_relaxed);
}

void Worker::run(const std::atomic<bool>& stop) noexcept
{
    std::array<rte_mbuf*, kBurst> rx{};
    flows_.register_worker(cfg_.worker_id);   // QSBR reader from here on
    while (!stop.load(std::memory_order_relaxed)) {
        const uint64_t now_tsc = rte_rdtsc();
        now_ms_ = (now_tsc - start_tsc_) * 1000 / tsc_hz_;
        now_s_ = static_cast<uint32_t>(now_ms_ / 1000);
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
        if (now_ms_ - last_tick_ms_ >= kNeighbourTickMs) {
            last_tick_ms_ = now_ms_;
            tick_neighbours();
        }
        flush();
        if (busy) {
            last_rx_tsc_.store(now_tsc, std::memory_order_relaxed);
            counters_.busy_loops.add();
        } else {
            counters_.idle_loops.add();
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

void Worker::flush() noexcept
{
    tx_inside_.flush();
    if (!cfg_.one_arm)
        tx_outside_.flush();
}

void Worker::drop(rte_mbuf* m, Verdict v) noexcept
{
    counters_.count(v);
    rte_pktmbuf_free(m);
}

bool Worker::is_pool_address(Ip4 a) const noexcept
{
    return std::binary_search(cfg_.pool, cfg_.pool + cfg_.pool_size, a);
}

bool Worker::on_link_4(Ip4 a) const noexcept
{
    if (!cfg_.has_gateway4)
        return true;
    const uint32_t mask = cfg_.outside_prefix_len == 0 ? 0 : ~uint32_t{0} << (32 - cfg_.outside_prefix_len);
    return (a & mask) == (cfg_.outside_ip4 & mask);
}

bool Worker::on_link_6(const In6& a) const noexcept
{
    if (!cfg_.has_gateway6)
        return true;
    if (a[0] == 0xFE && (a[1] & 0xC0) == 0x80)   // link-local
        return true;
    const unsigned bits = cfg_.inside_prefix_len;
    for (unsigned i = 0; i < bits / 8; ++i)
        if (a[i] != cfg_.inside_ip6[i])
            return false;
    if (bits % 8) {
        const uint8_t mask = static_cast<uint8_t>(0xFF << (8 - bits % 8));
        if ((a[bits / 8] & mask) != (cfg_.inside_ip6[bits / 8] & mask))
            return false;
    }
    return true;
}

// Classify: parse L2 once, answer what is for the box, split the rest by family.
void Worker::process_burst(rte_mbuf** pkts, uint16_t n, Side side) noexcept
{
    std::array<rte_mbuf*, kBurst> v6{}, v4{};
    uint16_t n6 = 0, n4 = 0;
    DirectionCounters& rx = side == Side::inside ? counters_.rx_inside : counters_.rx_outside;
    rx.packets.add(n);

    for (uint16_t i = 0; i < n; ++i) {
        if (i + kPrefetchAhead < n)
            rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetchAhead], void*));
        rte_mbuf* m = pkts[i];
        rx.bytes.add(rte_pktmbuf_pkt_len(m));
        if (m->nb_segs != 1) [[unlikely]] {
            drop(m, Verdict::drop_multiseg);
            continue;
        }
        if (rte_pktmbuf_data_len(m) < kEtherHeaderLen) [[unlikely]] {
            drop(m, Verdict::drop_malformed);
            continue;
        }
        // A port with a VLAN takes only frames tagged with it, and strips the tag.
        const uint16_t vlan = side == Side::inside || cfg_.one_arm ? cfg_.inside_vlan : cfg_.outside_vlan;
        const bool tagged = load_be16(l3_of(m) + 12) == kEtherTypeVlan;
        if (tagged != (vlan != 0) || (tagged && rte_pktmbuf_data_len(m) < kEtherHeaderLen + 4) ||
            (tagged && ((load_be16(l3_of(m) + 14) & 0x0FFF) != vlan || rte_vlan_strip(m) != 0))) {
            drop(m, Verdict::drop_not_for_us);
            continue;
        }
        const uint8_t* eth = l3_of(m);
        const rte_ether_addr& own = side == Side::inside ? cfg_.inside_mac : cfg_.outside_mac;
        const bool group = (eth[0] & 0x01) != 0;
        if (!group && std::memcmp(eth, own.addr_bytes, 6) != 0) {
            drop(m, Verdict::drop_not_for_us);
            continue;
        }
        const uint16_t type = load_be16(eth + 12);
        if (type == kEtherTypeArp) {
            handle_arp(m, side);
            continue;
        }
        rte_pktmbuf_adj(m, kEtherHeaderLen);
        if (type == kEtherTypeIp6 && (cfg_.one_arm || side == Side::inside)) {
            const uint8_t* ip6 = l3_of(m);
            if (rte_pktmbuf_data_len(m) < kIp6HeaderLen) [[unlikely]] {
                drop(m, Verdict::drop_malformed);
                continue;
            }
            const uint8_t* dst = ip6 + 24;
            if (is_ip6_multicast(dst) || std::memcmp(dst, cfg_.inside_ip6.data(), 16) == 0 ||
                (dst[0] == 0xFE && (dst[1] & 0xC0) == 0x80)) {
                handle_local_6(m);
                continue;
            }
            v6[n6++] = m;
        } else if (type == kEtherTypeIp4 && (cfg_.one_arm || side == Side::outside)) {
            const uint8_t* ip4 = l3_of(m);
            if (rte_pktmbuf_data_len(m) < kIp4HeaderLen) [[unlikely]] {
                drop(m, Verdict::drop_malformed);
                continue;
            }
            const Ip4 dst = load_be32(ip4 + 16);
            const bool pool = is_pool_address(dst);
            if (dst == cfg_.outside_ip4 && !pool) {
                handle_local_4(m);
                continue;
            }
            if (!pool) {   // not ours: a promiscuous port sees its neighbours' traffic too
                drop(m, Verdict::drop_not_for_us);
                continue;
            }
            v4[n4++] = m;
        } else {
            drop(m, Verdict::drop_not_for_us);
        }
    }
    if (n6 != 0)
        stage_6to4(v6.data(), n6);
    if (n4 != 0)
        stage_4to6(v4.data(), n4);
}

namespace {

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

} // namespace

bool Worker::touch_session(Session& s, uint8_t proto, nat::Direction dir, uint8_t tcp_flags) noexcept
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

bool Worker::finish_6to4(rte_mbuf* m, const xlate::Parsed6& p, const xlate::Rewrite4& outer,
                         const xlate::Rewrite4& inner) noexcept
{
    xlate::PacketView pv;
    set_view(m, pv);
    const Verdict v = xlate::translate_6to4(pv, p, outer, inner, cfg_.xlate, ip4_id_++);
    if (v != Verdict::forward) [[unlikely]] {
        if (v == Verdict::drop_ttl_expired)
            reply_icmp6_error(m, kIcmp6TimeExceeded, 0, 0);
        else if (v == Verdict::drop_packet_too_big)
            reply_icmp6_error(m, kIcmp6PacketTooBig, 0, cfg_.xlate.mtu4 + kIp6HeaderLen - kIp4HeaderLen);
        drop(m, v);
        return false;
    }
    commit_view(m, pv);
    counters_.translated_6to4.packets.add();
    counters_.translated_6to4.bytes.add(pv.len);
    return true;
}

bool Worker::finish_4to6(rte_mbuf* m, const xlate::Parsed4& p, const xlate::Rewrite6& outer,
                         const xlate::Rewrite6& inner) noexcept
{
    xlate::PacketView pv;
    set_view(m, pv);
    const Verdict v = xlate::translate_4to6(pv, p, outer, inner, cfg_.xlate);
    if (v != Verdict::forward) [[unlikely]] {
        if (v == Verdict::drop_ttl_expired)
            reply_icmp4_error(m, kIcmp4TimeExceeded, 0, 0);
        else if (v == Verdict::drop_packet_too_big)
            reply_icmp4_error(m, kIcmp4DestUnreachable, kIcmp4FragNeeded,
                              cfg_.xlate.mtu6 - (kIp6HeaderLen - kIp4HeaderLen));
        drop(m, v);
        return false;
    }
    commit_view(m, pv);
    counters_.translated_4to6.packets.add();
    counters_.translated_4to6.bytes.add(pv.len);
    if (xlate::needs_fragmentation_6(p, pv.len, cfg_.xlate)) {
        send_fragments_6(m, outer.dst, p.frag.id);
        return false;
    }
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
        drop(m, v != Verdict::forward ? v : Verdict::drop_fragment_no_state);
        return;
    }
    const Session& s = flows_.session(pos);
    const xlate::Rewrite4 outer{flows_.pub4(s), key.dst4, s.pub_port(), key.dport};
    if (finish_6to4(m, p, outer, outer))
        send_4(m, key.dst4);
}

void Worker::forward_fragment_4to6(rte_mbuf* m, int32_t pos) noexcept
{
    xlate::Parsed4 p;
    const Verdict v = xlate::parse_4(l3_of(m), rte_pktmbuf_data_len(m), p);
    nat::FlowKey6 key;
    if (v != Verdict::forward || !flows_.key_at(pos, key)) {
        drop(m, v != Verdict::forward ? v : Verdict::drop_fragment_no_state);
        return;
    }
    const xlate::Rewrite6 outer{xlate::embed_ip4(cfg_.prefix, p.tuple.src), key.src, key.dport, key.sport};
    if (finish_4to6(m, p, outer, outer))
        send_6(m, key.src);
}

void Worker::record_first_fragment(const nat::FragKey& fkey, int32_t pos, bool to_4) noexcept
{
    std::array<uint64_t, 64> released;
    const nat::FragFirst f = frags_.first_fragment(fkey, static_cast<uint64_t>(pos), now_ms_, released);
    for (uint32_t i = 0; i < f.released; ++i) {
        auto* held = reinterpret_cast<rte_mbuf*>(static_cast<uintptr_t>(released[i]));
        if (to_4)
            forward_fragment_6to4(held, pos);
        else
            forward_fragment_4to6(held, pos);
    }
}

void Worker::later_fragment(rte_mbuf* m, const nat::FragKey& fkey, bool to_4) noexcept
{
    const nat::FragLater r = frags_.later_fragment(fkey, reinterpret_cast<uintptr_t>(m), now_ms_);
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
        drop(m, r.why);
        return;
    }
}

// A miss: open the session (and its mapping if new), or drop m with the reason.
int32_t Worker::open_session(rte_mbuf* m, const nat::FlowKey6& key) noexcept
{
    Verdict why = Verdict::forward;
    const int32_t p = flows_.create(key, cfg_.worker_id, now_s_, why);
    if (p < 0) [[unlikely]] {
        drop(m, why);
        return -1;
    }
    counters_.flows_created.add();
    return p;
}

bool Worker::hold_incoming_syn(rte_mbuf* m, const PermissionKey& key) noexcept
{
    if (held_syn_count_ == kHeldSynMax)
        return false;   // full: refuse it now instead
    held_syns_[held_syn_count_++] = HeldSyn{key, m, now_ms_ + uint64_t{cfg_.timeouts.tcp_incoming_syn_s} * 1000};
    return true;
}

// The IPv6 host sent its own SYN to that remote: a simultaneous open, which
// its SYN completes. The held IPv4 SYN is no longer needed (RFC 6146 s3.5.2.2).
void Worker::release_incoming_syns(const PermissionKey& key) noexcept
{
    for (uint32_t i = 0; i < held_syn_count_;) {
        HeldSyn& h = held_syns_[i];
        if (std::memcmp(&h.key, &key, sizeof(key)) == 0) {
            drop(h.m, Verdict::drop_filtered);
            h = held_syns_[--held_syn_count_];
        } else {
            ++i;
        }
    }
}

// No IPv6 SYN came in time: ICMP Port Unreachable with the stored SYN (RFC 6146 s3.5.2.2).
void Worker::expire_incoming_syns() noexcept
{
    for (uint32_t i = 0; i < held_syn_count_;) {
        HeldSyn& h = held_syns_[i];
        if (now_ms_ >= h.deadline_ms) {
            reply_icmp4_error(h.m, kIcmp4DestUnreachable, kIcmp4PortUnreachable, 0);
            drop(h.m, Verdict::drop_filtered);
            h = held_syns_[--held_syn_count_];
        } else {
            ++i;
        }
    }
}

Worker::~Worker()
{
    for (uint32_t i = 0; i < held_syn_count_; ++i)
        rte_pktmbuf_free(held_syns_[i].m);
}

void Worker::stage_6to4(rte_mbuf** pkts, uint16_t n) noexcept
{
    struct Item {
        rte_mbuf* m;
        xlate::Parsed6 p;
        nat::FlowKey6 key;
    };
    std::array<Item, kBurst> items;
    std::array<const nat::FlowKey6*, kBurst> keys{};
    std::array<int32_t, kBurst> pos{};
    uint16_t k = 0;
    const bool wkp = xlate::is_well_known_prefix(cfg_.prefix);

    for (uint16_t i = 0; i < n; ++i) {
        rte_mbuf* m = pkts[i];
        Item& it = items[k];
        it.m = m;
        Verdict v = xlate::parse_6(l3_of(m), rte_pktmbuf_data_len(m), it.p);
        if (v != Verdict::forward) [[unlikely]] {
            drop(m, v);
            continue;
        }
        // An ICMPv6 error belongs to the session of the packet it quotes, which
        // travelled 4to6: reverse its tuple (RFC 6146 s3.5.3).
        const bool is_error = it.p.icmp == xlate::IcmpKind::error;
        const xlate::Tuple6& t = is_error ? it.p.inner : it.p.tuple;
        const In6& src6 = is_error ? t.dst : t.src;
        const In6& dst6 = is_error ? t.src : t.dst;
        Ip4 dst4 = 0;
        if (!xlate::extract_ip4(cfg_.prefix, dst6, dst4)) {
            drop(m, Verdict::drop_not_in_prefix);
            continue;
        }
        if (wkp && !cfg_.allow_non_global && !xlate::is_global_ip4(dst4)) {
            drop(m, Verdict::drop_non_global_dst);   // RFC 6052 s3.1
            continue;
        }
        if (it.p.frag.is_fragment && it.p.frag.offset_bytes != 0) {
            later_fragment(m, nat::make_frag_key6(t.src, t.dst, it.p.frag.id, t.proto), true);
            continue;
        }
        const uint16_t sport = is_error ? t.dport : t.sport;
        const uint16_t dport = is_error ? t.sport : t.dport;
        it.key = nat::make_flow_key6(src6, dst4, sport, dport, t.proto);
        keys[k] = &it.key;
        ++k;
    }
    if (k == 0)
        return;

    flows_.lookup_bulk(keys.data(), k, pos.data());
    flows_.prefetch_mappings(keys.data(), pos.data(), k);

    std::array<rte_mbuf*, kBurst> hairpin{};
    uint16_t nh = 0;
    for (uint16_t i = 0; i < k; ++i) {
        Item& it = items[i];
        rte_mbuf* m = it.m;
        const bool is_error = it.p.icmp == xlate::IcmpKind::error;
        int32_t p = pos[i];
        if (p < 0) {
            if (is_error) {
                drop(m, Verdict::drop_no_mapping);
                continue;
            }
            p = open_session(m, it.key);
            if (p < 0) [[unlikely]]
                continue;
            if (cfg_.permissions != nullptr)
                cfg_.permissions->grant(make_permission_key(it.key.src, it.key.sport, it.key.dst4, it.key.proto),
                                        now_s_);
        }
        Session& s = flows_.session(p);
        // Address-dependent filtering: the remote address may answer from any
        // port while this host keeps sending to it (refreshed once a second).
        if (!is_error && touch_session(s, it.key.proto, nat::Direction::from_6, it.p.tcp_flags) &&
            cfg_.permissions != nullptr)
            cfg_.permissions->grant(make_permission_key(it.key.src, it.key.sport, it.key.dst4, it.key.proto),
                                    now_s_);
        if (held_syn_count_ != 0 && it.key.proto == kProtoTcp && (it.p.tcp_flags & nat::kTcpSyn) != 0) [[unlikely]]
            release_incoming_syns(make_permission_key(it.key.src, it.key.sport, it.key.dst4, it.key.proto));
        const Ip4 pub4 = flows_.pub4(s);
        const xlate::Rewrite4 outer{pub4, it.key.dst4, s.pub_port(), it.key.dport};
        const xlate::Rewrite4 inner{it.key.dst4, pub4, it.key.dport, s.pub_port()};
        const bool first_fragment = it.p.frag.is_fragment;
        const nat::FragKey fkey =
            nat::make_frag_key6(it.p.tuple.src, it.p.tuple.dst, it.p.frag.id, it.p.tuple.proto);
        if (!finish_6to4(m, it.p, outer, inner))
            continue;
        if (cfg_.hairpinning && is_pool_address(it.key.dst4))
            hairpin[nh++] = m;   // RFC 6146 s3.8: back in as if it came from outside
        else
            send_4(m, it.key.dst4);
        if (first_fragment) [[unlikely]]
            record_first_fragment(fkey, p, true);
    }
    if (nh != 0)
        stage_4to6(hairpin.data(), nh);
}

void Worker::stage_4to6(rte_mbuf** pkts, uint16_t n) noexcept
{
    struct Item {
        rte_mbuf* m;
        xlate::Parsed4 p;
        FlowTable::PublicRef pub;
        nat::FlowKey6 key;
    };
    std::array<Item, kBurst> items;
    std::array<const nat::FlowKey6*, kBurst> keys{};
    std::array<int32_t, kBurst> pos{};
    uint16_t parsed = 0;
    const bool wkp = xlate::is_well_known_prefix(cfg_.prefix);

    // Three passes over the burst so its cache misses overlap: the direct-map
    // slot of each public port, then the mapping it names, then the session.
    for (uint16_t i = 0; i < n; ++i) {
        rte_mbuf* m = pkts[i];
        Item& it = items[parsed];
        it.m = m;
        Verdict v = xlate::parse_4(l3_of(m), rte_pktmbuf_data_len(m), it.p);
        if (v != Verdict::forward) [[unlikely]] {
            drop(m, v);
            continue;
        }
        if (wkp && !cfg_.allow_non_global && !xlate::is_global_ip4(it.p.tuple.src)) {
            drop(m, Verdict::drop_non_global_dst);   // RFC 6052 s3.1: cannot be represented
            continue;
        }
        if (it.p.frag.is_fragment && it.p.frag.offset_bytes != 0) {
            later_fragment(m, nat::make_frag_key4(it.p.tuple.src, it.p.tuple.dst,
                                                  static_cast<uint16_t>(it.p.frag.id), it.p.tuple.proto), false);
            continue;
        }
        // An ICMPv4 error quotes a packet that travelled 6to4: its source is our
        // public transport address (RFC 6146 s3.5.3).
        const bool is_error = it.p.icmp == xlate::IcmpKind::error;
        const xlate::Tuple4& t = is_error ? it.p.inner : it.p.tuple;
        it.pub = flows_.resolve_public(proto6_of(t.proto), is_error ? t.src : t.dst, is_error ? t.sport : t.dport);
        ++parsed;
    }
    for (uint16_t i = 0; i < parsed; ++i)
        flows_.prefetch_mapping(items[i].pub);

    uint16_t k = 0;
    for (uint16_t i = 0; i < parsed; ++i) {
        Item& it = items[i];
        rte_mbuf* m = it.m;
        const bool is_error = it.p.icmp == xlate::IcmpKind::error;
        const xlate::Tuple4& t = is_error ? it.p.inner : it.p.tuple;
        In6 addr6;
        uint16_t port6 = 0;
        if (!flows_.find_mapping(it.pub, addr6, port6)) {
            if (!is_error && it.p.icmp == xlate::IcmpKind::query && it.p.icmp_type == kIcmp4EchoRequest &&
                it.p.tuple.dst == cfg_.outside_ip4) {
                handle_local_4(m);   // a ping to the box's own (pool) address
                continue;
            }
            // UDP to a public port nobody holds: answer as a host with no
            // listener would (RFC 1122 s4.1.3.1), rate-limited.
            if (!is_error && t.proto == kProtoUdp)
                reply_icmp4_error(m, kIcmp4DestUnreachable, kIcmp4PortUnreachable, 0);
            drop(m, Verdict::drop_no_mapping);
            continue;
        }
        const uint8_t proto6 = proto6_of(t.proto);
        const Ip4 remote4 = is_error ? t.dst : t.src;
        const uint16_t remote_port = is_error ? t.dport : t.sport;
        // ICMP queries key on the identifier in both port fields.
        const uint16_t key_dport = proto6 == kProtoIcmp6 ? port6 : remote_port;
        if (k != i)
            items[k] = it;   // keep the survivors contiguous for the bulk lookup
        items[k].key = nat::make_flow_key6(addr6, remote4, port6, key_dport, proto6);
        keys[k] = &items[k].key;
        ++k;
    }
    if (k == 0)
        return;

    flows_.lookup_bulk(keys.data(), k, pos.data());

    for (uint16_t i = 0; i < k; ++i) {
        Item& it = items[i];
        rte_mbuf* m = it.m;
        const bool is_error = it.p.icmp == xlate::IcmpKind::error;
        int32_t p = pos[i];
        if (p < 0) {
            if (is_error) {
                drop(m, Verdict::drop_no_mapping);
                continue;
            }
            // RFC 6146 s3.5.1/s3.5.2: with endpoint-independent filtering any
            // remote may open a session to an existing mapping; with
            // address-dependent filtering only one the host has sent to.
            if (cfg_.permissions != nullptr &&
                !cfg_.permissions->allowed(make_permission_key(it.key.src, it.key.sport, it.key.dst4, it.key.proto),
                                           now_s_, nat::expiry_s(it.key.proto, nat::TcpState::established,
                                                                 cfg_.timeouts))) {
                const PermissionKey pkey =
                    make_permission_key(it.key.src, it.key.sport, it.key.dst4, it.key.proto);
                if (it.key.proto == kProtoTcp && (it.p.tcp_flags & (nat::kTcpSyn | nat::kTcpAck)) == nat::kTcpSyn &&
                    hold_incoming_syn(m, pkey))
                    continue;
                // Tell the sender it was filtered (ICMP 3/13, RFC 1812 s5.2.7.1).
                reply_icmp4_error(m, kIcmp4DestUnreachable, kIcmp4AdminProhibited, 0);
                drop(m, Verdict::drop_filtered);
                continue;
            }
            p = open_session(m, it.key);
            if (p < 0) [[unlikely]]
                continue;
        }
        Session& s = flows_.session(p);
        if (!is_error)
            touch_session(s, it.key.proto, nat::Direction::from_4, it.p.tcp_flags);
        const In6 remote6 = xlate::embed_ip4(cfg_.prefix, it.key.dst4);
        // The outer source is the remote itself unless this is an ICMP error from a router.
        const xlate::Rewrite6 outer{is_error ? xlate::embed_ip4(cfg_.prefix, it.p.tuple.src) : remote6, it.key.src,
                                    it.p.tuple.sport, it.key.sport};
        const xlate::Rewrite6 inner{it.key.src, remote6, it.key.sport, it.key.dport};
        const bool first_fragment = it.p.frag.is_fragment;
        const nat::FragKey fkey = nat::make_frag_key4(it.p.tuple.src, it.p.tuple.dst,
                                                      static_cast<uint16_t>(it.p.frag.id), it.p.tuple.proto);
        if (finish_4to6(m, it.p, outer, inner))
            send_6(m, it.key.src);
        if (first_fragment) [[unlikely]]
            record_first_fragment(fkey, p, false);
    }
}

// ---- output: Ethernet from the neighbour cache -------------------------------

void Worker::send_4(rte_mbuf* m, Ip4 dst) noexcept
{
    send_via(m, nat::neighbour_key4(on_link_4(dst) ? dst : cfg_.gateway4));
}

void Worker::send_6(rte_mbuf* m, const In6& dst) noexcept
{
    send_via(m, nat::neighbour_key6(on_link_6(dst) ? dst : cfg_.gateway6));
}

// IPv4 leaves on the outside, IPv6 on the inside; the next hop's family says which.
void Worker::send_via(rte_mbuf* m, const nat::NeighbourKey& next_hop) noexcept
{
    const bool ip4 = next_hop.is_ip4();
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

void Worker::solicit(const nat::NeighbourKey& target) noexcept
{
    if (target.is_ip4())
        solicit_4(target.ip4());
    else
        solicit_6(target.ip);
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
    write_ether(eth, to_ether(mac), ip4 ? cfg_.outside_mac : cfg_.inside_mac, ip4 ? kEtherTypeIp4 : kEtherTypeIp6);
    tx_for(ip4 ? Side::outside : Side::inside).push(m);
}

void Worker::drop_held(std::span<const uint64_t> handles) noexcept
{
    for (uint64_t h : handles)
        drop(reinterpret_cast<rte_mbuf*>(static_cast<uintptr_t>(h)), Verdict::drop_no_neighbour);
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
        send_6(f, dst);
    }
    rte_pktmbuf_free(m);
}

// Re-solicit entries that are due and drop what waited too long (RFC 4861 s7.3.3).
void Worker::tick_neighbours() noexcept
{
    if (held_syn_count_ != 0)
        expire_incoming_syns();
    std::array<nat::NeighbourKey, 16> solicit_keys;
    std::array<uint64_t, 64> dropped;
    const nat::NeighbourTick t = neighbours_.tick(now_ms_, solicit_keys, dropped);
    for (uint32_t i = 0; i < t.solicits; ++i)
        solicit(solicit_keys[i]);
    drop_held({dropped.data(), t.dropped});
    std::array<uint64_t, 64> expired;
    const size_t n = frags_.expire(now_ms_, expired);
    for (size_t i = 0; i < n; ++i)
        drop(reinterpret_cast<rte_mbuf*>(static_cast<uintptr_t>(expired[i])), Verdict::drop_fragment_no_state);
}

// ---- packets the box originates ---------------------------------------------

void Worker::reply_icmp6_error(const rte_mbuf* orig, uint8_t type, uint8_t code, uint32_t param) noexcept
{
    reply_icmp_error(orig, true, type, code, param);
}

void Worker::reply_icmp4_error(const rte_mbuf* orig, uint8_t type, uint8_t code, uint32_t param) noexcept
{
    reply_icmp_error(orig, false, type, code, param);
}

// An error about `orig`, from the box's own address on that side, back to the
// sender; rate-limited (RFC 4443 s2.4(f), RFC 1812 s4.3.2.8).
void Worker::reply_icmp_error(const rte_mbuf* orig, bool ip6, uint8_t type, uint8_t code, uint32_t param) noexcept
{
    if (!icmp_bucket_.take(now_ms_)) {
        counters_.count(Verdict::drop_icmp_rate_limited);
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
    const auto* o = rte_pktmbuf_mtod(orig, const uint8_t*);
    const uint32_t len = rte_pktmbuf_data_len(orig);
    uint32_t n = 0;
    if (out != nullptr)
        n = ip6 ? xlate::build_icmp6_error(out, cap, o, len, cfg_.inside_ip6, type, code, param)
                : xlate::build_icmp4_error(out, cap, o, len, cfg_.outside_ip4, type, code, param);
    if (n == 0) {
        rte_pktmbuf_free(r);
        return;
    }
    rte_pktmbuf_trim(r, static_cast<uint16_t>(cap - n));
    counters_.icmp_errors_sent.add();
    if (ip6)
        send_6(r, load_in6(out + 24));
    else
        send_4(r, load_be32(out + 16));
}

// RFC 826: who-has for a next hop, broadcast.
void Worker::solicit_4(Ip4 target) noexcept
{
    rte_mbuf* r = rte_pktmbuf_alloc(cfg_.pool_for_generated);
    if (r == nullptr)
        return;
    auto* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(r, kEtherHeaderLen + kArpLen));
    if (p == nullptr) {
        rte_pktmbuf_free(r);
        return;
    }
    rte_ether_addr bcast;
    std::memset(bcast.addr_bytes, 0xFF, 6);
    write_ether(p, bcast, cfg_.outside_mac, kEtherTypeArp);
    uint8_t* a = p + kEtherHeaderLen;
    store_be16(a, 1);                        // Ethernet
    store_be16(a + 2, kEtherTypeIp4);
    a[4] = 6;
    a[5] = 4;
    store_be16(a + 6, 1);                    // request
    std::memcpy(a + 8, cfg_.outside_mac.addr_bytes, 6);
    store_be32(a + 14, cfg_.outside_ip4);
    std::memset(a + 18, 0, 6);
    store_be32(a + 24, target);
    counters_.neighbour_solicits_sent.add();
    tx_for(Side::outside).push(r);
}

// RFC 4861 s7.2.2: a Neighbour Solicitation to the solicited-node multicast group.
void Worker::solicit_6(const In6& target) noexcept
{
    rte_mbuf* r = rte_pktmbuf_alloc(cfg_.pool_for_generated);
    if (r == nullptr)
        return;
    constexpr uint32_t kNsLen = 24 + 8;      // NS + source link-layer option
    auto* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(r, kEtherHeaderLen + kIp6HeaderLen + kNsLen));
    if (p == nullptr) {
        rte_pktmbuf_free(r);
        return;
    }
    In6 group{0xFF, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xFF, target[13], target[14], target[15]};
    rte_ether_addr mcast{{0x33, 0x33, 0xFF, target[13], target[14], target[15]}};
    write_ether(p, mcast, cfg_.inside_mac, kEtherTypeIp6);
    uint8_t* ip6 = p + kEtherHeaderLen;
    store_be32(ip6, 0x60000000);
    store_be16(ip6 + 4, kNsLen);
    ip6[6] = kProtoIcmp6;
    ip6[7] = 255;                            // RFC 4861 s7.1.1: hop limit 255
    store_in6(ip6 + 8, cfg_.inside_ip6);
    store_in6(ip6 + 24, group);
    uint8_t* ns = ip6 + kIp6HeaderLen;
    std::memset(ns, 0, kNsLen);
    ns[0] = kIcmp6NeighbourSolicit;
    store_in6(ns + 8, target);
    ns[24] = kNdOptSourceLinkAddr;
    ns[25] = 1;
    std::memcpy(ns + 26, cfg_.inside_mac.addr_bytes, 6);
    store_be16(ns + 2, icmp6_checksum(ip6, kNsLen));
    counters_.neighbour_solicits_sent.add();
    tx_for(Side::inside).push(r);
}

// ---- packets for the box itself ----------------------------------------------

void Worker::handle_arp(rte_mbuf* m, Side side) noexcept
{
    uint8_t* eth = l3_of(m);
    if (rte_pktmbuf_data_len(m) < kEtherHeaderLen + kArpLen) {
        drop(m, Verdict::drop_malformed);
        return;
    }
    uint8_t* a = eth + kEtherHeaderLen;
    if (load_be16(a) != 1 || load_be16(a + 2) != kEtherTypeIp4 || a[4] != 6 || a[5] != 4) {
        drop(m, Verdict::drop_malformed);
        return;
    }
    const uint16_t op = load_be16(a + 6);
    const Ip4 sender = load_be32(a + 14);
    const Ip4 target = load_be32(a + 24);
    // RFC 826 "merge": learn the sender when we already know it or it asks us.
    const bool for_us = target == cfg_.outside_ip4 || is_pool_address(target);
    if (sender != 0 && (for_us || op == 2))
        release_or_drop(neighbours_.learn_4(sender, to_mac(a + 8), now_ms_), false);
    if (op != 1 || !for_us) {
        counters_.count(Verdict::forward);   // consumed
        rte_pktmbuf_free(m);
        return;
    }
    const rte_ether_addr& own = side == Side::inside ? cfg_.inside_mac : cfg_.outside_mac;
    rte_ether_addr requester;
    std::memcpy(requester.addr_bytes, a + 8, 6);
    write_ether(eth, requester, own, kEtherTypeArp);
    store_be16(a + 6, 2);
    std::memcpy(a + 18, a + 8, 6);
    store_be32(a + 24, sender);
    std::memcpy(a + 8, own.addr_bytes, 6);
    store_be32(a + 14, target);
    counters_.arp_replies.add();
    tx_for(side).push(m);
}

void Worker::release_or_drop(const nat::Learned& learned, bool ip6) noexcept
{
    next_hop_cache_[ip6 ? 0 : 1].valid_until_ms = 0;   // a neighbour may have moved: ask again
    release_held({learned.handles.data(), learned.count}, learned.mac, ip6);
}

void Worker::handle_local_6(rte_mbuf* m) noexcept
{
    uint8_t* ip6 = l3_of(m);
    const uint32_t len = rte_pktmbuf_data_len(m);
    const uint32_t plen = load_be16(ip6 + 4);
    if (ip6[6] != kProtoIcmp6 || len < kIp6HeaderLen + 8 || plen + kIp6HeaderLen > len) {
        drop(m, Verdict::drop_not_for_us);
        return;
    }
    uint8_t* icmp = ip6 + kIp6HeaderLen;
    const In6 src = load_in6(ip6 + 8);
    const bool to_us = std::memcmp(ip6 + 24, cfg_.inside_ip6.data(), 16) == 0;
    switch (icmp[0]) {
    case kIcmp6NeighbourSolicit: {
        if (plen < 24 || ip6[7] != 255 || std::memcmp(icmp + 8, cfg_.inside_ip6.data(), 16) != 0) {
            drop(m, Verdict::drop_not_for_us);
            return;
        }
        // Learn the solicitor from its source link-layer option (RFC 4861 s7.2.3).
        for (uint32_t off = 24; off + 8 <= plen && icmp[off + 1] != 0; off += icmp[off + 1] * 8u)
            if (icmp[off] == kNdOptSourceLinkAddr && src[0] != 0)
                release_or_drop(neighbours_.learn_6(src, to_mac(icmp + off + 2), now_ms_), true);
        // Answer in place: NA with solicited + override and our link-layer address.
        const bool unspecified = std::all_of(src.begin(), src.end(), [](uint8_t b) { return b == 0; });
        const In6 all_nodes{0xFF, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
        const In6 dst = unspecified ? all_nodes : src;
        constexpr uint32_t kNaLen = 24 + 8;
        rte_pktmbuf_trim(m, static_cast<uint16_t>(len - kIp6HeaderLen - std::min(len - kIp6HeaderLen, kNaLen)));
        if (rte_pktmbuf_data_len(m) < kIp6HeaderLen + kNaLen &&
            rte_pktmbuf_append(m, static_cast<uint16_t>(kIp6HeaderLen + kNaLen - rte_pktmbuf_data_len(m))) == nullptr) {
            drop(m, Verdict::drop_no_mbuf);
            return;
        }
        store_be16(ip6 + 4, kNaLen);
        store_in6(ip6 + 24, dst);
        store_in6(ip6 + 8, cfg_.inside_ip6);
        icmp[0] = kIcmp6NeighbourAdvert;
        icmp[1] = 0;
        store_be32(icmp + 4, unspecified ? 0x20000000u : 0x60000000u);   // S (unless DAD) + O
        icmp[24] = kNdOptTargetLinkAddr;
        icmp[25] = 1;
        std::memcpy(icmp + 26, cfg_.inside_mac.addr_bytes, 6);
        store_be16(icmp + 2, 0);
        store_be16(icmp + 2, icmp6_checksum(ip6, kNaLen));
        counters_.ndp_adverts.add();
        auto* eth = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, kEtherHeaderLen));
        rte_ether_addr dmac;
        if (unspecified)
            dmac = rte_ether_addr{{0x33, 0x33, 0, 0, 0, 1}};
        else
            std::memcpy(dmac.addr_bytes, eth + 6, 6);   // the solicitor's source MAC
        write_ether(eth, dmac, cfg_.inside_mac, kEtherTypeIp6);
        tx_for(Side::inside).push(m);
        return;
    }
    case kIcmp6NeighbourAdvert: {
        if (plen >= 24) {
            const In6 target = load_in6(icmp + 8);
            for (uint32_t off = 24; off + 8 <= plen && icmp[off + 1] != 0; off += icmp[off + 1] * 8u)
                if (icmp[off] == kNdOptTargetLinkAddr)
                    release_or_drop(neighbours_.learn_6(target, to_mac(icmp + off + 2), now_ms_), true);
        }
        counters_.count(Verdict::forward);
        rte_pktmbuf_free(m);
        return;
    }
    case kIcmp6EchoRequest: {
        if (!to_us) {
            drop(m, Verdict::drop_not_for_us);
            return;
        }
        // Swap addresses (the pseudo-header sum is unchanged) and patch the type.
        store_in6(ip6 + 24, src);
        store_in6(ip6 + 8, cfg_.inside_ip6);
        ip6[7] = 64;
        icmp[0] = kIcmp6EchoReply;
        store_be16(icmp + 2, 0);
        store_be16(icmp + 2, icmp6_checksum(ip6, plen));
        counters_.echo_replies.add();
        send_6(m, src);
        return;
    }
    default:
        drop(m, Verdict::drop_not_for_us);
        return;
    }
}

void Worker::handle_local_4(rte_mbuf* m) noexcept
{
    uint8_t* ip4 = l3_of(m);
    const uint32_t len = rte_pktmbuf_data_len(m);
    const uint32_t ihl = (ip4[0] & 0x0Fu) * 4;
    const uint32_t total = load_be16(ip4 + 2);
    if ((ip4[0] >> 4) != 4 || ihl < kIp4HeaderLen || total > len || total < ihl + kIcmpHeaderLen ||
        ip4[9] != kProtoIcmp4 || ip4[ihl] != kIcmp4EchoRequest) {
        drop(m, Verdict::drop_not_for_us);
        return;
    }
    const Ip4 src = load_be32(ip4 + 12);
    const Ip4 dst = load_be32(ip4 + 16);
    store_be32(ip4 + 12, dst);
    store_be32(ip4 + 16, src);
    ip4[8] = 64;
    store_be16(ip4 + 10, 0);
    store_be16(ip4 + 10, xlate::csum_finish(xlate::csum_add_bytes(0, ip4, ihl)));
    uint8_t* icmp = ip4 + ihl;
    icmp[0] = kIcmp4EchoReply;
    store_be16(icmp + 2, 0);
    store_be16(icmp + 2, xlate::csum_finish(xlate::csum_add_bytes(0, icmp, total - ihl)));
    counters_.echo_replies.add();
    send_4(m, src);
}

} // namespace nat64d::dp
