#include "dataplane/nat/reserved.hpp"

#include <cstdint>

#include <sys/mman.h>
#include <unistd.h>

namespace nat64d::nat {

namespace {
constexpr size_t kHugePage = size_t{2} << 20;
}

ReservedBytes::ReservedBytes(size_t bytes) : bytes_(bytes == 0 ? 1 : bytes)
{
    // MAP_NORESERVE and PROT_NONE: no commit charge until commit(); the
    // kernel hands out zero pages on first touch.
    const bool huge = bytes_ >= kHugePage;
    mapped_ = huge ? bytes_ + kHugePage : bytes_;
    void* p = mmap(nullptr, mapped_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return;
    mapping_ = p;
    base_ = p;
    if (huge) {
        // The port maps are read at random, one slot a packet: with 4 KiB
        // pages nearly every read also misses the TLB. Transparent huge pages
        // (a hint; the kernel may decline) on a 2 MiB aligned base fix that.
        const auto a = (reinterpret_cast<uintptr_t>(p) + kHugePage - 1) & ~(kHugePage - 1);
        base_ = reinterpret_cast<void*>(a);
        madvise(base_, bytes_, MADV_HUGEPAGE);
    }
}

ReservedBytes::~ReservedBytes()
{
    if (mapping_ != nullptr)
        munmap(mapping_, mapped_);
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
