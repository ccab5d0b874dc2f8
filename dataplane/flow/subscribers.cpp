// Per-subscriber counters and limits. See subscribers.hpp for the lifetime
// of a slot and who writes what.
#include "dataplane/flow/subscribers.hpp"

#include <cerrno>
#include <cstring>

#include <rte_pause.h>

#include "dataplane/flow/lf_hash.hpp"
#include "dataplane/xlate/rfc6052.hpp"

namespace nat64d::dp {

namespace {

// How often a worker looks a subscriber up again after finding it dead: the
// control thread deletes its key right after marking it, so one or two do.
constexpr uint32_t kDeadRetries = 64;

constexpr uint32_t kRefusedSessions = 0, kRefusedPorts = 1, kRefusedRate = 2;

// Adds 1 to `word` unless it is kDead or at `limit` (0: none). Returns the
// value it found.
uint32_t add_below(std::atomic<uint32_t>& word, uint32_t limit, bool& added) noexcept
{
    uint32_t n = word.load(std::memory_order_relaxed);
    for (;;) {
        if (n == SubscriberTable::kDead || (limit != 0 && n >= limit)) {
            added = false;
            return n;
        }
        if (word.compare_exchange_weak(n, n + 1, std::memory_order_relaxed)) {
            added = true;
            return n;
        }
    }
}

} // namespace

SubscriberTable::SubscriberTable(const SubscriberTableConfig& cfg)
    : max_subscribers_(cfg.max_subscribers), prefix_len_(cfg.prefix_len)
{
    // Headed (lf_hash.hpp): a 16-byte entry a prefix, not 32.
    hash_ = std::make_unique<LfHash>(cfg.name + "_sub", max_subscribers_, sizeof(Key), cfg.socket, false, LfHash::kHead);
    positions_ = hash_->positions();
    slots_ = std::make_unique<Slot[]>(positions_);
    max_blocks_ = cfg.max_blocks;
    if (max_blocks_ != 0)
        block_slots_ = std::make_unique<std::atomic<uint32_t>[]>(size_t{positions_} * nat::kPortProtoCount * max_blocks_);
    set_limits(cfg.limits);
}

SubscriberTable::~SubscriberTable() = default;

In6 SubscriberTable::prefix_of(const In6& src) const noexcept
{
    return xlate::mask_prefix(src, prefix_len_);
}

SubscriberLimits SubscriberTable::limits() const noexcept
{
    SubscriberLimits l;
    l.sessions = limit_sessions_.load(std::memory_order_relaxed);
    l.new_sessions_per_s = limit_rate_.load(std::memory_order_relaxed);
    for (uint32_t i = 0; i < nat::kPortProtoCount; ++i)
        l.ports[i] = limit_ports_[i].load(std::memory_order_relaxed);
    return l;
}

void SubscriberTable::set_limits(const SubscriberLimits& l) noexcept
{
    // Lowering a limit below what a subscriber holds evicts nothing: its new
    // flows are refused until it is back under (RFC 6888 asks for limits on
    // what is assigned, not for tearing down live sessions).
    limit_sessions_.store(l.sessions, std::memory_order_relaxed);
    limit_rate_.store(l.new_sessions_per_s, std::memory_order_relaxed);
    for (uint32_t i = 0; i < nat::kPortProtoCount; ++i)
        limit_ports_[i].store(l.ports[i], std::memory_order_relaxed);
}

bool SubscriberTable::refuse(Slot& slot, uint32_t now_s, Verdict v, QuotaKind q, uint32_t limit,
                             SubscriberRefusal& r) noexcept
{
    r.verdict = v;
    r.quota = q;
    r.limit = limit;
    const uint32_t which = q == QuotaKind::sessions ? kRefusedSessions
                           : q == QuotaKind::ports  ? kRefusedPorts
                                                    : kRefusedRate;
    slot.refused[which].fetch_add(1, std::memory_order_relaxed);
    uint32_t last = slot.reported_s.load(std::memory_order_relaxed);
    r.report = last != now_s && slot.reported_s.compare_exchange_strong(last, now_s, std::memory_order_relaxed);
    return false;
}

bool SubscriberTable::take_rate(Slot& slot, uint32_t now_s, uint32_t limit) noexcept
{
    // A fixed one-second window: a subscriber opens at most `limit` sessions
    // in any second of the control clock.
    uint64_t w = slot.rate.load(std::memory_order_relaxed);
    for (;;) {
        const bool same_second = static_cast<uint32_t>(w >> 32) == now_s;
        const uint32_t opened = same_second ? static_cast<uint32_t>(w) : 0;
        if (opened >= limit)
            return false;
        const uint64_t next = (uint64_t{now_s} << 32) | (opened + 1);
        if (slot.rate.compare_exchange_weak(w, next, std::memory_order_relaxed))
            return true;
    }
}

int32_t SubscriberTable::take_session(const In6& src, uint32_t now_s, SubscriberRefusal& refusal) noexcept
{
    const Key key{prefix_of(src)};
    const uint32_t session_limit = limit_sessions_.load(std::memory_order_relaxed);
    const uint32_t rate_limit = limit_rate_.load(std::memory_order_relaxed);
    for (uint32_t attempt = 0; attempt < kDeadRetries; ++attempt) {
        int32_t pos = hash_->lookup(&key);
        if (pos < 0) {
            pos = hash_->add(&key);
            if (pos == -ENOENT) {   // swept the moment it was added (it held nothing): again
                rte_pause();
                continue;
            }
            if (pos < 0) {
                refusal.verdict = Verdict::drop_subscriber_table_full;
                return -1;
            }
        }
        Slot& slot = slots_[static_cast<uint32_t>(pos)];
        bool added = false;
        const uint32_t held = add_below(slot.sessions, session_limit, added);
        if (!added) {
            if (held == kDead) {   // the ager is deleting it: look again
                rte_pause();
                continue;
            }
            refuse(slot, now_s, Verdict::drop_subscriber_sessions, QuotaKind::sessions, session_limit, refusal);
            return -1;
        }
        if (rate_limit != 0 && !take_rate(slot, now_s, rate_limit)) {
            slot.sessions.fetch_sub(1, std::memory_order_relaxed);
            refuse(slot, now_s, Verdict::drop_subscriber_rate, QuotaKind::new_sessions_per_s, rate_limit, refusal);
            return -1;
        }
        return pos;
    }
    refusal.verdict = Verdict::drop_flow_busy;
    return -1;
}

void SubscriberTable::give_session(int32_t sub) noexcept
{
    if (sub >= 0)
        slots_[static_cast<uint32_t>(sub)].sessions.fetch_sub(1, std::memory_order_relaxed);
}

bool SubscriberTable::take_port(int32_t sub, nat::PortProto proto, uint32_t now_s, SubscriberRefusal& refusal) noexcept
{
    Slot& slot = slots_[static_cast<uint32_t>(sub)];
    const auto p = static_cast<uint32_t>(proto);
    const uint32_t limit = limit_ports_[p].load(std::memory_order_relaxed);
    bool added = false;
    add_below(slot.ports[p], limit, added);   // never kDead: the caller holds a session
    if (added)
        return true;
    return refuse(slot, now_s, Verdict::drop_subscriber_ports, QuotaKind::ports, limit, refusal);
}

SubscriberRefusal SubscriberTable::refuse_ports(int32_t sub, uint32_t now_s, uint32_t limit) noexcept
{
    SubscriberRefusal r;
    refuse(slots_[static_cast<uint32_t>(sub)], now_s, Verdict::drop_subscriber_ports, QuotaKind::ports, limit, r);
    return r;
}

void SubscriberTable::give_port(int32_t sub, nat::PortProto proto) noexcept
{
    if (sub >= 0)
        slots_[static_cast<uint32_t>(sub)].ports[static_cast<uint32_t>(proto)].fetch_sub(1, std::memory_order_relaxed);
}

int32_t SubscriberTable::find(const In6& src) const noexcept
{
    const Key key{prefix_of(src)};
    return hash_->lookup(&key);
}

bool SubscriberTable::prefix_at(uint32_t pos, In6& prefix) const noexcept
{
    const void* kp = nullptr;
    if (!hash_->checked_key(pos, kp))
        return false;
    std::memcpy(prefix.data(), kp, sizeof(In6));
    return true;
}

uint32_t SubscriberTable::sweep(uint32_t budget, const std::function<void(uint32_t)>& retire)
{
    uint32_t deleted = 0;
    for (uint32_t i = 0; i < budget && i < positions_; ++i) {
        const uint32_t pos = sweep_cursor_;
        sweep_cursor_ = sweep_cursor_ + 1 == positions_ ? 0 : sweep_cursor_ + 1;
        Slot& slot = slots_[pos];
        if (slot.ports[0].load(std::memory_order_relaxed) != 0 || slot.ports[1].load(std::memory_order_relaxed) != 0 ||
            slot.ports[2].load(std::memory_order_relaxed) != 0 || holds_blocks(pos))
            continue;   // its blocks go back first (after their quarantine), then it
        const void* kp = nullptr;
        uint32_t none = 0;
        // Ports are taken only while holding a session, so once sessions is
        // kDead none can appear; a subscriber that just took one keeps it.
        if (!hash_->checked_key(pos, kp) || !slot.sessions.compare_exchange_strong(none, kDead, std::memory_order_relaxed))
            continue;
        Key key;
        std::memcpy(&key, kp, sizeof(key));
        if (hash_->del(&key) < 0)
            continue;   // cannot happen: only this thread deletes
        retire(pos);
        ++deleted;
    }
    return deleted;
}

bool SubscriberTable::holds_blocks(uint32_t pos) const noexcept
{
    const size_t base = size_t{pos} * nat::kPortProtoCount * max_blocks_;
    for (size_t k = 0; k < size_t{nat::kPortProtoCount} * max_blocks_; ++k)
        if (block_slots_[base + k].load(std::memory_order_relaxed) != 0)
            return true;
    return false;
}

void SubscriberTable::free_position(uint32_t pos) noexcept
{
    Slot& slot = slots_[pos];
    for (auto& p : slot.ports)
        p.store(0, std::memory_order_relaxed);
    slot.rate.store(0, std::memory_order_relaxed);
    slot.reported_s.store(0, std::memory_order_relaxed);
    for (auto& r : slot.refused)
        r.store(0, std::memory_order_relaxed);
    slot.sessions.store(0, std::memory_order_relaxed);
    // The free-slot ring's enqueue orders these stores before any worker
    // that gets the position from a later add reads them.
    hash_->free_position(pos);
}

void SubscriberTable::visit(const std::function<bool(const SubscriberInfo&)>& fn) const
{
    for (uint32_t pos = 0; pos < positions_; ++pos) {
        const Slot& slot = slots_[pos];
        const uint32_t sessions = slot.sessions.load(std::memory_order_relaxed);
        const void* kp = nullptr;
        if (sessions == kDead || !hash_->checked_key(pos, kp))
            continue;
        SubscriberInfo info;
        std::memcpy(info.prefix.data(), kp, sizeof(In6));
        info.sessions = sessions;
        for (uint32_t i = 0; i < nat::kPortProtoCount; ++i)
            info.ports[i] = slot.ports[i].load(std::memory_order_relaxed);
        info.refused_sessions = slot.refused[kRefusedSessions].load(std::memory_order_relaxed);
        info.refused_ports = slot.refused[kRefusedPorts].load(std::memory_order_relaxed);
        info.refused_rate = slot.refused[kRefusedRate].load(std::memory_order_relaxed);
        if (!fn(info))
            return;
    }
}

uint32_t SubscriberTable::count() const noexcept { return hash_->count(); }

size_t SubscriberTable::memory_bytes() const noexcept
{
    return size_t{positions_} * (sizeof(Slot) + size_t{nat::kPortProtoCount} * max_blocks_ * sizeof(uint32_t));
}

} // namespace nat64d::dp
