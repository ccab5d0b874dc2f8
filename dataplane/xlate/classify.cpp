// Frame classification (classify.hpp): the pool test over a sorted list.
#include "classify.hpp"

#include <algorithm>

namespace nat64d::xlate {
namespace {

bool in_sorted(const void* ctx, Ip4 a, uint32_t& index) noexcept
{
    const auto& pool = *static_cast<const std::span<const Ip4>*>(ctx);
    const auto at = std::lower_bound(pool.begin(), pool.end(), a);
    if (at == pool.end() || *at != a)
        return false;
    index = static_cast<uint32_t>(at - pool.begin());
    return true;
}

} // namespace

PoolTest sorted_pool(const std::span<const Ip4>& pool) noexcept { return {in_sorted, &pool}; }

} // namespace nat64d::xlate
