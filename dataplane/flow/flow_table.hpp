// The NAT state: sessions and mappings in lock-free rte_hash tables shared by
// all workers (RFC 6146 s3.1 BIB and session table, merged with NAPT).
//
// - Sessions: a lock-free rte_hash (LfHash, lf_hash.hpp) keyed by the IPv6-side
//   5-tuple (FlowKey6). The key's position indexes a Session array (8 bytes:
//   public address and port, last activity, TCP state), so lookups need no
//   data pointer chase.
// - Mappings (BIB): an LfHash keyed by (IPv6 address, port, protocol), in
//   two rte_hash shards when its size is far from a power of two; the
//   position indexes a MappingSlot (public side, session count, 12 bytes).
//   The reverse direction needs no hash: the port allocator's direct map takes
//   (address, protocol, public port) to the mapping's position + 1 while the
//   mapping lives (a dropped mapping's port is disowned at once, before its
//   position can be reused), and the IPv6 side is the key at that position.
// - Inbound IPv4 packets: direct map -> mapping key -> session key -> one hash
//   lookup, or none: the mapping's entry keeps the position of its last
//   session in rte_hash's data word (unused by a table without a head), and
//   a packet whose key matches the session there skips the hash. Checked,
//   never trusted: a hint to a removed or reused position is a miss.
//
// Readers never lock (RW_CONCURRENCY_LF). Creation takes rte_hash's writer lock
// (MULTI_WRITER_ADD), the one lock on the packet path, only for new flows.
//
// Reclamation. A deleted key's position is reused only after a grace period:
// every worker reports a quiescent state once per loop (quiescent()) on one
// rte_rcu_qsbr variable, so a reader that found a position never sees it
// reused under it. The table does this itself rather than through rte_hash's
// QSBR defer queues: those must be sized for every key slot (12 bytes a slot,
// rounded to a power of two: 24 bytes per flow and table) because a full queue
// leaks the slot. Here deleted positions wait in one FIFO of 4-byte entries,
// sealed in batches under one QSBR token each, sized to a fraction of the
// table; when it is full the ager stops and resumes on its next pass
// (back-pressure instead of a leak). Only the control thread deletes in bulk;
// a worker undoing a failed create hands its positions over through a ring.
// A mapping's public port goes back, after the same grace period, to the
// worker that owns it (port % workers) through that worker's SPSC ring
// (drain_port_returns()), and then rests in the allocator's quarantine (RFC
// 6888 REQ-8). NAT events (docs/EVENT_LOG.md) go to the control thread through
// per-writer SPSC rings; a full ring counts the event as lost, never waits.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/counters.hpp"
#include "dataplane/flow/flow_event.hpp"
#include "dataplane/flow/lf_hash.hpp"
#include "dataplane/flow/subscribers.hpp"

#include "dataplane/nat/block_pool.hpp"
#include "dataplane/nat/flow_key.hpp"
#include "dataplane/nat/port_alloc.hpp"
#include "dataplane/nat/tcp_state.hpp"
#include "dataplane/nat/timeouts.hpp"
#include "dataplane/verdict.hpp"
#include "dataplane/xlate/rfc6052.hpp"

struct rte_hash;
struct rte_ring;
struct rte_rcu_qsbr;

namespace nat64d::dp {

struct Session {
    static constexpr uint32_t kReady = 1u << 31;
    // Set by the one writer that fills a new session (compare-and-swap from
    // 0), so two workers that add the same key at once never both fill it.
    // The word returns to 0 only when the position is freed after its grace period.
    static constexpr uint32_t kClaimed = 1u << 30;
    static constexpr uint32_t kClockBits = 28;   // seconds: wraps after 8.5 years, compared modulo
    static constexpr uint32_t kClockMask = (1u << kClockBits) - 1;

