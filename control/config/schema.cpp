// CLI11 options for every configuration key, and the config file reader.
// CLI11 2.1 hands "[pool]\naddresses = x" to the subcommand "pool"; we have no
// subcommands, so FileFormat flattens each item to "pool.addresses", which is
// exactly the long option "--pool.addresses". One option then serves both.
#include "control/config/schema.hpp"

#include <algorithm>
#include <array>
#include <sstream>

#include <fmt/format.h>

#include "control/config/build_info.hpp"
#include "control/config/load.hpp"
#include "control/config/validate.hpp"

namespace nat64d::ctl {
namespace {

using K = KeyKind;

constexpr std::array kKeys{
    // [eal]
    KeySpec{"eal.args", K::list, "ARG",
            "DPDK EAL arguments, e.g. [\"--no-huge\", \"-m\", \"256\", \"--vdev\", \"net_tap0,iface=n64in\"]; "
            "on the command line write --eal.args=-m --eal.args=256"},
    // [ports]
    KeySpec{"ports.mode", K::scalar, "two-arm|one-arm",
            "two-arm: IPv6 on the inside port, IPv4 on the outside port; one-arm: both on the inside port"},
    KeySpec{"ports.inside", K::scalar, "DEVICE", "DPDK device of the IPv6 side, e.g. net_tap0 or 0000:03:00.1 (required)"},
    KeySpec{"ports.outside", K::scalar, "DEVICE", "DPDK device of the IPv4 side (required in two-arm mode, empty in one-arm)"},
    KeySpec{"ports.inside_mtu", K::scalar, "BYTES", "IP MTU of the inside link (at least 1280)"},
    KeySpec{"ports.outside_mtu", K::scalar, "BYTES", "IP MTU of the outside link (at least 68)"},
    KeySpec{"ports.inside_mac", K::scalar, "MAC", "MAC address to set on the inside port; unset: the device's own"},
    KeySpec{"ports.outside_mac", K::scalar, "MAC", "MAC address to set on the outside port; unset: the device's own"},
    KeySpec{"ports.inside_vlan", K::scalar, "VID", "802.1Q VLAN id on the inside port, 0 for untagged"},
    KeySpec{"ports.outside_vlan", K::scalar, "VID", "802.1Q VLAN id on the outside port, 0 for untagged"},
    KeySpec{"ports.rx_desc", K::scalar, "N", "RX descriptors per queue"},
    KeySpec{"ports.tx_desc", K::scalar, "N", "TX descriptors per queue"},
    KeySpec{"ports.mbufs", K::scalar, "N", "mbufs per mempool"},
    KeySpec{"ports.workers", K::scalar, "N",
            "worker lcores, each polling its own RX/TX queue pair of every port (needs workers + 1 lcores; the "
            "device must spread traffic over the queues: RSS, or a virtual device's own way)"},
    KeySpec{"ports.idle_sleep", K::scalar, "auto|off|MICROSECONDS",
            "an idle worker pauses, then sleeps in steps up to this long (first packet after idle waits up to it); "
            "off: poll a whole core always; auto: 1000 on virtual devices, off on PCI devices"},
    // [addresses]
    KeySpec{"addresses.inside_ipv6", K::scalar, "ADDR6/LEN", "the box's IPv6 address and on-link prefix (answers NDP and ping; required)"},
    KeySpec{"addresses.gateway6", K::scalar, "ADDR6", "IPv6 next hop for off-link destinations; unset: all on-link"},
    KeySpec{"addresses.outside_ipv4", K::scalar, "ADDR4/LEN", "the box's IPv4 address and subnet (answers ARP and ping; required)"},
    KeySpec{"addresses.gateway4", K::scalar, "ADDR4", "IPv4 next hop for off-link destinations; unset: all on-link"},
    KeySpec{"addresses.neighbours", K::list, "\"IP MAC\"",
            "static neighbours, e.g. \"192.0.2.254 02:00:00:00:00:01\"; never resolved by ARP/NDP"},
    // [nat64]
    KeySpec{"nat64.prefix", K::scalar, "PREFIX6/LEN", "RFC 6052 prefix: length 32, 40, 48, 56, 64 or 96"},
    KeySpec{"nat64.allow_non_global", K::flag, "BOOL",
            "with the well-known prefix, also translate non-global IPv4 addresses (RFC 6052 s3.1 forbids it)"},
    KeySpec{"nat64.lowest_ipv6_mtu", K::scalar, "BYTES", "assumed IPv6 path MTU when fragmenting 4to6 (RFC 7915 s4; at least 1280)"},
    KeySpec{"nat64.filtering", K::scalar, "endpoint-independent|address-dependent", "inbound filtering (RFC 4787, RFC 6146 s3.5.2)"},
    KeySpec{"nat64.hairpinning", K::flag, "BOOL", "translate IPv6 to IPv6 through the pool (RFC 6146 s3.8)"},
    KeySpec{"nat64.clients", K::list, "PREFIX6/LEN",
            "IPv6 sources that may use the box, e.g. [\"2001:db8:100::/40\"]; others are dropped "
            "(drop_not_client); empty: any source"},
    KeySpec{"nat64.subscriber_prefix_len", K::scalar, "LEN",
            "the IPv6 prefix length of one subscriber (per-subscriber limits count by it), 32..128"},
    // [pool]
    KeySpec{"pool.addresses", K::list, "ADDR4[/LEN]", "public IPv4 addresses and small blocks (/22 or longer) for dynamic mappings (required)"},
    KeySpec{"pool.tcp_ports", K::scalar, "FIRST-LAST", "dynamic TCP port range"},
    KeySpec{"pool.udp_ports", K::scalar, "FIRST-LAST", "dynamic UDP port range"},
    KeySpec{"pool.icmp_ids", K::scalar, "FIRST-LAST", "dynamic ICMP identifier range"},
    KeySpec{"pool.paired", K::flag, "BOOL", "paired pooling: one IPv6 host always uses one IPv4 address (RFC 4787 REQ-2)"},
    KeySpec{"pool.preserve_port_class", K::flag, "BOOL",
            "a source port below 1024 gets a public port below 1024 while one is free, others never do, and "
            "the port's parity is kept where possible (RFC 6146 s3.5.1.1, RFC 4787 REQ-3)"},
    KeySpec{"pool.deterministic", K::scalar, "ORDER",
            "RFC 7422 deterministic NAT: sequential or staggered; each subscriber (nat64.subscriber_prefix_len) of "
            "pool.deterministic_prefix gets a fixed block of ports on a fixed pool address, so no session needs "
            "logging; empty: ports chosen per mapping (RFC 6056)"},
    KeySpec{"pool.deterministic_prefix", K::scalar, "PREFIX",
            "the IPv6 prefix whose subscribers get deterministic blocks, e.g. 2001:db8:100::/40; sources outside "
            "it are refused (drop_no_port_block)"},
    KeySpec{"pool.block_size", K::scalar, "PORTS",
            "port block allocation: a subscriber (nat64.subscriber_prefix_len) gets public ports block_size at a "
            "time on its address, and the event log records blocks, not sessions; 0: port by port"},
    KeySpec{"pool.blocks_per_subscriber", K::scalar, "N",
            "blocks one subscriber may hold per protocol; past them its new mappings are refused "
            "(drop_subscriber_ports)"},
    KeySpec{"pool.seed", K::scalar, "N", "port selection seed; 0: random (production), else deterministic (tests)"},
    // [static]
    KeySpec{"static.bib", K::list, "\"PROTO ADDR6#PORT ADDR4#PORT\"",
            "static mappings, e.g. \"tcp 2001:db8::5#80 192.0.2.1#8080\"; PROTO is tcp, udp or icmp (PORT is the identifier)"},
    // [limits]
    KeySpec{"limits.max_flows", K::scalar, "N", "flow table size (at most 2^27)"},
    KeySpec{"limits.fragment_cache", K::scalar, "N", "fragments held while waiting for the first one"},
    KeySpec{"limits.icmp_errors_per_s", K::scalar, "N",
            "ICMP errors the box sends per second, all workers together; 0: none (Packet Too Big has a quarter of "
            "it again, of its own)"},
    KeySpec{"limits.icmp_errors_per_subscriber_per_s", K::scalar, "N",
            "ICMP errors sent to one subscriber (IPv6 /subscriber_prefix_len, IPv4 /32) per second and worker, so "
            "one subscriber's flood cannot use up the others' budget"},
    KeySpec{"limits.fragments_per_subscriber", K::scalar, "N",
            "datagrams one source subscriber may have in the fragment cache; past it its oldest goes; "
            "0: fragment_cache / 8"},
    KeySpec{"limits.subscriber_sessions", K::scalar, "N",
            "sessions one subscriber (IPv6 /subscriber_prefix_len) may hold (RFC 6888 REQ-4); past it its new "
            "flows are refused, its live ones and everyone else's go on; 0: no limit"},
    KeySpec{"limits.subscriber_tcp_ports", K::scalar, "N", "public TCP ports one subscriber may hold; 0: no limit"},
    KeySpec{"limits.subscriber_udp_ports", K::scalar, "N", "public UDP ports one subscriber may hold; 0: no limit"},
    KeySpec{"limits.subscriber_icmp_ids", K::scalar, "N",
            "public ICMP query identifiers one subscriber may hold; 0: no limit"},
    KeySpec{"limits.subscriber_new_sessions_per_s", K::scalar, "N",
            "sessions one subscriber may open per second; 0: no limit"},
    KeySpec{"limits.subscriber_limit_icmp", K::flag, "BOOL",
            "answer a flow refused by a subscriber limit with ICMPv6 administratively prohibited (1/1), within "
            "the ICMP error rate limits; false: drop it silently"},
    KeySpec{"limits.subscribers", K::scalar, "N",
            "subscribers tracked at once when a subscriber limit is set; a new one past it is refused; "
            "0: max(1024, max_flows / 8)"},
    // [timeouts]
    KeySpec{"timeouts.udp", K::scalar, "SECONDS", "UDP session lifetime (RFC 6146 s4: at least 120)"},
    KeySpec{"timeouts.tcp_established", K::scalar, "SECONDS", "established TCP session lifetime (RFC 6146 s4: at least 7440)"},
    KeySpec{"timeouts.tcp_transitory", K::scalar, "SECONDS", "transitory TCP session lifetime (RFC 6146 s4: at least 240)"},
    KeySpec{"timeouts.icmp", K::scalar, "SECONDS", "ICMP query session lifetime (at least 1)"},
    KeySpec{"timeouts.tcp_incoming_syn", K::scalar, "SECONDS", "how long an unsolicited IPv4 SYN is held (RFC 6146 s3.5.2.2, TCP_INCOMING_SYN)"},
    KeySpec{"timeouts.port_quarantine", K::scalar, "SECONDS", "rest time of a freed port before reuse; 0: none"},
    KeySpec{"timeouts.fragment", K::scalar, "SECONDS", "how long fragments wait for the rest of their datagram (RFC 6146 s4 FRAGMENT_MIN)"},
    KeySpec{"timeouts.neighbour_reachable", K::scalar, "SECONDS", "ARP/NDP entry lifetime"},
    KeySpec{"timeouts.allow_short", K::flag, "BOOL",
            "accept timeouts below the RFC minimums (down to 1 s); for tests only"},
    // [control]
    KeySpec{"control.socket", K::scalar, "PATH", "management socket for nat64ctl"},
    KeySpec{"control.pidfile", K::scalar, "PATH", "pid file; empty: none"},
    KeySpec{"control.exit_when_idle_ms", K::scalar, "MS", "exit once no packet arrived for this long; 0: never (pcap tests)"},
    KeySpec{"control.log_file", K::scalar, "PATH", "NAT event log (mapping created/removed); empty: off"},
    KeySpec{"control.bib_state", K::scalar, "PATH",
            "static mappings added or deleted at run time (nat64ctl bib add/del) are written here and restored at "
            "start, after static.bib; empty: they last until nat64d stops"},
    KeySpec{"control.log_syslog", K::flag, "BOOL", "also send the NAT event log to syslog (daemon.info)"},
    KeySpec{"control.ipfix_collector", K::scalar, "ADDR4:PORT|[ADDR6]:PORT",
            "IPFIX collector for the NAT events (RFC 7011 over UDP, RFC 8158 elements), e.g. \"192.0.2.9:4739\"; "
            "empty: off"},
    KeySpec{"control.ipfix_domain_id", K::scalar, "N", "IPFIX observation domain id of the export (RFC 7011 s3.1)"},
    KeySpec{"control.ipfix_template_refresh_s", K::scalar, "SECONDS",
            "IPFIX templates are sent again this often (RFC 7011 s8.4), at least 1"},
    KeySpec{"control.ipfix_mtu", K::scalar, "BYTES",
            "largest IPFIX message (the UDP payload), 512..9000; keep it under the path MTU less 28 (IPv4) or 48 (IPv6)"},
    KeySpec{"control.socket_owner", K::scalar, "USER", "owner of the management socket; empty: the daemon's user"},
    KeySpec{"control.socket_group", K::scalar, "GROUP", "group of the management socket (mode 0660); empty: the daemon's group"},
    // [exception]
    KeySpec{"exception.inside_iface", K::scalar, "NAME",
            "kernel interface for the box's own IPv6 (and, one-arm, IPv4) traffic: it gets addresses.inside_ipv6, "
            "and what nat64d does not answer itself (BGP, SSH, ...) reaches the kernel through it; empty: none"},
    KeySpec{"exception.outside_iface", K::scalar, "NAME",
            "kernel interface for the box's own IPv4 traffic (two-arm): it gets addresses.outside_ipv4; empty: none"},
    KeySpec{"exception.health_iface", K::scalar, "NAME",
            "interface that is up only while every worker polls and every data port has link, for a routing "
            "daemon to announce the prefix by (config/bird.conf); empty: none"},
    KeySpec{"exception.punt_per_s", K::scalar, "N",
            "frames per second handed to the kernel interfaces, all workers together; over it they are dropped"},
    KeySpec{"exception.kernel_ports", K::list, "\"PROTO FIRST[-LAST]\"",
            "when addresses.outside_ipv4 is also a pool address: ports the kernel keeps on it (its listeners), "
            "e.g. [\"tcp 22\", \"tcp 179\"]; its ephemeral range (ip_local_port_range) is kept too"},
};

std::string render_values(const std::vector<std::string>& values)
{
    if (values.size() == 1)
        return values.front().empty() ? std::string("\"\"") : values.front();
    return fmt::format("[{}]", fmt::join(values, ", "));
}

std::string did_you_mean(std::string_view name)
{
    const std::string close = suggest_key(name);
    return close.empty() ? std::string() : fmt::format(" (did you mean {}?)", close);
}

/// Removes "# comment" outside quotes. CLI11 2.1 cuts a value at the first '#'
/// even inside quotes, which would break "2001:db8::5#80".
std::string strip_comments(std::string_view text)
{
    std::string out;
    out.reserve(text.size());
    char quote = 0;
    bool in_comment = false;
    for (const char c : text) {
        if (c == '\n') {
            quote = 0;
            in_comment = false;
            out.push_back(c);
            continue;
        }
        if (in_comment)
            continue;
        if (quote != 0) {
            if (c == quote)
                quote = 0;
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '#') {
            in_comment = true;
            continue;
        }
        out.push_back(c);
    }
    return out;
}

/// CLI11's TOML reader, with comments stripped first and every item flattened to
/// "section.key" and checked against the key table.
class FileFormat final : public CLI::ConfigTOML {
public:
    FileFormat() { comment('\0'); }   // strip_comments() already did it

