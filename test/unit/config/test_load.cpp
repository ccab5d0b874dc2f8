// Entry points (control/config/load.cpp): a full file with every key, the JSON
// and text views round-tripping, the example files in config/, address helpers.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config_test_util.hpp"
#include "control/config/schema.hpp"

using namespace nat64d;
using namespace nat64d::ctl;

namespace {

// Every key, none at its default.
constexpr std::string_view kFullConf = R"(# every key, none at its default
[eal]
args = ["--no-huge", "-m", "256", "--no-pci", "--vdev", "net_tap0,iface=n64in", "--vdev", "net_tap1,iface=n64out"]

[ports]
mode = "two-arm"
inside = "net_tap0"
outside = "net_tap1"
inside_mtu = 9000
outside_mtu = 1492
inside_mac = "02:00:00:00:01:01"
outside_mac = "02:00:00:00:01:02"
inside_vlan = 10
outside_vlan = 20
rx_desc = 512
tx_desc = 2048
mbufs = 16383
workers = 3

[addresses]
inside_ipv6 = "2001:db8:1::1/56"
gateway6 = "fe80::1"
outside_ipv4 = "192.0.2.1/25"
gateway4 = "192.0.2.126"
neighbours = ["192.0.2.126 02:00:00:00:00:01", "fe80::1 02:00:00:00:00:02"]

[nat64]
prefix = "2001:db8:64::/96"
allow_non_global = true
lowest_ipv6_mtu = 1400
filtering = "address-dependent"
hairpinning = false

[pool]
addresses = ["192.0.2.8/30", "198.51.100.7"]
tcp_ports = "2000-3000"
udp_ports = "4000-5000"
icmp_ids = "6000-7000"
paired = false
seed = 12345678901234

[static]
bib = ["tcp 2001:db8:1::5#80 198.51.100.7#2080", "icmp 2001:db8:1::6#9 192.0.2.9#6009"]

[limits]
max_flows = 65536
fragment_cache = 64
icmp_errors_per_s = 0

[timeouts]
allow_short = true
udp = 10
tcp_established = 20
tcp_transitory = 3
icmp = 4
tcp_incoming_syn = 5
port_quarantine = 0
fragment = 7
neighbour_reachable = 8

[control]
socket = "/tmp/nat64d-test.sock"
pidfile = ""
exit_when_idle_ms = 500
log_file = "/tmp/nat64d-events.log"
log_syslog = true
socket_owner = "root"
socket_group = "adm"
)";

} // namespace

