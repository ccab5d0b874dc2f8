// Public (IPv4 address, port) allocation for new mappings: RFC 6056 random
// ports, RFC 6888 REQ-2 paired pooling, REQ-8 port quarantine, static BIB
// reservations, and per-worker port slices so allocation takes no lock.
//
// One direct map per (address, protocol, port) holds the owner of each public
// port, so an inbound IPv4 packet finds its mapping with one load, no hash.
//
// Threads: worker w allocates and frees only ports p with (p / 2) % workers == w
// (its slice: whole even/odd pairs, so every worker can preserve parity). Any
// thread may read owner()/state(). reserve()/unreserve() and add_address() are
// for one control thread (or start-up). Slots are atomics; see port_alloc.cpp.
//
// The pool only grows while running (a reload adds an address; one taken out
// drains and keeps its index), so readers need no grace period: everything
// an address needs is in place before address_count() shows it.
#pragma once
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "dataplane/nat/deterministic.hpp"
#include "dataplane/nat/hash.hpp"
#include "dataplane/nat/reserved.hpp"
#include "dataplane/xlate/bytes.hpp"
#include "dataplane/verdict.hpp"

namespace nat64d::nat {

/// The three port spaces of a NAT64 (RFC 6146 s3.5): TCP ports, UDP ports and
/// ICMP query identifiers.
enum class PortProto : uint8_t { tcp = 0, udp = 1, icmp = 2 };
inline constexpr uint32_t kPortProtoCount = 3;

/// The port space of an IP protocol number (either family's ICMP); false if none.
constexpr bool port_proto_of(uint8_t ip_proto, PortProto& out) noexcept
{
    switch (ip_proto) {
    case kProtoTcp:
        out = PortProto::tcp;
        return true;
    case kProtoUdp:
        out = PortProto::udp;
        return true;
    case kProtoIcmp6:
    case kProtoIcmp4:
        out = PortProto::icmp;
        return true;
    default:
        return false;
    }
}

struct PortRange {
    uint16_t first = 1024;
    uint16_t last = 65535;
};

struct PortAllocConfig {
    std::vector<Ip4> pool;              // public IPv4 addresses; index = position
    std::array<PortRange, kPortProtoCount> ranges{{{1024, 65535}, {1024, 65535}, {1, 65535}}};
    uint32_t workers = 1;
    bool paired_pooling = true;         // RFC 6888 REQ-2
    uint8_t pairing_prefix_len = 64;    // hash this much of the IPv6 source; see port_alloc.cpp
    uint64_t seed = 0;                  // 0: arc4random; else a reproducible PRNG
    uint32_t quarantine_s = 120;        // RFC 6888 REQ-8
    // RFC 6146 s3.5.1.1, RFC 4787 s4.2.1 (REQ-3): a source port below 1024 gets
    // a public one below 1024 while one is free (one above never gets one
    // below), and the parity of the source port is kept where possible.
    bool preserve_port_class = true;
    // RFC 7422 deterministic NAT: with an order set, a subscriber's ports come
    // only from its block (its prefix and subscriber length are taken from
    // here; the addresses and ranges from above).
    DeterministicConfig deterministic;
};

/// The deterministic map a configuration describes: its prefix and order,
/// the pool's address count and the port ranges.
DeterministicConfig deterministic_of(const PortAllocConfig& cfg) noexcept;

/// What a public port is doing.
enum class PortState : uint8_t { free, in_use, reserved, quarantined };

struct PortAllocation {
    Verdict verdict;        // forward, or drop_ports_exhausted
    uint32_t addr_index;    // index into the pool
    Ip4 addr;
    uint16_t port;
};

class PortAllocator {
public:
    static constexpr uint32_t kMaxOwner = (1u << 30) - 1;   // owners are 1..kMaxOwner
    static constexpr uint32_t kMaxAddresses = 16384;        // keeps slot indices in 32 bits
    /// Addresses a running allocator can hold, added ones included, unless
    /// the start's pool is larger: the direct map reserves address space
    /// (not memory) for this many.
    static constexpr uint32_t kGrowAddresses = 1024;
    static constexpr uint32_t kMaxWorkers = 1024;
    static constexpr uint32_t kRandomProbes = 8;            // before scanning the slice

    /// nullptr if `cfg` is usable, else why not (for control/'s error message).
    static const char* validate(const PortAllocConfig& cfg) noexcept;