    std::vector<CLI::ConfigItem> from_config(std::istream& input) const override
    {
        std::string text;
        for (std::string line; std::getline(input, line);)
            text.append(line).push_back('\n');
        if (text.find('\0') != std::string::npos)
            throw ConfigError("config: the file contains a NUL byte");
        std::istringstream stripped(strip_comments(text));
        std::vector<CLI::ConfigItem> out;
        for (CLI::ConfigItem& item : CLI::ConfigTOML::from_config(stripped)) {
            if (item.name == "--" || item.name == "++")   // section open/close markers
                continue;
            std::string name;
            for (const std::string& parent : item.parents)
                name += parent + '.';
            name += item.name;
            const KeySpec* spec = find_key(name);
            if (spec == nullptr)
                throw ConfigError(fmt::format("config: {} = {}: unknown key{}", name,
                                              render_values(item.inputs), did_you_mean(name)));
            if (spec->kind == KeyKind::list) {
                std::erase(item.inputs, std::string());
                // A list key may be repeated; its values accumulate.
                auto it = std::find_if(out.begin(), out.end(),
                                       [&](const CLI::ConfigItem& o) { return o.name == name; });
                if (it != out.end()) {
                    it->inputs.insert(it->inputs.end(), item.inputs.begin(), item.inputs.end());
                    continue;
                }
            } else {
                if (item.inputs.size() != 1)
                    throw ConfigError(fmt::format("config: {} = {}: expects exactly one value", name,
                                                  render_values(item.inputs)));
                const bool repeated = std::any_of(out.begin(), out.end(),
                                                  [&](const CLI::ConfigItem& o) { return o.name == name; });
                if (repeated)
                    throw ConfigError(fmt::format("config: {} = {}: key given more than once", name,
                                                  render_values(item.inputs)));
            }
            CLI::ConfigItem flat;
            flat.name = std::move(name);
            flat.inputs = std::move(item.inputs);
            out.push_back(std::move(flat));
        }
        return out;
    }
};

std::string_view section_of(std::string_view name)
{
    return name.substr(0, name.find('.'));
}

/// The default as `nat64ctl config` would print it; "" for none.
std::string default_text(const nlohmann::json& defaults, std::string_view name)
{
    const std::string section(section_of(name));
    const std::string key(name.substr(section.size() + 1));
    if (!defaults.contains(section) || !defaults[section].contains(key))
        return {};
    const nlohmann::json& v = defaults[section][key];
    if (v.is_null() || (v.is_string() && v.get<std::string>().empty()) || (v.is_array() && v.empty()))
        return {};
    if (v.is_string())
        return v.get<std::string>();
    if (v.is_array()) {
        std::vector<std::string> items;
        for (const auto& e : v)
            items.push_back(e.is_string() ? e.get<std::string>() : e.dump());
        return fmt::format("{}", fmt::join(items, ", "));
    }
    return v.dump();
}

std::size_t edit_distance(std::string_view a, std::string_view b)
{
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0u : 1u)});
            diag = up;
        }
    }
    return row[b.size()];
}

