#include "dataplane/flow/rings.hpp"

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "dataplane/io/port.hpp"

namespace nat64d::dp {

rte_ring* make_exact_ring(const std::string& name, uint32_t count, uint32_t esize, int socket, unsigned flags)
{
    // RING_F_EXACT_SZ holds `count` in the next power of two above it, which
    // for a power of two is twice the memory: one element less holds it in
    // `count` slots.
    const uint32_t exact = rte_is_power_of_2(count) ? count - 1 : count;
    rte_ring* r = rte_ring_create_elem(name.c_str(), esize, exact, socket, flags | RING_F_EXACT_SZ);
    if (r == nullptr)
        throw StartupError("ring " + name + " (" + std::to_string(count) + "): " + rte_strerror(rte_errno));
    return r;
}

} // namespace nat64d::dp
