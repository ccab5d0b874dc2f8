// Token bucket for the box's own ICMP errors (RFC 4443 s2.4(f)).
#include <catch2/catch.hpp>

#include "dataplane/nat/rate_limit.hpp"

using nat64d::nat::TokenBucket;

TEST_CASE("a token bucket allows its burst at once, then nothing", "[nat][rate_limit][rfc4443]")
{
    TokenBucket b(10, 3, 1000);
    CHECK(b.take(1000));
    CHECK(b.take(1000));
    CHECK(b.take(1000));
    CHECK_FALSE(b.take(1000));
}

TEST_CASE("a token bucket refills at its rate", "[nat][rate_limit][rfc4443]")
{
    TokenBucket b(10, 2, 0);   // one token per 100 ms
    REQUIRE(b.take(0));
    REQUIRE(b.take(0));
    CHECK_FALSE(b.take(99));
    CHECK(b.take(100));
    CHECK_FALSE(b.take(150));
    CHECK(b.take(200));
    CHECK_FALSE(b.take(200));
}

TEST_CASE("a token bucket never banks more than its burst", "[nat][rate_limit]")
{
    TokenBucket b(1000, 5, 0);
    CHECK(b.available(10'000'000'000ull) == 5);   // long idle: capped, no overflow
    for (int i = 0; i < 5; ++i)
        CHECK(b.take(10'000'000'000ull));
    CHECK_FALSE(b.take(10'000'000'000ull));
}

TEST_CASE("a token bucket gains nothing when the clock steps back", "[nat][rate_limit]")
{
    TokenBucket b(10, 1, 5000);
    REQUIRE(b.take(5000));
    CHECK_FALSE(b.take(4000));
    CHECK_FALSE(b.take(5099));
    CHECK(b.take(5100));
}

TEST_CASE("a token bucket with rate 0 allows only the initial burst", "[nat][rate_limit]")
{
    TokenBucket b(0, 1, 0);
    CHECK(b.take(0));
    CHECK_FALSE(b.take(1'000'000));
}
