// The NAT state: sessions and mappings in lock-free rte_hash tables shared by
// all workers (RFC 6146 s3.1 BIB and session table, merged with NAPT).
//
// - Sessions: rte_hash keyed by the IPv6-side 5-tuple (FlowKey6). The key's
//   position in the hash indexes a Session array, so a session costs one key
//   slot and 12 bytes, and lookups need no data pointer chase.
// - Mappings (BIB): rte_hash keyed by (IPv6 address, port, protocol); the
//   position indexes the public (address, port). The reverse direction needs no
//   hash: the port allocator's direct map takes (address, protocol, public
//   port) to the mapping's position + 1.
// - Inbound IPv4 packets: direct map -> mapping -> session key -> one hash lookup.
//
// Readers never lock (RW_CONCURRENCY_LF). Creation takes rte_hash's writer lock
// (MULTI_WRITER_ADD), the one lock on the packet path, only for new flows.
// Deleted positions are freed only after a grace period: both hashes are
// attached to one rte_rcu_qsbr variable in defer-queue mode; every worker
// reports a quiescent state once per loop (quiescent()), so a reader that found
// a position never sees it reused under it. A mapping's public port goes back
// to the worker that owns it (port % workers) through that worker's SPSC ring
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

#include "dataplane/nat/flow_key.hpp"
#include "dataplane/nat/port_alloc.hpp"
#include "dataplane/nat/tcp_state.hpp"
#include "dataplane/nat/timeouts.hpp"
#include "dataplane/xlate/verdict.hpp"

struct rte_hash;
struct rte_ring;
struct rte_rcu_qsbr;

namespace nat64d::dp {

struct Session {
    // pub4 << 32 | pub_port << 16 | kSessionReady. Release-stored once the
    // session is complete; pairs with the acquire in public_address().
    std::atomic<uint64_t> mapping{0};
    std::atomic<uint32_t> last_seen_s{0}; // relaxed: read by the ager, written by workers
    std::atomic<uint8_t> tcp_state{0};    // nat::TcpState; relaxed: a hint for the ager
    uint8_t pad[3]{};

    bool ready() const noexcept { return (mapping.load(std::memory_order_acquire) & 1) != 0; }
    Ip4 pub4() const noexcept { return static_cast<Ip4>(mapping.load(std::memory_order_relaxed) >> 32); }
    uint16_t pub_port() const noexcept
    {
        return static_cast<uint16_t>(mapping.load(std::memory_order_relaxed) >> 16);
    }
};
static_assert(sizeof(Session) == 16);

struct FlowTableConfig {
    std::string name = "nat64d";
    uint32_t max_flows = 1u << 20;
    uint32_t max_mappings = 0;            // 0: same as max_flows
    int socket = 0;
    uint32_t workers = 1;                 // QSBR readers; one port-return and one event ring each
    bool events = false;                  // NAT event log on: push a FlowEvent per create/delete
    uint32_t event_ring_size = 16384;     // events per ring (rounded up to a power of two)
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

    Session& session(int32_t pos) noexcept { return sessions_[static_cast<uint32_t>(pos)]; }

    /// The key stored at a session position (for fragments, which carry no ports).
    bool key_at(int32_t pos, nat::FlowKey6& key) const noexcept;

    /// Creates a session (and its mapping if the IPv6 transport address has none:
    /// endpoint-independent mapping, RFC 4787 REQ-1). Returns its position, or -1
    /// with `why` set (drop_table_full, drop_ports_exhausted).
    int32_t create(const nat::FlowKey6& key, uint32_t worker, uint32_t now_s, Verdict& why) noexcept;

    /// Inbound: the IPv6 transport address behind a public one, if mapped.
    bool find_mapping(uint8_t proto6, Ip4 pub4, uint16_t pub_port, In6& addr6,
                      uint16_t& port6) const noexcept;

    /// Adds a static mapping; false when it collides with an existing one.
    /// Start-up or control thread.
    bool add_static(const StaticMapping& m) noexcept;

    /// Removes a static mapping and its sessions; false if there is no static
    /// mapping for (proto6, addr6, port6). Control thread only; scans the table.
    bool del_static(uint8_t proto6, const In6& addr6, uint16_t port6, uint32_t now_s) noexcept;

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
    /// Worker w frees the ports the ager returned to it (RFC 6888 quarantine
    /// starts at now_s). Returns how many. Call every few loops.
    uint32_t drain_port_returns(uint32_t w, uint32_t now_s) noexcept;
    /// Control thread: hands the ports of dropped mappings whose grace period
    /// is over to their workers' rings. expire() calls it; returns how many.
    uint32_t release_ports() noexcept;
    /// Control thread: moves up to `max` pending events (all writers) to `out`.
    uint32_t drain_events(FlowEvent* out, uint32_t max) noexcept;
    bool events_enabled() const noexcept { return events_; }