TEST_CASE("load: a file with every key sets every field", "[config][load]")
{
    const Config c = parse_config_text(kFullConf);
    CHECK(c.eal_args == std::vector<std::string>{"--no-huge", "-m", "256", "--no-pci", "--vdev", "net_tap0,iface=n64in",
                                                 "--vdev", "net_tap1,iface=n64out"});
    CHECK(c.mode == ArmMode::two_arm);
    CHECK(c.inside.device == "net_tap0");
    CHECK(c.outside.device == "net_tap1");
    CHECK(c.inside.mtu_bytes == 9000);
    CHECK(c.outside.mtu_bytes == 1492);
    CHECK(c.inside.has_mac);
    CHECK(c.inside.mac.bytes == std::array<uint8_t, 6>{2, 0, 0, 0, 1, 1});
    CHECK(c.outside.has_mac);
    CHECK(c.outside.mac.bytes == std::array<uint8_t, 6>{2, 0, 0, 0, 1, 2});
    CHECK(c.inside.vlan == 10);
    CHECK(c.outside.vlan == 20);
    CHECK(c.rx_desc == 512);
    CHECK(c.tx_desc == 2048);
    CHECK(c.mbufs == 16383);
    CHECK(c.workers == 3);

    In6 inside{};
    REQUIRE(parse_ip6("2001:db8:1::1", inside));
    CHECK(c.inside_ip6 == inside);
    CHECK(c.inside_ip6_prefix_len == 56);
    CHECK(c.has_gateway6);
    CHECK(format_ip6(c.gateway6) == "fe80::1");
    CHECK(c.outside_ip4 == 0xC0000201);
    CHECK(c.outside_ip4_prefix_len == 25);
    CHECK(c.has_gateway4);
    CHECK(c.gateway4 == 0xC000027E);
    REQUIRE(c.neighbours.size() == 2);
    CHECK(c.neighbours[0].ip4 == 0xC000027E);
    CHECK(c.neighbours[1].is_ip6);
    CHECK(c.neighbours[1].mac.bytes == std::array<uint8_t, 6>{2, 0, 0, 0, 0, 2});

    CHECK(format_prefix6(c.prefix) == "2001:db8:64::/96");
    CHECK(c.allow_non_global);
    CHECK(c.lowest_ipv6_mtu == 1400);
    CHECK(c.filtering == Filtering::address_dependent);
    CHECK_FALSE(c.hairpinning);

    CHECK(c.pool == std::vector<Ip4>{0xC0000208, 0xC0000209, 0xC000020A, 0xC000020B, 0xC6336407});
    CHECK((c.tcp_ports.first == 2000 && c.tcp_ports.last == 3000));
    CHECK((c.udp_ports.first == 4000 && c.udp_ports.last == 5000));
    CHECK((c.icmp_ids.first == 6000 && c.icmp_ids.last == 7000));
    CHECK_FALSE(c.paired_pooling);
    CHECK(c.port_seed == 12345678901234u);
    REQUIRE(c.static_bib.size() == 2);
    CHECK(c.static_bib[0].proto == kProtoTcp);
    CHECK(c.static_bib[0].port6 == 80);
    CHECK(c.static_bib[0].addr4 == 0xC6336407);
    CHECK(c.static_bib[0].port4 == 2080);
    CHECK(c.static_bib[1].proto == kProtoIcmp6);

    CHECK(c.max_flows == 65536);
    CHECK(c.fragment_cache == 64);
    CHECK(c.icmp_errors_per_s == 0);

    CHECK(c.timeouts.allow_short);
    CHECK(c.timeouts.udp_s == 10);
    CHECK(c.timeouts.tcp_established_s == 20);
    CHECK(c.timeouts.tcp_transitory_s == 3);
    CHECK(c.timeouts.icmp_s == 4);
    CHECK(c.timeouts.tcp_incoming_syn_s == 5);
    CHECK(c.timeouts.port_quarantine_s == 0);
    CHECK(c.timeouts.fragment_s == 7);
    CHECK(c.timeouts.neighbour_reachable_s == 8);

    CHECK(c.socket_path == "/tmp/nat64d-test.sock");
    CHECK(c.pidfile.empty());
    CHECK(c.exit_when_idle_ms == 500);
    CHECK(c.log_file == "/tmp/nat64d-events.log");
    CHECK(c.log_syslog);
    CHECK(c.socket_owner == "root");
    CHECK(c.socket_group == "adm");
}

TEST_CASE("load: the full file round-trips through config_to_text and config_to_json", "[config][load]")
{
    const Config c = parse_config_text(kFullConf);
    const std::string text = config_to_text(c);
    const Config again = parse_config_text(text);
    CHECK(config_to_json(again) == config_to_json(c));
    CHECK(config_to_text(again) == text);
}

TEST_CASE("load: config_to_json has exactly the schema's keys", "[config][load]")
{
    const nlohmann::json j = config_to_json(parse_config_text(kFullConf));
    std::size_t n = 0;
    for (const KeySpec& k : config_keys()) {
        const std::string name(k.name);
        const std::string section = name.substr(0, name.find('.'));
        const std::string key = name.substr(name.find('.') + 1);
        INFO(name);
        REQUIRE(j.contains(section));
        CHECK(j[section].contains(key));
        ++n;
    }
    std::size_t keys_in_json = 0;
    for (const auto& section : j)
        keys_in_json += section.size();
    CHECK(keys_in_json == n);
}

