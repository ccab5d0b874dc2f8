// Per-subscriber limits (RFC 6888 REQ-4: "a CGN MUST support limiting the
// number of external ports (or, equivalently, "identifiers" for ICMP) that
// are assigned per subscriber"), so one subscriber's flood never takes the
// ports, sessions or table the others need.
//
// A subscriber is the IPv6 source masked to a prefix length (/56 by default).
// Its counters live in a slot indexed by the position of that prefix in a
// lock-free rte_hash shared by all workers, as the flow table's own hashes
// are. Workers only count up (taking a session or a port, checked against the
// limit in one compare-and-swap) and down (giving back what a failed create
// took); the control thread counts down as the ager removes sessions and
// mappings, and deletes subscribers that hold nothing: it marks the slot dead
// (sessions 0 -> kDead, so a worker that found it a moment earlier looks again
// and adds the prefix anew), deletes the key and hands the position to the
// flow table's retire FIFO; after the grace period free_position() zeroes the
// slot and returns the position. A slot is therefore all zero whenever a
// worker first finds a newly added prefix: no claim step is needed.
//
// Established traffic never touches this table: only creates and removals do.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "dataplane/flow/flow_event.hpp"
#include "dataplane/nat/port_alloc.hpp"
#include "dataplane/verdict.hpp"
#include "dataplane/xlate/bytes.hpp"

namespace nat64d::dp {

class LfHash;

/// What one subscriber may hold; 0 is no limit.
struct SubscriberLimits {
    uint32_t sessions = 0;
    std::array<uint32_t, nat::kPortProtoCount> ports{};   // by nat::PortProto: TCP, UDP ports, ICMP identifiers
    uint32_t new_sessions_per_s = 0;

    bool any() const noexcept
    {
        return sessions != 0 || new_sessions_per_s != 0 || ports[0] != 0 || ports[1] != 0 || ports[2] != 0;
    }
};

struct SubscriberTableConfig {
    std::string name = "nat64d";
    uint32_t max_subscribers = 65536;
    uint8_t prefix_len = 56;
    int socket = 0;
    SubscriberLimits limits;
    // Port block allocation: the blocks a subscriber may hold per protocol;
    // 0: no blocks (ports are taken one by one).
    uint32_t max_blocks = 0;
};

/// One subscriber as the control thread lists it (`nat64ctl subscribers`).
struct SubscriberInfo {
    In6 prefix{};
    uint32_t sessions = 0;
    std::array<uint32_t, nat::kPortProtoCount> ports{};
    // New flows refused since the subscriber appeared, by the limit that refused them.
    uint64_t refused_sessions = 0, refused_ports = 0, refused_rate = 0;

    uint32_t ports_total() const noexcept { return ports[0] + ports[1] + ports[2]; }
};

/// A refusal: which limit, and whether this is the first one of its second
/// for the subscriber (that one becomes a quota_exceeded event; the rest
/// would flood the log with the same news).
struct SubscriberRefusal {
    Verdict verdict = Verdict::forward;
    QuotaKind quota = QuotaKind::none;
    uint32_t limit = 0;
    bool report = false;
};

class SubscriberTable {
public:
    static constexpr uint32_t kDead = UINT32_MAX;

    explicit SubscriberTable(const SubscriberTableConfig& cfg);   // throws StartupError
    ~SubscriberTable();
    SubscriberTable(const SubscriberTable&) = delete;
    SubscriberTable& operator=(const SubscriberTable&) = delete;

    /// The subscriber `src` belongs to: src with the bits past prefix_len cleared.
    In6 prefix_of(const In6& src) const noexcept;
    uint8_t prefix_len() const noexcept { return prefix_len_; }

    /// Any worker, for a new session of `src`: counts it against the
    /// subscriber's session limit and new-session rate. Returns the
    /// subscriber's position, or -1 with `refusal` set
    /// (drop_subscriber_sessions, drop_subscriber_rate,
    /// drop_subscriber_table_full, drop_flow_busy).
    int32_t take_session(const In6& src, uint32_t now_s, SubscriberRefusal& refusal) noexcept;
    /// A session taken and not created after all, or removed. Any thread.
    void give_session(int32_t sub) noexcept;
    /// Any worker holding a session of `sub`: counts one public port of
    /// `proto` against its limit. False with `refusal` set when it is reached.
    bool take_port(int32_t sub, nat::PortProto proto, uint32_t now_s, SubscriberRefusal& refusal) noexcept;
    void give_port(int32_t sub, nat::PortProto proto) noexcept;
    /// A new port refused because the subscriber's port blocks are all full
    /// and it holds as many as it may (`limit` ports in all).
    SubscriberRefusal refuse_ports(int32_t sub, uint32_t now_s, uint32_t limit) noexcept;

