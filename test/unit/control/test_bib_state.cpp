// control.bib_state: runtime static mappings written and read back, and a
// file that no longer fits the configuration restored in part, each entry
// left out named with its line.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "control/bib_state.hpp"
#include "control/config/load.hpp"
#include "control/config/validate.hpp"
#include "test/unit/config/config_test_util.hpp"

using namespace nat64d;
using namespace nat64d::ctl;

namespace {

Config small_config() { return parse_config_text(nat64d::ctl::test::kMinimalConf); }

std::string temp_path()
{
    return "/tmp/nat64d-bibstate-" + std::to_string(getpid());
}

} // namespace

TEST_CASE("bib state: saved entries load back as they were", "[control][bib_state]")
{
    const Config cfg = small_config();
    const std::string path = temp_path();
    std::vector<StaticBib> entries = {
        parse_static_bib("test", "tcp 2001:db8:1::5#80 192.0.2.9#8080", cfg),
        parse_static_bib("test", "icmp 2001:db8:1::6#7 192.0.2.10#7", cfg),
    };
    save_bib_state(path, entries);
    const BibStateLoad st = load_bib_state(path, cfg);
    CHECK(st.problems.empty());
    REQUIRE(st.entries.size() == 2);
    CHECK(format_static_bib(st.entries[0]) == "tcp 2001:db8:1::5#80 192.0.2.9#8080");
    CHECK(format_static_bib(st.entries[1]) == "icmp 2001:db8:1::6#7 192.0.2.10#7");
    std::remove(path.c_str());
    CHECK(load_bib_state(path, cfg).entries.empty());   // no file: nothing, no problem
    CHECK(load_bib_state(path, cfg).problems.empty());
}

TEST_CASE("bib state: entries that no longer fit are named and left out", "[control][bib_state]")
{
    const Config cfg = small_config();
    const std::string path = temp_path();
    {
        std::ofstream out(path);
        out << "# a comment\n"
            << "tcp 2001:db8:1::5#80 192.0.2.9#8080\n"
            << "tcp 2001:db8:1::7#80 198.51.100.1#80\n"   // not a pool address (any more)
            << "\n"
            << "sctp 2001:db8:1::8#80 192.0.2.9#80\n";
    }
    const BibStateLoad st = load_bib_state(path, cfg);
    REQUIRE(st.entries.size() == 1);
    REQUIRE(st.problems.size() == 2);
    CHECK(st.problems[0].rfind(path + " line 3: config: control.bib_state = tcp 2001:db8:1::7#80 198.51.100.1#80: ", 0) == 0);
    CHECK(st.problems[1] == path + " line 5: config: control.bib_state = sctp 2001:db8:1::8#80 192.0.2.9#80: "
                                   "protocol sctp must be tcp, udp or icmp");
    std::remove(path.c_str());
    CHECK_THROWS_WITH(save_bib_state("/nonexistent-dir/bib", st.entries),
                      "/nonexistent-dir/bib.new: No such file or directory");
}