    // kReady | kClaimed | pool index << 16 | public port. Release-stored once
    // the session is complete; pairs with the acquire in ready(). Deleting
    // clears kReady only, so a worker that found the session a moment earlier
    // still reads its address and port intact.
    std::atomic<uint32_t> pub{0};
    // Last activity (seconds, low 28 bits) << 4 | kind. Relaxed: written by
    // workers on change only, read by the ager as a hint. The kind nibble is
    // a TCP session's nat::TcpState (0..7), or kKindUdp / kKindIcmp, so the
    // ager knows a session's timeout without reading its key.
    std::atomic<uint32_t> seen{0};
    static constexpr uint32_t kKindUdp = 8;
    static constexpr uint32_t kKindIcmp = 9;

    static constexpr uint32_t pack_pub(uint32_t addr_index, uint16_t port) noexcept
    {
        return kReady | kClaimed | (addr_index << 16) | port;
    }
    static constexpr uint32_t pack_seen(uint32_t now_s, uint32_t kind) noexcept { return (now_s << 4) | kind; }
    static constexpr uint32_t kind_of(uint32_t seen_word) noexcept { return seen_word & 0xF; }
    /// The kind a new session of IPv6-side protocol proto6 starts with.
    static constexpr uint32_t initial_kind(uint8_t proto6) noexcept
    {
        return proto6 == kProtoTcp   ? static_cast<uint32_t>(nat::TcpState::closed)
               : proto6 == kProtoUdp ? kKindUdp
                                     : kKindIcmp;
    }

    bool ready() const noexcept { return (pub.load(std::memory_order_acquire) & kReady) != 0; }
    uint32_t addr_index() const noexcept { return (pub.load(std::memory_order_relaxed) >> 16) & 0x3FFF; }
    uint16_t pub_port() const noexcept { return static_cast<uint16_t>(pub.load(std::memory_order_relaxed)); }
    /// A TCP session's state from its kind (meaningless for UDP and ICMP).
    static constexpr nat::TcpState tcp_state_of(uint32_t kind) noexcept
    {
        return static_cast<nat::TcpState>(kind & 0x7);
    }

