// DPDK rings the dataplane makes (flow table, worker mesh), sized exactly.
#pragma once
#include <cstdint>
#include <string>

struct rte_ring;

namespace nat64d::dp {

/// A ring that holds `count` elements of `esize` bytes in as little memory as
/// DPDK allows (RING_F_EXACT_SZ, one element less at a power of two, which
/// EXACT_SZ would otherwise double). Throws StartupError naming the ring.
rte_ring* make_exact_ring(const std::string& name, uint32_t count, uint32_t esize, int socket, unsigned flags);

} // namespace nat64d::dp
