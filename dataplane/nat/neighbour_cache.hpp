// Neighbour resolution state for both families: ARP (RFC 826) and NDP
// (RFC 4861 s7.3, simplified). Maps a next hop to a MAC, holds a few packets
// (opaque handles) while a next hop is unresolved, and tells the caller when to
// send a solicitation (at most one per entry per retrans interval). Fixed
// capacity, no allocation after construction, time passed in.
//
// Threads: not synchronised. One thread owns an instance (a worker, or the
// control thread behind a snapshot); it alone calls the mutating functions.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "dataplane/nat/open_index.hpp"
#include "dataplane/nat/v4_mapped.hpp"
#include "dataplane/xlate/bytes.hpp"

namespace nat64d::nat {

using MacAddr = std::array<uint8_t, 6>;

/// Packets held per unresolved next hop (RFC 4861 s7.2.2 asks for at least
/// one): two receive bursts, so the first packets to a new destination survive
/// the round trip of its resolution. NeighbourConfig bounds the total.
inline constexpr uint32_t kNeighbourMaxHeld = 64;

/// A next hop: IPv6, or IPv4 stored v4-mapped (::ffff:a.b.c.d, never a valid
/// IPv6 neighbour, RFC 4291 s2.5.5.2).
struct NeighbourKey {
    In6 ip;
    bool is_ip4() const noexcept { return is_v4_mapped(ip); }
    Ip4 ip4() const noexcept { return v4_of_mapped(ip); }   // precondition: is_ip4()
};
inline NeighbourKey neighbour_key4(Ip4 ip) noexcept { return NeighbourKey{v4_mapped(ip)}; }
inline NeighbourKey neighbour_key6(const In6& ip) noexcept { return NeighbourKey{ip}; }

enum class NeighbourState : uint8_t {
    incomplete,     // soliciting, no MAC yet; packets are held
    reachable,      // confirmed within reachable_ms
    stale,          // usable, but unconfirmed for a while; using it re-solicits
    static_entry,   // from configuration: never expires, never solicits
};

/// What the caller does with the packet it asked about.
enum class Resolution : uint8_t {
    send,           // `mac` is filled in: send now
    send_solicit,   // send now, and also send a solicitation (stale entry in use)
    held,           // the handle is held; it comes back from learn_*() or tick()
    held_solicit,   // held, and send a solicitation now
    drop,           // hold queue or table full: drop as drop_no_neighbour
};

/// Packets released by a confirmation: send them to `mac`.
struct Learned {
    MacAddr mac{};
    uint32_t count = 0;
    std::array<uint64_t, kNeighbourMaxHeld> handles{};
};

struct NeighbourConfig {
    uint32_t capacity = 1024;
    uint32_t reachable_ms = 30'000;     // RFC 4861 s10 REACHABLE_TIME
    uint32_t retrans_ms = 1'000;        // RFC 4861 s10 RETRANS_TIMER: solicit at most this often
    uint32_t max_solicits = 3;          // RFC 4861 s10 MAX_MULTICAST_SOLICIT / MAX_UNICAST_SOLICIT
    uint32_t stale_gc_ms = 600'000;     // an unused stale entry is forgotten after this
    uint32_t max_held_total = 1024;     // packets held over all unresolved next hops
    uint64_t seed = 0;                  // hash seed; any value works
};

struct NeighbourInfo {
    bool found = false;
    NeighbourState state = NeighbourState::incomplete;
    MacAddr mac{};
    uint32_t held = 0;
};

/// What tick() found for the caller to do.
struct NeighbourTick {
    uint32_t solicits = 0;  // next hops written to `solicit`: send a solicitation to each
    uint32_t dropped = 0;   // handles written to `dropped`: resolution failed, drop them
};

class NeighbourCache {
public:
    static const char* validate(const NeighbourConfig& cfg) noexcept;
    /// Precondition: validate(cfg) == nullptr.
    explicit NeighbourCache(const NeighbourConfig& cfg);
    NeighbourCache(const NeighbourCache&) = delete;
    NeighbourCache& operator=(const NeighbourCache&) = delete;