    uint32_t kind() const noexcept { return kind_of(seen.load(std::memory_order_relaxed)); }
    nat::TcpState tcp_state() const noexcept { return tcp_state_of(kind()); }
    /// The IPv6-side protocol, from the kind (the inverse of initial_kind()).
    uint8_t proto6() const noexcept
    {
        const uint32_t k = kind();
        return k == kKindUdp ? kProtoUdp : k == kKindIcmp ? kProtoIcmp6 : kProtoTcp;
    }
    /// Seconds idle at now_s; 0 when the last activity lies ahead (a worker's
    /// clock may run a little ahead of the ager's).
    uint32_t idle_s(uint32_t now_s) const noexcept
    {
        const uint32_t d = (now_s - (seen.load(std::memory_order_relaxed) >> 4)) & kClockMask;
        return d >= (1u << (kClockBits - 1)) ? 0 : d;
    }
};
static_assert(sizeof(Session) == 8);
static_assert(nat::kTcpStateCount <= Session::kKindUdp, "TCP states and the other kinds share a nibble");
static_assert(nat::PortAllocator::kMaxAddresses <= (1u << 14), "pool index must fit Session::pub");
static_assert(nat::kMaxTimeoutS < (1u << (Session::kClockBits - 1)), "idle times must fit the session clock");

struct FlowTableConfig {
    std::string name = "nat64d";
    uint32_t max_flows = 1u << 20;
    uint32_t max_mappings = 0;            // 0: same as max_flows
    int socket = 0;
    uint32_t workers = 1;                 // QSBR readers; one port-return and one event ring each
    bool events = false;                  // NAT event log on: push a FlowEvent per create/delete
    uint32_t event_ring_size = 16384;     // events per ring
    uint32_t retire_queue = 0;            // deleted positions waiting for a grace period; 0: automatic
    // Per-subscriber limits: the subscriber table exists only when one is
    // set, so without limits a create costs nothing more.
    SubscriberTableConfig subscribers;
    // Port block allocation: block_size ports at a time per subscriber (up to
    // subscribers.max_blocks per protocol); 0: ports one by one. With blocks
    // the event log records blocks, not mappings and sessions.
    uint32_t block_size = 0;
    nat::BlockPoolConfig blocks;          // addresses and ranges (nat::block_pool_of)
};

/// A session as the control thread lists it (`nat64ctl flows`).
struct SessionInfo {
    nat::FlowKey6 key;
    Ip4 pub4 = 0;
    uint16_t pub_port = 0;
    uint32_t idle_s = 0;
    nat::TcpState tcp_state = nat::TcpState::closed;
};

/// A mapping (BIB entry) as the control thread lists it (`nat64ctl bib list`).
struct MappingInfo {
    nat::BibKey6 key;
    Ip4 pub4 = 0;
    uint16_t pub_port = 0;
    bool is_static = false;
    uint32_t sessions = 0;
};

/// Totals by port space (nat::PortProto: tcp, udp, icmp), summed over writers.
struct FlowTableStats {
    std::array<uint64_t, nat::kPortProtoCount> sessions_created{}, sessions_removed{};
    std::array<uint64_t, nat::kPortProtoCount> mappings_created{}, mappings_removed{};
    uint64_t events_lost = 0;
    uint64_t port_returns_lost = 0;       // a port-return ring was full: the port stays taken
    uint64_t slots_lost = 0;              // a retired position found no room: never reused
    uint64_t ager_stalls = 0;             // ager passes cut short waiting for grace periods
    uint64_t hash_sessions_used = 0;      // key slots in use, including those waiting for a grace period
    uint64_t hash_mappings_used = 0;
};

/// A static mapping (port forward), RFC 6146 s3.5.1.1 ("static BIB entries").
struct StaticMapping {
    uint8_t proto6 = 0;                   // kProtoTcp, kProtoUdp, kProtoIcmp6
    In6 addr6{};
    uint16_t port6 = 0;
    Ip4 addr4 = 0;
    uint16_t port4 = 0;
};

class FlowTable {
public:
    FlowTable(const FlowTableConfig& cfg, nat::PortAllocator& ports); // throws on failure
    ~FlowTable();
    FlowTable(const FlowTable&) = delete;
    FlowTable& operator=(const FlowTable&) = delete;

    /// Bulk session lookup (n <= 64). positions[i] >= 0 is a hit.
    void lookup_bulk(const nat::FlowKey6* const* keys, uint32_t n, int32_t* positions) const noexcept;
    int32_t lookup(const nat::FlowKey6& key) const noexcept;
    /// After lookup_bulk(): warms the mapping buckets of the burst's misses
    /// (the new flows) with one bulk lookup, so the create() calls that follow
    /// search cached buckets instead of taking a miss each.
    void prefetch_mappings(const nat::FlowKey6* const* keys, const int32_t* positions, uint32_t n) const noexcept;

    Session& session(int32_t pos) noexcept { return sessions_[static_cast<uint32_t>(pos)]; }
    /// The public IPv4 address of a session.
    Ip4 pub4(const Session& s) const noexcept { return ports_.address(s.addr_index()); }

    /// The key stored at a session position (for fragments, which carry no ports).
    bool key_at(int32_t pos, nat::FlowKey6& key) const noexcept;

    /// Creates a session (and its mapping if the IPv6 transport address has none:
    /// endpoint-independent mapping, RFC 4787 REQ-1). Returns its position, or -1
    /// with `why` set (drop_table_full, drop_ports_exhausted, drop_flow_busy
    /// when another worker is creating the same session or mapping and did not
    /// finish within a short wait). Any number of workers may call it at once;
    /// *created says whether this call made the session (false: it existed).
    int32_t create(const nat::FlowKey6& key, uint32_t worker, uint32_t now_s, Verdict& why,
                   bool* created = nullptr) noexcept;