    /// Allocates everything it will ever use, except the direct map of an
    /// address added later (add_address()). Precondition: validate(cfg) ==
    /// nullptr. Short of memory for the pool's ports, address_count() is
    /// below the pool's size: the caller refuses to start.
    explicit PortAllocator(const PortAllocConfig& cfg);
    PortAllocator(const PortAllocator&) = delete;
    PortAllocator& operator=(const PortAllocator&) = delete;

    /// Worker `worker` picks a free port from its slice for a new mapping of
    /// `src6`#`src_port`, on the address paired with src6 (or any address without
    /// pairing), and records `owner` (1..kMaxOwner) for it. The port keeps the
    /// source port's class and parity when it can (preserve_port_class); an
    /// ICMP identifier has neither. drop_ports_exhausted if none.
    PortAllocation allocate(uint32_t worker, PortProto proto, const In6& src6, uint32_t owner, uint32_t now_s,
                            uint16_t src_port = kAnyPort) noexcept;

    /// As allocate(), from ports first..last of one address (a deterministic
    /// block): the source port's parity kept where it can be.
    PortAllocation allocate_in(uint32_t worker, PortProto proto, uint32_t addr_index, uint16_t first, uint16_t last,
                               uint32_t owner, uint32_t now_s, uint16_t src_port) noexcept;
    /// The deterministic map in force (enabled() false without one).
    const DeterministicMap& deterministic() const noexcept { return det_; }

    /// As allocate(), on a given address.
    PortAllocation allocate_on(uint32_t worker, PortProto proto, uint32_t addr_index, uint32_t owner,
                               uint32_t now_s, uint16_t src_port = kAnyPort) noexcept;
    /// A source port with no class or parity to keep.
    static constexpr uint16_t kAnyPort = 0;
    /// Ports below this are the well-known range (RFC 6335 s6: 0-1023).
    static constexpr uint32_t kFirstHighPort = 1024;

    /// Returns an allocated port; it rests quarantine_s seconds before reuse.
    /// Must run on worker worker_of(port). False if it was not dynamically in use.
    bool free_port(PortProto proto, uint32_t addr_index, uint16_t port, uint32_t now_s) noexcept;

    /// An owner for a port taken before its owner is known: allocate() with
    /// it, then set_owner(). owner() reports it as it is; it is never a
    /// position a caller stores, so callers treat it as "no owner yet".
    static constexpr uint32_t kClaimed = kMaxOwner;
    /// Names the owner of a dynamically allocated port. Worker worker_of(port) only.
    void set_owner(PortProto proto, uint32_t addr_index, uint16_t port, uint32_t owner) noexcept;
    /// A dropped mapping's port: still taken (it goes back after a grace
    /// period, then rests in quarantine), but it names `owner` no longer, so
    /// owner() reports kClaimed from now on. False if `owner` did not hold it.
    /// Any thread: a port in use has no other writer.
    bool disown(PortProto proto, uint32_t addr_index, uint16_t port, uint32_t owner) noexcept;
    /// Returns a claimed port nobody ever saw: free at once, no quarantine.
    /// Worker worker_of(port) only.
    bool unclaim(PortProto proto, uint32_t addr_index, uint16_t port) noexcept;

    /// Reserves a port for a static BIB entry so it is never allocated. The port
    /// must be in range and free or quarantined. Control thread or start-up only.
    bool reserve(PortProto proto, uint32_t addr_index, uint16_t port, uint32_t owner) noexcept;
    bool unreserve(PortProto proto, uint32_t addr_index, uint16_t port) noexcept;

    /// The owner of a public port (dynamic or static), 0 if none. Any thread.
    /// Inline, as are in_range() and find_address(): every inbound packet asks.
    uint32_t owner(PortProto proto, uint32_t addr_index, uint16_t port) const noexcept
    {
        if (addr_index >= address_count() || !in_range(proto, port)) [[unlikely]]
            return 0;
        // acquire: pairs with the release CAS in take_slot() and reserve().
        const uint32_t v = map_[slot_index(addr_index, proto, port)].load(std::memory_order_acquire);
        return (v & kTagMask) == kTagQuarantine ? 0 : v & kLowMask;
    }
    /// Prefetches the direct-map slot owner() will read. Any thread.
    void prefetch_owner(PortProto proto, uint32_t addr_index, uint16_t port) const noexcept
    {
        if (in_range(proto, port))
            __builtin_prefetch(&map_[slot_index(addr_index, proto, port)], 0, 3);
    }
    PortState state(PortProto proto, uint32_t addr_index, uint16_t port, uint32_t now_s) const noexcept;

