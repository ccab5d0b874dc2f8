// Public entry points of the configuration: argv or a file's text in, a validated
// Config out, plus the JSON view for `nat64ctl config` and address formatting.
#pragma once
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "control/config/config.hpp"
#include "dataplane/nat/port_alloc.hpp"

namespace nat64d::ctl {

/// "config: <key> = <value>: <reason>", one line per error; a key read from a
/// file is preceded by "<file>:<line>: ". key: the key at fault, when one is.
struct ConfigError : std::runtime_error {
    explicit ConfigError(const std::string& what, std::string key_at_fault = {})
        : std::runtime_error(what), key(std::move(key_at_fault))
    {
    }
    std::string key;
};

struct CommandLine {
    Config config;
    std::string config_path;    // --config or --check-config FILE; "" if none
    bool check_only = false;    // --check-config: validate and exit
    bool show_help = false;     // --help: print help_text and exit; config is then the default
    std::string help_text;
    bool show_version = false;  // --version: print version_text and exit; config is then the default
    std::string version_text;
};

/// Parses argv (flags, --config FILE, --check-config FILE which implies check_only)
/// and validates. Flags override the file. No arguments at all read the installed
/// file (NAT64D_DEFAULT_CONFIG, /etc/nat64d/nat64d.conf in the package), as
/// the service does. Throws ConfigError with a line per error found (each key
/// at fault is reported once, with its file line).
CommandLine parse_command_line(int argc, const char* const* argv);

/// Same from a config file's text plus optional extra flags (for tests and the management socket).
Config parse_config_text(std::string_view text, const std::vector<std::string>& extra_flags = {});

/// The running configuration as JSON (nlohmann::json), for `nat64ctl config`:
/// {"section": {"key": value}} with the config file's keys; unset addresses are null.
nlohmann::json config_to_json(const Config& config);

/// "tcp 2001:db8::5#80 192.0.2.1#8080": a static mapping as static.bib writes it.
std::string format_static_bib(const StaticBib& b);

/// The port allocator's configuration (pool, ranges, pairing, RFC 7422 map)
/// for workers = config.workers: nat64d's, and nat64ctl lookup's offline.
nat::PortAllocConfig port_alloc_config(const Config& config);

/// The configuration as config file text; parse_config_text() of it gives back config.
std::string config_to_text(const Config& config);
/// The same from config_to_json()'s form (what `nat64ctl config` receives):
/// unset keys are left out, so the text loads back as it is.
std::string config_json_to_text(const nlohmann::json& j);

/// Dotted quad / RFC 5952 text.
std::string format_ip4(Ip4 ip4);
std::string format_ip6(const In6& ip6);
/// "64:ff9b::/96".
std::string format_prefix6(const xlate::Prefix6& prefix);
/// "02:00:00:00:00:01".
std::string format_mac(const MacAddr& mac);

/// inet_pton on the whole of text; false (ip untouched) if text is not an address.
bool parse_ip4(std::string_view text, Ip4& ip4);
bool parse_ip6(std::string_view text, In6& ip6);

} // namespace nat64d::ctl
