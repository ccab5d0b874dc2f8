// Entry points: argv or file text through the CLI11 schema and validation into a
// Config; the Config back out as JSON (nat64ctl config) or as config file text.
#include "control/config/load.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <map>
#include <set>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "control/config/build_info.hpp"
#include "control/config/schema.hpp"
#include "control/config/validate.hpp"

namespace nat64d::ctl {
namespace {

std::string read_file(const std::string& option, const std::string& path)
{
    struct stat st{};
    if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
        throw ConfigError(fmt::format("config: {} = {}: is a directory, not a config file", option, path));
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw ConfigError(fmt::format("config: {} = {}: cannot open: {}", option, path, std::strerror(errno)));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad())
        throw ConfigError(fmt::format("config: {} = {}: cannot read: {}", option, path, std::strerror(errno)));
    return text.str();
}

std::string format_range(const PortRange& r)
{
    return fmt::format("{}-{}", r.first, r.last);
}

std::string format_neighbour(const StaticNeighbour& n)
{
    return fmt::format("{} {}", n.is_ip6 ? format_ip6(n.ip6) : format_ip4(n.ip4), format_mac(n.mac));
}

/// A value as config file text: strings quoted (CLI11 strips one pair of quotes).
std::string to_file_value(const nlohmann::json& v)
{
    if (v.is_string()) {
        const std::string s = v.get<std::string>();
        const char quote = s.find('"') == std::string::npos ? '"' : '\'';
        return fmt::format("{}{}{}", quote, s, quote);
    }
    if (v.is_array()) {
        std::vector<std::string> items;
        for (const nlohmann::json& e : v)
            items.push_back(to_file_value(e));
        return fmt::format("[{}]", fmt::join(items, ", "));
    }
    return v.dump();
}

// Where each key is set in a config file's text: "section.key" -> line.
std::map<std::string, int, std::less<>> key_lines(std::string_view text)
{
    std::map<std::string, int, std::less<>> lines;
    std::string section;
    int line = 0;
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos)
            end = text.size();
        std::string_view l = text.substr(pos, end - pos);
        ++line;
        const size_t first = l.find_first_not_of(" \t");
        if (first != std::string_view::npos) {
            l = l.substr(first);
            if (l.front() == '[') {
                const size_t close = l.find(']');
                if (close != std::string_view::npos)
                    section = std::string(l.substr(1, close - 1));
            } else if (l.front() != '#' && l.front() != ';') {
                const size_t key_end = l.find_first_of(" \t=");
                const std::string key(l.substr(0, key_end));
                const std::string full = section.empty() || key.find('.') != std::string::npos ? key : section + "." + key;
                lines.emplace(full, line);
            }
        }
        pos = end + 1;
    }
    return lines;
}

// Validates and reports every error, not the first only: a key at fault takes
// its default and validation runs again, until it passes or an error names no
// key given (a required one missing, or one a removed key was needed for).
// file/text: where the keys were read, for "file:line: " before each error.
Config validate_all(RawConfig raw, const std::string& file, std::string_view text)
{
    const auto lines = key_lines(text);
    std::vector<std::string> errors;
    std::set<std::string> dropped;
    for (;;) {
        try {
            Config c = validate(raw);
            if (errors.empty())
                return c;
            break;
        } catch (const ConfigError& e) {
            if (dropped.count(e.key) != 0)
                break;   // a consequence of an error already reported
            const auto at = lines.find(e.key);
            errors.push_back(!file.empty() && at != lines.end() ? fmt::format("{}:{}: {}", file, at->second, e.what())
                                                                : std::string(e.what()));
            if (e.key.empty() || raw.find(e.key) == nullptr)
                break;
            raw.erase(e.key);
            dropped.insert(e.key);
        }
    }
    throw ConfigError(fmt::format("{}", fmt::join(errors, "\n")));
}

} // namespace

CommandLine parse_command_line(int argc, const char* const* argv)
{
    std::vector<std::string> args;
    for (int i = 1; i < argc; ++i)
        args.emplace_back(argv[i]);
    if (args.empty())
        args = {"--config", NAT64D_DEFAULT_CONFIG};
    Schema schema;
    schema.parse_flags(args);
    CommandLine cl;
    if (schema.help_requested()) {
        cl.show_help = true;
        cl.help_text = schema.help();
        cl.config = default_config();
        return cl;
    }
    if (schema.version_requested()) {
        cl.show_version = true;
        cl.version_text = schema.version_text();
        cl.config = default_config();
        return cl;
    }
    cl.check_only = schema.check_only();
    cl.config_path = schema.config_path();
    std::string text;
    if (!cl.config_path.empty()) {
        text = read_file(cl.check_only ? "--check-config" : "--config", cl.config_path);
        schema.parse_file_text(text);
    }
    cl.config = validate_all(schema.raw(), cl.config_path, text);
    return cl;
}