    /// The position of src's subscriber, -1 if it holds nothing. Any thread;
    /// the removal paths use it, and for them it is always there.
    int32_t find(const In6& src) const noexcept;
    /// The prefix at a position; false if none is there.
    bool prefix_at(uint32_t pos, In6& prefix) const noexcept;

    /// Port blocks: the subscriber's max_blocks() slots of a protocol, each 0
    /// (free) or a block id + 1, maybe with kBlockReleasing (the ager is
    /// giving it back: use it no more, put nothing there). Workers fill a free
    /// slot (compare-and-swap from 0); only the ager empties one.
    static constexpr uint32_t kBlockReleasing = 1u << 31;
    std::atomic<uint32_t>* blocks(int32_t sub, nat::PortProto proto) noexcept
    {
        return &block_slots_[(size_t{static_cast<uint32_t>(sub)} * nat::kPortProtoCount +
                              static_cast<uint32_t>(proto)) * max_blocks_];
    }
    uint32_t max_blocks() const noexcept { return max_blocks_; }
    /// Positions there can be (for a walk over every subscriber's blocks).
    uint32_t positions() const noexcept { return positions_; }

    /// Control thread: looks at up to `budget` positions from where the last
    /// call stopped and deletes the subscribers that hold nothing, calling
    /// retire(position) for each (it must call free_position() after a
    /// grace period). Returns how many.
    uint32_t sweep(uint32_t budget, const std::function<void(uint32_t)>& retire);
    /// Control thread, after the grace period of a position sweep() retired.
    void free_position(uint32_t pos) noexcept;

    /// Control thread: calls fn for each subscriber until it returns false.
    void visit(const std::function<bool(const SubscriberInfo&)>& fn) const;
    /// Subscribers present now (holding something, or about to be swept).
    uint32_t count() const noexcept;
    uint32_t capacity() const noexcept { return max_subscribers_; }

    /// The limits in force; set_limits() applies a reload (any thread reads them).
    SubscriberLimits limits() const noexcept;
    void set_limits(const SubscriberLimits& l) noexcept;

    size_t memory_bytes() const noexcept;

private:
    // 40 bytes, not a cache line each: only creates and removals touch a
    // slot, and at nat64d's default of a subscriber per 8 flows a line each
    // would cost 3 bytes a flow. Its 8-byte atomics stay 8-aligned, so none
    // straddles a line.
    struct Slot {
        std::atomic<uint32_t> sessions{0};          // kDead: being deleted
        std::array<std::atomic<uint32_t>, nat::kPortProtoCount> ports{};
        std::atomic<uint64_t> rate{0};              // second << 32 | sessions opened in it
        std::atomic<uint32_t> reported_s{0};        // second of the last refusal reported
        std::array<std::atomic<uint32_t>, 3> refused{};   // sessions, ports, rate
    };
    static_assert(sizeof(Slot) == 40);
    // The rte_hash key: a masked prefix, 8-aligned for rte_hash_crc.
    struct alignas(8) Key {
        In6 prefix;
    };
    static_assert(sizeof(Key) == 16);
    bool refuse(Slot& slot, uint32_t now_s, Verdict v, QuotaKind q, uint32_t limit, SubscriberRefusal& r) noexcept;
    bool take_rate(Slot& slot, uint32_t now_s, uint32_t limit) noexcept;
    bool holds_blocks(uint32_t pos) const noexcept;

    std::unique_ptr<LfHash> hash_;
    std::unique_ptr<Slot[]> slots_;
    uint32_t positions_ = 0;
    uint32_t max_subscribers_ = 0;
    uint32_t sweep_cursor_ = 0;
    uint8_t prefix_len_ = 56;
    uint32_t max_blocks_ = 0;
    std::unique_ptr<std::atomic<uint32_t>[]> block_slots_;   // [position][proto][max_blocks]
    std::atomic<uint32_t> limit_sessions_{0}, limit_rate_{0};
    std::array<std::atomic<uint32_t>, nat::kPortProtoCount> limit_ports_{};
};

} // namespace nat64d::dp
