#include "control/lookup.hpp"

#include <regex>

#include <fmt/format.h>

#include "control/config/load.hpp"
#include "dataplane/nat/port_alloc.hpp"

namespace nat64d::ctl {

namespace {

uint32_t proto_index(std::string_view proto)
{
    return proto == "udp" ? 1u : proto == "icmp" ? 2u : 0u;
}

} // namespace

std::optional<std::string> normalise_log_time(std::string_view text)
{
    // YYYY-MM-DD[T ]HH:MM[:SS[.mmm]][Z]
    static const std::regex form(R"((\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2})?(\.\d{3})?Z?)");
    std::match_results<std::string_view::const_iterator> m;
    if (!std::regex_match(text.begin(), text.end(), m, form))
        return std::nullopt;
    return fmt::format("{}T{}{}{}Z", m[1].str(), m[2].str(), m[3].matched ? m[3].str() : ":00",
                       m[4].matched ? m[4].str() : ".000");
}

LogHolder holder_from_log(std::istream& log, std::string_view proto, Ip4 pub4, uint16_t port, const std::string& at)
{
    // The mapping lines of docs/EVENT_LOG.md: TIME mapping-create|delete PROTO src=[V6]:P pub=V4:PORT [static]
    const std::string pub = fmt::format(" pub={}:{}", format_ip4(pub4), port);
    static const std::regex line_form(R"((\S+) (mapping-create|mapping-delete) (\S+) src=\[([^\]]+)\]:(\d+) pub=(\S+)( static)?)");
    LogHolder held;
    std::string line;
    std::smatch m;
    while (std::getline(log, line)) {
        if (line.find(pub) == std::string::npos || !std::regex_match(line, m, line_form) || m[3].str() != proto ||
            " pub=" + m[6].str() != pub)
            continue;
        const std::string when = m[1].str();
        if (when > at) {
            // The log is in time order: past `at` only the holder's end matters.
            if (held.found && m[2].str() == "mapping-delete" && m[4].str() == held.ipv6) {
                held.until = when;
                return held;
            }
            break;
        }
        if (m[2].str() == "mapping-create") {
            held = {true, m[4].str(), static_cast<uint16_t>(std::stoul(m[5].str())), when, ""};
        } else if (held.found && held.ipv6 == m[4].str()) {
            held = {};   // gone before `at`
        }
    }
    // A delete after `at` tells how long it lasted: read on for it.
    if (held.found)
        while (std::getline(log, line))
            if (line.find(pub) != std::string::npos && std::regex_match(line, m, line_form) &&
                m[2].str() == "mapping-delete" && m[3].str() == proto && m[4].str() == held.ipv6) {
                held.until = m[1].str();
                break;
            }
    return held;
}

std::optional<DeterministicAnswer> deterministic_owner(const Config& config, std::string_view proto, Ip4 pub4,
                                                       uint16_t port)
{
    const nat::DeterministicMap map(nat::deterministic_of(port_alloc_config(config)));
    uint32_t addr_index = 0;
    while (addr_index < config.pool.size() && config.pool[addr_index] != pub4)
        ++addr_index;
    In6 prefix{};
    const uint32_t p = proto_index(proto);
    if (addr_index == config.pool.size() || !map.subscriber_of(addr_index, p, port, prefix))
        return std::nullopt;
    nat::PortBlock b;
    map.block_of(prefix, p, b);
    return DeterministicAnswer{fmt::format("{}/{}", format_ip6(prefix), config.subscriber_prefix_len),
                               format_ip4(config.pool[b.addr_index]), b.first, b.last};
}

std::optional<DeterministicAnswer> deterministic_block(const Config& config, std::string_view proto, const In6& addr)
{
    const nat::DeterministicMap map(nat::deterministic_of(port_alloc_config(config)));
    nat::PortBlock b;
    if (!map.block_of(addr, proto_index(proto), b))
        return std::nullopt;
    In6 prefix = addr;
    for (unsigned bit = config.subscriber_prefix_len; bit < 128; ++bit)
        prefix[bit / 8] = static_cast<uint8_t>(prefix[bit / 8] & ~(0x80u >> (bit % 8)));
    return DeterministicAnswer{fmt::format("{}/{}", format_ip6(prefix), config.subscriber_prefix_len),
                               format_ip4(config.pool[b.addr_index]), b.first, b.last};
}

} // namespace nat64d::ctl