Config parse_config_text(std::string_view text, const std::vector<std::string>& extra_flags)
{
    Schema schema;
    schema.parse_flags(extra_flags);
    if (schema.help_requested())
        throw ConfigError("config: --help is not a configuration key");
    if (!schema.config_path().empty())
        throw ConfigError("config: --config and --check-config cannot be used with a given config text");
    schema.parse_file_text(text);
    return validate_all(schema.raw(), "", text);
}

nat::PortAllocConfig port_alloc_config(const Config& c)
{
    nat::PortAllocConfig p;
    p.pool = c.pool;
    p.ranges = {{{c.tcp_ports.first, c.tcp_ports.last},
                 {c.udp_ports.first, c.udp_ports.last},
                 {c.icmp_ids.first, c.icmp_ids.last}}};
    p.workers = c.workers;
    p.seed = c.port_seed;
    p.paired_pooling = c.paired_pooling;
    p.preserve_port_class = c.preserve_port_class;
    p.quarantine_s = c.timeouts.port_quarantine_s;
    p.deterministic.order = c.deterministic;
    p.deterministic.prefix = c.deterministic_prefix.addr;
    p.deterministic.prefix_len = c.deterministic_prefix.len;
    p.deterministic.subscriber_len = c.subscriber_prefix_len;
    return p;
}

