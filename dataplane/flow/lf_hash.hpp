// The lock-free rte_hash the flow module's tables share: readers never lock
// (RW_CONCURRENCY_LF), any worker may add (MULTI_WRITER_ADD), and a deleted
// key's position stays taken until rte_hash_free_key_with_position(), which
// the tables call only after a grace period (see flow_table.hpp).
#pragma once
#include <cstdint>
#include <string>

struct rte_hash;

namespace nat64d::dp {

/// Positions an rte_hash of `entries` keys can hand out: its per-lcore
/// free-slot caches let them reach entries + (RTE_MAX_LCORE - 1) * (64 - 1).
uint32_t lf_hash_positions(uint32_t entries) noexcept;

/// Throws StartupError naming the table when DPDK refuses.
rte_hash* make_lf_hash(const std::string& name, uint32_t entries, uint32_t key_len, int socket);

} // namespace nat64d::dp