    /// Index of a pool address, for inbound lookups (an open-addressing
    /// table, any thread). False if not ours.
    bool find_address(Ip4 addr, uint32_t& addr_index) const noexcept
    {
        // Most addresses asked about (every 6to4 destination, for hairpinning)
        // lie outside the pool's span: answered without touching the index.
        if (addr < lowest_.load(std::memory_order_relaxed) || addr > highest_.load(std::memory_order_relaxed))
            return false;
        for (uint32_t i = static_cast<uint32_t>(mix64(addr)) & index_mask_;; i = (i + 1) & index_mask_) {
            // acquire: pairs with index_insert()'s release.
            const uint64_t e = index_[i].load(std::memory_order_acquire);
            if (e == 0)
                return false;
            if (static_cast<Ip4>(e >> 32) == addr) {
                addr_index = static_cast<uint32_t>(e) - 1;
                return true;
            }
        }
    }
    /// Adds a pool address at the next index (a reload). Control thread.
    /// nullptr if done, else why not (already there, no room left).
    const char* add_address(Ip4 addr) noexcept;
    /// Addresses the pool can hold in all.
    uint32_t capacity() const noexcept { return capacity_; }
    /// The pool address a host's mappings use under paired pooling: its
    /// hashed one, or while that one drains the next that does not (so the
    /// host's new mappings still share one address).
    uint32_t paired_address(const In6& src6) const noexcept;

    /// A draining address gets no new mapping; existing ones live out (a
    /// reload that takes it out of pool.addresses). Control thread; any
    /// thread reads. False (and nothing changes) if it would leave no address.
    bool set_draining(uint32_t addr_index, bool draining) noexcept;
    bool draining(uint32_t addr_index) const noexcept
    {
        return draining_[addr_index].load(std::memory_order_relaxed) != 0;
    }

    Ip4 address(uint32_t addr_index) const noexcept { return pool_[addr_index]; }
    /// acquire: pairs with add_address()'s release, so an index below it has
    /// its address, map and counters in place.
    uint32_t address_count() const noexcept { return count_.load(std::memory_order_acquire); }
    uint32_t workers() const noexcept { return workers_; }
    uint32_t quarantine_s() const noexcept { return quarantine_s_; }
    /// A random number for worker `worker`'s own choices (where to look first).
    uint32_t random(uint32_t worker) noexcept { return next_random(worker); }
    /// The worker whose slice holds `port`.
    uint32_t worker_of(uint16_t port) const noexcept { return (port >> 1) % workers_; }
    bool in_range(PortProto proto, uint16_t port) const noexcept
    {
        const auto p = static_cast<uint32_t>(proto);
        return port >= first_[p] && port - first_[p] < size_[p];
    }
    /// Ports of `proto` in worker's slice (per address).
    uint32_t slice_size(uint32_t worker, PortProto proto) const noexcept;

    /// Dynamically allocated ports now (not counting quarantined or reserved).
    uint32_t in_use(uint32_t addr_index, PortProto proto) const noexcept;
    uint32_t reserved(uint32_t addr_index, PortProto proto) const noexcept;

    /// Bytes in use (the direct map dominates: 4 bytes per port in range and
    /// address; the room reserved for addresses not yet added is not counted).
    size_t memory_bytes() const noexcept;

private:
    // A worker's ports as "virtual slots" k = 0, 1, 2...: pair q = first_pair
    // + (k / 2) * workers, port 2q + k % 2. The first and last pair may stick
    // out of the range; those slots are skipped.
    struct Slice {
        uint32_t first_pair = 0;        // smallest pair q with q % workers == worker and a port in range
        uint32_t slots = 0;             // virtual slots: 2 per pair
        uint32_t count = 0;             // ports in range
    };
    uint32_t slot_port(const Slice& sl, uint32_t k) const noexcept
    {
        return (sl.first_pair + (k >> 1) * workers_) * 2 + (k & 1);
    }
    // First virtual slot whose port is >= port (slots are in port order).
    uint32_t slot_at_or_after(const Slice& sl, uint32_t port) const noexcept;
    // Tries slots klo, klo+2, ... below khi, from a random one, then in order.
    bool take_in(uint32_t worker, PortProto proto, uint32_t addr_index, const Slice& sl, uint32_t klo, uint32_t khi,
                 uint32_t owner, uint32_t now_s, uint32_t& port) noexcept;
    struct alignas(64) WorkerRng {      // one cache line set per worker: never shared
        static constexpr uint32_t kWords = 64;
        uint64_t state = 0;             // splitmix64 state (seeded mode)
        uint32_t pos = kWords;          // next unused word of buf (arc4random mode)
        std::array<uint32_t, kWords> buf{};
    };

