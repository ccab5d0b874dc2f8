// Address-dependent filtering grants on rte_hash. Entries are removed by the
// control thread with rte_hash_del_key; with RW_CONCURRENCY_LF the key slot is
// not reused until freed, and a grant is only a yes/no hint, so a reader racing
// a removal at worst admits one packet that was allowed a moment ago.
#include "dataplane/flow/permissions.hpp"

#include <cstring>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>

#include "dataplane/io/port.hpp"

namespace nat64d::dp {

AddressPermissions::AddressPermissions(const std::string& name, uint32_t capacity, int socket)
{
    rte_hash_parameters params{};
    params.name = name.c_str();
    params.entries = capacity;
    params.key_len = sizeof(PermissionKey);
    params.hash_func = rte_hash_crc;
    params.socket_id = socket;
    params.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_MULTI_WRITER_ADD;
    hash_ = rte_hash_create(&params);
    if (hash_ == nullptr)
        throw StartupError("filtering table " + name + ": " + rte_strerror(rte_errno));
    // Positions reach past `entries` by the per-lcore free-slot caches.
    slots_ = capacity + (RTE_MAX_LCORE - 1) * 63 + 1;
    last_seen_s_ = std::make_unique<std::atomic<uint32_t>[]>(slots_);
}

AddressPermissions::~AddressPermissions() { rte_hash_free(hash_); }

bool AddressPermissions::grant(const PermissionKey& key, uint32_t now_s) noexcept
{
    int32_t pos = rte_hash_lookup(hash_, &key);
    if (pos < 0)
        pos = rte_hash_add_key(hash_, &key);
    if (pos < 0)
        return false;
    auto& seen = last_seen_s_[static_cast<uint32_t>(pos)];
    if (seen.load(std::memory_order_relaxed) != now_s)
        seen.store(now_s, std::memory_order_relaxed);
    return true;
}

bool AddressPermissions::allowed(const PermissionKey& key, uint32_t now_s, uint32_t lifetime_s) const noexcept
{
    const int32_t pos = rte_hash_lookup(hash_, &key);
    if (pos < 0)
        return false;
    const auto idle = static_cast<int32_t>(now_s - last_seen_s_[static_cast<uint32_t>(pos)].load(std::memory_order_relaxed));
    return idle < 0 || static_cast<uint32_t>(idle) < lifetime_s;
}

uint32_t AddressPermissions::expire(uint32_t now_s, uint32_t lifetime_s, uint32_t budget) noexcept
{
    uint32_t removed = 0;
    for (uint32_t scanned = 0; scanned < budget && scanned < slots_; ++scanned) {
        const uint32_t pos = cursor_;
        cursor_ = cursor_ + 1 == slots_ ? 0 : cursor_ + 1;
        void* kp = nullptr;
        if (rte_hash_get_key_with_position(hash_, static_cast<int32_t>(pos), &kp) < 0 || kp == nullptr)
            continue;
        const auto idle = static_cast<int32_t>(now_s - last_seen_s_[pos].load(std::memory_order_relaxed));
        if (idle < 0 || static_cast<uint32_t>(idle) < lifetime_s)
            continue;
        PermissionKey key;
        std::memcpy(&key, kp, sizeof(key));
        if (rte_hash_del_key(hash_, &key) >= 0) {
            rte_hash_free_key_with_position(hash_, static_cast<int32_t>(pos));
            ++removed;
        }
    }
    return removed;
}

uint32_t AddressPermissions::size() const noexcept { return static_cast<uint32_t>(rte_hash_count(hash_)); }

} // namespace nat64d::dp