    /// Inbound: the IPv6 transport address behind a public one, if mapped.
    bool find_mapping(uint8_t proto6, Ip4 pub4, uint16_t pub_port, In6& addr6,
                      uint16_t& port6) const noexcept;

    /// The same in three steps, so a burst overlaps its cache misses: resolve
    /// every packet's public address (prefetches its direct-map slot), then
    /// name_mapping() each (reads the slot, prefetches the key it names), then
    /// find_mapping() each (reads that key and the mapping's last session,
    /// and prefetches that session).
    struct PublicRef {
        uint32_t addr_index = 0;
        uint16_t pub_port = 0;
        nat::PortProto proto = nat::PortProto::tcp;
        bool ours = false;                // a pool address and a protocol with ports
        const nat::BibKey6* key = nullptr;   // set by name_mapping(): the mapping's key, if any
        uint32_t session_hint = 0;        // set by find_mapping(): its last session's position + 1, or 0
    };
    PublicRef resolve_public(uint8_t proto6, Ip4 pub4, uint16_t pub_port) const noexcept;
    /// The same for a pool address whose index the caller already has (the
    /// frame's classification found it): no second search of the pool.
    PublicRef resolve_public_at(uint8_t proto6, uint32_t addr_index, uint16_t pub_port) const noexcept;
    void name_mapping(PublicRef& ref) const noexcept;
    bool find_mapping(PublicRef& ref, In6& addr6, uint16_t& port6) const noexcept;

    /// Inbound, after find_mapping(): the mapping's last session if it is the
    /// one `key` names and live, else -1 (then lookup_bulk() decides). With
    /// one session per mapping, the common case, this replaces the session
    /// hash's bucket search: the mapping's entry names the position.
    int32_t hinted_session(const PublicRef& ref, const nat::FlowKey6& key) const noexcept;
    /// Inbound: lookup_bulk() found `pos` for a packet whose mapping named
    /// another session; the next packet of this flow finds it at once.
    void remember_session(const PublicRef& ref, int32_t pos) const noexcept;

    /// Adds a static mapping; false when it collides with an existing one.
    /// Start-up or control thread.
    bool add_static(const StaticMapping& m) noexcept;

    /// Removes a static mapping and its sessions; false if there is no static
    /// mapping for (proto6, addr6, port6). Control thread only; scans the table.
    bool del_static(uint8_t proto6, const In6& addr6, uint16_t port6, uint32_t now_s) noexcept;

    /// Ends a dynamic mapping by removing its sessions (the mapping goes with
    /// the last one, as when they expire); -1 if there is no dynamic mapping
    /// for (proto6, addr6, port6), else how many sessions went. A packet of
    /// the host's that arrives meanwhile opens a new mapping. Control thread
    /// only; scans the table.
    int64_t del_dynamic(uint8_t proto6, const In6& addr6, uint16_t port6, uint32_t now_s) noexcept;

    /// Removes every session whose IPv6 source is in `prefix` (their
    /// mappings go with the last one). Returns how many. Control thread
    /// only; scans the table.
    uint32_t remove_sessions_in(const xlate::Prefix6& prefix, uint32_t now_s) noexcept;

    /// Port blocks; nullptr without block allocation.
    const nat::BlockPool* blocks() const noexcept { return blocks_.get(); }

    /// A pool address added by a reload: its ports (and blocks) join at the
    /// next index, for every worker at once. nullptr if done, else why not.
    /// Control thread only.
    const char* add_pool_address(Ip4 addr) noexcept;

    /// The per-subscriber limits and counters; nullptr when no limit is set.
    SubscriberTable* subscribers() noexcept { return subscribers_.get(); }
    const SubscriberTable* subscribers() const noexcept { return subscribers_.get(); }