nlohmann::json config_to_json(const Config& c)
{
    using nlohmann::json;
    json j;
    j["eal"]["args"] = c.eal_args;

    json& ports = j["ports"];
    ports["mode"] = c.mode == ArmMode::two_arm ? "two-arm" : "one-arm";
    ports["inside"] = c.inside.device;
    ports["outside"] = c.outside.device;
    ports["inside_mtu"] = c.inside.mtu_bytes;
    ports["outside_mtu"] = c.outside.mtu_bytes;
    ports["inside_mac"] = c.inside.has_mac ? json(format_mac(c.inside.mac)) : json(nullptr);
    ports["outside_mac"] = c.outside.has_mac ? json(format_mac(c.outside.mac)) : json(nullptr);
    ports["inside_vlan"] = c.inside.vlan;
    ports["outside_vlan"] = c.outside.vlan;
    ports["rx_desc"] = c.rx_desc;
    ports["tx_desc"] = c.tx_desc;
    ports["mbufs"] = c.mbufs;
    ports["workers"] = c.workers;
    ports["idle_sleep"] = c.idle_sleep_us == Config::kIdleSleepAuto ? json("auto")
                          : c.idle_sleep_us == 0                    ? json("off")
                                                                    : json(std::to_string(c.idle_sleep_us));

    json& addresses = j["addresses"];
    const In6 zero6{};
    addresses["inside_ipv6"] = c.inside_ip6 == zero6
        ? json(nullptr)
        : json(fmt::format("{}/{}", format_ip6(c.inside_ip6), c.inside_ip6_prefix_len));
    addresses["gateway6"] = c.has_gateway6 ? json(format_ip6(c.gateway6)) : json(nullptr);
    addresses["outside_ipv4"] = c.outside_ip4 == 0
        ? json(nullptr)
        : json(fmt::format("{}/{}", format_ip4(c.outside_ip4), c.outside_ip4_prefix_len));
    addresses["gateway4"] = c.has_gateway4 ? json(format_ip4(c.gateway4)) : json(nullptr);
    addresses["neighbours"] = json::array();
    for (const StaticNeighbour& n : c.neighbours)
        addresses["neighbours"].push_back(format_neighbour(n));

    json& nat64 = j["nat64"];
    nat64["prefix"] = format_prefix6(c.prefix);
    nat64["allow_non_global"] = c.allow_non_global;
    nat64["lowest_ipv6_mtu"] = c.lowest_ipv6_mtu;
    nat64["filtering"] = c.filtering == Filtering::endpoint_independent ? "endpoint-independent" : "address-dependent";
    nat64["hairpinning"] = c.hairpinning;
    nat64["clients"] = json::array();
    for (const xlate::Prefix6& p : c.clients)
        nat64["clients"].push_back(format_prefix6(p));
    nat64["subscriber_prefix_len"] = c.subscriber_prefix_len;

    json& pool = j["pool"];
    pool["addresses"] = json::array();
    for (const Ip4 a : c.pool)
        pool["addresses"].push_back(format_ip4(a));
    pool["tcp_ports"] = format_range(c.tcp_ports);
    pool["udp_ports"] = format_range(c.udp_ports);
    pool["icmp_ids"] = format_range(c.icmp_ids);
    pool["paired"] = c.paired_pooling;
    pool["preserve_port_class"] = c.preserve_port_class;
    pool["seed"] = c.port_seed;
    pool["block_size"] = c.block_size;
    pool["blocks_per_subscriber"] = c.blocks_per_subscriber;
    pool["deterministic"] = c.deterministic == nat::DeterministicOrder::sequential  ? "sequential"
                            : c.deterministic == nat::DeterministicOrder::staggered ? "staggered"
                                                                                    : "";
    pool["deterministic_prefix"] = c.deterministic == nat::DeterministicOrder::off
                                       ? std::string()
                                       : format_prefix6(c.deterministic_prefix);

    j["static"]["bib"] = json::array();
    for (const StaticBib& b : c.static_bib)
        j["static"]["bib"].push_back(format_static_bib(b));

    json& limits = j["limits"];
    limits["max_flows"] = c.max_flows;
    limits["fragment_cache"] = c.fragment_cache;
    limits["icmp_errors_per_s"] = c.icmp_errors_per_s;
    limits["icmp_errors_per_subscriber_per_s"] = c.icmp_errors_per_subscriber_per_s;
    limits["fragments_per_subscriber"] = c.fragments_per_subscriber;
    limits["subscriber_sessions"] = c.subscriber_sessions;
    limits["subscriber_tcp_ports"] = c.subscriber_tcp_ports;
    limits["subscriber_udp_ports"] = c.subscriber_udp_ports;
    limits["subscriber_icmp_ids"] = c.subscriber_icmp_ids;
    limits["subscriber_new_sessions_per_s"] = c.subscriber_new_sessions_per_s;
    limits["subscriber_limit_icmp"] = c.subscriber_limit_icmp;
    limits["subscribers"] = c.subscribers;

    json& timeouts = j["timeouts"];
    const Timeouts& t = c.timeouts;
    timeouts["udp"] = t.udp_s;
    timeouts["tcp_established"] = t.tcp_established_s;
    timeouts["tcp_transitory"] = t.tcp_transitory_s;
    timeouts["icmp"] = t.icmp_s;
    timeouts["tcp_incoming_syn"] = t.tcp_incoming_syn_s;
    timeouts["port_quarantine"] = t.port_quarantine_s;
    timeouts["fragment"] = t.fragment_s;
    timeouts["neighbour_reachable"] = t.neighbour_reachable_s;
    timeouts["allow_short"] = t.allow_short;

    json& control = j["control"];
    control["socket"] = c.socket_path;
    control["pidfile"] = c.pidfile;
    control["exit_when_idle_ms"] = c.exit_when_idle_ms;
    control["log_file"] = c.log_file;
    control["bib_state"] = c.bib_state;
    control["log_syslog"] = c.log_syslog;
    control["ipfix_collector"] = c.ipfix_collector;
    control["ipfix_domain_id"] = c.ipfix_domain_id;
    control["ipfix_template_refresh_s"] = c.ipfix_template_refresh_s;
    control["ipfix_mtu"] = c.ipfix_mtu;
    control["socket_owner"] = c.socket_owner;
    control["socket_group"] = c.socket_group;

    json& exception = j["exception"];
    exception["inside_iface"] = c.kernel_inside_iface;
    exception["outside_iface"] = c.kernel_outside_iface;
    exception["health_iface"] = c.health_iface;
    exception["punt_per_s"] = c.punt_per_s;
    exception["kernel_ports"] = json::array();
    for (const Config::KernelPorts& k : c.kernel_ports)
        exception["kernel_ports"].push_back(k.text);
    return j;
}

std::string config_to_text(const Config& config) { return config_json_to_text(config_to_json(config)); }

std::string config_json_to_text(const nlohmann::json& j)
{
    std::string out;
    std::string_view section;
    for (const KeySpec& spec : config_keys()) {
        const std::size_t dot = spec.name.find('.');
        const std::string_view sec = spec.name.substr(0, dot);
        const std::string key(spec.name.substr(dot + 1));
        const auto s = j.find(std::string(sec));
        if (s == j.end() || s->find(key) == s->end())
            continue;
        const nlohmann::json& v = s->at(key);
        if (v.is_null() || (v.is_array() && v.empty()))
            continue;
        if (sec != section) {
            out += fmt::format("{}[{}]\n", out.empty() ? "" : "\n", sec);
            section = sec;
        }
        out += fmt::format("{} = {}\n", key, to_file_value(v));
    }
    return out;
}

std::string format_static_bib(const StaticBib& b)
{
    const std::string_view proto = b.proto == kProtoTcp ? "tcp" : b.proto == kProtoUdp ? "udp" : "icmp";
    return fmt::format("{} {}#{} {}#{}", proto, format_ip6(b.addr6), b.port6, format_ip4(b.addr4), b.port4);
}

} // namespace nat64d::ctl
