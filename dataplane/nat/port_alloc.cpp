// Public port allocation: RFC 6056 s3.3.1-style random choice within a worker's
// slice, RFC 6888 REQ-2 paired pooling and REQ-8 quarantine, static BIB holes.
#include "dataplane/nat/port_alloc.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstdlib>   // arc4random_buf: glibc >= 2.36 (Debian 12)

#include "dataplane/nat/hash.hpp"
#include "dataplane/xlate/rfc6052.hpp"

namespace nat64d::nat {
namespace {

// Fixed, not random: the same host maps to the same address across restarts and
// pcap runs, and nothing is gained by hiding it, as a host only picks its own.
constexpr uint64_t kPairingKey = 0x6E61'7436'3470'6169ull;

constexpr uint32_t kCountersPerLine = 16;   // 64-byte lines of uint32 counters

uint32_t per_addr_slots_of(const PortAllocConfig& cfg) noexcept
{
    uint32_t n = 0;
    for (const PortRange& r : cfg.ranges)
        n += uint32_t{r.last} - r.first + 1;
    return n;
}

} // namespace

const char* PortAllocator::validate(const PortAllocConfig& cfg) noexcept
{
    if (cfg.pool.empty())
        return "pool: no public IPv4 address";
    if (cfg.pool.size() > kMaxAddresses)
        return "pool: more than 16384 addresses";
    std::vector<Ip4> sorted = cfg.pool;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
        return "pool: an address is listed twice";
    if (cfg.workers == 0 || cfg.workers > kMaxWorkers)
        return "workers: must be 1..1024";
    for (uint32_t p = 0; p < kPortProtoCount; ++p) {
        if (cfg.ranges[p].first > cfg.ranges[p].last)
            return "port range: first > last";
        // TCP and UDP port 0 is not a port; ICMP identifier 0 is a valid identifier.
        if (p != static_cast<uint32_t>(PortProto::icmp) && cfg.ranges[p].first == 0)
            return "port range: TCP and UDP ports start at 1";
    }
    if (cfg.pairing_prefix_len > 128)
        return "pairing prefix length: must be 0..128";
    if (cfg.quarantine_s > kLowMask)
        return "port quarantine: too long";
    return DeterministicMap::validate(deterministic_of(cfg));
}

DeterministicConfig deterministic_of(const PortAllocConfig& cfg) noexcept
{
    DeterministicConfig d = cfg.deterministic;
    d.addresses = static_cast<uint32_t>(cfg.pool.size());
    for (uint32_t p = 0; p < kPortProtoCount; ++p) {
        // RFC 7422's reserved ports: the well-known ones are in no block.
        const bool has_ports = p != static_cast<uint32_t>(PortProto::icmp);
        d.first[p] = has_ports ? std::max<uint16_t>(cfg.ranges[p].first, PortAllocator::kFirstHighPort)
                               : cfg.ranges[p].first;
        d.last[p] = cfg.ranges[p].last;
    }
    return d;
}

PortAllocator::PortAllocator(const PortAllocConfig& cfg)
    : capacity_(std::max(static_cast<uint32_t>(cfg.pool.size()), kGrowAddresses)),
      pool_(std::make_unique<Ip4[]>(capacity_)),
      map_(size_t{capacity_} * per_addr_slots_of(cfg)),
      workers_(std::max(cfg.workers, 1u)),
      quarantine_s_(cfg.quarantine_s),
      pairing_prefix_len_(cfg.pairing_prefix_len),
      paired_(cfg.paired_pooling),
      seeded_(cfg.seed != 0),
      preserve_class_(cfg.preserve_port_class),
      det_(deterministic_of(cfg))
{
    assert(validate(cfg) == nullptr);
    index_mask_ = std::bit_ceil(2 * capacity_) - 1;   // at most half full: short probes
    index_ = std::make_unique<std::atomic<uint64_t>[]>(size_t{index_mask_} + 1);

    for (uint32_t p = 0; p < kPortProtoCount; ++p) {
        first_[p] = cfg.ranges[p].first;
        size_[p] = uint32_t{cfg.ranges[p].last} - cfg.ranges[p].first + 1;
        offset_[p] = per_addr_slots_;
        per_addr_slots_ += size_[p];
    }

    // Worker w's slice: ports p in range with (p / 2) % workers == w. Why this
    // split: an rte_flow rule on bits of the destination port (power-of-two
    // worker counts: mask 2 * (workers - 1)) can deliver the IPv4 replies of a
    // mapping to the worker that created it, so the port tells which worker
    // owns it and no two workers ever write the same slot; and taking whole
    // even/odd pairs leaves every worker ports of both parities to preserve.
    slices_.resize(size_t{workers_} * kPortProtoCount);
    for (uint32_t w = 0; w < workers_; ++w) {
        for (uint32_t p = 0; p < kPortProtoCount; ++p) {
            const uint32_t first = first_[p], last = first_[p] + size_[p] - 1;
            const uint32_t q_first = first >> 1, q_last = last >> 1;
            const uint32_t q0 = q_first + (w + workers_ - q_first % workers_) % workers_;
            Slice& s = slices_[size_t{w} * kPortProtoCount + p];
            s.first_pair = q0;
            s.slots = q0 > q_last ? 0 : ((q_last - q0) / workers_ + 1) * 2;
            s.count = 0;
            for (uint32_t k = 0; k < s.slots; ++k) {
                const uint32_t port = slot_port(s, k);
                s.count += port >= first && port <= last ? 1 : 0;
            }
        }
    }

    const uint32_t per_worker = capacity_ * kPortProtoCount;
    counter_stride_ = (per_worker + kCountersPerLine - 1) / kCountersPerLine * kCountersPerLine;
    in_use_ = std::make_unique<std::atomic<uint32_t>[]>(size_t{workers_} * counter_stride_);
    reserved_ = std::make_unique<std::atomic<uint32_t>[]>(size_t{workers_} * counter_stride_);

    rng_ = std::make_unique<WorkerRng[]>(workers_);
    draining_ = std::make_unique<std::atomic<uint8_t>[]>(capacity_);
    if (seeded_) {
        // Distinct, reproducible streams per worker, different for every seed.
        for (uint32_t w = 0; w < workers_; ++w)
            rng_[w].state = mix64(cfg.seed ^ mix64(uint64_t{w} + 1));
    }
    // Short of memory, fewer than all: the caller checks address_count().
    for (const Ip4 a : cfg.pool)
        if (add_address(a) != nullptr)
            break;
}

void PortAllocator::index_insert(Ip4 addr, uint32_t addr_index) noexcept
{
    // Widened before the entry is stored: a reader racing this add may answer
    // "not ours" for a moment, as it would have a moment earlier.
    if (addr < lowest_.load(std::memory_order_relaxed))
        lowest_.store(addr, std::memory_order_release);
    if (addr > highest_.load(std::memory_order_relaxed))
        highest_.store(addr, std::memory_order_release);
    for (uint32_t i = static_cast<uint32_t>(mix64(addr)) & index_mask_;; i = (i + 1) & index_mask_) {
        if (index_[i].load(std::memory_order_relaxed) == 0) {
            // release: a reader that finds the entry sees the address's state.
            index_[i].store(uint64_t{addr} << 32 | (addr_index + 1), std::memory_order_release);
            return;
        }
    }
}

const char* PortAllocator::add_address(Ip4 addr) noexcept
{
    uint32_t existing = 0;
    if (find_address(addr, existing))
        return "already in the pool";
    const uint32_t n = count_.load(std::memory_order_relaxed);
    if (n == capacity_)
        return "the pool is full (its room is fixed at start)";
    if (det_.enabled() && n == det_.config().addresses)
        return "deterministic NAT maps onto the start's addresses only";
    if (!map_.commit(size_t{n} * per_addr_slots_, per_addr_slots_))
        return "no memory for its ports";
    pool_[n] = addr;
    draining_[n].store(0, std::memory_order_relaxed);
    index_insert(addr, n);
    count_.store(n + 1, std::memory_order_release);
    return nullptr;
}

size_t PortAllocator::counter_index(uint32_t worker, uint32_t addr_index, PortProto proto) const noexcept
{
    return size_t{worker} * counter_stride_ + size_t{addr_index} * kPortProtoCount +
           static_cast<uint32_t>(proto);
}

uint32_t PortAllocator::slice_size(uint32_t worker, PortProto proto) const noexcept
{
    return slices_[size_t{worker} * kPortProtoCount + static_cast<uint32_t>(proto)].count;
}

bool PortAllocator::available(uint32_t v, uint32_t now_s) const noexcept
{
    if (v == 0)
        return true;
    return (v & kTagMask) == kTagQuarantine && ((now_s - v) & kLowMask) >= quarantine_s_;
}

bool PortAllocator::take_slot(size_t slot, uint32_t owner, uint32_t now_s) noexcept
{
    std::atomic<uint32_t>& s = map_[slot];
    uint32_t v = s.load(std::memory_order_relaxed);
    if (!available(v, now_s))
        return false;
    // CAS, not a store: the control thread may reserve this port concurrently.
    // release: pairs with the acquire in owner(), so a reader that sees `owner`
    // also sees what the caller wrote for it before calling allocate().
    return s.compare_exchange_strong(v, owner, std::memory_order_release, std::memory_order_relaxed);
}

uint32_t PortAllocator::next_random(uint32_t worker) noexcept
{
    WorkerRng& r = rng_[worker];
    if (seeded_)
        return static_cast<uint32_t>(splitmix64_next(r.state) >> 32);
    // arc4random one word at a time costs a syscall per call on Debian 12 (glibc
    // 2.36 calls getrandom(); libbsd 0.11 calls getpid() and takes a mutex), so
    // draw 64 words at once: one syscall per 64 draws, on flow creation only.
    if (r.pos == WorkerRng::kWords) {
        arc4random_buf(r.buf.data(), sizeof(r.buf));
        r.pos = 0;
    }
    return r.buf[r.pos++];
}

uint32_t PortAllocator::random_below(uint32_t worker, uint32_t n) noexcept
{
    // Lemire's multiply-shift with rejection: uniform on [0, n), no bias.
    uint64_t m = uint64_t{next_random(worker)} * n;
    auto low = static_cast<uint32_t>(m);
    if (low < n) {
        const uint32_t threshold = (0u - n) % n;
        while (low < threshold) {
            m = uint64_t{next_random(worker)} * n;
            low = static_cast<uint32_t>(m);
        }
    }
    return static_cast<uint32_t>(m >> 32);
}

uint32_t PortAllocator::paired_address(const In6& src6) const noexcept
{
    const uint32_t n = address_count();
    if (n == 1)
        return 0;
    // Choice: pair on the /64 by default (pairing_prefix_len). RFC 6888 REQ-2
    // pairs an "internal IP address"; an IPv6 host rotates temporary /128s
    // (RFC 8981) within its /64, and a /64 is one subscriber's LAN, the IPv6
    // counterpart of the one private IPv4 address NAT44 pairs. So servers that
    // tie a login to an address see one IPv4 address per subscriber.
    const In6 masked = xlate::mask_prefix(src6, pairing_prefix_len_);
    // Jump consistent hashing: an address added by a reload takes over
    // 1/(n+1) of the hosts and moves no other, so nearly every host keeps the
    // address its live mappings use (RFC 6888 REQ-2 across the change).
    const uint32_t home = jump_hash(hash_bytes(masked.data(), masked.size(), kPairingKey), n);
    for (uint32_t i = 0; i < n; ++i) {
        const uint32_t a = home + i < n ? home + i : home + i - n;
        if (!draining(a))
            return a;
    }
    return home;
}

bool PortAllocator::set_draining(uint32_t addr_index, bool drain) noexcept
{
    const uint32_t n = address_count();
    if (addr_index >= n)
        return false;
    if (drain) {
        uint32_t others = 0;
        for (uint32_t a = 0; a < n; ++a)
            others += a != addr_index && !draining(a) ? 1 : 0;
        if (others == 0)
            return false;
    }
    draining_[addr_index].store(drain ? 1 : 0, std::memory_order_relaxed);
    return true;
}

uint32_t PortAllocator::slot_at_or_after(const Slice& sl, uint32_t port) const noexcept
{
    const uint32_t q = port >> 1;
    if (q <= sl.first_pair)
        return q == sl.first_pair ? (port & 1) : 0;
    const uint32_t pairs_before = (q - sl.first_pair + workers_ - 1) / workers_;   // pairs of this slice below q
    const uint32_t k = pairs_before * 2;
    // If q itself is this worker's, its odd port may be the first one >= port.
    if ((q - sl.first_pair) % workers_ == 0)
        return k + (port & 1);
    return k;
}

bool PortAllocator::take_in(uint32_t worker, PortProto proto, uint32_t addr_index, const Slice& sl, uint32_t klo,
                            uint32_t khi, uint32_t owner, uint32_t now_s, uint32_t& port) noexcept
{
    if (klo >= khi)
        return false;
    const uint32_t n = (khi - klo + 1) / 2;   // slots klo, klo + 2, ... below khi
    const auto p = static_cast<uint32_t>(proto);
    const auto try_slot = [&](uint32_t j) noexcept {
        const uint32_t candidate = slot_port(sl, klo + 2 * j);
        if (candidate < first_[p] || candidate - first_[p] >= size_[p])
            return false;   // the edge of a pair that sticks out of the range
        if (!take_slot(slot_index(addr_index, proto, static_cast<uint16_t>(candidate)), owner, now_s))
            return false;
        port = candidate;
        return true;
    };
    // RFC 6056 s3.3.1 (simple random choice) while the slice is sparse; then a
    // linear scan from a random start finds the last free ports in bounded time.
    for (uint32_t i = 0; i < kRandomProbes; ++i)
        if (try_slot(random_below(worker, n)))
            return true;
    const uint32_t start = random_below(worker, n);
    for (uint32_t j = 0; j < n; ++j)
        if (try_slot(start + j < n ? start + j : start + j - n))
            return true;
    return false;
}

PortAllocation PortAllocator::allocate_on(uint32_t worker, PortProto proto, uint32_t addr_index,
                                          uint32_t owner, uint32_t now_s, uint16_t src_port) noexcept
{
    PortAllocation out{Verdict::drop_ports_exhausted, addr_index, 0, 0};
    if (worker >= workers_ || addr_index >= address_count() || owner == 0 || owner > kMaxOwner) [[unlikely]]
        return out;
    out.addr = pool_[addr_index];
    const Slice& sl = slices_[size_t{worker} * kPortProtoCount + static_cast<uint32_t>(proto)];
    std::atomic<uint32_t>& used = in_use_[counter_index(worker, addr_index, proto)];
    const uint32_t n_used = used.load(std::memory_order_relaxed);   // relaxed: only this worker writes it
    // Fail fast when the slice is full; quarantined ports are found by the scan.
    if (n_used + reserved_[counter_index(worker, addr_index, proto)].load(std::memory_order_relaxed) >= sl.count)
        return out;

    // Where to look, best first: the source port's class with its parity,
    // then the class with the other parity; a well-known source port then
    // falls back to the high class (a port below 1024 is scarce), never the
    // other way round (RFC 6146 s3.5.1.1).
    uint32_t port = 0;
    const bool keep = preserve_class_ && proto != PortProto::icmp && src_port != kAnyPort;
    const uint32_t k_high = slot_at_or_after(sl, kFirstHighPort);
    const bool low = keep && src_port < kFirstHighPort;
    const uint32_t klo = low ? 0 : keep ? k_high : 0;
    const uint32_t khi = low ? std::min(k_high, sl.slots) : sl.slots;
    const uint32_t parity = src_port & 1;
    bool ok = false;
    if (keep) {
        // Slots alternate even, odd: slot k has the parity of k.
        ok = take_in(worker, proto, addr_index, sl, klo + ((klo & 1) != parity), khi, owner, now_s, port) ||
             take_in(worker, proto, addr_index, sl, klo + ((klo & 1) == parity), khi, owner, now_s, port) ||
             (low && (take_in(worker, proto, addr_index, sl, k_high, sl.slots, owner, now_s, port) ||
                      take_in(worker, proto, addr_index, sl, k_high + 1, sl.slots, owner, now_s, port)));
    } else {
        ok = take_in(worker, proto, addr_index, sl, 0, sl.slots, owner, now_s, port) ||
             take_in(worker, proto, addr_index, sl, 1, sl.slots, owner, now_s, port);
    }
    if (!ok)
        return out;
    used.store(n_used + 1, std::memory_order_relaxed);
    out.verdict = Verdict::forward;
    out.port = static_cast<uint16_t>(port);
    return out;
}

PortAllocation PortAllocator::allocate_in(uint32_t worker, PortProto proto, uint32_t addr_index, uint16_t first,
                                          uint16_t last, uint32_t owner, uint32_t now_s, uint16_t src_port) noexcept
{
    PortAllocation out{Verdict::drop_ports_exhausted, addr_index, 0, 0};
    if (worker >= workers_ || addr_index >= address_count() || owner == 0 || owner > kMaxOwner) [[unlikely]]
        return out;
    out.addr = pool_[addr_index];
    // The block's ports in this worker's slice: with N workers each holds
    // about 1/N of every block (the slices interleave pairs of ports).
    const Slice& sl = slices_[size_t{worker} * kPortProtoCount + static_cast<uint32_t>(proto)];
    const uint32_t klo = slot_at_or_after(sl, first);
    const uint32_t khi = slot_at_or_after(sl, uint32_t{last} + 1);
    const uint32_t parity = proto == PortProto::icmp ? 0 : src_port & 1;
    uint32_t port = 0;
    if (!take_in(worker, proto, addr_index, sl, klo + ((klo & 1) != parity), khi, owner, now_s, port) &&
        !take_in(worker, proto, addr_index, sl, klo + ((klo & 1) == parity), khi, owner, now_s, port))
        return out;
    std::atomic<uint32_t>& used = in_use_[counter_index(worker, addr_index, proto)];
    used.store(used.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    out.verdict = Verdict::forward;
    out.port = static_cast<uint16_t>(port);
    return out;
}

PortAllocation PortAllocator::allocate(uint32_t worker, PortProto proto, const In6& src6, uint32_t owner,
                                       uint32_t now_s, uint16_t src_port) noexcept
{
    const uint32_t n = address_count();
    if (n == 0 || worker >= workers_) [[unlikely]]
        return {Verdict::drop_ports_exhausted, 0, 0, 0};
    if (det_.enabled()) {
        // RFC 7422 s2: the subscriber's own block, nothing else.
        PortBlock b;
        if (!det_.block_of(src6, static_cast<uint32_t>(proto), b))
            return {Verdict::drop_no_port_block, 0, 0, 0};
        return allocate_in(worker, proto, b.addr_index, b.first, b.last, owner, now_s, src_port);
    }
    // RFC 6888 REQ-2: with pairing, a full address fails the allocation rather
    // than moving the host to another address.
    if (paired_ || n == 1)
        return allocate_on(worker, proto, paired_address(src6), owner, now_s, src_port);
    const uint32_t start = random_below(worker, n);
    for (uint32_t i = 0; i < n; ++i) {
        const uint32_t a = start + i < n ? start + i : start + i - n;
        if (draining(a))
            continue;
        const PortAllocation r = allocate_on(worker, proto, a, owner, now_s, src_port);
        if (r.verdict == Verdict::forward)
            return r;
    }
    return {Verdict::drop_ports_exhausted, start, pool_[start], 0};
}

bool PortAllocator::free_port(PortProto proto, uint32_t addr_index, uint16_t port, uint32_t now_s) noexcept
{
    return release_slot(proto, addr_index, port, quarantine_s_ == 0 ? 0 : kTagQuarantine | (now_s & kLowMask));
}

bool PortAllocator::unclaim(PortProto proto, uint32_t addr_index, uint16_t port) noexcept
{
    return release_slot(proto, addr_index, port, 0);
}

bool PortAllocator::release_slot(PortProto proto, uint32_t addr_index, uint16_t port, uint32_t rest) noexcept
{
    if (addr_index >= address_count() || !in_range(proto, port)) [[unlikely]]
        return false;
    std::atomic<uint32_t>& s = map_[slot_index(addr_index, proto, port)];
    uint32_t v = s.load(std::memory_order_relaxed);
    if (v == 0 || (v & kTagMask) != 0)
        return false;   // not dynamically allocated: free, static or already resting
    // release: pairs with the acquire in owner(); readers stop seeing the owner.
    if (!s.compare_exchange_strong(v, rest, std::memory_order_release, std::memory_order_relaxed))
        return false;
    std::atomic<uint32_t>& used = in_use_[counter_index(worker_of(port), addr_index, proto)];
    used.store(used.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);   // single writer: that worker
    return true;
}

void PortAllocator::set_owner(PortProto proto, uint32_t addr_index, uint16_t port, uint32_t owner) noexcept
{
    if (addr_index >= address_count() || !in_range(proto, port) || owner == 0 || owner > kMaxOwner) [[unlikely]]
        return;
    // release: pairs with the acquire in owner(), so a reader that sees the
    // owner also sees what the caller wrote for it before.
    map_[slot_index(addr_index, proto, port)].store(owner, std::memory_order_release);
}

bool PortAllocator::disown(PortProto proto, uint32_t addr_index, uint16_t port, uint32_t owner) noexcept
{
    if (addr_index >= address_count() || !in_range(proto, port)) [[unlikely]]
        return false;
    uint32_t v = owner;
    // release: pairs with the acquire in owner(), as set_owner().
    return map_[slot_index(addr_index, proto, port)].compare_exchange_strong(v, kClaimed, std::memory_order_release,
                                                                           std::memory_order_relaxed);
}

bool PortAllocator::reserve(PortProto proto, uint32_t addr_index, uint16_t port, uint32_t owner) noexcept
{
    if (addr_index >= address_count() || !in_range(proto, port) || owner > kMaxOwner)
        return false;
    std::atomic<uint32_t>& s = map_[slot_index(addr_index, proto, port)];
    uint32_t v = s.load(std::memory_order_relaxed);
    if (v != 0 && (v & kTagMask) != kTagQuarantine)
        return false;   // in use or already reserved
    // release: pairs with the acquire in owner(). CAS: a worker may take it meanwhile.
    if (!s.compare_exchange_strong(v, kTagStatic | owner, std::memory_order_release, std::memory_order_relaxed))
        return false;
    std::atomic<uint32_t>& r = reserved_[counter_index(worker_of(port), addr_index, proto)];
    r.store(r.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);   // single writer: control
    return true;
}

bool PortAllocator::unreserve(PortProto proto, uint32_t addr_index, uint16_t port) noexcept
{
    if (addr_index >= address_count() || !in_range(proto, port))
        return false;
    std::atomic<uint32_t>& s = map_[slot_index(addr_index, proto, port)];
    uint32_t v = s.load(std::memory_order_relaxed);
    if ((v & kTagMask) != kTagStatic)
        return false;
    if (!s.compare_exchange_strong(v, 0, std::memory_order_release, std::memory_order_relaxed))
        return false;
    std::atomic<uint32_t>& r = reserved_[counter_index(worker_of(port), addr_index, proto)];
    r.store(r.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
    return true;
}

PortState PortAllocator::state(PortProto proto, uint32_t addr_index, uint16_t port, uint32_t now_s) const noexcept
{
    if (addr_index >= address_count() || !in_range(proto, port))
        return PortState::reserved;   // out of range: never ours to hand out
    const uint32_t v = map_[slot_index(addr_index, proto, port)].load(std::memory_order_acquire);
    if (available(v, now_s))
        return PortState::free;
    switch (v & kTagMask) {
    case kTagStatic:
        return PortState::reserved;
    case kTagQuarantine:
        return PortState::quarantined;
    default:
        return PortState::in_use;
    }
}

uint32_t PortAllocator::in_use(uint32_t addr_index, PortProto proto) const noexcept
{
    uint32_t sum = 0;
    for (uint32_t w = 0; w < workers_; ++w)
        sum += in_use_[counter_index(w, addr_index, proto)].load(std::memory_order_relaxed);
    return sum;
}

uint32_t PortAllocator::reserved(uint32_t addr_index, PortProto proto) const noexcept
{
    uint32_t sum = 0;
    for (uint32_t w = 0; w < workers_; ++w)
        sum += reserved_[counter_index(w, addr_index, proto)].load(std::memory_order_relaxed);
    return sum;
}

size_t PortAllocator::memory_bytes() const noexcept
{
    return size_t{address_count()} * per_addr_slots_ * sizeof(std::atomic<uint32_t>)   // direct map
           + 2 * size_t{workers_} * counter_stride_ * sizeof(std::atomic<uint32_t>)
           + size_t{workers_} * sizeof(WorkerRng)
           + slices_.size() * sizeof(Slice)
           + size_t{capacity_} * (sizeof(Ip4) + sizeof(std::atomic<uint8_t>))
           + (size_t{index_mask_} + 1) * sizeof(std::atomic<uint64_t>);
}

} // namespace nat64d::nat