TEST_CASE("load: config_to_json shows values as the file writes them", "[config][load]")
{
    const nlohmann::json j = config_to_json(parse_config_text(kFullConf));
    CHECK(j["nat64"]["prefix"] == "2001:db8:64::/96");
    CHECK(j["addresses"]["inside_ipv6"] == "2001:db8:1::1/56");
    CHECK(j["addresses"]["neighbours"][0] == "192.0.2.126 02:00:00:00:00:01");
    CHECK(j["pool"]["tcp_ports"] == "2000-3000");
    CHECK(j["pool"]["addresses"].size() == 5);
    CHECK(j["pool"]["seed"] == 12345678901234u);
    CHECK(j["static"]["bib"][0] == "tcp 2001:db8:1::5#80 198.51.100.7#2080");
    CHECK(j["ports"]["mode"] == "two-arm");
    CHECK(j["timeouts"]["allow_short"] == true);
    const nlohmann::json minimal = config_to_json(parse_config_text(test::kMinimalConf));
    CHECK(minimal["addresses"]["gateway4"].is_null());
    CHECK(minimal["addresses"]["gateway6"].is_null());
}

TEST_CASE("load: every example in config/ parses", "[config][load]")
{
    const std::filesystem::path dir = std::filesystem::path(NAT64D_SOURCE_ROOT) / "config";
    // Companion configs for other daemons (style guide s1) are not nat64d
    // files: bird*.conf, frr*.conf and unbound*.conf, as in test/cli/run.sh.
    const std::vector<std::string> not_nat64d = {"bird", "frr", "unbound"};
    std::size_t parsed = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() != ".conf")
            continue;
        const std::string name = entry.path().filename().string();
        if (std::any_of(not_nat64d.begin(), not_nat64d.end(),
                        [&](const std::string& prefix) { return name.starts_with(prefix); }))
            continue;
        std::ifstream in(entry.path());
        std::stringstream text;
        text << in.rdbuf();
        INFO(entry.path().string());
        std::string error;
        try {
            const Config c = parse_config_text(text.str());
            CHECK(config_to_json(parse_config_text(config_to_text(c))) == config_to_json(c));
        } catch (const ConfigError& e) {
            error = e.what();
        }
        // What only the box an example was written for has (its CPUs, its log
        // directory) is reported on a smaller machine; nothing else may be.
        std::istringstream lines(error);
        for (std::string line; std::getline(lines, line);) {
            INFO(line);
            CHECK((line.find("config: eal.args = CPU ") != std::string::npos ||
                   (line.find("config: control.log_file = ") != std::string::npos &&
                    line.find("does not exist") != std::string::npos)));
        }
        ++parsed;
    }
    CHECK(parsed >= 4);   // laptop, pcap-test, one-arm-pcap, sriov
}

TEST_CASE("load: address helpers use inet_pton/inet_ntop forms", "[config][load]")
{
    Ip4 a = 7;
    CHECK(parse_ip4("192.0.2.1", a));
    CHECK(a == 0xC0000201);
    CHECK(format_ip4(a) == "192.0.2.1");
    for (const char* bad : {"192.0.2", "192.0.2.1 ", " 192.0.2.1", "192.0.2.256", "192.0.2.1/24", "", "::1"}) {
        a = 7;
        INFO(bad);
        CHECK_FALSE(parse_ip4(bad, a));
        CHECK(a == 7);
    }
    In6 b{};
    CHECK(parse_ip6("2001:0db8:0000:0000:0000:0000:0000:0001", b));
    CHECK(format_ip6(b) == "2001:db8::1");   // RFC 5952 form
    CHECK(parse_ip6("64:ff9b::192.0.2.33", b));
    CHECK(format_ip6(b) == "64:ff9b::c000:221");
    for (const char* bad : {"2001:db8::1::2", "2001:db8::g", "", "192.0.2.1", "2001:db8::1/64"}) {
        INFO(bad);
        CHECK_FALSE(parse_ip6(bad, b));
    }
    CHECK(parse_ip6(std::string_view("2001:db8::1trailing", 11), b));   // only the view's characters count
    CHECK(format_mac(MacAddr{{0x02, 0xAB, 0, 0, 0, 0x01}}) == "02:ab:00:00:00:01");
}
