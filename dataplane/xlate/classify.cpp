// Frame classification (classify.hpp): the pool test over a sorted list.
#include "classify.hpp"

#include <algorithm>

namespace nat64d::xlate {
namespace {

bool in_sorted(const void* ctx, Ip4 a) noexcept
{
    const auto& pool = *static_cast<const std::span<const Ip4>*>(ctx);
    return std::binary_search(pool.begin(), pool.end(), a);
}

} // namespace

PoolTest sorted_pool(const std::span<const Ip4>& pool) noexcept { return {in_sorted, &pool}; }

} // namespace nat64d::xlate