    /// Control thread: calls fn for each live session until it returns false.
    void visit_sessions(uint32_t now_s, const std::function<bool(const SessionInfo&)>& fn) const;
    /// Control thread: calls fn for each live mapping until it returns false.
    void visit_mappings(const std::function<bool(const MappingInfo&)>& fn) const;

    FlowTableStats stats() const noexcept;
    const nat::PortAllocator& ports() const noexcept { return ports_; }

    /// Live sessions and mappings (created minus removed).
    uint32_t session_count() const noexcept;
    uint32_t mapping_count() const noexcept;
    uint32_t capacity() const noexcept { return max_flows_; }
    /// Bytes of table memory per flow at capacity (hash key store, buckets, session).
    double bytes_per_flow() const noexcept;

private:
    struct MappingSlot {                  // indexed by the mapping's hash position
        Ip4 pub4 = 0;
        uint16_t pub_port = 0;
        uint8_t is_static = 0;
        std::atomic<uint8_t> ready{0};    // release-stored when complete; pairs with the acquire in find_or_create_mapping()
        uint32_t addr_index = 0;          // into the port allocator's pool
        // The IPv6 side, copied from the mapping's key so inbound packets read it
        // here: rte_hash_get_key_with_position() looks the key up again to check it.
        In6 addr6{};
        uint16_t port6 = 0;
        uint8_t proto6 = 0;
        // Sessions using it; kDead once the ager decided to drop it, so a
        // worker that found it a moment earlier cannot attach a new session.
        std::atomic<uint32_t> sessions{0};
    };
    static constexpr uint32_t kDead = UINT32_MAX;
    // One per writer (workers, then the control thread): single-writer counters.
    struct alignas(64) WriterCounters {
        std::array<Counter, nat::kPortProtoCount> sessions_created, sessions_removed;
        std::array<Counter, nat::kPortProtoCount> mappings_created, mappings_removed;
        Counter events_lost, port_returns_lost;
    };

    void release() noexcept;
    void drop_mapping(int32_t m, const nat::BibKey6& bib, nat::PortProto proto, uint32_t writer,
                      uint32_t now_s) noexcept;
    int32_t find_or_create_mapping(const nat::FlowKey6& key, uint32_t worker, uint32_t now_s,
                                   Verdict& why) noexcept;
    void release_session_mapping(const nat::FlowKey6& key, uint32_t now_s) noexcept;
    void remove_session(uint32_t pos, const nat::FlowKey6& key, uint32_t now_s) noexcept;
    bool live_key(uint32_t pos, nat::FlowKey6& key) const noexcept;
    void push_event(uint32_t writer, FlowEventKind kind, const nat::FlowKey6& key, Ip4 pub4, uint16_t pub_port,
                    bool is_static) noexcept;
    uint32_t control_writer() const noexcept { return workers_; }

    rte_hash* sessions_hash_ = nullptr;
    rte_hash* mappings_hash_ = nullptr;
    std::unique_ptr<Session[]> sessions_;
    std::unique_ptr<MappingSlot[]> mappings_;
    uint32_t max_flows_ = 0;
    uint32_t max_mappings_ = 0;
    uint32_t ager_cursor_ = 0;
    uint32_t workers_ = 1;
    bool events_ = false;
    uint32_t next_event_ring_ = 0;        // control: round-robin start of drain_events()
    nat::PortAllocator& ports_;
    rte_rcu_qsbr* qsbr_ = nullptr;        // rte_zmalloc'd
    std::vector<rte_ring*> port_rings_;   // [worker]: -> worker; single consumer
    std::vector<rte_ring*> event_rings_;  // [writer]: writer -> control, SPSC
    // Ports of mappings the control thread dropped, waiting for a grace period
    // before they go to their worker: FIFO, control thread only.
    struct PendingPort {
        uint64_t token;                   // rte_rcu_qsbr_start() at the drop
        uint64_t packed;                  // pack_port_return()
    };
    std::unique_ptr<PendingPort[]> pending_;
    uint32_t pending_cap_ = 0, pending_head_ = 0, pending_count_ = 0;
    std::unique_ptr<WriterCounters[]> counters_;   // [writer]
};

} // namespace nat64d::dp
