// Sessions and mappings on rte_hash (RFC 6146 s3.1, s3.5). See flow_table.hpp
// for the layout and the concurrency rules.
#include "dataplane/flow/flow_table.hpp"

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>

#include "dataplane/io/port.hpp"

namespace nat64d::dp {

namespace {

constexpr uint64_t kSessionReady = 1;

// rte_hash keeps per-lcore free-slot caches when writers are many; positions
// can then reach entries + (RTE_MAX_LCORE - 1) * (64 - 1).
uint32_t key_slots(uint32_t entries) noexcept
{
    return entries + (RTE_MAX_LCORE - 1) * 63 + 1;
}

rte_hash* make_hash(const std::string& name, uint32_t entries, uint32_t key_len, int socket)
{
    rte_hash_parameters params{};
    params.name = name.c_str();
    params.entries = entries;
    params.key_len = key_len;
    params.hash_func = rte_hash_crc;
    params.hash_func_init_val = 0;
    params.socket_id = socket;
    params.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_MULTI_WRITER_ADD;
    rte_hash* h = rte_hash_create(&params);
    if (h == nullptr)
        throw StartupError("flow table " + name + " (" + std::to_string(entries) +
                           " entries): " + rte_strerror(rte_errno));
    return h;
}

uint64_t pack_mapping(Ip4 pub4, uint16_t pub_port) noexcept
{
    return (uint64_t{pub4} << 32) | (uint64_t{pub_port} << 16) | kSessionReady;
}

} // namespace

FlowTable::FlowTable(const FlowTableConfig& cfg, nat::PortAllocator& ports)
    : max_flows_(cfg.max_flows), max_mappings_(cfg.max_mappings ? cfg.max_mappings : cfg.max_flows),
      ports_(ports)
{
    sessions_hash_ = make_hash(cfg.name + "_s", max_flows_, sizeof(nat::FlowKey6), cfg.socket);
    mappings_hash_ = make_hash(cfg.name + "_m", max_mappings_, sizeof(nat::BibKey6), cfg.socket);
    sessions_ = std::make_unique<Session[]>(key_slots(max_flows_));
    mappings_ = std::make_unique<MappingSlot[]>(key_slots(max_mappings_));
}

FlowTable::~FlowTable()
{
    rte_hash_free(sessions_hash_);
    rte_hash_free(mappings_hash_);
}

void FlowTable::lookup_bulk(const nat::FlowKey6* const* keys, uint32_t n, int32_t* positions) const noexcept
{
    rte_hash_lookup_bulk(sessions_hash_, reinterpret_cast<const void**>(const_cast<const nat::FlowKey6**>(keys)),
                         n, positions);
    // A session inserted by another worker but not yet complete is a miss here;
    // create() will find it and complete it the same way.
    for (uint32_t i = 0; i < n; ++i)
        if (positions[i] >= 0 && !sessions_[static_cast<uint32_t>(positions[i])].ready()) [[unlikely]]
            positions[i] = -ENOENT;
}

int32_t FlowTable::lookup(const nat::FlowKey6& key) const noexcept
{
    int32_t p = rte_hash_lookup(sessions_hash_, &key);
    if (p >= 0 && !sessions_[static_cast<uint32_t>(p)].ready())
        return -ENOENT;
    return p;
}

bool FlowTable::key_at(int32_t pos, nat::FlowKey6& key) const noexcept
{
    void* kp = nullptr;
    if (pos < 0 || !sessions_[static_cast<uint32_t>(pos)].ready() ||
        rte_hash_get_key_with_position(sessions_hash_, pos, &kp) < 0 || kp == nullptr)
        return false;
    std::memcpy(&key, kp, sizeof(key));
    return true;
}

int32_t FlowTable::find_or_create_mapping(const nat::FlowKey6& key, uint32_t worker, uint32_t now_s,
                                          Verdict& why) noexcept
{
    nat::PortProto proto;
    if (!nat::port_proto_of(key.proto, proto)) {
        why = Verdict::drop_unsupported_proto;
        return -1;
    }
    const nat::BibKey6 bib = nat::bib_key_of(key);
    int32_t m = rte_hash_lookup(mappings_hash_, &bib);
    if (m >= 0) {
        if (mappings_[static_cast<uint32_t>(m)].ready.load(std::memory_order_acquire))
            return m;
        why = Verdict::drop_no_mapping;   // another worker is creating it right now
        return -1;
    }
    m = rte_hash_add_key(mappings_hash_, &bib);
    if (m < 0) {
        why = Verdict::drop_table_full;
        return -1;
    }
    // RFC 6146 s3.5.1.1 / RFC 6056: a random port from this worker's slice; the
    // allocator's direct map records the mapping's position as the port's owner.
    const nat::PortAllocation a = ports_.allocate(worker, proto, key.src, static_cast<uint32_t>(m) + 1, now_s);
    if (a.verdict != Verdict::forward) {
        if (rte_hash_del_key(mappings_hash_, &bib) >= 0)
            rte_hash_free_key_with_position(mappings_hash_, m);   // never published: no grace period needed
        why = a.verdict;
        return -1;
    }
    MappingSlot& slot = mappings_[static_cast<uint32_t>(m)];
    slot.pub4 = a.addr;
    slot.pub_port = a.port;
    slot.addr_index = a.addr_index;
    slot.is_static = 0;
    slot.sessions.store(0, std::memory_order_relaxed);
    slot.ready.store(1, std::memory_order_release);
    return m;
}

void FlowTable::drop_mapping(int32_t m, const nat::BibKey6& bib, nat::PortProto proto, uint32_t now_s) noexcept
{
    MappingSlot& slot = mappings_[static_cast<uint32_t>(m)];
    slot.ready.store(0, std::memory_order_relaxed);
    // RFC 6888: the port rests in quarantine before another subscriber gets it.
    ports_.free_port(proto, slot.addr_index, slot.pub_port, now_s);
    if (rte_hash_del_key(mappings_hash_, &bib) >= 0)
        rte_hash_free_key_with_position(mappings_hash_, m);   // TODO(#4): after a QSBR grace period
}

int32_t FlowTable::create(const nat::FlowKey6& key, uint32_t worker, uint32_t now_s, Verdict& why) noexcept
{
    const int32_t m = find_or_create_mapping(key, worker, now_s, why);
    if (m < 0)
        return -1;
    MappingSlot& slot = mappings_[static_cast<uint32_t>(m)];
    const int32_t p = rte_hash_add_key(sessions_hash_, &key);
    if (p < 0) [[unlikely]] {
        nat::PortProto proto;
        if (slot.sessions.load(std::memory_order_relaxed) == 0 && !slot.is_static &&
            nat::port_proto_of(key.proto, proto))
            drop_mapping(m, nat::bib_key_of(key), proto, now_s);
        why = Verdict::drop_table_full;
        return -1;
    }
    Session& s = sessions_[static_cast<uint32_t>(p)];
    if (s.ready())
        return p;   // another worker completed it first
    s.last_seen_s.store(now_s, std::memory_order_relaxed);
    s.tcp_state.store(static_cast<uint8_t>(nat::TcpState::closed), std::memory_order_relaxed);
    slot.sessions.fetch_add(1, std::memory_order_relaxed);
    s.mapping.store(pack_mapping(slot.pub4, slot.pub_port), std::memory_order_release);
    return p;
}

bool FlowTable::find_mapping(uint8_t proto6, Ip4 pub4, uint16_t pub_port, In6& addr6,
                             uint16_t& port6) const noexcept
{
    nat::PortProto proto;
    uint32_t addr_index = 0;
    if (!nat::port_proto_of(proto6, proto) || !ports_.find_address(pub4, addr_index))
        return false;
    const uint32_t owner = ports_.owner(proto, addr_index, pub_port);
    if (owner == 0)
        return false;
    void* kp = nullptr;
    if (rte_hash_get_key_with_position(mappings_hash_, static_cast<int32_t>(owner - 1), &kp) < 0 ||
        kp == nullptr)
        return false;
    nat::BibKey6 bib;
    std::memcpy(&bib, kp, sizeof(bib));
    addr6 = bib.src;
    port6 = bib.sport;
    return true;
}

bool FlowTable::add_static(const StaticMapping& sm) noexcept
{
    nat::PortProto proto;
    uint32_t addr_index = 0;
    if (!nat::port_proto_of(sm.proto6, proto) || !ports_.find_address(sm.addr4, addr_index))
        return false;
    const nat::BibKey6 bib = nat::make_bib_key6(sm.addr6, sm.port6, sm.proto6);
    if (rte_hash_lookup(mappings_hash_, &bib) >= 0 || ports_.owner(proto, addr_index, sm.port4) != 0)
        return false;
    const int32_t m = rte_hash_add_key(mappings_hash_, &bib);
    if (m < 0)
        return false;
    if (!ports_.reserve(proto, addr_index, sm.port4, static_cast<uint32_t>(m) + 1)) {
        if (rte_hash_del_key(mappings_hash_, &bib) >= 0)
            rte_hash_free_key_with_position(mappings_hash_, m);
        return false;
    }
    MappingSlot& slot = mappings_[static_cast<uint32_t>(m)];
    slot.pub4 = sm.addr4;
    slot.pub_port = sm.port4;
    slot.addr_index = addr_index;
    slot.is_static = 1;
    slot.ready.store(1, std::memory_order_release);
    return true;
}

void FlowTable::release_session_mapping(const nat::FlowKey6& key, uint32_t now_s) noexcept
{
    const nat::BibKey6 bib = nat::bib_key_of(key);
    const int32_t m = rte_hash_lookup(mappings_hash_, &bib);
    nat::PortProto proto;
    if (m < 0 || !nat::port_proto_of(key.proto, proto))
        return;
    MappingSlot& slot = mappings_[static_cast<uint32_t>(m)];
    // The last session is gone: the mapping goes too (RFC 6146 s3.5.1: a BIB
    // entry lives while it has sessions); static ones stay.
    if (slot.sessions.fetch_sub(1, std::memory_order_relaxed) == 1 && !slot.is_static)
        drop_mapping(m, bib, proto, now_s);
}

uint32_t FlowTable::expire(uint32_t now_s, const nat::Timeouts& timeouts, uint32_t budget) noexcept
{
    uint32_t removed = 0;
    const uint32_t slots = key_slots(max_flows_);
    for (uint32_t scanned = 0; scanned < budget && scanned < slots; ++scanned) {
        const uint32_t pos = ager_cursor_;
        ager_cursor_ = ager_cursor_ + 1 == slots ? 0 : ager_cursor_ + 1;
        Session& s = sessions_[pos];
        if (!s.ready())
            continue;
        void* kp = nullptr;
        if (rte_hash_get_key_with_position(sessions_hash_, static_cast<int32_t>(pos), &kp) < 0 || kp == nullptr)
            continue;
        nat::FlowKey6 key;
        std::memcpy(&key, kp, sizeof(key));
        const auto state = static_cast<nat::TcpState>(s.tcp_state.load(std::memory_order_relaxed));
        const uint32_t idle = now_s - s.last_seen_s.load(std::memory_order_relaxed);
        if (idle < nat::expiry_s(key.proto, state, timeouts))
            continue;
        s.mapping.store(0, std::memory_order_release);
        if (rte_hash_del_key(sessions_hash_, &key) >= 0)
            rte_hash_free_key_with_position(sessions_hash_, static_cast<int32_t>(pos));   // TODO(#4): QSBR
        release_session_mapping(key, now_s);
        ++removed;
    }
    return removed;
}

uint32_t FlowTable::session_count() const noexcept { return static_cast<uint32_t>(rte_hash_count(sessions_hash_)); }
uint32_t FlowTable::mapping_count() const noexcept { return static_cast<uint32_t>(rte_hash_count(mappings_hash_)); }

double FlowTable::bytes_per_flow() const noexcept
{
    // rte_hash: one key slot (8-byte data + key, 16-byte aligned) per entry, one
    // 8-entry bucket (64 bytes) per 8 entries of the power-of-two table, and a
    // 4-byte free-slot ring entry; plus our Session.
    const auto slot = [](size_t key_len) { return (8 + key_len + 15) / 16 * 16; };
    const double buckets = 64.0 / 8.0;
    const double ring = 4.0;
    return static_cast<double>(slot(sizeof(nat::FlowKey6))) + buckets + ring + sizeof(Session);
}

} // namespace nat64d::dp