    /// Expires sessions idle past their timeout, examining at most `budget`
    /// positions. Returns how many were removed. Control thread only.
    uint32_t expire(uint32_t now_s, const nat::Timeouts& timeouts, uint32_t budget) noexcept;

    // --- QSBR, rings: see the file comment.
    /// On worker w's lcore before its first lookup; marks it online.
    void register_worker(uint32_t w) noexcept;
    /// On worker w's lcore when it stops; it no longer holds up grace periods.
    void unregister_worker(uint32_t w) noexcept;
    /// Worker w holds no reference into the table: once per loop, never inside a burst.
    void quiescent(uint32_t w) noexcept;
    /// Worker w sleeps (holds no reference) / is back: grace periods do not wait for it meanwhile.
    void offline(uint32_t w) noexcept;
    void online(uint32_t w) noexcept;
    /// Worker w frees the ports the ager returned to it (RFC 6888 quarantine
    /// starts at now_s). Returns how many. Call every few loops.
    uint32_t drain_port_returns(uint32_t w, uint32_t now_s) noexcept;
    /// Control thread: frees the positions whose grace period is over and hands
    /// the ports of dropped mappings to their workers' rings. expire() calls
    /// it; returns how many ports went back.
    uint32_t release_ports() noexcept;
    /// Control thread: moves up to `max` pending events (all writers) to `out`.
    uint32_t drain_events(FlowEvent* out, uint32_t max) noexcept;
    bool events_enabled() const noexcept { return events_.load(std::memory_order_relaxed); }
    /// Turns the NAT events on or off (a reload that turns the event log on
    /// or off): the rings are always there, so writers only look at a flag.
    void set_events(bool on) noexcept { events_.store(on, std::memory_order_relaxed); }

    /// Control thread: calls fn for each live session until it returns false.
    void visit_sessions(uint32_t now_s, const std::function<bool(const SessionInfo&)>& fn) const
    {
        visit_sessions(0, UINT32_MAX, now_s, fn);
    }
    /// The same in slices, so a long listing never holds the control thread:
    /// looks at most max_positions table positions from `from` and returns
    /// where to go on, or end_positions() when the table is done (or fn
    /// returned false: then the position after the one it refused).
    uint32_t visit_sessions(uint32_t from, uint32_t max_positions, uint32_t now_s,
                            const std::function<bool(const SessionInfo&)>& fn) const;
    /// Control thread: calls fn for each live mapping until it returns false.
    void visit_mappings(const std::function<bool(const MappingInfo&)>& fn) const { visit_mappings(0, UINT32_MAX, fn); }
    uint32_t visit_mappings(uint32_t from, uint32_t max_positions, const std::function<bool(const MappingInfo&)>& fn) const;
    /// Where a sliced visit of sessions / mappings ends.
    uint32_t session_positions() const noexcept;
    uint32_t mapping_positions() const noexcept;

    FlowTableStats stats() const noexcept;
    const nat::PortAllocator& ports() const noexcept { return ports_; }

    /// Live sessions and mappings (created minus removed).
    uint32_t session_count() const noexcept;
    uint32_t mapping_count() const noexcept;
    uint32_t capacity() const noexcept { return max_flows_; }
    /// rte_hash shards of the mapping table (lf_hash.hpp): 1, or 2 for sizes
    /// far from a power of two. The session table is always one.
    uint32_t mapping_shards() const noexcept { return mappings_hash_->shards(); }
    /// Heap bytes of the arrays next to the hashes (sessions, mappings, FIFOs,
    /// the subscriber table's slots); the hashes themselves are in DPDK's heap.
    size_t array_bytes() const noexcept;

private:
    struct MappingSlot {                  // indexed by the mapping's hash position
        // The IPv6 side is the mapping's key, read from the hash's key store
        // (LfHash::key_at): inbound packets touch that entry, not this slot.
        uint16_t pub_port = 0;
        uint16_t addr_index = 0;          // into the port allocator's pool
        uint8_t proto6 = 0;
        // kMappingClaimed | kMappingReady (release-stored when complete; pairs
        // with the acquire in find_or_create_mapping()) | kMappingStatic.
        std::atomic<uint8_t> flags{0};
        // Sessions using it; kDead once the ager decided to drop it, so a
        // worker that found it a moment earlier cannot attach a new session.
        std::atomic<uint32_t> sessions{0};

