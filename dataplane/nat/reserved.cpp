#include "dataplane/nat/reserved.hpp"

#include <cstdint>

#include <sys/mman.h>
#include <unistd.h>

namespace nat64d::nat {

ReservedBytes::ReservedBytes(size_t bytes) : bytes_(bytes == 0 ? 1 : bytes)
{
    // MAP_NORESERVE and PROT_NONE: no commit charge until commit(); the
    // kernel hands out zero pages on first touch.
    void* p = mmap(nullptr, bytes_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    base_ = p == MAP_FAILED ? nullptr : p;
}

ReservedBytes::~ReservedBytes()
{
    if (base_ != nullptr)
        munmap(base_, bytes_);
}

bool ReservedBytes::commit(size_t offset, size_t len) noexcept
{
    if (base_ == nullptr)
        return false;
    if (len == 0)
        return true;
    if (offset > bytes_ || len > bytes_ - offset)
        return false;
    // Whole pages: one shared with a neighbour already usable stays as it is.
    const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    const auto start = reinterpret_cast<uintptr_t>(base_) + offset;
    const uintptr_t from = start & ~(page - 1);
    const uintptr_t to = (start + len + page - 1) & ~(page - 1);
    return mprotect(reinterpret_cast<void*>(from), to - from, PROT_READ | PROT_WRITE) == 0;
}

} // namespace nat64d::nat
