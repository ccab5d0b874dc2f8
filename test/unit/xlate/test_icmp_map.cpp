// RFC 1191 s7 plateau table used when an IPv4 router advertises MTU 0.
#include <catch2/catch.hpp>

#include "dataplane/xlate/icmp_map.hpp"

using namespace nat64d::xlate;

TEST_CASE("icmp map: the plateau is the greatest RFC 1191 value below the total length",
          "[rfc1191][icmp]")
{
    struct Row {
        uint32_t total, plateau;
    };
    auto r = GENERATE(values<Row>({
        {65535, 32000}, {65536, 65535}, {32001, 32000}, {32000, 17914}, {17915, 17914},
        {8167, 8166}, {4353, 4352}, {2003, 2002}, {1500, 1492}, {1492, 1006}, {1007, 1006},
        {576, 508}, {509, 508}, {300, 296}, {100, 68}, {68, 68}, {20, 68}, {0, 68},
    }));
    INFO("total " << r.total);
    CHECK(plateau_mtu(r.total) == r.plateau);
}