        bool ready() const noexcept { return (flags.load(std::memory_order_acquire) & kMappingReady) != 0; }
        bool is_static() const noexcept { return (flags.load(std::memory_order_relaxed) & kMappingStatic) != 0; }
    };
    static constexpr uint8_t kMappingReady = 1;
    static constexpr uint8_t kMappingStatic = 2;
    // Taken (compare-and-swap from 0) by the one writer that fills a new
    // mapping; back to 0 only when the position is freed after its grace period.
    static constexpr uint8_t kMappingClaimed = 4;
    static_assert(sizeof(MappingSlot) == 12);
    static constexpr uint32_t kDead = UINT32_MAX;
    // One per writer (workers, then the control thread): single-writer counters.
    struct alignas(64) WriterCounters {
        std::array<Counter, nat::kPortProtoCount> sessions_created, sessions_removed;
        std::array<Counter, nat::kPortProtoCount> mappings_created, mappings_removed;
        Counter events_lost, port_returns_lost, slots_lost, ager_stalls;
        // The second a ports_exhausted event was last pushed, by protocol:
        // one per second and writer says it; one per refused packet would
        // drown the log in the same news.
        std::array<uint32_t, nat::kPortProtoCount> exhausted_reported_s{};
    };
    // A retired position: which hash, and for a mapping whether its port
    // still has to go back to its worker.
    static constexpr uint32_t kRetiredMapping = 1u << 31;
    static constexpr uint32_t kRetiredReturnPort = 1u << 30;
    static constexpr uint32_t kRetiredPosMask = kRetiredReturnPort - 1;
    // A subscriber's position (no mapping has "return the port" alone).
    static constexpr uint32_t kRetiredSubscriber = kRetiredReturnPort;
    struct RetireBatch {
        uint64_t token;                   // rte_rcu_qsbr_start() after the batch's deletes
        uint32_t count;                   // positions at the head of the FIFO it covers
    };

