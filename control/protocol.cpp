// Request parsing and reply framing for the management socket; see protocol.hpp.
#include "control/protocol.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "control/config/load.hpp"
#include "dataplane/xlate/rfc6052.hpp"

namespace nat64d::ctl {
namespace {

using nlohmann::json;

const json* field(const json& j, const char* name)
{
    const auto it = j.find(name);
    return it == j.end() || it->is_null() ? nullptr : &*it;
}

std::string string_field(const json& j, const char* name)
{
    const json* f = field(j, name);
    if (f == nullptr)
        throw RequestError(fmt::format("missing \"{}\"", name));
    if (!f->is_string())
        throw RequestError(fmt::format("\"{}\" must be a string", name));
    return f->get<std::string>();
}

uint64_t number_field(const json& j, const char* name, uint64_t min, uint64_t max)
{
    const json* f = field(j, name);
    if (f == nullptr)
        throw RequestError(fmt::format("missing \"{}\"", name));
    if (!f->is_number_unsigned() && !(f->is_number_integer() && f->get<int64_t>() >= 0))
        throw RequestError(fmt::format("\"{}\" must be a number {}..{}", name, min, max));
    const auto v = f->get<uint64_t>();
    if (v < min || v > max)
        throw RequestError(fmt::format("\"{}\" = {}: must be {}..{}", name, v, min, max));
    return v;
}

uint8_t proto_field(const json& j)
{
    const std::string name = string_field(j, "proto");
    uint8_t p = 0;
    if (!parse_proto(name, p))
        throw RequestError(fmt::format("\"proto\" = \"{}\": must be tcp, udp or icmp", name));
    return p;
}

In6 ip6_field(const json& j, const char* name)
{
    const std::string text = string_field(j, name);
    In6 a{};
    if (!parse_ip6(text, a))
        throw RequestError(fmt::format("\"{}\" = \"{}\": not an IPv6 address", name, text));
    return a;
}

Ip4 ip4_field(const json& j, const char* name)
{
    const std::string text = string_field(j, name);
    Ip4 a = 0;
    if (!parse_ip4(text, a))
        throw RequestError(fmt::format("\"{}\" = \"{}\": not an IPv4 address", name, text));
    return a;
}

void parse_filter(const json& j, FlowFilter& f)
{
    if (field(j, "proto"))
        f.proto6 = proto_field(j);
    const bool by_subscriber = field(j, "subscriber") != nullptr;
    if (by_subscriber && field(j, "ipv6"))
        throw RequestError("\"ipv6\" and \"subscriber\": give one of them");
    if (const char* name = by_subscriber ? "subscriber" : "ipv6"; field(j, name)) {
        const std::string text = string_field(j, name);
        const size_t slash = text.find('/');
        In6 a{};
        if (!parse_ip6(std::string_view(text).substr(0, slash), a))
            throw RequestError(fmt::format("\"{}\" = \"{}\": not an IPv6 address or prefix", name, text));
        f.prefix_len = 128;
        f.subscriber = by_subscriber;
        f.prefix_len_given = slash != std::string::npos;
        if (slash != std::string::npos) {
            const std::string len = text.substr(slash + 1);
            if (len.empty() || len.size() > 3 || len.find_first_not_of("0123456789") != std::string::npos ||
                std::stoul(len) > 128)
                throw RequestError(fmt::format("\"{}\" = \"{}\": prefix length must be 0..128", name, text));
            f.prefix_len = static_cast<uint8_t>(std::stoul(len));
        }
        f.addr6 = a;
    }
    if (field(j, "public"))
        f.pub4 = ip4_field(j, "public");
    if (field(j, "public_port"))
        f.pub_port = static_cast<uint16_t>(number_field(j, "public_port", 0, 65535));
    if (field(j, "limit"))
        f.limit = static_cast<uint32_t>(number_field(j, "limit", 1, kMaxListLimit));
}

} // namespace

std::string_view proto_name(uint8_t proto6) noexcept
{
    switch (proto6) {
    case kProtoTcp:
        return "tcp";
    case kProtoUdp:
        return "udp";
    case kProtoIcmp6:
    case kProtoIcmp4:
        return "icmp";
    default:
        return "?";
    }
}

bool parse_proto(std::string_view name, uint8_t& proto6) noexcept
{
    if (name == "tcp")
        proto6 = kProtoTcp;
    else if (name == "udp")
        proto6 = kProtoUdp;
    else if (name == "icmp")
        proto6 = kProtoIcmp6;
    else
        return false;
    return true;
}

Request parse_request(std::string_view line)
{
    json j;
    try {
        j = json::parse(line);
    } catch (const json::parse_error&) {
        throw RequestError("malformed request: not a JSON object");
    } catch (const json::out_of_range&) {
        // nlohmann refuses a number beyond double's range (1e999) with
        // out_of_range 406, not parse_error.
        throw RequestError("malformed request: a number out of range");
    }
    if (!j.is_object())
        throw RequestError("malformed request: not a JSON object");
    const std::string cmd = string_field(j, "cmd");
    Request r;
    if (cmd == "stats") {
        r.cmd = Command::stats;
    } else if (cmd == "config") {
        r.cmd = Command::config;
    } else if (cmd == "health") {
        r.cmd = Command::health;
    } else if (cmd == "reload") {
        r.cmd = Command::reload;
    } else if (cmd == "flows") {
        r.cmd = Command::flows;
        parse_filter(j, r.filter);
    } else if (cmd == "bib") {
        const std::string op = field(j, "op") ? string_field(j, "op") : std::string("list");
        if (op == "list") {
            r.cmd = Command::bib_list;
            parse_filter(j, r.filter);
        } else if (op == "add" || op == "del") {
            r.cmd = op == "add" ? Command::bib_add : Command::bib_del;
            r.bib.proto6 = proto_field(j);
            r.bib.addr6 = ip6_field(j, "ipv6");
            r.bib.port6 = static_cast<uint16_t>(number_field(j, "port6", 0, 65535));
            if (r.cmd == Command::bib_add) {
                r.bib.addr4 = ip4_field(j, "ipv4");
                r.bib.port4 = static_cast<uint16_t>(number_field(j, "port4", 0, 65535));
            }
        } else {
            throw RequestError(fmt::format("\"op\" = \"{}\": must be list, add or del", op));
        }
    } else if (cmd == "subscribers") {
        const std::string op = field(j, "op") ? string_field(j, "op") : std::string("list");
        if (op == "list") {
            r.cmd = Command::subscribers;
            if (field(j, "limit"))
                r.filter.limit = static_cast<uint32_t>(number_field(j, "limit", 1, kMaxListLimit));
            const std::string sort = field(j, "sort") ? string_field(j, "sort") : std::string("ports");
            if (sort == "ports")
                r.sort = SubscriberSort::ports;
            else if (sort == "sessions")
                r.sort = SubscriberSort::sessions;
            else if (sort == "refused")
                r.sort = SubscriberSort::refused;
            else
                throw RequestError(fmt::format("\"sort\" = \"{}\": must be ports, sessions or refused", sort));
        } else if (op == "clear") {
            r.cmd = Command::subscriber_clear;
            if (!field(j, "subscriber"))
                throw RequestError("clear: \"subscriber\" is required (an IPv6 address or prefix)");
            parse_filter(j, r.filter);
        } else {
            throw RequestError(fmt::format("\"op\" = \"{}\": must be list or clear", op));
        }
    } else {
        throw RequestError(
            fmt::format("unknown command \"{}\" (stats, flows, bib, subscribers, config, health, reload)", cmd));
    }
    return r;
}

json request_to_json(const Request& r)
{
    json j;
    const auto put_filter = [&](const FlowFilter& f) {
        if (f.proto6)
            j["proto"] = proto_name(*f.proto6);
        if (f.addr6)
            j[f.subscriber ? "subscriber" : "ipv6"] =
                format_ip6(*f.addr6) + (f.prefix_len_given || f.prefix_len != 128 ? "/" + std::to_string(f.prefix_len) : "");
        if (f.pub4)
            j["public"] = format_ip4(*f.pub4);
        if (f.pub_port)
            j["public_port"] = *f.pub_port;
        j["limit"] = f.limit;
    };
    switch (r.cmd) {
    case Command::stats:
        j["cmd"] = "stats";
        break;
    case Command::config:
        j["cmd"] = "config";
        break;
    case Command::health:
        j["cmd"] = "health";
        break;
    case Command::reload:
        j["cmd"] = "reload";
        break;
    case Command::flows:
        j["cmd"] = "flows";
        put_filter(r.filter);
        break;
    case Command::bib_list:
        j["cmd"] = "bib";
        j["op"] = "list";
        put_filter(r.filter);
        break;
    case Command::subscribers:
        j["cmd"] = "subscribers";
        j["op"] = "list";
        j["limit"] = r.filter.limit;
        j["sort"] = r.sort == SubscriberSort::ports ? "ports" : r.sort == SubscriberSort::sessions ? "sessions" : "refused";
        break;
    case Command::subscriber_clear:
        j["cmd"] = "subscribers";
        j["op"] = "clear";
        put_filter(r.filter);
        j.erase("limit");
        break;
    case Command::bib_add:
    case Command::bib_del:
        j["cmd"] = "bib";
        j["op"] = r.cmd == Command::bib_add ? "add" : "del";
        j["proto"] = proto_name(r.bib.proto6);
        j["ipv6"] = format_ip6(r.bib.addr6);
        j["port6"] = r.bib.port6;
        if (r.cmd == Command::bib_add) {
            j["ipv4"] = format_ip4(r.bib.addr4);
            j["port4"] = r.bib.port4;
        }
        break;
    }
    return j;
}

bool filter_matches(const FlowFilter& f, uint8_t proto6, const In6& src6, Ip4 pub4, uint16_t pub_port) noexcept
{
    if (f.proto6) {
        const bool icmp = proto6 == kProtoIcmp6 || proto6 == kProtoIcmp4;
        const bool want_icmp = *f.proto6 == kProtoIcmp6 || *f.proto6 == kProtoIcmp4;
        if (icmp != want_icmp || (!icmp && proto6 != *f.proto6))
            return false;
    }
    if (f.addr6) {
        if (!xlate::in_prefix(*f.addr6, f.prefix_len, src6))
            return false;
    }
    if (f.pub4 && pub4 != *f.pub4)
        return false;
    if (f.pub_port && pub_port != *f.pub_port)
        return false;
    return true;
}

std::string ok_reply(const json& result)
{
    json j{{"ok", true}, {"result", result}};
    return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string error_reply(std::string_view message)
{
    json j{{"ok", false}, {"error", std::string(message)}};
    return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

LineReader::Status LineReader::next(std::string& line)
{
    const size_t nl = buf_.find('\n', scanned_);
    if (nl == std::string::npos) {
        scanned_ = buf_.size();
        return buf_.size() > max_line_ ? Status::too_long : Status::need_more;
    }
    size_t end = nl;
    if (end > 0 && buf_[end - 1] == '\r')
        --end;
    if (end > max_line_)
        return Status::too_long;
    line.assign(buf_, 0, end);
    buf_.erase(0, nl + 1);
    scanned_ = 0;
    return Status::line;
}

} // namespace nat64d::ctl
