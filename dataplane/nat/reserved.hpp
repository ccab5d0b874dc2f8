// An array whose room is reserved at start and made usable piece by piece:
// for tables indexed by pool address, which a reload may grow while workers
// read them. Reserving address space (PROT_NONE, no commit charge) instead of
// allocating means the array never moves, so a reader needs neither a lock
// nor a grace period, and the memory of an address is spent only when it
// joins the pool.
#pragma once
#include <cstddef>
#include <type_traits>

namespace nat64d::nat {

/// Untyped: `bytes` of address space, none of it usable yet. If the address
/// space cannot be had, every commit() fails (no exceptions in pure code).
class ReservedBytes {
public:
    explicit ReservedBytes(size_t bytes);
    ~ReservedBytes();
    ReservedBytes(const ReservedBytes&) = delete;
    ReservedBytes& operator=(const ReservedBytes&) = delete;

    /// Makes [offset, offset + len) usable, zero-filled where it was not
    /// usable before. False if the kernel refuses (no memory).
    bool commit(size_t offset, size_t len) noexcept;
    void* data() const noexcept { return base_; }

private:
    void* base_ = nullptr;
    size_t bytes_ = 0;
};

/// Elements whose all-zero bytes are their initial value (integers and
/// atomics of them, structs of those).
template <class T>
class ReservedArray {
    static_assert(std::is_trivially_destructible_v<T>, "never destroyed one by one");

public:
    explicit ReservedArray(size_t capacity) : room_(capacity * sizeof(T)) {}
    /// Makes elements [first, first + count) usable (zero).
    bool commit(size_t first, size_t count) noexcept { return room_.commit(first * sizeof(T), count * sizeof(T)); }
    T& operator[](size_t i) noexcept { return static_cast<T*>(room_.data())[i]; }
    const T& operator[](size_t i) const noexcept { return static_cast<const T*>(room_.data())[i]; }
    T* data() const noexcept { return static_cast<T*>(room_.data()); }

private:
    ReservedBytes room_;
};

} // namespace nat64d::nat