    void release() noexcept;
    // The key of the mapping the direct map names for a public port, if any.
    const nat::BibKey6* key_named(const PublicRef& ref) const noexcept;
    // Live sessions or mappings: created minus removed, over the port spaces.
    static uint32_t live(const std::array<uint64_t, nat::kPortProtoCount>& created,
                         const std::array<uint64_t, nat::kPortProtoCount>& removed) noexcept;
    // Control thread: queue a deleted position; seal the open batch under a
    // new QSBR token; free what is due (wait: block until it is).
    uint32_t retired_room() const noexcept { return retired_cap_ - retired_count_; }
    void retire(uint32_t tagged) noexcept;
    void seal_batch() noexcept;
    uint32_t reclaim(bool wait) noexcept;
    bool free_retired(uint32_t tagged, uint32_t& ports_returned) noexcept;
    // A worker's deleted position, to the control thread, which collects them.
    void retire_from_worker(uint32_t writer, uint32_t tagged) noexcept;
    void collect_worker_retired() noexcept;
    void drop_mapping(int32_t m, const nat::BibKey6& bib, nat::PortProto proto, uint32_t writer,
                      uint32_t now_s) noexcept;
    // create() once the subscriber (sub >= 0, or -1 without limits) has its session counted.
    int32_t create_session(const nat::FlowKey6& key, uint32_t worker, uint32_t now_s, int32_t sub, Verdict& why,
                           bool* created) noexcept;
    int32_t find_or_create_mapping(const nat::FlowKey6& key, uint32_t worker, uint32_t now_s, int32_t sub,
                                   Verdict& why) noexcept;
    // A refusal by a subscriber limit: the verdict, and once a second an event.
    void refused_by_subscriber(const SubscriberRefusal& r, const nat::FlowKey6& key, uint32_t writer,
                               Verdict& why) noexcept;
    // A public port for a new mapping: from the subscriber's blocks with
    // block allocation, else from the worker's slice.
    nat::PortAllocation allocate_port(const nat::FlowKey6& key, nat::PortProto proto, uint32_t worker, int32_t sub,
                                      uint32_t now_s, Verdict& why) noexcept;
    // A public port freed or unclaimed: its block's use count goes down.
    void port_back(nat::PortProto proto, uint32_t addr_index, uint16_t port, uint32_t now_s) noexcept;
    // Control thread: gives back the blocks empty for a quarantine, looking
    // at up to `budget` subscriber positions.
    void release_blocks(uint32_t now_s, uint32_t budget) noexcept;
    void push_block_event(uint32_t writer, FlowEventKind kind, const In6& prefix, nat::PortProto proto,
                          uint32_t id) noexcept;
    void report_ports_exhausted(const nat::FlowKey6& key, nat::PortProto proto, uint32_t worker, uint32_t now_s) noexcept;
    void release_session_mapping(const nat::FlowKey6& key, uint32_t now_s) noexcept;
    void remove_session(uint32_t pos, const nat::FlowKey6& key, uint32_t now_s) noexcept;
    // Removes every session of the IPv6 transport address; returns how many.
    uint32_t remove_sessions_of(uint8_t proto6, const In6& addr6, uint16_t port6, uint32_t now_s) noexcept;
    bool live_key(uint32_t pos, nat::FlowKey6& key) const noexcept;
    void push_event(uint32_t writer, FlowEventKind kind, const nat::FlowKey6& key, Ip4 pub4, uint16_t pub_port,
                    bool is_static) noexcept;
    uint32_t control_writer() const noexcept { return workers_; }

    std::unique_ptr<LfHash> sessions_hash_;   // FlowKey6
    std::unique_ptr<LfHash> mappings_hash_;   // BibKey6; the inbound path reads keys by position
    std::unique_ptr<Session[]> sessions_;
    std::unique_ptr<MappingSlot[]> mappings_;
    uint32_t max_flows_ = 0;
    uint32_t max_mappings_ = 0;
    uint32_t ager_cursor_ = 0;
    uint32_t workers_ = 1;
    std::atomic<bool> events_{false};
    uint32_t next_event_ring_ = 0;        // control: round-robin start of drain_events()
    nat::PortAllocator& ports_;
    rte_rcu_qsbr* qsbr_ = nullptr;        // rte_zmalloc'd
    std::vector<rte_ring*> port_rings_;   // [worker]: -> worker; single consumer
    std::vector<rte_ring*> event_rings_;  // [writer]: writer -> control, SPSC
    // Deleted positions waiting for a grace period: FIFO, control thread only.
    // The first sealed batches cover its head; open_count_ at its tail are
    // not sealed yet.
    std::unique_ptr<uint32_t[]> retired_;
    uint32_t retired_cap_ = 0, retired_head_ = 0, retired_count_ = 0, open_count_ = 0;
    std::unique_ptr<RetireBatch[]> batches_;
    uint32_t batches_cap_ = 0, batches_head_ = 0, batches_count_ = 0;
    rte_ring* worker_retired_ = nullptr;  // workers -> control, multi-producer
    uint32_t port_ring_size_ = 0;
    std::unique_ptr<WriterCounters[]> counters_;   // [writer]
    std::unique_ptr<SubscriberTable> subscribers_;
    std::unique_ptr<nat::BlockPool> blocks_;
    uint32_t block_cursor_ = 0;           // control: release_blocks()'s walk
};

} // namespace nat64d::dp
