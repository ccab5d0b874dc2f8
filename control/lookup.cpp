#include "control/lookup.hpp"

#include <regex>

#include <fmt/format.h>

#include "control/config/load.hpp"
#include "control/protocol.hpp"
#include "dataplane/nat/port_alloc.hpp"
#include "dataplane/xlate/rfc6052.hpp"

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
    // docs/EVENT_LOG.md's lines that bind a public port to someone:
    //   TIME mapping-create|mapping-delete PROTO src=[V6]:P pub=V4:PORT [static]
    //   TIME block-allocate|block-release PROTO subscriber=PREFIX/LEN pub=V4:FIRST-LAST
    static const std::regex mapping_form(
        R"((\S+) (mapping-create|mapping-delete) (\S+) src=\[([^\]]+)\]:(\d+) pub=([^ :]+):(\d+)( static)?)");
    static const std::regex block_form(
        R"((\S+) (block-allocate|block-release) (\S+) subscriber=(\S+) pub=([^ :]+):(\d+)-(\d+))");
    const std::string addr = format_ip4(pub4);
    const std::string needle = " pub=" + addr + ":";
    LogHolder held;
    bool past = false;   // reading on after `at` for the holder's end
    std::string line;
    std::smatch m;
    while (std::getline(log, line)) {
        if (line.find(needle) == std::string::npos)
            continue;
        bool create = false, is_block = false;
        std::string who, when;
        uint32_t first = 0, last = 0, port6 = 0;
        if (std::regex_match(line, m, mapping_form)) {
            if (m[3].str() != proto || m[6].str() != addr || std::stoul(m[7].str()) != port)
                continue;
            create = m[2].str() == "mapping-create";
            who = m[4].str();
            port6 = static_cast<uint32_t>(std::stoul(m[5].str()));
        } else if (std::regex_match(line, m, block_form)) {
            first = static_cast<uint32_t>(std::stoul(m[6].str()));
            last = static_cast<uint32_t>(std::stoul(m[7].str()));
            if (m[3].str() != proto || m[5].str() != addr || port < first || port > last)
                continue;
            create = m[2].str() == "block-allocate";
            who = m[4].str();
            is_block = true;
        } else {
            continue;
        }
        when = m[1].str();
        const bool ends_holder = held.found && !create && (is_block ? held.subscriber == who : held.ipv6 == who);
        if (past || when > at) {
            // The log is in time order: past `at` only the holder's end matters.
            if (ends_holder) {
                held.until = when;
                return held;
            }
            past = true;
            continue;
        }
        if (create) {
            held = LogHolder{};
            held.found = true;
            held.since = when;
            if (is_block) {
                held.subscriber = who;
                held.block_first = static_cast<uint16_t>(first);
                held.block_last = static_cast<uint16_t>(last);
            } else {
                held.ipv6 = who;
                held.port6 = static_cast<uint16_t>(port6);
            }
        } else if (ends_holder) {
            held = {};   // gone before `at`
        }
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
    const In6 prefix = xlate::mask_prefix(addr, config.subscriber_prefix_len);
    return DeterministicAnswer{fmt::format("{}/{}", format_ip6(prefix), config.subscriber_prefix_len),
                               format_ip4(config.pool[b.addr_index]), b.first, b.last};
}

} // namespace nat64d::ctl
