// Sessions and mappings on rte_hash (RFC 6146 s3.1, s3.5). See flow_table.hpp
// for the layout and the concurrency rules.
#include "dataplane/flow/flow_table.hpp"
#include "dataplane/flow/rings.hpp"

#include <algorithm>
#include <cstring>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pause.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "dataplane/flow/lf_hash.hpp"
#include "dataplane/io/port.hpp"

namespace nat64d::dp {

namespace {

// How long a worker waits for another to finish a session or mapping both
// are creating: the other holds no lock and completes in well under a
// microsecond unless it lost its CPU, and then dropping one packet beats
// spinning through the other's time slice.
constexpr uint32_t kBusyWaitPauses = 2000;

template <typename Word, typename Bit>
bool wait_until_set(const std::atomic<Word>& word, Bit bit) noexcept
{
    for (uint32_t i = 0; i < kBusyWaitPauses; ++i) {
        if ((word.load(std::memory_order_acquire) & bit) != 0)
            return true;
        rte_pause();
    }
    return false;
}

constexpr uint32_t kPortReturnBurst = 64;
constexpr uint32_t kPortReturnMax = 1024;     // per drain_port_returns() call

// A returned port as one ring element: proto << 48 | addr_index << 16 | port.
uint64_t pack_port_return(nat::PortProto proto, uint32_t addr_index, uint16_t port) noexcept
{
    return (uint64_t{static_cast<uint8_t>(proto)} << 48) | (uint64_t{addr_index} << 16) | port;
}

// Sizes of the reclamation queues. Deleted positions wait a grace period
// (microseconds while workers poll); the ager deletes at most a pass's budget
// between two reclaims, so an eighth of the table is ample, and a full FIFO
// only pauses the ager. Port-return rings: a worker drains 1024 a call.
constexpr uint32_t kMinRetired = 65536;
constexpr uint32_t kRetireBatches = 4096;
constexpr uint32_t kWorkerRetiredRing = 4096;
constexpr uint32_t kMinPortRing = 16384;

} // namespace

FlowTable::FlowTable(const FlowTableConfig& cfg, nat::PortAllocator& ports)
    : max_flows_(cfg.max_flows), max_mappings_(cfg.max_mappings ? cfg.max_mappings : cfg.max_flows),
      workers_(std::max(cfg.workers, 1u)), events_(cfg.events), ports_(ports)
{
    counters_ = std::make_unique<WriterCounters[]>(workers_ + 1);
    try {
        // Sessions in one rte_hash: every packet looks them up, and two shards
        // cost a second bulk lookup per burst (each a round of cache misses
        // in a large table). Mappings are looked up only by creates, so they
        // split where that saves memory (lf_hash.hpp). Session keys are
        // headed: the protocol rides in rte_hash's data word (flow_key.hpp).
        static_assert(nat::kFlowKeyHead == LfHash::kHead);
        sessions_hash_ = std::make_unique<LfHash>(cfg.name + "_s", max_flows_, sizeof(nat::FlowKey6), cfg.socket,
                                                  false, LfHash::kHead);
        mappings_hash_ = std::make_unique<LfHash>(cfg.name + "_m", max_mappings_, sizeof(nat::BibKey6), cfg.socket,
                                                  true);
        const size_t qsize = rte_rcu_qsbr_get_memsize(workers_);
        qsbr_ = static_cast<rte_rcu_qsbr*>(rte_zmalloc_socket("nat64d_qsbr", qsize, RTE_CACHE_LINE_SIZE, cfg.socket));
        if (qsbr_ == nullptr || rte_rcu_qsbr_init(qsbr_, workers_) != 0)
            throw StartupError("flow table: QSBR variable for " + std::to_string(workers_) + " workers");
        // A full port ring holds the ager back until the worker drains it.
        port_ring_size_ = std::min(max_mappings_, std::max(kMinPortRing, max_mappings_ / 16));
        for (uint32_t w = 0; w < workers_; ++w)
            port_rings_.push_back(make_exact_ring(cfg.name + "_pr" + std::to_string(w), port_ring_size_, 8, cfg.socket,
                                                  RING_F_SC_DEQ));   // producers: the ager, and a worker undoing a failed create
        worker_retired_ = make_exact_ring(cfg.name + "_rt", kWorkerRetiredRing, sizeof(uint32_t), cfg.socket, RING_F_SC_DEQ);
        for (uint32_t w = 0; w <= workers_; ++w)
                event_rings_.push_back(make_exact_ring(cfg.name + "_ev" + std::to_string(w), cfg.event_ring_size,
                                                       sizeof(FlowEvent), cfg.socket, RING_F_SP_ENQ | RING_F_SC_DEQ));
        if (cfg.block_size != 0) {
            nat::BlockPoolConfig bc = cfg.blocks;
            bc.block_size = cfg.block_size;
            blocks_ = std::make_unique<nat::BlockPool>(bc);
            if (blocks_->addresses() < bc.addresses)
                throw StartupError("port blocks: no memory for the blocks of " + std::to_string(bc.addresses) +
                                   " pool address(es)");
        }
        if (cfg.subscribers.limits.any() || blocks_ != nullptr) {
            SubscriberTableConfig sc = cfg.subscribers;
            if (blocks_ == nullptr)
                sc.max_blocks = 0;
            else if (sc.max_blocks == 0)
                sc.max_blocks = 1;
            subscribers_ = std::make_unique<SubscriberTable>(sc);
        }
    } catch (...) {
        release();
        throw;
    }
    sessions_ = std::make_unique<Session[]>(sessions_hash_->positions());
    mappings_ = std::make_unique<MappingSlot[]>(mappings_hash_->positions());
    retired_cap_ = cfg.retire_queue != 0
                       ? cfg.retire_queue
                       : std::max(kMinRetired, (sessions_hash_->positions() + mappings_hash_->positions()) / 8);
    retired_ = std::make_unique<uint32_t[]>(retired_cap_);
    batches_cap_ = kRetireBatches;
    batches_ = std::make_unique<RetireBatch[]>(batches_cap_);
}

FlowTable::~FlowTable() { release(); }

void FlowTable::release() noexcept
{
    for (rte_ring* r : port_rings_)
        rte_ring_free(r);
    for (rte_ring* r : event_rings_)
        rte_ring_free(r);
    port_rings_.clear();
    event_rings_.clear();
    rte_ring_free(worker_retired_);
    worker_retired_ = nullptr;
    sessions_hash_.reset();
    mappings_hash_.reset();
    rte_free(qsbr_);
    qsbr_ = nullptr;
}

void FlowTable::register_worker(uint32_t w) noexcept
{
    rte_rcu_qsbr_thread_register(qsbr_, w);
    rte_rcu_qsbr_thread_online(qsbr_, w);
}

void FlowTable::unregister_worker(uint32_t w) noexcept
{
    rte_rcu_qsbr_thread_offline(qsbr_, w);
    rte_rcu_qsbr_thread_unregister(qsbr_, w);
}

void FlowTable::quiescent(uint32_t w) noexcept { rte_rcu_qsbr_quiescent(qsbr_, w); }
void FlowTable::offline(uint32_t w) noexcept { rte_rcu_qsbr_thread_offline(qsbr_, w); }
void FlowTable::online(uint32_t w) noexcept { rte_rcu_qsbr_thread_online(qsbr_, w); }

uint32_t FlowTable::drain_port_returns(uint32_t w, uint32_t now_s) noexcept
{
    std::array<uint64_t, kPortReturnBurst> batch;
    uint32_t done = 0;
    while (done < kPortReturnMax) {
        const unsigned n = rte_ring_sc_dequeue_burst_elem(port_rings_[w], batch.data(), sizeof(uint64_t),
                                                          kPortReturnBurst, nullptr);
        for (unsigned i = 0; i < n; ++i) {
            const uint64_t v = batch[i];
            const auto proto = static_cast<nat::PortProto>(v >> 48);
            const uint32_t addr_index = static_cast<uint32_t>(v >> 16) & 0xFFFFFFFFu;
            if (ports_.free_port(proto, addr_index, static_cast<uint16_t>(v), now_s))
                port_back(proto, addr_index, static_cast<uint16_t>(v), now_s);
        }
        done += n;
        if (n < kPortReturnBurst)
            break;
    }
    return done;
}

void FlowTable::retire(uint32_t tagged) noexcept
{
    if (retired_room() == 0) [[unlikely]] {
        // Only a management operation gets here (the ager checks for room
        // first): wait for the oldest grace periods.
        seal_batch();
        reclaim(true);
        if (retired_room() == 0) {
            counters_[control_writer()].slots_lost.add();
            return;
        }
    }
    retired_[(retired_head_ + retired_count_) % retired_cap_] = tagged;
    ++retired_count_;
    ++open_count_;
}

void FlowTable::seal_batch() noexcept
{
    // The token is taken after the deletes: a reader that still found one of
    // these keys reports its next quiescent state after it, not before.
    if (open_count_ == 0 || batches_count_ == batches_cap_)
        return;   // no batch free: the open one grows until one is
    batches_[(batches_head_ + batches_count_) % batches_cap_] = {rte_rcu_qsbr_start(qsbr_), open_count_};
    ++batches_count_;
    open_count_ = 0;
}

void FlowTable::retire_from_worker(uint32_t writer, uint32_t tagged) noexcept
{
    if (rte_ring_mp_enqueue_elem(worker_retired_, &tagged, sizeof(tagged)) != 0) [[unlikely]]
        counters_[writer].slots_lost.add();
}

bool FlowTable::free_retired(uint32_t tagged, uint32_t& ports_returned) noexcept
{
    const uint32_t pos = tagged & kRetiredPosMask;
    if ((tagged & kRetiredMapping) == 0 && (tagged & kRetiredSubscriber) != 0) {
        subscribers_->free_position(pos);
        return true;
    }
    if ((tagged & kRetiredMapping) == 0) {
        sessions_[pos].pub.store(0, std::memory_order_relaxed);   // unclaimed for its next key
        sessions_hash_->free_position(pos);
        return true;
    }
    if ((tagged & kRetiredReturnPort) != 0) {
        // The slot is intact until its position is freed just below.
        const MappingSlot& slot = mappings_[pos];
        nat::PortProto proto = nat::PortProto::tcp;
        nat::port_proto_of(slot.proto6, proto);
        uint64_t v = pack_port_return(proto, slot.addr_index, slot.pub_port);
        if (rte_ring_enqueue_elem(port_rings_[ports_.worker_of(slot.pub_port)], &v, sizeof(v)) != 0) [[unlikely]]
            return false;   // the worker is behind: try again next pass
        ++ports_returned;
    }
    mappings_[pos].flags.store(0, std::memory_order_relaxed);   // unclaimed for its next key
    mappings_hash_->free_position(pos);
    return true;
}

uint32_t FlowTable::reclaim(bool wait) noexcept
{
    uint32_t ports_returned = 0;
    while (batches_count_ != 0) {
        RetireBatch& b = batches_[batches_head_];
        if (rte_rcu_qsbr_check(qsbr_, b.token, wait) != 1)
            break;   // FIFO: later tokens are not done either
        while (b.count != 0) {
            if (!free_retired(retired_[retired_head_], ports_returned)) [[unlikely]]
                return ports_returned;
            retired_head_ = retired_head_ + 1 == retired_cap_ ? 0 : retired_head_ + 1;
            --retired_count_;
            --b.count;
        }
        batches_head_ = batches_head_ + 1 == batches_cap_ ? 0 : batches_head_ + 1;
        --batches_count_;
    }
    return ports_returned;
}

void FlowTable::collect_worker_retired() noexcept
{
    // They join the FIFO and the next sealed batch. A worker retires only
    // when a create fails half-way, so this is seldom more than a few.
    std::array<uint32_t, 64> batch;
    for (;;) {
        const unsigned n = rte_ring_sc_dequeue_burst_elem(worker_retired_, batch.data(), sizeof(uint32_t),
                                                          batch.size(), nullptr);
        for (unsigned i = 0; i < n; ++i)
            retire(batch[i]);
        if (n < batch.size())
            return;
    }
}

uint32_t FlowTable::release_ports() noexcept
{
    collect_worker_retired();
    seal_batch();
    return reclaim(false);
}

void FlowTable::push_event(uint32_t writer, FlowEventKind kind, const nat::FlowKey6& key, Ip4 pub4,
                           uint16_t pub_port, bool is_static) noexcept
{
    // With port blocks the log holds blocks: a block's record names who had
    // each of its ports for its whole life, which is what makes it small.
    if (!events_enabled() || blocks_ != nullptr)
        return;
    FlowEvent e;
    e.tsc = rte_rdtsc();
    e.kind = kind;
    e.src6 = key.src;
    e.sport6 = key.sport;
    e.proto6 = key.proto;
    e.pub4 = pub4;
    e.pub_port = pub_port;
    e.is_static = is_static ? 1 : 0;
    if (kind == FlowEventKind::session_create || kind == FlowEventKind::session_delete) {
        e.dst4 = key.dst4;
        // An ICMP query has no destination port (the key repeats the identifier).
        e.dport = key.proto == kProtoIcmp6 ? 0 : key.dport;
    }
    // Never wait: a full ring loses the event, and says so in the counters.
    if (rte_ring_sp_enqueue_elem(event_rings_[writer], &e, sizeof(e)) != 0) [[unlikely]]
        counters_[writer].events_lost.add();
}

uint32_t FlowTable::drain_events(FlowEvent* out, uint32_t max) noexcept
{
    // Drained even while off: what was pushed before a reload turned them off.
    uint32_t n = 0;
    const auto rings = static_cast<uint32_t>(event_rings_.size());
    for (uint32_t i = 0; i < rings && n < max; ++i) {
        const uint32_t r = (next_event_ring_ + i) % rings;
        n += rte_ring_sc_dequeue_burst_elem(event_rings_[r], out + n, sizeof(FlowEvent), max - n, nullptr);
    }
    next_event_ring_ = (next_event_ring_ + 1) % rings;
    return n;
}

void FlowTable::lookup_bulk(const nat::FlowKey6* const* keys, uint32_t n, int32_t* positions) const noexcept
{
    sessions_hash_->lookup_bulk(reinterpret_cast<const void**>(const_cast<const nat::FlowKey6**>(keys)), n,
                                positions);
    // A session inserted by another worker but not yet complete is a miss here;
    // create() will find it and complete it the same way.
    for (uint32_t i = 0; i < n; ++i)
        if (positions[i] >= 0 && !sessions_[static_cast<uint32_t>(positions[i])].ready()) [[unlikely]]
            positions[i] = -ENOENT;
}

void FlowTable::prefetch_mappings(const nat::FlowKey6* const* keys, const int32_t* positions,
                                  uint32_t n) const noexcept
{
    std::array<nat::BibKey6, RTE_HASH_LOOKUP_BULK_MAX> bib;
    std::array<const void*, RTE_HASH_LOOKUP_BULK_MAX> ptrs;
    std::array<int32_t, RTE_HASH_LOOKUP_BULK_MAX> found;
    uint32_t misses = 0;
    for (uint32_t i = 0; i < n && i < RTE_HASH_LOOKUP_BULK_MAX; ++i) {
        if (positions[i] >= 0)
            continue;
        bib[misses] = nat::bib_key_of(*keys[i]);
        ptrs[misses] = &bib[misses];
        ++misses;
    }
    // One miss has nothing to overlap with; create() looks it up anyway.
    if (misses >= 2)
        mappings_hash_->lookup_bulk(ptrs.data(), misses, found.data());
}

int32_t FlowTable::lookup(const nat::FlowKey6& key) const noexcept
{
    int32_t p = sessions_hash_->lookup(&key);
    if (p >= 0 && !sessions_[static_cast<uint32_t>(p)].ready())
        return -ENOENT;
    return p;
}

bool FlowTable::key_at(int32_t pos, nat::FlowKey6& key) const noexcept
{
    const void* kp = nullptr;
    if (pos < 0 || !sessions_[static_cast<uint32_t>(pos)].ready() ||
        !sessions_hash_->checked_key(static_cast<uint32_t>(pos), kp))
        return false;
    std::memcpy(&key, kp, sizeof(key));
    return true;
}

void FlowTable::refused_by_subscriber(const SubscriberRefusal& r, const nat::FlowKey6& key, uint32_t writer,
                                      Verdict& why) noexcept
{
    why = r.verdict;
    if (!r.report || !events_enabled())
        return;
    FlowEvent e;
    e.tsc = rte_rdtsc();
    e.kind = FlowEventKind::quota_exceeded;
    e.src6 = subscribers_->prefix_of(key.src);
    e.subscriber_len = subscribers_->prefix_len();
    e.proto6 = key.proto;
    e.quota = r.quota;
    e.limit = r.limit;
    if (rte_ring_sp_enqueue_elem(event_rings_[writer], &e, sizeof(e)) != 0) [[unlikely]]
        counters_[writer].events_lost.add();
}

void FlowTable::report_ports_exhausted(const nat::FlowKey6& key, nat::PortProto proto, uint32_t worker,
                                       uint32_t now_s) noexcept
{
    uint32_t& last = counters_[worker].exhausted_reported_s[static_cast<uint32_t>(proto)];
    if (!events_enabled() || last == now_s)
        return;
    last = now_s;
    FlowEvent e;
    e.tsc = rte_rdtsc();
    e.kind = FlowEventKind::ports_exhausted;
    e.src6 = key.src;
    e.sport6 = key.sport;
    e.proto6 = key.proto;
    e.pub4 = ports_.address(ports_.paired_address(key.src));
    if (rte_ring_sp_enqueue_elem(event_rings_[worker], &e, sizeof(e)) != 0) [[unlikely]]
        counters_[worker].events_lost.add();
}

nat::PortAllocation FlowTable::allocate_port(const nat::FlowKey6& key, nat::PortProto proto, uint32_t worker,
                                            int32_t sub, uint32_t now_s, Verdict& why) noexcept
{
    const uint16_t sport = proto == nat::PortProto::icmp ? nat::PortAllocator::kAnyPort : key.sport;
    if (blocks_ == nullptr)
        return ports_.allocate(worker, proto, key.src, nat::PortAllocator::kClaimed, now_s, sport);
    // Port blocks: a port from one of the subscriber's blocks; when they are
    // full, another block on the subscriber's address (paired pooling: all
    // its blocks on one), up to max_blocks.
    std::atomic<uint32_t>* slots = subscribers_->blocks(sub, proto);
    const uint32_t n = subscribers_->max_blocks();
    for (int round = 0; round < 4; ++round) {
        uint32_t free_slot = n;
        uint32_t held_addr = UINT32_MAX;   // where the subscriber's blocks are
        // Newest block first (slots fill from the front): the older ones are
        // likely full. A full block is skipped on its count alone.
        for (uint32_t k = n; k-- > 0;) {
            const uint32_t v = slots[k].load(std::memory_order_acquire);
            if (v == 0) {
                free_slot = k;
                continue;
            }
            if ((v & SubscriberTable::kBlockReleasing) != 0)
                continue;
            held_addr = blocks_->range(proto, v - 1).addr_index;
            if (blocks_->used(proto, v - 1) >= blocks_->block_size())
                continue;
            // Count first, then check the block is still ours: the ager marks
            // the slot first, then checks the count (release_blocks()), so
            // one of the two sees the other.
            const uint32_t id = v - 1;
            blocks_->add_used(proto, id);
            if (slots[k].load(std::memory_order_seq_cst) == v) {
                const nat::BlockPool::Range r = blocks_->range(proto, id);
                const nat::PortAllocation a = ports_.allocate_in(worker, proto, r.addr_index, r.first, r.last,
                                                                 nat::PortAllocator::kClaimed, now_s, sport);
                if (a.verdict == Verdict::forward)
                    return a;   // the port keeps the block's count up until it is freed
            }
            blocks_->sub_used(proto, id, now_s);
        }
        if (free_slot == n) {
            const SubscriberRefusal r = subscribers_->refuse_ports(sub, now_s, n * blocks_->block_size());
            refused_by_subscriber(r, key, worker, why);
            return {why, 0, 0, 0};
        }
        // Next to the blocks it holds, unless that address drains: the
        // paired address may have moved since (a reload added an address).
        const uint32_t addr = held_addr != UINT32_MAX && !ports_.draining(held_addr)
                                  ? held_addr
                                  : ports_.paired_address(subscribers_->prefix_of(key.src));
        const uint32_t id = blocks_->claim(proto, addr, static_cast<uint32_t>(sub) + 1, ports_.random(worker), now_s);
        if (id == nat::BlockPool::kNone)
            return {Verdict::drop_ports_exhausted, addr, ports_.address(addr), 0};
        uint32_t expected = 0;
        if (!slots[free_slot].compare_exchange_strong(expected, id + 1, std::memory_order_acq_rel)) {
            blocks_->release(proto, id);   // another worker filled the slot first: use its block
            continue;
        }
        push_block_event(worker, FlowEventKind::block_allocate, subscribers_->prefix_of(key.src), proto, id);
    }
    return {Verdict::drop_flow_busy, 0, 0, 0};
}

const char* FlowTable::add_pool_address(Ip4 addr) noexcept
{
    uint32_t existing = 0;
    if (ports_.find_address(addr, existing))
        return "already in the pool";
    // Blocks first, so no worker sees the address before its blocks; after
    // a failure below they are one ahead, and the next try reuses them.
    if (blocks_ != nullptr && blocks_->addresses() == ports_.address_count() && !blocks_->add_address())
        return "no room for its port blocks";
    return ports_.add_address(addr);
}

void FlowTable::port_back(nat::PortProto proto, uint32_t addr_index, uint16_t port, uint32_t now_s) noexcept
{
    uint32_t id = 0;
    if (blocks_ != nullptr && blocks_->block_of(proto, addr_index, port, id))
        blocks_->sub_used(proto, id, now_s);
}

void FlowTable::release_blocks(uint32_t now_s, uint32_t budget) noexcept
{
    if (blocks_ == nullptr)
        return;
    const uint32_t positions = subscribers_->positions();
    const uint32_t n = subscribers_->max_blocks();
    const uint32_t quarantine = ports_.quarantine_s();
    for (uint32_t i = 0; i < budget && i < positions; ++i) {
        const uint32_t pos = block_cursor_;
        block_cursor_ = block_cursor_ + 1 == positions ? 0 : block_cursor_ + 1;
        for (uint32_t p = 0; p < nat::kPortProtoCount; ++p) {
            const auto proto = static_cast<nat::PortProto>(p);
            std::atomic<uint32_t>* slots = subscribers_->blocks(static_cast<int32_t>(pos), proto);
            for (uint32_t k = 0; k < n; ++k) {
                uint32_t v = slots[k].load(std::memory_order_acquire);
                if (v == 0 || (v & SubscriberTable::kBlockReleasing) != 0)
                    continue;
                const uint32_t id = v - 1;
                // RFC 6888 REQ-8 for the whole block: empty for a quarantine.
                if (blocks_->used(proto, id) != 0 || now_s - blocks_->empty_since(proto, id) < quarantine)
                    continue;
                if (!slots[k].compare_exchange_strong(v, v | SubscriberTable::kBlockReleasing,
                                                      std::memory_order_seq_cst))
                    continue;
                if (blocks_->used(proto, id) != 0) {   // a worker took a port from it meanwhile
                    slots[k].store(v, std::memory_order_release);
                    continue;
                }
                In6 prefix{};
                subscribers_->prefix_at(pos, prefix);
                push_block_event(control_writer(), FlowEventKind::block_release, prefix, proto, id);
                slots[k].store(0, std::memory_order_release);
                blocks_->release(proto, id);
            }
        }
    }
}

void FlowTable::push_block_event(uint32_t writer, FlowEventKind kind, const In6& prefix, nat::PortProto proto,
                                 uint32_t id) noexcept
{
    if (!events_enabled())
        return;
    const nat::BlockPool::Range r = blocks_->range(proto, id);
    FlowEvent e;
    e.tsc = rte_rdtsc();
    e.kind = kind;
    e.src6 = prefix;
    e.subscriber_len = subscribers_->prefix_len();
    e.proto6 = proto == nat::PortProto::tcp ? kProtoTcp : proto == nat::PortProto::udp ? kProtoUdp : kProtoIcmp6;
    e.pub4 = ports_.address(r.addr_index);
    e.pub_port = r.first;
    e.dport = r.last;
    if (rte_ring_sp_enqueue_elem(event_rings_[writer], &e, sizeof(e)) != 0) [[unlikely]]
        counters_[writer].events_lost.add();
}

int32_t FlowTable::find_or_create_mapping(const nat::FlowKey6& key, uint32_t worker, uint32_t now_s, int32_t sub,
                                          Verdict& why) noexcept
{
    nat::PortProto proto;
    if (!nat::port_proto_of(key.proto, proto)) {
        why = Verdict::drop_unsupported_proto;
        return -1;
    }
    const nat::BibKey6 bib = nat::bib_key_of(key);
    int32_t m = mappings_hash_->lookup(&bib);
    if (m >= 0) {
        // Another worker may be completing it this very moment.
        if (wait_until_set(mappings_[static_cast<uint32_t>(m)].flags, kMappingReady))
            return m;
        why = Verdict::drop_flow_busy;
        return -1;
    }
    // A new public port: the subscriber's port limit first (RFC 6888 REQ-4).
    SubscriberRefusal refusal;
    if (sub >= 0 && !subscribers_->take_port(sub, proto, now_s, refusal)) {
        refused_by_subscriber(refusal, key, worker, why);
        return -1;
    }
    // RFC 6146 s3.5.1.1 / RFC 6056: a random port from this worker's slice,
    // claimed before the key is added, so running out of ports costs no table
    // churn; the direct map names the mapping once its position is known.
    const nat::PortAllocation a = allocate_port(key, proto, worker, sub, now_s, why);
    if (a.verdict != Verdict::forward) {
        if (sub >= 0)
            subscribers_->give_port(sub, proto);
        if (a.verdict == Verdict::drop_ports_exhausted)
            report_ports_exhausted(key, proto, worker, now_s);
        why = a.verdict;
        return -1;
    }
    m = mappings_hash_->add(&bib);
    if (m < 0) {
        ports_.unclaim(proto, a.addr_index, a.port);
        port_back(proto, a.addr_index, a.port, now_s);
        if (sub >= 0)
            subscribers_->give_port(sub, proto);
        why = Verdict::drop_table_full;
        return -1;
    }
    MappingSlot& slot = mappings_[static_cast<uint32_t>(m)];
    uint8_t flags = slot.flags.load(std::memory_order_acquire);
    if (flags != 0 || !slot.flags.compare_exchange_strong(flags, kMappingClaimed, std::memory_order_acquire)) {
        // Another worker added the same key first and fills it: EIM means this
        // host gets that mapping, not a second one (RFC 4787 REQ-1).
        ports_.unclaim(proto, a.addr_index, a.port);
        port_back(proto, a.addr_index, a.port, now_s);
        if (sub >= 0)
            subscribers_->give_port(sub, proto);
        if (wait_until_set(slot.flags, kMappingReady))
            return m;
        why = Verdict::drop_flow_busy;
        return -1;
    }
    slot.pub_port = a.port;
    slot.addr_index = static_cast<uint16_t>(a.addr_index);
    slot.proto6 = key.proto;
    slot.sessions.store(0, std::memory_order_relaxed);
    ports_.set_owner(proto, a.addr_index, a.port, static_cast<uint32_t>(m) + 1);
    slot.flags.store(kMappingClaimed | kMappingReady, std::memory_order_release);   // pairs with ready()
    counters_[worker].mappings_created[static_cast<uint32_t>(proto)].add();
    push_event(worker, FlowEventKind::mapping_create, key, a.addr, a.port, false);
    return m;
}

void FlowTable::drop_mapping(int32_t m, const nat::BibKey6& bib, nat::PortProto proto, uint32_t writer,
                             uint32_t now_s) noexcept
{
    MappingSlot& slot = mappings_[static_cast<uint32_t>(m)];
    slot.flags.store(slot.flags.load(std::memory_order_relaxed) & ~kMappingReady, std::memory_order_relaxed);
    const Ip4 pub4 = ports_.address(slot.addr_index);
    const nat::FlowKey6 k = nat::make_flow_key6(bib.src, 0, bib.sport, 0, bib.proto);
    push_event(writer, FlowEventKind::mapping_delete, k, pub4, slot.pub_port, false);
    counters_[writer].mappings_removed[static_cast<uint32_t>(proto)].add();
    if (subscribers_ != nullptr)
        subscribers_->give_port(subscribers_->find(bib.src), proto);
    // Inbound packets stop finding the mapping; the port stays taken. Its
    // position can be reused after the grace period, and by then no reader
    // can reach it through this port.
    ports_.disown(proto, slot.addr_index, slot.pub_port, static_cast<uint32_t>(m) + 1);
    if (mappings_hash_->del(&bib) < 0) [[unlikely]]
        return;
    // The port allocator's slice belongs to one worker: only it frees ports in
    // it. RFC 6888: the port then rests in quarantine before another subscriber
    // gets it.
    if (writer == control_writer()) {
        // The ager: position and port wait for a grace period, so no reader
        // that still holds this mapping's session sees the port owned by another.
        retire(static_cast<uint32_t>(m) | kRetiredMapping | kRetiredReturnPort);
        return;
    }
    // A worker undoing its own failed create: the mapping was visible for a
    // moment only; the quarantine covers late readers.
    const uint32_t owner = ports_.worker_of(slot.pub_port);
    uint64_t v = pack_port_return(proto, slot.addr_index, slot.pub_port);
    if (writer == owner) {
        if (ports_.free_port(proto, slot.addr_index, slot.pub_port, now_s))
            port_back(proto, slot.addr_index, slot.pub_port, now_s);
    } else if (rte_ring_enqueue_elem(port_rings_[owner], &v, sizeof(v)) != 0) [[unlikely]]
        counters_[writer].port_returns_lost.add();
    retire_from_worker(writer, static_cast<uint32_t>(m) | kRetiredMapping);
}

int32_t FlowTable::create(const nat::FlowKey6& key, uint32_t worker, uint32_t now_s, Verdict& why,
                          bool* created) noexcept
{
    if (created != nullptr)
        *created = false;
    // The subscriber's session limit and rate first (RFC 6888 REQ-4): a
    // subscriber at its limit costs no port, mapping or table entry.
    int32_t sub = -1;
    if (subscribers_ != nullptr) {
        SubscriberRefusal refusal;
        sub = subscribers_->take_session(key.src, now_s, refusal);
        if (sub < 0) [[unlikely]] {
            if (refusal.quota != QuotaKind::none)
                refused_by_subscriber(refusal, key, worker, why);
            else
                why = refusal.verdict;
            return -1;
        }
    }
    bool made = false;
    const int32_t p = create_session(key, worker, now_s, sub, why, &made);
    // Every path but "this call made the session" hands the subscriber's
    // session back; the ager gives back the ones it removes.
    if (sub >= 0 && !made)
        subscribers_->give_session(sub);
    if (created != nullptr)
        *created = made;
    return p;
}

int32_t FlowTable::create_session(const nat::FlowKey6& key, uint32_t worker, uint32_t now_s, int32_t sub,
                                  Verdict& why, bool* created) noexcept
{
    const int32_t m = find_or_create_mapping(key, worker, now_s, sub, why);
    if (m < 0)
        return -1;
    MappingSlot& slot = mappings_[static_cast<uint32_t>(m)];
    const int32_t p = sessions_hash_->add(&key);
    if (p < 0) [[unlikely]] {
        nat::PortProto proto;
        uint32_t none = 0;
        // Drop the mapping only if no session has it, and claim that atomically
        // so no other worker attaches a session meanwhile.
        if (!slot.is_static() && nat::port_proto_of(key.proto, proto) &&
            slot.sessions.compare_exchange_strong(none, kDead, std::memory_order_relaxed))
            drop_mapping(m, nat::bib_key_of(key), proto, worker, now_s);
        why = Verdict::drop_table_full;
        return -1;
    }
    Session& s = sessions_[static_cast<uint32_t>(p)];
    uint32_t cur = s.pub.load(std::memory_order_acquire);
    if ((cur & Session::kReady) != 0)
        return p;   // another worker completed it first
    if (cur != 0 || !s.pub.compare_exchange_strong(cur, Session::kClaimed, std::memory_order_acquire)) {
        // Another worker added the same key and is filling it.
        if (wait_until_set(s.pub, Session::kReady))
            return p;
        why = Verdict::drop_flow_busy;
        return -1;
    }
    // Attach to the mapping unless the ager has just condemned it.
    uint32_t n = slot.sessions.load(std::memory_order_relaxed);
    do {
        if (n == kDead) [[unlikely]] {
            if (sessions_hash_->del(&key) >= 0)   // never published; found by others maybe
                retire_from_worker(worker, static_cast<uint32_t>(p));
            why = Verdict::drop_no_mapping;   // the next packet creates a fresh mapping
            return -1;
        }
    } while (!slot.sessions.compare_exchange_weak(n, n + 1, std::memory_order_relaxed));
    s.seen.store(Session::pack_seen(now_s, Session::initial_kind(key.proto)), std::memory_order_relaxed);
    s.pub.store(Session::pack_pub(slot.addr_index, slot.pub_port), std::memory_order_release);
    // The mapping's newest session answers its inbound packets without a
    // hash lookup (hinted_session()).
    LfHash::set_spare_word(mappings_hash_->key_at(static_cast<uint32_t>(m)), static_cast<uint64_t>(p) + 1);
    nat::PortProto proto = nat::PortProto::tcp;
    nat::port_proto_of(key.proto, proto);
    counters_[worker].sessions_created[static_cast<uint32_t>(proto)].add();
    push_event(worker, FlowEventKind::session_create, key, ports_.address(slot.addr_index), slot.pub_port, false);
    if (created != nullptr)
        *created = true;
    return p;
}

FlowTable::PublicRef FlowTable::resolve_public(uint8_t proto6, Ip4 pub4, uint16_t pub_port) const noexcept
{
    uint32_t addr_index = 0;
    if (ports_.find_address(pub4, addr_index))
        return resolve_public_at(proto6, addr_index, pub_port);
    PublicRef r;   // not a pool address: names no mapping (key_named() asks ours first)
    r.pub_port = pub_port;
    return r;
}

FlowTable::PublicRef FlowTable::resolve_public_at(uint8_t proto6, uint32_t addr_index, uint16_t pub_port) const noexcept
{
    PublicRef r;
    r.pub_port = pub_port;
    r.addr_index = addr_index;
    r.ours = nat::port_proto_of(proto6, r.proto);
    if (r.ours)
        ports_.prefetch_owner(r.proto, r.addr_index, pub_port);
    return r;
}

const nat::BibKey6* FlowTable::key_named(const PublicRef& ref) const noexcept
{
    if (!ref.ours)
        return nullptr;
    const uint32_t owner = ports_.owner(ref.proto, ref.addr_index, ref.pub_port);
    if (owner == 0 || owner > mappings_hash_->positions())
        return nullptr;   // free, or claimed by a mapping being created or dropped
    return static_cast<const nat::BibKey6*>(mappings_hash_->key_at(owner - 1));
}

void FlowTable::name_mapping(PublicRef& ref) const noexcept
{
    ref.key = key_named(ref);
    if (ref.key != nullptr)
        rte_prefetch0(ref.key);
}

bool FlowTable::find_mapping(PublicRef& ref, In6& addr6, uint16_t& port6) const noexcept
{
    // The direct map names a position only while its mapping lives (and for
    // a grace period after the drop disowned the port, during which the key
    // stays in place), so the key there is this public port's mapping; a
    // worker reads it within the burst that named it, well inside that grace.
    const nat::BibKey6* key = ref.key;
    if (key == nullptr)
        return false;
    nat::PortProto key_proto;
    if (!nat::port_proto_of(key->proto, key_proto) || key_proto != ref.proto) [[unlikely]]
        return false;
    addr6 = key->src;
    port6 = key->sport;
    // The same cache line holds the mapping's last session: warm its key and
    // entry for hinted_session(), a step of the burst later.
    ref.session_hint = static_cast<uint32_t>(LfHash::spare_word(key));
    const uint32_t pos = ref.session_hint - 1;
    if (pos < sessions_hash_->positions()) {
        rte_prefetch0(sessions_hash_->key_at(pos));
        rte_prefetch0(&sessions_[pos]);
    }
    return true;
}

int32_t FlowTable::hinted_session(const PublicRef& ref, const nat::FlowKey6& key) const noexcept
{
    const uint32_t pos = ref.session_hint - 1;   // 0 (no hint) wraps past every position
    if (pos >= sessions_hash_->positions())
        return -1;
    // Ready first (acquire): the key of a ready session was stored before it
    // became ready, and a position reached in this burst cannot be freed and
    // reused before this worker's next quiescent state, so the key read next
    // is that session's. A removed session is not ready; a reused position
    // holds another key.
    if (!sessions_[pos].ready())
        return -1;
    if (std::memcmp(sessions_hash_->key_at(pos), &key, sizeof(key)) != 0)
        return -1;
    return static_cast<int32_t>(pos);
}

void FlowTable::remember_session(const PublicRef& ref, int32_t pos) const noexcept
{
    if (ref.key != nullptr)
        LfHash::set_spare_word(ref.key, static_cast<uint64_t>(pos) + 1);
}

bool FlowTable::find_mapping(uint8_t proto6, Ip4 pub4, uint16_t pub_port, In6& addr6,
                             uint16_t& port6) const noexcept
{
    PublicRef ref = resolve_public(proto6, pub4, pub_port);
    name_mapping(ref);
    return find_mapping(ref, addr6, port6);
}

bool FlowTable::add_static(const StaticMapping& sm) noexcept
{
    nat::PortProto proto;
    uint32_t addr_index = 0;
    if (!nat::port_proto_of(sm.proto6, proto) || !ports_.find_address(sm.addr4, addr_index))
        return false;
    const nat::BibKey6 bib = nat::make_bib_key6(sm.addr6, sm.port6, sm.proto6);
    if (mappings_hash_->lookup(&bib) >= 0 || ports_.owner(proto, addr_index, sm.port4) != 0)
        return false;
    const int32_t m = mappings_hash_->add(&bib);
    if (m < 0)
        return false;
    MappingSlot& slot = mappings_[static_cast<uint32_t>(m)];
    uint8_t flags = 0;
    if (!slot.flags.compare_exchange_strong(flags, kMappingClaimed | kMappingStatic, std::memory_order_acquire))
        return false;   // a worker created this host's dynamic mapping in the meantime
    if (!ports_.reserve(proto, addr_index, sm.port4, static_cast<uint32_t>(m) + 1)) {
        if (mappings_hash_->del(&bib) >= 0)   // never published; freed after a grace period
            retire(static_cast<uint32_t>(m) | kRetiredMapping);
        seal_batch();
        return false;
    }
    slot.pub_port = sm.port4;
    slot.addr_index = static_cast<uint16_t>(addr_index);
    slot.proto6 = sm.proto6;
    slot.sessions.store(0, std::memory_order_relaxed);
    slot.flags.store(kMappingClaimed | kMappingReady | kMappingStatic, std::memory_order_release);
    counters_[control_writer()].mappings_created[static_cast<uint32_t>(proto)].add();
    push_event(control_writer(), FlowEventKind::mapping_create,
               nat::make_flow_key6(sm.addr6, 0, sm.port6, 0, sm.proto6), sm.addr4, sm.port4, true);
    return true;
}

bool FlowTable::del_static(uint8_t proto6, const In6& addr6, uint16_t port6, uint32_t now_s) noexcept
{
    nat::PortProto proto;
    if (!nat::port_proto_of(proto6, proto))
        return false;
    const nat::BibKey6 bib = nat::make_bib_key6(addr6, port6, proto6);
    const int32_t m = mappings_hash_->lookup(&bib);
    if (m < 0)
        return false;
    MappingSlot& slot = mappings_[static_cast<uint32_t>(m)];
    if (!slot.is_static() || !slot.ready())
        return false;
    // Stop inbound first: the port is no longer reserved, so no new session
    // finds the mapping through the direct map.
    slot.flags.store(kMappingClaimed | kMappingStatic, std::memory_order_relaxed);
    ports_.unreserve(proto, slot.addr_index, slot.pub_port);
    // Its sessions go with it (they would keep using the port otherwise).
    remove_sessions_of(proto6, addr6, port6, now_s);
    counters_[control_writer()].mappings_removed[static_cast<uint32_t>(proto)].add();
    push_event(control_writer(), FlowEventKind::mapping_delete, nat::make_flow_key6(addr6, 0, port6, 0, proto6),
               ports_.address(slot.addr_index), slot.pub_port, true);
    if (mappings_hash_->del(&bib) >= 0)
        retire(static_cast<uint32_t>(m) | kRetiredMapping);   // its port is already free (unreserved)
    seal_batch();
    return true;
}

uint32_t FlowTable::remove_sessions_of(uint8_t proto6, const In6& addr6, uint16_t port6, uint32_t now_s) noexcept
{
    const uint32_t slots = sessions_hash_->positions();
    nat::FlowKey6 key;
    uint32_t removed = 0;
    for (uint32_t pos = 0; pos < slots; ++pos)
        if (live_key(pos, key) && key.proto == proto6 && key.sport == port6 && key.src == addr6) {
            remove_session(pos, key, now_s);
            ++removed;
        }
    return removed;
}

uint32_t FlowTable::remove_sessions_in(const xlate::Prefix6& prefix, uint32_t now_s) noexcept
{
    const uint32_t slots = sessions_hash_->positions();
    nat::FlowKey6 key;
    uint32_t removed = 0;
    for (uint32_t pos = 0; pos < slots; ++pos)
        if (live_key(pos, key) && xlate::in_prefix(prefix, key.src)) {
            remove_session(pos, key, now_s);
            ++removed;
        }
    seal_batch();
    return removed;
}

int64_t FlowTable::del_dynamic(uint8_t proto6, const In6& addr6, uint16_t port6, uint32_t now_s) noexcept
{
    const nat::BibKey6 bib = nat::make_bib_key6(addr6, port6, proto6);
    const int32_t m = mappings_hash_->lookup(&bib);
    if (m < 0)
        return -1;
    const MappingSlot& slot = mappings_[static_cast<uint32_t>(m)];
    if (slot.is_static() || !slot.ready())
        return -1;
    const uint32_t removed = remove_sessions_of(proto6, addr6, port6, now_s);
    seal_batch();
    return removed;
}

void FlowTable::release_session_mapping(const nat::FlowKey6& key, uint32_t now_s) noexcept
{
    const nat::BibKey6 bib = nat::bib_key_of(key);
    const int32_t m = mappings_hash_->lookup(&bib);
    nat::PortProto proto;
    if (m < 0 || !nat::port_proto_of(key.proto, proto))
        return;
    MappingSlot& slot = mappings_[static_cast<uint32_t>(m)];
    // The last session is gone: the mapping goes too (RFC 6146 s3.5.1: a BIB
    // entry lives while it has sessions); static ones stay. 1 -> kDead, not
    // 1 -> 0, so a worker attaching a session right now sees it condemned.
    uint32_t n = slot.sessions.load(std::memory_order_relaxed);
    for (;;) {
        if (n == 0 || n == kDead) [[unlikely]]
            return;
        const uint32_t next = (n == 1 && !slot.is_static()) ? kDead : n - 1;
        if (slot.sessions.compare_exchange_weak(n, next, std::memory_order_relaxed)) {
            if (next == kDead)
                drop_mapping(m, bib, proto, control_writer(), now_s);
            return;
        }
    }
}

bool FlowTable::live_key(uint32_t pos, nat::FlowKey6& key) const noexcept
{
    if (!sessions_[pos].ready())
        return false;
    const void* kp = nullptr;
    if (!sessions_hash_->checked_key(pos, kp))
        return false;
    std::memcpy(&key, kp, sizeof(key));
    return true;
}

void FlowTable::remove_session(uint32_t pos, const nat::FlowKey6& key, uint32_t now_s) noexcept
{
    Session& s = sessions_[pos];
    // Clear only the ready bit: a worker that looked the session up a moment
    // ago still reads its public address and port intact. The slot is reused
    // only after a grace period (the retire FIFO).
    const uint32_t pub = s.pub.load(std::memory_order_relaxed);
    s.pub.store(pub & ~Session::kReady, std::memory_order_release);
    const int32_t deleted = sessions_hash_->del(&key);
    if (deleted < 0)
        return;
    retire(static_cast<uint32_t>(deleted));
    nat::PortProto proto = nat::PortProto::tcp;
    nat::port_proto_of(key.proto, proto);
    counters_[control_writer()].sessions_removed[static_cast<uint32_t>(proto)].add();
    push_event(control_writer(), FlowEventKind::session_delete, key, pub4(s), s.pub_port(), false);
    release_session_mapping(key, now_s);   // its port first: a subscriber holding none may be swept
    if (subscribers_ != nullptr)
        subscribers_->give_session(subscribers_->find(key.src));
}

uint32_t FlowTable::expire(uint32_t now_s, const nat::Timeouts& timeouts, uint32_t budget) noexcept
{
    // Walk the Session array by position (bounded work per pass whatever the
    // fill; rte_hash_iterate would scan every empty bucket of a sparse table
    // in one call). A session's kind gives its timeout, so one that is not
    // due is skipped on its 8-byte Session alone; only expired sessions pay
    // for their key, which rte_hash_get_key_with_position validates with a
    // lookup (a table full of idle, not yet expired sessions would otherwise
    // cost a hash lookup per position and pass).
    collect_worker_retired();
    reclaim(false);
    uint32_t removed = 0;
    const uint32_t slots = sessions_hash_->positions();
    nat::FlowKey6 key;
    for (uint32_t scanned = 0; scanned < budget && scanned < slots; ++scanned) {
        // A removal retires a session and maybe its mapping. Without room the
        // pass stops here and the next one resumes at this position.
        if (retired_room() < 2) [[unlikely]] {
            counters_[control_writer()].ager_stalls.add();
            break;
        }
        const uint32_t pos = ager_cursor_;
        ager_cursor_ = ager_cursor_ + 1 == slots ? 0 : ager_cursor_ + 1;
        const Session& s = sessions_[pos];
        if (!s.ready() || s.idle_s(now_s) < nat::expiry_s(s.proto6(), s.tcp_state(), timeouts) ||
            !live_key(pos, key))
            continue;
        remove_session(pos, key, now_s);
        ++removed;
    }
    // Blocks empty for a quarantine go back; then subscribers left holding
    // nothing go too, as far as the FIFO has room.
    release_blocks(now_s, budget);
    if (subscribers_ != nullptr)
        subscribers_->sweep(std::min(budget, retired_room()),
                            [this](uint32_t pos) { retire(pos | kRetiredSubscriber); });
    seal_batch();
    reclaim(false);
    return removed;
}

uint32_t FlowTable::session_positions() const noexcept { return sessions_hash_->positions(); }
uint32_t FlowTable::mapping_positions() const noexcept { return mappings_hash_->positions(); }

uint32_t FlowTable::visit_sessions(uint32_t from, uint32_t max_positions, uint32_t now_s,
                                   const std::function<bool(const SessionInfo&)>& fn) const
{
    const uint32_t slots = sessions_hash_->positions();
    const uint32_t end = max_positions >= slots - std::min(from, slots) ? slots : from + max_positions;
    SessionInfo info;
    for (uint32_t pos = from; pos < end; ++pos) {
        if (!live_key(pos, info.key))
            continue;
        const Session& s = sessions_[pos];
        info.pub4 = pub4(s);
        info.pub_port = s.pub_port();
        info.idle_s = s.idle_s(now_s);
        info.tcp_state = s.tcp_state();
        if (!fn(info))
            return pos + 1;
    }
    return end;
}

uint32_t FlowTable::visit_mappings(uint32_t from, uint32_t max_positions,
                                   const std::function<bool(const MappingInfo&)>& fn) const
{
    const uint32_t slots = mappings_hash_->positions();
    const uint32_t end = max_positions >= slots - std::min(from, slots) ? slots : from + max_positions;
    MappingInfo info;
    for (uint32_t pos = from; pos < end; ++pos) {
        const MappingSlot& slot = mappings_[pos];
        const void* kp = nullptr;
        if (!slot.ready() || !mappings_hash_->checked_key(pos, kp))
            continue;
        std::memcpy(&info.key, kp, sizeof(info.key));
        info.pub4 = ports_.address(slot.addr_index);
        info.pub_port = slot.pub_port;
        info.is_static = slot.is_static();
        const uint32_t n = slot.sessions.load(std::memory_order_relaxed);
        info.sessions = n == kDead ? 0 : n;
        if (!fn(info))
            return pos + 1;
    }
    return end;
}

FlowTableStats FlowTable::stats() const noexcept
{
    FlowTableStats st;
    for (uint32_t w = 0; w <= workers_; ++w) {
        const WriterCounters& c = counters_[w];
        for (uint32_t p = 0; p < nat::kPortProtoCount; ++p) {
            st.sessions_created[p] += c.sessions_created[p].read();
            st.sessions_removed[p] += c.sessions_removed[p].read();
            st.mappings_created[p] += c.mappings_created[p].read();
            st.mappings_removed[p] += c.mappings_removed[p].read();
        }
        st.events_lost += c.events_lost.read();
        st.port_returns_lost += c.port_returns_lost.read();
        st.slots_lost += c.slots_lost.read();
        st.ager_stalls += c.ager_stalls.read();
    }
    st.hash_sessions_used = sessions_hash_->count();
    st.hash_mappings_used = mappings_hash_->count();
    return st;
}

uint32_t FlowTable::live(const std::array<uint64_t, nat::kPortProtoCount>& created,
                         const std::array<uint64_t, nat::kPortProtoCount>& removed) noexcept
{
    uint64_t n = 0;
    for (uint32_t p = 0; p < nat::kPortProtoCount; ++p)
        n += created[p] - std::min(created[p], removed[p]);
    return static_cast<uint32_t>(n);
}

uint32_t FlowTable::session_count() const noexcept
{
    const FlowTableStats st = stats();
    return live(st.sessions_created, st.sessions_removed);
}

uint32_t FlowTable::mapping_count() const noexcept
{
    const FlowTableStats st = stats();
    return live(st.mappings_created, st.mappings_removed);
}

size_t FlowTable::array_bytes() const noexcept
{
    return size_t{sessions_hash_->positions()} * sizeof(Session) + size_t{mappings_hash_->positions()} * sizeof(MappingSlot) +
           size_t{retired_cap_} * sizeof(uint32_t) + size_t{batches_cap_} * sizeof(RetireBatch) +
           (subscribers_ ? subscribers_->memory_bytes() : 0);
}

} // namespace nat64d::dp
