// Reserved arrays: address space at start, usable piece by piece, zero where
// first made usable.
#include <catch2/catch.hpp>

#include <cstdint>

#include "dataplane/nat/reserved.hpp"

using namespace nat64d::nat;

TEST_CASE("reserved: a big array commits piece by piece, zero-filled, keeping what neighbours wrote", "[nat][reserved]")
{
    constexpr size_t kPiece = 100003;   // ends mid-page: neighbouring pieces share a page
    constexpr size_t kPieces = 9;
    ReservedArray<uint32_t> a(kPiece * kPieces);
    REQUIRE(a.data() != nullptr);
    for (size_t p = 0; p < kPieces; ++p) {
        REQUIRE(a.commit(p * kPiece, kPiece));
        // Fresh memory reads zero, up to the piece's last element.
        CHECK(a[p * kPiece] == 0);
        CHECK(a[p * kPiece + kPiece - 1] == 0);
        // Every 4099th element of the whole array that lies in this piece.
        for (size_t i = (p * kPiece + 4098) / 4099 * 4099; i < (p + 1) * kPiece; i += 4099)
            a[i] = static_cast<uint32_t>(i);
        a[(p + 1) * kPiece - 1] = 7;
    }
    // What was written stays: no commit clears a neighbour's page.
    for (size_t i = 0; i < kPiece * kPieces; i += 4099)
        CHECK(a[i] == static_cast<uint32_t>(i));
    CHECK(a[kPiece * kPieces - 1] == 7);
    CHECK_FALSE(a.commit(kPiece * kPieces, 1));   // past the room
}

TEST_CASE("reserved: a small array commits whole", "[nat][reserved]")
{
    ReservedArray<uint64_t> a(100);
    REQUIRE(a.commit(0, 100));
    a[99] = 1;
    CHECK(a[0] == 0);
    CHECK(a[99] == 1);
}
