// nat64ctl lookup's pure parts: operator times, and "who held this public
// port at that time" from the event log's mapping lines.
#include <catch2/catch.hpp>

#include <sstream>

#include "control/lookup.hpp"

using namespace nat64d;
using namespace nat64d::ctl;

TEST_CASE("lookup: operator times become event-log times", "[control][lookup]")
{
    CHECK(normalise_log_time("2026-11-26T14:02") == "2026-11-26T14:02:00.000Z");
    CHECK(normalise_log_time("2026-11-26 14:02:03") == "2026-11-26T14:02:03.000Z");
    CHECK(normalise_log_time("2026-11-26T14:02:03.123Z") == "2026-11-26T14:02:03.123Z");
    CHECK_FALSE(normalise_log_time("14:02"));
    CHECK_FALSE(normalise_log_time("2026-11-26T14:02:03.1Z"));
}

TEST_CASE("lookup: the holder of a public port at a time, from mapping lines", "[control][lookup]")
{
    const std::string log =
        "2026-11-26T14:00:00.000Z mapping-create tcp src=[2001:db8::5]:40000 pub=192.0.2.1:40123\n"
        "2026-11-26T14:00:00.000Z session-create tcp src=[2001:db8::5]:40000 pub=192.0.2.1:40123 dst=198.51.100.7:443\n"
        "2026-11-26T14:01:00.000Z mapping-create tcp src=[2001:db8::9]:5000 pub=192.0.2.1:4012\n"
        "2026-11-26T14:01:30.000Z mapping-create udp src=[2001:db8::7]:53 pub=192.0.2.1:40123\n"
        "2026-11-26T14:05:00.000Z mapping-delete tcp src=[2001:db8::5]:40000 pub=192.0.2.1:40123\n"
        "2026-11-26T14:09:00.000Z mapping-create tcp src=[2001:db8::6]:41000 pub=192.0.2.1:40123\n";
    const Ip4 pub = 0xC0000201;
    const auto at = [&](const char* t, const char* proto = "tcp", uint16_t port = 40123) {
        std::istringstream in(log);
        return holder_from_log(in, proto, pub, port, *normalise_log_time(t));
    };
    LogHolder h = at("2026-11-26T14:02");
    CHECK(h.found);
    CHECK(h.ipv6 == "2001:db8::5");
    CHECK(h.port6 == 40000);
    CHECK(h.since == "2026-11-26T14:00:00.000Z");
    CHECK(h.until == "2026-11-26T14:05:00.000Z");
    CHECK_FALSE(at("2026-11-26T13:59").found);        // before anyone
    CHECK_FALSE(at("2026-11-26T14:06").found);        // in quarantine: nobody
    h = at("2026-11-26T14:10");
    CHECK(h.ipv6 == "2001:db8::6");
    CHECK(h.until.empty());                           // still held when the log ends
    CHECK(at("2026-11-26T14:02", "udp").ipv6 == "2001:db8::7");   // another port space
    CHECK(at("2026-11-26T14:02", "tcp", 4012).ipv6 == "2001:db8::9");   // 4012 is not 40123
}

TEST_CASE("lookup: with port blocks, the subscriber whose block held the port", "[control][lookup][blocks]")
{
    const std::string log =
        "2026-11-26T14:00:00.000Z block-allocate udp subscriber=2001:db8:1::/56 pub=192.0.2.1:2048-2559\n"
        "2026-11-26T14:01:00.000Z block-allocate udp subscriber=2001:db8:2::/56 pub=192.0.2.1:2560-3071\n"
        "2026-11-26T14:30:00.000Z block-release udp subscriber=2001:db8:1::/56 pub=192.0.2.1:2048-2559\n"
        "2026-11-26T14:40:00.000Z block-allocate udp subscriber=2001:db8:3::/56 pub=192.0.2.1:2048-2559\n";
    const auto at = [&](const char* t, uint16_t port) {
        std::istringstream in(log);
        return holder_from_log(in, "udp", 0xC0000201, port, *normalise_log_time(t));
    };
    LogHolder h = at("2026-11-26T14:10", 2100);
    CHECK(h.subscriber == "2001:db8:1::/56");
    CHECK(h.block_first == 2048);
    CHECK(h.block_last == 2559);
    CHECK(h.until == "2026-11-26T14:30:00.000Z");
    CHECK(at("2026-11-26T14:10", 2560).subscriber == "2001:db8:2::/56");
    CHECK_FALSE(at("2026-11-26T14:35", 2100).found);
    CHECK(at("2026-11-26T14:45", 2100).subscriber == "2001:db8:3::/56");
    CHECK_FALSE(at("2026-11-26T14:10", 3072).found);
}
