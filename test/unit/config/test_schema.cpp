// The config file syntax and the command line (control/config/schema.cpp): how
// "[section] key" maps to --section.key, precedence, unknown keys, help.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <set>

#include "config_test_util.hpp"
#include "control/config/build_info.hpp"
#include "control/config/schema.hpp"

using namespace nat64d;
using namespace nat64d::ctl;
using nat64d::ctl::test::error_of;
using nat64d::ctl::test::error_with;
using nat64d::ctl::test::kMinimalConf;

namespace {

CommandLine parse_argv(std::vector<std::string> args)
{
    args.insert(args.begin(), "nat64d");
    std::vector<const char*> argv;
    for (const std::string& a : args)
        argv.push_back(a.c_str());
    return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

std::string argv_error(std::vector<std::string> args)
{
    try {
        (void)parse_argv(std::move(args));
    } catch (const ConfigError& e) {
        return e.what();
    }
    return {};
}

/// A file under the build directory's working directory, removed at scope end.
struct TempFile {
    std::string path;
    explicit TempFile(std::string_view text) : path("unit_config_" + std::to_string(::getpid()) + ".conf")
    {
        std::ofstream(path) << text;
    }
    ~TempFile() { std::remove(path.c_str()); }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
};

} // namespace

TEST_CASE("schema: every key is section.key and unique", "[config][schema]")
{
    std::set<std::string_view> names;
    for (const KeySpec& k : config_keys()) {
        CHECK(k.name.find('.') != std::string_view::npos);
        CHECK(k.name.find('.') == k.name.rfind('.'));
        CHECK(names.insert(k.name).second);
        CHECK(find_key(k.name) == &k);
    }
    CHECK(find_key("pool.adresses") == nullptr);
}

TEST_CASE("schema: [section] key in the file and --section.key on the command line set the same value",
          "[config][schema]")
{
    const Config from_file = parse_config_text(std::string(kMinimalConf) + "[limits]\nmax_flows = 4096\n");
    const Config from_flag = parse_config_text(kMinimalConf, {"--limits.max_flows=4096"});
    const Config from_flag_space = parse_config_text(kMinimalConf, {"--limits.max_flows", "4096"});
    CHECK(from_file.max_flows == 4096);
    CHECK(from_flag.max_flows == 4096);
    CHECK(from_flag_space.max_flows == 4096);
}

TEST_CASE("schema: a dotted key outside any section works like the section form", "[config][schema]")
{
    const Config c = parse_config_text("limits.max_flows = 77\n" + std::string(kMinimalConf));
    CHECK(c.max_flows == 77);
}

TEST_CASE("schema: a flag overrides the file's value", "[config][schema]")
{
    const std::string text = std::string(kMinimalConf) + "[ports]\nworkers = 2\n";
    CHECK(parse_config_text(text).workers == 2);
    CHECK(parse_config_text(text, {"--ports.workers=4"}).workers == 4);
    // A list given as a flag replaces the file's list rather than adding to it.
    const Config c = parse_config_text(text, {"--pool.addresses", "192.0.2.50"});
    CHECK(c.pool == std::vector<Ip4>{0xC0000232});
}

TEST_CASE("schema: the last of repeated scalar flags wins", "[config][schema]")
{
    CHECK(parse_config_text(kMinimalConf, {"--ports.workers=2", "--ports.workers=3"}).workers == 3);
}

TEST_CASE("schema: an unknown key in the file is an error naming it", "[config][schema]")
{
    CHECK(error_of(std::string(kMinimalConf) + "adresses = [\"192.0.2.1\"]\n") ==
          "config: pool.adresses = 192.0.2.1: unknown key (did you mean pool.addresses?)");
    CHECK(error_of("workers = 3\n" + std::string(kMinimalConf)) ==
          "config: workers = 3: unknown key (did you mean ports.workers?)");
    CHECK(error_of(std::string(kMinimalConf) + "[bogus]\nfrobnicate = 1\n") ==
          "config: bogus.frobnicate = 1: unknown key");
    CHECK(error_of(std::string(kMinimalConf) + "[pool.extra]\nseed = 1\n") ==
          "config: pool.extra.seed = 1: unknown key (did you mean pool.seed?)");
}

TEST_CASE("schema: an unknown flag is an error naming it", "[config][schema]")
{
    CHECK(error_with({"--pool.adresses=192.0.2.1"}) ==
          "config: pool.adresses = 192.0.2.1: unknown key (did you mean pool.addresses?)");
    CHECK(error_with({"--bogus"}) == "config: --bogus: unknown option");
    CHECK(error_with({"-x"}) == "config: -x: unknown option (see --help)");
    CHECK(error_with({"--nat64.hairpinning", "false"}) ==
          "config: false: unexpected argument (write flags as --section.key=value, booleans as --key=false)");
}

TEST_CASE("schema: a scalar key given twice in the file is an error", "[config][schema]")
{
    CHECK(error_of(std::string(kMinimalConf) + "[ports]\nworkers = 2\nworkers = 3\n") ==
          "config: ports.workers = [2, 3]: expects exactly one value");
    CHECK(error_of(std::string(kMinimalConf) + "[ports]\nworkers = 2\nrx_desc = 512\nworkers = 3\n") ==
          "config: ports.workers = 3: key given more than once");
    CHECK(error_of(std::string(kMinimalConf) + "[ports]\nworkers = [2, 3]\n") ==
          "config: ports.workers = [2, 3]: expects exactly one value");
}

TEST_CASE("schema: list keys accept one value, arrays, repeats and multi-line arrays", "[config][schema]")
{
    const std::string text = std::string(kMinimalConf) +
        "[static]\n"
        "bib = \"tcp 2001:db8::5#80 192.0.2.8#80\"   # a single entry, quoted: it has spaces and '#'\n"
        "bib = [\"udp 2001:db8::5#53 192.0.2.8#53\",\n"
        "       # a comment inside the array\n"
        "       'icmp 2001:db8::5#1 192.0.2.8#1']\n"
        "[eal]\n"
        "args = [\"--no-huge\", \"-m\", \"256\", \"--vdev\", \"net_tap0,iface=n64in\"]\n";
    const Config c = parse_config_text(text);
    REQUIRE(c.static_bib.size() == 3);
    CHECK(c.static_bib[0].text == "tcp 2001:db8::5#80 192.0.2.8#80");
    CHECK(c.static_bib[1].text == "udp 2001:db8::5#53 192.0.2.8#53");
    CHECK(c.static_bib[2].text == "icmp 2001:db8::5#1 192.0.2.8#1");
    CHECK(c.eal_args == std::vector<std::string>{"--no-huge", "-m", "256", "--vdev", "net_tap0,iface=n64in"});
}

TEST_CASE("schema: comments, blank lines and quoting", "[config][schema]")
{
    const std::string text = "# leading comment\n\n" + std::string(kMinimalConf) +
        "[control]   # section comment\n"
        "; ini-style comment\n"
        "log_file = \"/tmp/nat64#events.log\"  # '#' inside quotes is kept\n"
        "pidfile = '/tmp/x.pid'\n"
        "exit_when_idle_ms = 250 # trailing comment\n";
    const Config c = parse_config_text(text);
    CHECK(c.log_file == "/tmp/nat64#events.log");
    CHECK(c.pidfile == "/tmp/x.pid");
    CHECK(c.exit_when_idle_ms == 250);
}

TEST_CASE("schema: booleans as flags and in the file", "[config][schema]")
{
    CHECK(parse_config_text(kMinimalConf, {"--nat64.allow_non_global"}).allow_non_global);
    CHECK_FALSE(parse_config_text(kMinimalConf, {"--nat64.hairpinning=false"}).hairpinning);
    CHECK(parse_config_text(std::string(kMinimalConf) + "[nat64]\nallow_non_global\n").allow_non_global);
    CHECK_FALSE(parse_config_text(std::string(kMinimalConf) + "[nat64]\nhairpinning = false\n").hairpinning);
}

TEST_CASE("schema: the EAL arguments work as flags with =", "[config][schema]")
{
    const Config c = parse_config_text(kMinimalConf, {"--eal.args=--no-huge", "--eal.args=-m", "--eal.args=256"});
    CHECK(c.eal_args == std::vector<std::string>{"--no-huge", "-m", "256"});
}

TEST_CASE("schema: --config reads a file and flags override it", "[config][schema]")
{
    const TempFile f(std::string(kMinimalConf) + "[ports]\nworkers = 2\n");
    const CommandLine cl = parse_argv({"--config", f.path, "--ports.workers=3"});
    CHECK(cl.config_path == f.path);
    CHECK_FALSE(cl.check_only);
    CHECK_FALSE(cl.show_help);
    CHECK(cl.config.workers == 3);
    CHECK(cl.config.inside.device == "net_tap0");
}

TEST_CASE("schema: --check-config reads a file and implies check_only", "[config][schema]")
{
    const TempFile f(kMinimalConf);
    const CommandLine cl = parse_argv({"--check-config=" + f.path});
    CHECK(cl.check_only);
    CHECK(cl.config_path == f.path);
    CHECK(cl.config.outside.device == "net_tap1");
    CHECK(argv_error({"--check-config", f.path, "--config", f.path}) ==
          "config: --config and --check-config are both given; use one");
}

TEST_CASE("schema: a missing config file is an error naming it", "[config][schema]")
{
    CHECK(argv_error({"--config", "/nonexistent/nat64d.conf"}) ==
          "config: --config = /nonexistent/nat64d.conf: cannot open: No such file or directory");
}

TEST_CASE("schema: the command line alone is a complete configuration", "[config][schema]")
{
    const CommandLine cl = parse_argv({"--ports.inside=net_tap0", "--ports.mode=one-arm",
                                       "--addresses.inside_ipv6=2001:db8:1::1/64",
                                       "--addresses.outside_ipv4=192.0.2.1/24", "--pool.addresses=192.0.2.1"});
    CHECK(cl.config_path.empty());
    CHECK(cl.config.mode == ArmMode::one_arm);
    CHECK(cl.config.pool == std::vector<Ip4>{0xC0000201});
}

TEST_CASE("schema: no arguments at all read the installed config file", "[config][schema]")
{
    // The file is there only where the package is installed; either way it is the one read.
    const std::string error = argv_error({});
    if (error.empty())
        CHECK(parse_argv({}).config_path == NAT64D_DEFAULT_CONFIG);
    else
        CHECK(error.starts_with("config: --config = " NAT64D_DEFAULT_CONFIG ": "));
}

TEST_CASE("schema: --version prints the project version", "[config][schema]")
{
    const CommandLine cl = parse_argv({"--version"});
    CHECK(cl.show_version);
    CHECK_FALSE(cl.show_help);
    CHECK(cl.version_text == "nat64d " NAT64D_VERSION "\n");
    CHECK(parse_argv({"--help"}).help_text.find("--version") != std::string::npos);
}

TEST_CASE("schema: --help groups the options by section", "[config][schema]")
{
    const CommandLine cl = parse_argv({"--help"});
    REQUIRE(cl.show_help);
    const std::string& h = cl.help_text;
    for (const KeySpec& k : config_keys())
        CHECK(h.find("--" + std::string(k.name)) != std::string::npos);
    const auto eal = h.find("[eal]");
    const auto ports = h.find("[ports]");
    const auto pool = h.find("[pool]");
    const auto control = h.find("[control]");
    REQUIRE(eal != std::string::npos);
    REQUIRE(control != std::string::npos);
    CHECK(eal < ports);
    CHECK(ports < pool);
    CHECK(pool < control);
    CHECK(h.find("--pool.addresses") > pool);
    CHECK(h.find("64:ff9b::/96") != std::string::npos);   // defaults are shown
    // Help needs no valid configuration.
    CHECK(parse_argv({"--ports.workers=0", "--help"}).show_help);
}

TEST_CASE("schema: suggestions for near-miss keys", "[config][schema]")
{
    CHECK(suggest_key("nat64.prefx") == "nat64.prefix");
    CHECK(suggest_key("timeouts.tcp_establised") == "timeouts.tcp_established");
    CHECK(suggest_key("mbufs") == "ports.mbufs");
    CHECK(suggest_key("something.else.entirely") == "");
}