    /// Next hop for a packet known as `handle`: send it to `mac`, or hold it, or drop it.
    Resolution resolve(const NeighbourKey& ip, uint64_t handle, uint64_t now_ms, MacAddr& mac) noexcept;
    Resolution resolve_4(Ip4 ip, uint64_t handle, uint64_t now_ms, MacAddr& mac) noexcept
    {
        return resolve(neighbour_key4(ip), handle, now_ms, mac);
    }
    Resolution resolve_6(const In6& ip, uint64_t handle, uint64_t now_ms, MacAddr& mac) noexcept
    {
        return resolve(neighbour_key6(ip), handle, now_ms, mac);
    }

    /// `ip` is at `mac` (an ARP reply or request for us, an NA, an NS with a
    /// source link-layer option). Marks it reachable and returns its held packets.
    /// Unknown next hops are added when there is room. Static entries do not change.
    Learned learn(const NeighbourKey& ip, const MacAddr& mac, uint64_t now_ms) noexcept;
    Learned learn_4(Ip4 ip, const MacAddr& mac, uint64_t now_ms) noexcept
    {
        return learn(neighbour_key4(ip), mac, now_ms);
    }
    Learned learn_6(const In6& ip, const MacAddr& mac, uint64_t now_ms) noexcept
    {
        return learn(neighbour_key6(ip), mac, now_ms);
    }

    /// A configured neighbour: never expires. False if the table is full.
    bool add_static(const NeighbourKey& ip, const MacAddr& mac) noexcept;

    /// Timers: retransmits solicitations for unresolved and probed next hops,
    /// ages reachable entries to stale, and removes entries whose solicitations
    /// went unanswered max_solicits times (their held handles go to `dropped`)
    /// and stale entries unused for stale_gc_ms. Scans the whole table: call it
    /// every few hundred ms, not per packet. Work that does not fit the spans
    /// waits for the next call.
    NeighbourTick tick(uint64_t now_ms, std::span<NeighbourKey> solicit, std::span<uint64_t> dropped) noexcept;

    NeighbourInfo lookup(const NeighbourKey& ip, uint64_t now_ms) const noexcept;
    uint32_t size() const noexcept { return live_; }
    uint32_t held() const noexcept { return held_total_; }
    size_t memory_bytes() const noexcept;

private:
    struct Entry {
        In6 ip;
        MacAddr mac;
        NeighbourState state;
        uint8_t solicits;       // sent since the last confirmation
        uint8_t held;           // at most kNeighbourMaxHeld
        uint8_t live;
        uint64_t confirmed_ms;  // last confirmation (learn) or, for a new entry, creation
        uint64_t solicited_ms;  // last solicitation
        std::array<uint64_t, kNeighbourMaxHeld> handles;
    };

    uint64_t hash_of(const In6& ip) const noexcept;
    uint32_t find(const In6& ip) const noexcept;
    uint32_t create(const In6& ip) noexcept;
    void remove(uint32_t i) noexcept;
    bool solicit_due(const Entry& e, uint64_t now_ms) const noexcept;
    void age(Entry& e, uint64_t now_ms) const noexcept;

    uint32_t capacity_;
    uint64_t reachable_ms_;
    uint64_t retrans_ms_;
    uint32_t max_solicits_;
    uint64_t stale_gc_ms_;
    uint64_t seed_;
    uint32_t live_ = 0;
    uint32_t max_held_total_;
    uint32_t held_total_ = 0;
    uint32_t free_top_ = 0;     // free entries are free_[0..free_top_)
    uint32_t evict_hand_ = 0;
    OpenIndex index_;
    std::unique_ptr<Entry[]> entries_;
    std::unique_ptr<uint32_t[]> free_;
};

} // namespace nat64d::nat
