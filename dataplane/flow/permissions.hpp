// Address-dependent filtering (RFC 4787 REQ-8 "address-dependent", RFC 6146
// s3.5.1/s3.5.2): an IPv4 host may open a session to a mapping only if the
// mapping's IPv6 host has sent to that IPv4 address (any port) recently. One
// entry per (IPv6 transport address, remote IPv4 address, protocol), shared by
// all workers; lock-free lookups like the session table.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "dataplane/xlate/bytes.hpp"

struct rte_hash;

namespace nat64d::dp {

struct alignas(8) PermissionKey {   // aligned for rte_hash_crc's 8-byte reads
    In6 addr6;
    Ip4 remote4;
    uint16_t port6;
    uint8_t proto;
    uint8_t pad;
};
static_assert(sizeof(PermissionKey) == 24);
static_assert(std::has_unique_object_representations_v<PermissionKey>);

constexpr PermissionKey make_permission_key(const In6& addr6, uint16_t port6, Ip4 remote4, uint8_t proto) noexcept
{
    return PermissionKey{addr6, remote4, port6, proto, 0};
}

class AddressPermissions {
public:
    AddressPermissions(const std::string& name, uint32_t capacity, int socket);   // throws on failure
    ~AddressPermissions();
    AddressPermissions(const AddressPermissions&) = delete;
    AddressPermissions& operator=(const AddressPermissions&) = delete;

    /// Records (or refreshes) that addr6#port6 sent to remote4. false when full.
    bool grant(const PermissionKey& key, uint32_t now_s) noexcept;
    /// True when a grant for key is younger than lifetime_s.
    bool allowed(const PermissionKey& key, uint32_t now_s, uint32_t lifetime_s) const noexcept;
    /// Removes grants idle for lifetime_s or more; at most budget slots scanned.
    /// Control thread only.
    uint32_t expire(uint32_t now_s, uint32_t lifetime_s, uint32_t budget) noexcept;
    uint32_t size() const noexcept;

private:
    rte_hash* hash_ = nullptr;
    std::unique_ptr<std::atomic<uint32_t>[]> last_seen_s_;   // by hash position; relaxed
    uint32_t slots_ = 0;
    uint32_t cursor_ = 0;
};

} // namespace nat64d::dp
