#include "dataplane/flow/lf_hash.hpp"

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>

#include "dataplane/io/port.hpp"

namespace nat64d::dp {

uint32_t lf_hash_positions(uint32_t entries) noexcept
{
    return entries + (RTE_MAX_LCORE - 1) * 63 + 1;
}

rte_hash* make_lf_hash(const std::string& name, uint32_t entries, uint32_t key_len, int socket)
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

} // namespace nat64d::dp
