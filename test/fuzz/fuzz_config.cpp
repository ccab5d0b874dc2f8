// libFuzzer target: the configuration file (control/config): any text through
// Schema::parse_file_text and validation into a Config. Invariants: the only
// exception is ConfigError, and its message is one line per error, each
// starting "config: ";
// an accepted Config keeps the limits validate.hpp names (RFC 6052 s2.2
// prefix, RFC 791 / RFC 8200 s5 MTUs, our own bounds); config_to_text() of it
// parses back to the same Config (load.hpp's promise). Each input is parsed
// alone and again with the required keys given as flags.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "control/config/load.hpp"
#include "control/config/validate.hpp"
#include "fuzz_check.hpp"

using namespace nat64d;

namespace {

void check_limits(const ctl::Config& c)
{
    FUZZ_CHECK(xlate::is_valid_prefix_len(c.prefix.len) && c.prefix.addr[8] == 0);
    FUZZ_CHECK(c.inside.mtu_bytes >= 1280 && c.inside.mtu_bytes <= ctl::kMaxMtu);
    FUZZ_CHECK(c.outside.mtu_bytes >= ctl::kMinIp4Mtu && c.outside.mtu_bytes <= ctl::kMaxMtu);
    FUZZ_CHECK(c.lowest_ipv6_mtu >= 1280 && c.lowest_ipv6_mtu <= ctl::kMaxMtu);
    FUZZ_CHECK(c.inside.vlan <= ctl::kMaxVlan && c.outside.vlan <= ctl::kMaxVlan);
    FUZZ_CHECK(c.workers >= 1 && c.workers <= ctl::kMaxWorkers);
    FUZZ_CHECK(c.max_flows >= 1 && c.max_flows <= ctl::kMaxFlows);
    FUZZ_CHECK(!c.pool.empty() && c.pool.size() <= ctl::kMaxPoolAddresses);
    for (const ctl::PortRange& r : {c.tcp_ports, c.udp_ports, c.icmp_ids})
        FUZZ_CHECK(r.first <= r.last);
    FUZZ_CHECK(!c.inside.device.empty());
    FUZZ_CHECK(c.socket_path.size() <= ctl::kMaxSocketPathLen);
}

// Parses text (with flags) and checks what came out, error or Config.
void check_text(std::string_view text, const std::vector<std::string>& flags)
{
    ctl::Config c;
    try {
        c = ctl::parse_config_text(text, flags);
    } catch (const ctl::ConfigError& e) {
        // style guide s9: one line per error, each naming the key, the value
        // and the reason (validation reports every error it finds at once).
        std::string_view msg = e.what();
        FUZZ_CHECK(!msg.empty() && !msg.ends_with('\n'));
        while (!msg.empty()) {
            const size_t eol = msg.find('\n');
            const std::string_view line = msg.substr(0, eol);
            FUZZ_CHECK(line.starts_with("config: ") && line.size() > 8);
            msg = eol == std::string_view::npos ? std::string_view{} : msg.substr(eol + 1);
        }
        return;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "parse_config_text threw something other than ConfigError: %s\n", e.what());
        std::abort();
    }
    check_limits(c);
    const std::string written = ctl::config_to_text(c);
    ctl::Config again;
    try {
        again = ctl::parse_config_text(written);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "config_to_text wrote a file that does not parse: %s\n--- file:\n%s---\n", e.what(),
                     written.c_str());
        std::abort();
    }
    FUZZ_CHECK(ctl::config_to_json(again) == ctl::config_to_json(c));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    check_text(text, {});
    // Again with the keys validation requires given as flags, which win over
    // the file: most mutated files lose one of them, and this way the rest
    // of the file still reaches validation and the round trip.
    static const std::vector<std::string> kRequired = {
        "--ports.inside=net_null0", "--ports.outside=net_null1",
        "--addresses.inside_ipv6=2001:db8:1::1/64", "--addresses.outside_ipv4=192.0.2.1/24",
        "--pool.addresses=192.0.2.1"};
    check_text(text, kRequired);
    return 0;
}