constexpr std::string_view kFooter = R"(Every key works in the file and as a flag: "[pool]" then "addresses = [...]"
in the file is --pool.addresses on the command line. Flags override the file.
File syntax: [section] headers, key = value, lists as ["a", "b"], # comments;
quote values that contain spaces, commas or '#'. Examples: config/*.conf.)";

} // namespace

std::span<const KeySpec> config_keys() noexcept
{
    return kKeys;
}

std::string key_default_text(std::string_view name)
{
    static const nlohmann::json defaults = config_to_json(default_config());
    return default_text(defaults, name);
}

const KeySpec* find_key(std::string_view name) noexcept
{
    for (const KeySpec& k : kKeys)
        if (k.name == name)
            return &k;
    return nullptr;
}

std::string suggest_key(std::string_view unknown)
{
    // A bare key from the wrong place ("workers", "[pool] workers") names its section.
    const std::string_view leaf = unknown.substr(unknown.rfind('.') + 1);
    for (const KeySpec& k : kKeys)
        if (k.name.substr(k.name.find('.') + 1) == leaf)
            return std::string(k.name);
    constexpr std::size_t kMaxTypos = 2;
    const KeySpec* best = nullptr;
    std::size_t best_distance = kMaxTypos + 1;
    for (const KeySpec& k : kKeys) {
        const std::size_t d = edit_distance(unknown, k.name);
        if (d < best_distance) {
            best = &k;
            best_distance = d;
        }
    }
    return best != nullptr ? std::string(best->name) : std::string();
}

void RawConfig::set(std::string_view name, std::vector<std::string> values)
{
    values_.insert_or_assign(std::string(name), std::move(values));
}

void RawConfig::erase(std::string_view name)
{
    const auto it = values_.find(name);
    if (it != values_.end())
        values_.erase(it);
}

const std::vector<std::string>* RawConfig::find(std::string_view name) const
{
    const auto it = values_.find(name);
    return it == values_.end() ? nullptr : &it->second;
}

Schema::Schema() : app_("nat64d: stateful NAT64 (RFC 6146) on DPDK", "nat64d")
{
    app_.config_formatter(std::make_shared<FileFormat>());
    app_.allow_extras(true);   // leftovers are reported by parse_flags(), naming the key
    app_.footer(std::string(kFooter));
    app_.get_formatter()->column_width(44);

    config_opt_ = app_.add_option("--config", "read the configuration from FILE; with no arguments at all "
                                              "nat64d reads " NAT64D_DEFAULT_CONFIG)
                      ->type_name("FILE");
    check_opt_ = app_.add_option("--check-config", "read and validate FILE, then exit (no EAL init, no hugepages needed)")
                     ->type_name("FILE");
    config_opt_->group("Files");
    check_opt_->group("Files");
    app_.set_version_flag("--version", "nat64d " NAT64D_VERSION, "print the version and exit");

    for (const KeySpec& spec : kKeys) {
        const std::string flag = fmt::format("--{}", spec.name);
        // const: CLI11 would take a non-const string as the option's target variable.
        const std::string default_value = key_default_text(spec.name);
        const std::string description = default_value.empty()
            ? std::string(spec.help)
            : fmt::format("{} [default: {}]", spec.help, default_value);
        CLI::Option* opt = nullptr;
        switch (spec.kind) {
        case KeyKind::scalar:
            opt = app_.add_option(flag, description)->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
            break;
        case KeyKind::list:
            opt = app_.add_option(flag, description)
                      ->expected(1, CLI::detail::expected_max_vector_size)
                      ->allow_extra_args()
                      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
            break;
        case KeyKind::flag:
            opt = app_.add_flag(flag, description)->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
            break;
        }
        opt->type_name(std::string(spec.type_name));
        opt->group(fmt::format("[{}]", section_of(spec.name)));
        keys_.push_back({&spec, opt});
    }
}

void Schema::parse_flags(const std::vector<std::string>& args)
{
    std::vector<std::string> reversed(args.rbegin(), args.rend());   // CLI11 pops from the back
    try {
        app_.parse(std::move(reversed));
    } catch (const CLI::CallForHelp&) {
        help_requested_ = true;
        return;
    } catch (const CLI::CallForVersion& e) {
        version_text_ = fmt::format("{}\n", e.what());
        return;
    } catch (const CLI::ParseError& e) {
        throw ConfigError(fmt::format("config: {}", e.what()));
    }
    const std::vector<std::string> rest = app_.remaining();
    if (!rest.empty()) {
        const std::string& arg = rest.front();
        if (arg.starts_with("--") && arg.size() > 2) {
            const std::size_t eq = arg.find('=');
            const std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
            if (eq != std::string::npos)
                throw ConfigError(fmt::format("config: {} = {}: unknown key{}", name, arg.substr(eq + 1),
                                              did_you_mean(name)));
            throw ConfigError(fmt::format("config: --{}: unknown option{}", name, did_you_mean(name)));
        }
        if (arg.starts_with("-"))
            throw ConfigError(fmt::format("config: {}: unknown option (see --help)", arg));
        throw ConfigError(fmt::format(
            "config: {}: unexpected argument (write flags as --section.key=value, booleans as --key=false)", arg));
    }
    if (config_opt_->count() > 0 && check_opt_->count() > 0)
        throw ConfigError("config: --config and --check-config are both given; use one");
}

void Schema::parse_file_text(std::string_view text)
{
    std::istringstream in{std::string(text)};
    try {
        app_.parse_from_stream(in);
    } catch (const CLI::ParseError& e) {
        throw ConfigError(fmt::format("config: {}", e.what()));
    }
}

std::string Schema::help() const
{
    return app_.help();
}

std::string Schema::config_path() const
{
    const CLI::Option* opt = check_opt_->count() > 0 ? check_opt_ : config_opt_;
    return opt->count() > 0 ? opt->results().back() : std::string();
}

bool Schema::check_only() const
{
    return check_opt_->count() > 0;
}

RawConfig Schema::raw() const
{
    RawConfig raw;
    for (const KeyOption& k : keys_) {
        if (k.option->count() == 0)
            continue;
        const std::vector<std::string>& results = k.option->results();
        if (k.spec->kind == KeyKind::list)
            raw.set(k.spec->name, results);
        else if (!results.empty())
            raw.set(k.spec->name, {results.back()});
    }
    return raw;
}

} // namespace nat64d::ctl