    // A direct-map slot is one uint32, read by any worker and written with CAS:
    //   0                          free
    //   1..kMaxOwner               allocated to that owner (dynamic)
    //   kTagStatic | owner         reserved for a static BIB entry (owner may be 0)
    //   kTagQuarantine | t         freed at now_s == t (mod 2^30), resting (RFC 6888 REQ-8)
    // Keeping the quarantine time in the slot costs no extra memory and no queue:
    // a slot becomes choosable again by itself, checked when a probe looks at it.
    // The 30-bit time wraps after 34 years; a slot left quarantined that long would
    // look quarantined again for quarantine_s, which is harmless.
    static constexpr uint32_t kTagMask = 0xC000'0000u;
    static constexpr uint32_t kTagStatic = 0x4000'0000u;
    static constexpr uint32_t kTagQuarantine = 0x8000'0000u;
    static constexpr uint32_t kLowMask = 0x3FFF'FFFFu;

    size_t slot_index(uint32_t addr_index, PortProto proto, uint16_t port) const noexcept
    {
        const auto p = static_cast<uint32_t>(proto);
        return size_t{addr_index} * per_addr_slots_ + offset_[p] + (port - first_[p]);
    }
    size_t counter_index(uint32_t worker, uint32_t addr_index, PortProto proto) const noexcept;
    bool take_slot(size_t slot, uint32_t owner, uint32_t now_s) noexcept;
    bool release_slot(PortProto proto, uint32_t addr_index, uint16_t port, uint32_t rest) noexcept;
    bool available(uint32_t v, uint32_t now_s) const noexcept;
    uint32_t next_random(uint32_t worker) noexcept;
    uint32_t random_below(uint32_t worker, uint32_t n) noexcept;

    // Room for capacity_ addresses from the start; count_ of them in use.
    uint32_t capacity_ = 0;
    std::atomic<uint32_t> count_{0};
    std::unique_ptr<Ip4[]> pool_;                       // [capacity_]
    // find_address(): address << 32 | (index + 1) per entry, 0 empty; only
    // ever inserted into, by one thread, so readers probe without a lock.
    std::unique_ptr<std::atomic<uint64_t>[]> index_;
    uint32_t index_mask_ = 0;
    // The lowest and highest address ever added; only ever widened.
    std::atomic<Ip4> lowest_{~Ip4{0}};
    std::atomic<Ip4> highest_{0};
    void index_insert(Ip4 addr, uint32_t addr_index) noexcept;
    // The direct map: room for capacity_ addresses reserved at start, made
    // usable one address at a time.
    ReservedArray<std::atomic<uint32_t>> map_;
    std::array<uint32_t, kPortProtoCount> first_{};
    std::array<uint32_t, kPortProtoCount> size_{};
    std::array<uint32_t, kPortProtoCount> offset_{};    // of each protocol within an address
    uint32_t per_addr_slots_ = 0;
    uint32_t workers_ = 1;
    uint32_t counter_stride_ = 0;                       // per worker, a multiple of 64 bytes
    uint32_t quarantine_s_ = 0;
    uint8_t pairing_prefix_len_ = 64;
    bool paired_ = true;
    bool seeded_ = false;
    bool preserve_class_ = true;
    std::vector<Slice> slices_;                         // [worker * 3 + proto]
    std::unique_ptr<std::atomic<uint32_t>[]> in_use_;   // [worker][addr][proto], worker-written
    std::unique_ptr<std::atomic<uint32_t>[]> reserved_; // same shape, control-written
    std::unique_ptr<WorkerRng[]> rng_;
    std::unique_ptr<std::atomic<uint8_t>[]> draining_;   // [capacity_]
    DeterministicMap det_;
};

} // namespace nat64d::nat
