// nat64ctl: the operator's client of nat64d's management socket. Tables for
// people, --json for programs, stats --prometheus for node_exporter's textfile
// collector. Exit codes: 0 done (health: healthy), 1 refused by the daemon or
// unhealthy, 2 usage, 3 the daemon cannot be reached.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <poll.h>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "control/config/build_info.hpp"
#include "control/config/load.hpp"
#include "control/lookup.hpp"
#include "control/prometheus.hpp"
#include "control/protocol.hpp"
#include "dataplane/counters.hpp"
#include "dataplane/verdict.hpp"

using nlohmann::json;
using namespace nat64d;
using namespace nat64d::ctl;

namespace {

constexpr int kExitRefused = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnreachable = 3;

struct Failure {
    int code;
    std::string message;
};

/// Sends one request line, returns the reply object. Throws Failure.
json call(const std::string& path, const json& request, int timeout_ms)
{
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        throw Failure{kExitUnreachable, fmt::format("socket: {}", std::strerror(errno))};
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof(addr.sun_path))
        throw Failure{kExitUsage, fmt::format("{}: socket path too long", path)};
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
        const int e = errno;
        close(fd);
        throw Failure{kExitUnreachable,
                      fmt::format("cannot reach nat64d at {}: {}{}", path, std::strerror(e),
                                  e == ENOENT || e == ECONNREFUSED ? " (is nat64d running? --socket PATH)" : "")};
    }
    const std::string line = request.dump() + "\n";
    size_t sent = 0;
    while (sent < line.size()) {
        const ssize_t n = send(fd, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
        if (n < 0) {
            close(fd);
            throw Failure{kExitUnreachable, fmt::format("send to {}: {}", path, std::strerror(errno))};
        }
        sent += static_cast<size_t>(n);
    }
    std::string reply;
    char buf[65536];
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        const int r = poll(&p, 1, timeout_ms);
        if (r == 0) {
            close(fd);
            throw Failure{kExitUnreachable, fmt::format("no reply from nat64d at {} within {} ms", path, timeout_ms)};
        }
        const ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n <= 0)
            break;
        reply.append(buf, static_cast<size_t>(n));
        if (reply.find('\n') != std::string::npos)
            break;
    }
    close(fd);
    const size_t nl = reply.find('\n');
    if (nl == std::string::npos)
        throw Failure{kExitUnreachable, fmt::format("nat64d at {} closed the connection without a reply", path)};
    json j;
    try {
        j = json::parse(reply.substr(0, nl));
    } catch (const json::exception& e) {
        throw Failure{kExitUnreachable, fmt::format("unreadable reply from nat64d: {}", e.what())};
    }
    if (!j.value("ok", false)) {
        // Not j.value("error", ...): with NDEBUG (release, the package) GCC 12 warns of a
        // null dereference inside its inlined lookup.
        const auto error = j.find("error");
        const std::string reason =
            error != j.end() && error->is_string() ? error->get<std::string>() : "no reason given";
        throw Failure{kExitRefused, fmt::format("nat64d refused: {}", reason)};
    }
    return j["result"];
}

// --- tables for people

std::string cell(const json& v)
{
    if (v.is_string())
        return v.get<std::string>();
    if (v.is_null())
        return "-";
    if (v.is_boolean())
        return v.get<bool>() ? "yes" : "no";
    if (v.is_number_float())
        return fmt::format("{:.4f}", v.get<double>());
    return v.dump();
}

void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows)
{
    std::vector<size_t> width(header.size());
    for (size_t i = 0; i < header.size(); ++i)
        width[i] = header[i].size();
    for (const auto& r : rows)
        for (size_t i = 0; i < r.size() && i < width.size(); ++i)
            width[i] = std::max(width[i], r[i].size());
    const auto line = [&](const std::vector<std::string>& r) {
        std::string out;
        for (size_t i = 0; i < r.size(); ++i)
            out += fmt::format("{:<{}}{}", r[i], width[i], i + 1 < r.size() ? "  " : "");
        while (!out.empty() && out.back() == ' ')
            out.pop_back();
        std::puts(out.c_str());
    };
    line(header);
    for (const auto& r : rows)
        line(r);
}

const json& at(const json& j, const char* k)
{
    static const json null_value;
    const auto it = j.find(k);
    return it == j.end() ? null_value : *it;
}

void print_stats(const json& s, bool explain)
{
    const json& f = at(s, "flows");
    std::printf("uptime %s s, sessions %s of %s (fill %.2f%%), mappings %s, neighbours %s, fragments held %s\n",
                cell(at(s, "uptime_s")).c_str(), cell(at(f, "sessions")).c_str(), cell(at(f, "capacity")).c_str(),
                at(f, "fill").is_number() ? at(f, "fill").get<double>() * 100 : 0.0, cell(at(f, "mappings")).c_str(),
                cell(at(s, "neighbours")).c_str(), cell(at(s, "fragments_held")).c_str());
    std::puts("");
    std::vector<std::vector<std::string>> rows;
    for (const json& p : at(s, "ports"))
        rows.push_back({cell(at(p, "port")), cell(at(p, "name")), cell(at(p, "role")), cell(at(p, "ipackets")),
                        cell(at(p, "opackets")), cell(at(p, "ibytes")), cell(at(p, "obytes")), cell(at(p, "imissed")),
                        cell(at(p, "ierrors")), cell(at(p, "oerrors"))});
    print_table({"PORT", "NAME", "ROLE", "RX_PKTS", "TX_PKTS", "RX_BYTES", "TX_BYTES", "MISSED", "RX_ERR", "TX_ERR"}, rows);
    std::puts("");
    rows.clear();
    for (const json& w : at(s, "workers")) {
        const auto pk = [&](const char* d) { return cell(at(at(w, d), "packets")); };
        rows.push_back({cell(at(w, "id")), pk("rx_inside"), pk("rx_outside"), pk("translated_6to4"),
                        pk("translated_4to6"), pk("tx_inside"), pk("tx_outside"), cell(at(w, "flows_created")),
                        cell(at(w, "loops"))});
    }
    print_table({"WORKER", "RX_IN", "RX_OUT", "XLATE_6TO4", "XLATE_4TO6", "TX_IN", "TX_OUT", "FLOWS", "LOOPS"}, rows);
    std::puts("");
    rows.clear();
    for (const char* proto : {"tcp", "udp", "icmp"})
        rows.push_back({proto, cell(at(at(f, "sessions_by_proto"), proto)), cell(at(at(f, "sessions_created"), proto)),
                        cell(at(at(f, "sessions_expired"), proto)), cell(at(at(f, "mappings_by_proto"), proto)),
                        cell(at(at(f, "mappings_created"), proto)), cell(at(at(f, "mappings_expired"), proto))});
    print_table({"PROTO", "SESSIONS", "CREATED", "EXPIRED", "MAPPINGS", "CREATED", "EXPIRED"}, rows);
    std::puts("");
    rows.clear();
    for (const json& a : at(s, "pool"))
        for (const char* proto : {"tcp", "udp", "icmp"})
            rows.push_back({cell(at(a, "address")), proto, cell(at(at(a, proto), "in_use")),
                            cell(at(at(a, proto), "reserved")), cell(at(at(a, proto), "size"))});
    print_table({"PUBLIC", "PROTO", "IN_USE", "RESERVED", "PORTS"}, rows);
    std::puts("");
    rows.clear();
    for (const auto& [reason, v] : at(s, "drops").items())
        if (v.is_number() && v.get<uint64_t>() != 0)
            rows.push_back({reason, cell(v)});
    if (rows.empty())
        std::puts("no drops");
    else
        print_table({"DROP_REASON", "PACKETS"}, rows);
    if (explain) {
        // Every counter and drop reason with what it counts, from the same
        // lists the daemon counts with (dataplane/counters.hpp, verdict.hpp).
        std::puts("");
        rows.clear();
        for (const dp::DirectionField& d : dp::kDirectionFields) {
            uint64_t total = 0;
            for (const json& w : at(s, "workers"))
                if (at(at(w, std::string(d.name).c_str()), "packets").is_number())
                    total += at(at(w, std::string(d.name).c_str()), "packets").get<uint64_t>();
            rows.push_back({std::string(d.name), std::to_string(total), std::string(d.help)});
        }
        for (const dp::CounterField& c : dp::kCounterFields) {
            uint64_t total = 0;
            for (const json& w : at(s, "workers"))
                if (at(w, std::string(c.name).c_str()).is_number())
                    total += at(w, std::string(c.name).c_str()).get<uint64_t>();
            rows.push_back({std::string(c.name), std::to_string(total), std::string(c.help)});
        }
        for (size_t v = kFirstDropVerdict; v < kVerdictCount; ++v) {
            const std::string name(kVerdictNames[v]);
            rows.push_back({name, cell(at(at(s, "drops"), name.c_str())), std::string(kVerdictHelp[v])});
        }
        print_table({"COUNTER", "VALUE", "WHAT IT COUNTS"}, rows);
    }
    const json& ev = at(s, "events");
    std::printf("\nevent log: %s written, %s lost\n", cell(at(ev, "written")).c_str(), cell(at(ev, "lost")).c_str());
    const json& ipfix = at(ev, "ipfix");
    std::printf("ipfix: %s records in %s messages, %s send errors, %s skipped\n", cell(at(ipfix, "records_sent")).c_str(),
                cell(at(ipfix, "messages_sent")).c_str(), cell(at(ipfix, "send_errors")).c_str(),
                cell(at(ipfix, "records_skipped")).c_str());
}

// The rows of one `flows` answer in the order asked for (the daemon walks
// its table in hash order); ties keep the daemon's order.
void sort_flows(json& flows, const std::string& by)
{
    const auto num = [](const json& f, const char* k) { return at(f, k).is_number() ? at(f, k).get<uint64_t>() : 0; };
    const auto ip6 = [](const json& f) {
        In6 a{};
        (void)parse_ip6(cell(at(f, "ipv6")), a);
        return a;
    };
    const auto ip4 = [](const json& f) {
        Ip4 a = 0;
        (void)parse_ip4(cell(at(f, "public")), a);
        return a;
    };
    std::vector<json> rows(flows.begin(), flows.end());
    std::stable_sort(rows.begin(), rows.end(), [&](const json& a, const json& b) {
        if (by == "idle")
            return num(a, "idle_s") > num(b, "idle_s");
        if (by == "expiry")
            return num(a, "expires_in_s") < num(b, "expires_in_s");
        if (by == "public")
            return std::make_pair(ip4(a), num(a, "public_port")) < std::make_pair(ip4(b), num(b, "public_port"));
        return std::make_pair(ip6(a), num(a, "port6")) < std::make_pair(ip6(b), num(b, "port6"));
    });
    flows = json(rows);
}

void print_flows(const json& r)
{
    std::vector<std::vector<std::string>> rows;
    for (const json& f : at(r, "flows"))
        rows.push_back({cell(at(f, "proto")), fmt::format("[{}]:{}", cell(at(f, "ipv6")), cell(at(f, "port6"))),
                        fmt::format("{}:{}", cell(at(f, "public")), cell(at(f, "public_port"))),
                        cell(at(f, "proto")) == "icmp" ? cell(at(f, "dst"))
                                                      : fmt::format("{}:{}", cell(at(f, "dst")), cell(at(f, "dport"))),
                        cell(at(f, "idle_s")), cell(at(f, "expires_in_s")),
                        cell(at(f, "state"))});
    print_table({"PROTO", "IPV6_SOURCE", "PUBLIC", "DESTINATION", "IDLE_S", "EXPIRES_S", "TCP_STATE"}, rows);
    std::printf("%zu flow(s)%s\n", rows.size(), at(r, "truncated").is_boolean() && at(r, "truncated").get<bool>()
                                                   ? " (limit reached; --limit N for more)" : "");
}

void print_bib(const json& r)
{
    std::vector<std::vector<std::string>> rows;
    for (const json& m : at(r, "mappings"))
        rows.push_back({cell(at(m, "proto")), fmt::format("[{}]:{}", cell(at(m, "ipv6")), cell(at(m, "port6"))),
                        fmt::format("{}:{}", cell(at(m, "public")), cell(at(m, "public_port"))),
                        at(m, "static").is_boolean() && at(m, "static").get<bool>() ? "static" : "dynamic",
                        cell(at(m, "sessions"))});
    print_table({"PROTO", "IPV6", "PUBLIC", "KIND", "SESSIONS"}, rows);
    std::printf("%zu mapping(s)%s\n", rows.size(), at(r, "truncated").is_boolean() && at(r, "truncated").get<bool>()
                                                      ? " (limit reached; --limit N for more)" : "");
}

void print_subscribers(const json& r)
{
    std::vector<std::vector<std::string>> rows;
    for (const json& s : at(r, "subscribers"))
        rows.push_back({cell(at(s, "subscriber")), cell(at(s, "sessions")), cell(at(s, "tcp_ports")),
                        cell(at(s, "udp_ports")), cell(at(s, "icmp_ids")),
                        fmt::format("{}/{}/{}", cell(at(s, "refused_sessions")), cell(at(s, "refused_ports")),
                                    cell(at(s, "refused_rate")))});
    print_table({"SUBSCRIBER", "SESSIONS", "TCP_PORTS", "UDP_PORTS", "ICMP_IDS", "REFUSED(SESS/PORTS/RATE)"}, rows);
    const json& l = at(r, "limits");
    const auto limit = [&](const char* k) {
        const std::string v = cell(at(l, k));
        return v == "0" ? std::string("-") : v;
    };
    std::printf("%zu of %s subscriber(s); limits: sessions %s, tcp ports %s, udp ports %s, icmp ids %s, "
                "new sessions/s %s\n",
                rows.size(), cell(at(r, "tracked")).c_str(), limit("sessions").c_str(), limit("tcp_ports").c_str(),
                limit("udp_ports").c_str(), limit("icmp_ids").c_str(), limit("new_sessions_per_s").c_str());
}

void print_reload(const json& r)
{
    const json& applied = at(r, "applied");
    const json& not_applied = at(r, "not_applied");
    if ((!applied.is_array() || applied.empty()) && (!not_applied.is_array() || not_applied.empty()))
        std::printf("nothing changed\n");
    if (applied.is_array())
        for (const json& c : applied)
            std::printf("applied: %s = %s (was %s)\n", cell(at(c, "key")).c_str(), cell(at(c, "after")).c_str(),
                        cell(at(c, "before")).c_str());
    if (not_applied.is_array())
        for (const json& n : not_applied)
            std::printf("not applied: %s\n", cell(n).c_str());
}

void print_health(const json& h)
{
    std::printf("%s\n", at(h, "healthy").is_boolean() && at(h, "healthy").get<bool>() ? "healthy" : "UNHEALTHY");
    std::vector<std::vector<std::string>> rows;
    for (const json& w : at(h, "workers"))
        rows.push_back({cell(at(w, "id")), cell(at(w, "polling")), cell(at(w, "loops")), cell(at(w, "last_progress_ms"))});
    print_table({"WORKER", "POLLING", "LOOPS", "LAST_PROGRESS_MS"}, rows);
}

// The running configuration as a config file nat64d loads back as it is.
void print_config(const json& c) { std::fputs(config_json_to_text(c).c_str(), stdout); }

struct LookupArgs {
    std::string ipv4, ipv6, proto = "tcp", at, config_file, log_file;
    int port = -1;
};

// The configuration a lookup works from: a file given (offline, no daemon),
// else the running daemon's.
Config lookup_config(const LookupArgs& a, const std::string& socket, int timeout_ms)
{
    if (!a.config_file.empty()) {
        std::ifstream in(a.config_file);
        if (!in)
            throw Failure{kExitUsage, fmt::format("--config {}: {}", a.config_file, std::strerror(errno))};
        std::stringstream text;
        text << in.rdbuf();
        try {
            return parse_config_text(text.str());
        } catch (const ConfigError& e) {
            throw Failure{kExitUsage, e.what()};
        }
    }
    const json running = call(socket, json{{"cmd", "config"}}, timeout_ms);
    try {
        return parse_config_text(config_json_to_text(running));
    } catch (const ConfigError& e) {
        throw Failure{kExitRefused, fmt::format("the running configuration does not load here: {}", e.what())};
    }
}

// nat64ctl lookup: returns the answer as JSON ("found" false when nobody).
json lookup(const LookupArgs& a, const std::string& socket, int timeout_ms)
{
    In6 addr6{};
    Ip4 pub4 = 0;
    if (!a.ipv6.empty()) {
        if (!parse_ip6(a.ipv6, addr6))
            throw Failure{kExitUsage, fmt::format("--ipv6 {}: not an IPv6 address", a.ipv6)};
    } else if (a.ipv4.empty() || a.port < 0 || !parse_ip4(a.ipv4, pub4)) {
        throw Failure{kExitUsage, "lookup: give IPV4 PORT (a public address and port) or --ipv6 ADDRESS"};
    }
    std::string when;
    if (!a.at.empty()) {
        const std::optional<std::string> t = normalise_log_time(a.at);
        if (!t)
            throw Failure{kExitUsage, fmt::format("--at {}: expected YYYY-MM-DDTHH:MM[:SS[.mmm]][Z] (UTC)", a.at)};
        when = *t;
    }
    const Config cfg = lookup_config(a, socket, timeout_ms);
    if (cfg.deterministic != nat::DeterministicOrder::off) {
        // RFC 7422: the same answer at any time, from arithmetic alone.
        const auto d = a.ipv6.empty() ? deterministic_owner(cfg, a.proto, pub4, static_cast<uint16_t>(a.port))
                                      : deterministic_block(cfg, a.proto, addr6);
        json r{{"source", "deterministic"}, {"found", d.has_value()}, {"proto", a.proto}};
        if (d)
            r.update({{"subscriber", d->subscriber}, {"public", d->address}, {"first_port", d->first},
                      {"last_port", d->last}});
        return r;
    }
    if (!a.ipv6.empty()) {   // the subscriber's live mappings
        json req{{"cmd", "bib"}, {"op", "list"}, {"ipv6", a.ipv6}, {"proto", a.proto}, {"limit", kMaxListLimit}};
        json r = call(socket, req, timeout_ms);
        return {{"source", "live"}, {"found", !at(r, "mappings").empty()}, {"proto", a.proto},
                {"mappings", at(r, "mappings")}};
    }
    if (when.empty()) {   // who holds it now
        json req{{"cmd", "bib"}, {"op", "list"}, {"public", a.ipv4}, {"public_port", a.port}, {"proto", a.proto}};
        const json r = call(socket, req, timeout_ms);
        const json& m = at(r, "mappings");
        json out{{"source", "live"}, {"found", !m.empty()}, {"proto", a.proto}};
        if (!m.empty())
            out.update({{"ipv6", at(m[0], "ipv6")}, {"port6", at(m[0], "port6")}});
        return out;
    }
    const std::string log_path = !a.log_file.empty() ? a.log_file : cfg.log_file;
    if (log_path.empty())
        throw Failure{kExitUsage, "lookup --at: the event log is off (control.log_file); give --log FILE"};
    std::ifstream log(log_path);
    if (!log)
        throw Failure{kExitUsage, fmt::format("{}: {}", log_path, std::strerror(errno))};
    const LogHolder h = holder_from_log(log, a.proto, pub4, static_cast<uint16_t>(a.port), when);
    json out{{"source", "event log"}, {"found", h.found}, {"proto", a.proto}, {"at", when}};
    if (h.found && !h.subscriber.empty())
        out.update({{"subscriber", h.subscriber}, {"first_port", h.block_first}, {"last_port", h.block_last},
                    {"since", h.since}, {"until", h.until}});
    else if (h.found)
        out.update({{"ipv6", h.ipv6}, {"port6", h.port6}, {"since", h.since}, {"until", h.until}});
    return out;
}

void print_lookup(const LookupArgs& a, const json& r)
{
    const std::string what = a.ipv6.empty() ? fmt::format("{} {} {}", a.ipv4, a.proto, a.port)
                                            : fmt::format("{} ({})", a.ipv6, a.proto);
    if (!at(r, "found").is_boolean() || !at(r, "found").get<bool>()) {
        std::printf("%s: nobody (%s)\n", what.c_str(), cell(at(r, "source")).c_str());
        return;
    }
    const std::string source = cell(at(r, "source"));
    if (source == "deterministic")
        std::printf("%s: subscriber %s, block %s %s ports %s-%s (RFC 7422; at any time)\n", what.c_str(),
                    cell(at(r, "subscriber")).c_str(), cell(at(r, "public")).c_str(), a.proto.c_str(),
                    cell(at(r, "first_port")).c_str(), cell(at(r, "last_port")).c_str());
    else if (source == "event log" && r.contains("subscriber"))
        std::printf("%s at %s: subscriber %s (port block %s-%s), allocated %s until %s (event log)\n", what.c_str(),
                    cell(at(r, "at")).c_str(), cell(at(r, "subscriber")).c_str(), cell(at(r, "first_port")).c_str(),
                    cell(at(r, "last_port")).c_str(), cell(at(r, "since")).c_str(),
                    cell(at(r, "until")).empty() ? "the end of the log" : cell(at(r, "until")).c_str());
    else if (source == "event log")
        std::printf("%s at %s: [%s]:%s, mapped %s until %s (event log)\n", what.c_str(), cell(at(r, "at")).c_str(),
                    cell(at(r, "ipv6")).c_str(), cell(at(r, "port6")).c_str(), cell(at(r, "since")).c_str(),
                    cell(at(r, "until")).empty() ? "the end of the log" : cell(at(r, "until")).c_str());
    else if (r.contains("mappings"))
        print_bib(r);
    else
        std::printf("%s: [%s]:%s now\n", what.c_str(), cell(at(r, "ipv6")).c_str(), cell(at(r, "port6")).c_str());
}

struct FilterArgs {
    std::string proto, ipv6, subscriber, pub;
    int pub_port = -1;
    uint32_t limit = kDefaultListLimit;

    void add_to(CLI::App* app)
    {
        app->add_option("--proto", proto, "tcp, udp or icmp")->check(CLI::IsMember({"tcp", "udp", "icmp"}));
        app->add_option("--ipv6", ipv6, "IPv6 source address or prefix (2001:db8::/64)");
        app->add_option("--subscriber", subscriber,
                        "the subscriber of this IPv6 address (its nat64.subscriber_prefix_len prefix), or a prefix")
            ->excludes("--ipv6");
        app->add_option("--public", pub, "public IPv4 address");
        app->add_option("--public-port", pub_port, "public port or ICMP identifier")->check(CLI::Range(0, 65535));
        app->add_option("--limit", limit, "at most this many rows")->check(CLI::Range(1u, kMaxListLimit));
    }
    void put(json& j) const
    {
        if (!proto.empty())
            j["proto"] = proto;
        if (!ipv6.empty())
            j["ipv6"] = ipv6;
        if (!subscriber.empty())
            j["subscriber"] = subscriber;
        if (!pub.empty())
            j["public"] = pub;
        if (pub_port >= 0)
            j["public_port"] = pub_port;
        j["limit"] = limit;
    }
};

} // namespace

int main(int argc, char** argv)
{
    CLI::App app{"nat64ctl: inspect and change a running nat64d through its management socket"};
    app.require_subcommand(1);
    app.fallthrough();   // `nat64ctl stats --json` as well as `nat64ctl --json stats`
    const char* env = std::getenv("NAT64D_SOCKET");
    std::string path = env != nullptr ? env : Config{}.socket_path;   // the daemon's default
    bool as_json = false;
    int timeout_ms = 10000;
    app.set_version_flag("--version", "nat64ctl " NAT64D_VERSION, "print the version and exit");
    app.add_option("-s,--socket", path, "nat64d's socket ([control] socket; env NAT64D_SOCKET)")->capture_default_str();
    app.add_flag("--json", as_json, "print the daemon's JSON reply");
    app.add_option("--timeout-ms", timeout_ms, "how long to wait for a reply")->capture_default_str();

    bool prometheus = false;
    CLI::App* stats = app.add_subcommand("stats", "counters: ports, workers, drops by reason, flows, pool use");
    stats->add_flag("--prometheus", prometheus, "Prometheus text format (node_exporter textfile collector)");
    bool explain = false;
    stats->add_flag("--explain", explain, "also every counter and drop reason with what it counts");
    FilterArgs flow_filter;
    CLI::App* flows = app.add_subcommand("flows", "sessions, filtered");
    flow_filter.add_to(flows);
    std::string sort_by;
    flows->add_option("--sort", sort_by,
                      "order the rows received: idle (longest idle first), expiry (soonest first), "
                      "public (address and port), subscriber (IPv6 source and port)")
        ->check(CLI::IsMember({"idle", "expiry", "public", "subscriber"}));
    CLI::App* bib = app.add_subcommand("bib", "mappings (BIB): list, add or delete static entries");
    bib->require_subcommand(1);
    bib->fallthrough();
    FilterArgs bib_filter;
    CLI::App* bib_list = bib->add_subcommand("list", "mappings, filtered");
    bib_filter.add_to(bib_list);
    std::string b_proto, b_ip6, b_ip4;
    uint16_t b_port6 = 0, b_port4 = 0;
    CLI::App* bib_add = bib->add_subcommand("add", "add a static mapping (port forward): PROTO IPV6 PORT6 IPV4 PORT4");
    bib_add->add_option("proto", b_proto, "tcp, udp or icmp")->required()->check(CLI::IsMember({"tcp", "udp", "icmp"}));
    bib_add->add_option("ipv6", b_ip6, "IPv6 address of the host")->required();
    bib_add->add_option("port6", b_port6, "its port (ICMP: identifier)")->required();
    bib_add->add_option("ipv4", b_ip4, "public IPv4 address (from the pool)")->required();
    bib_add->add_option("port4", b_port4, "public port")->required();
    CLI::App* bib_del = bib->add_subcommand(
        "del", "delete a mapping and its sessions: PROTO IPV6 PORT6 (static or dynamic; a dynamic one is made "
               "again by the host's next packet)");
    bib_del->add_option("proto", b_proto, "tcp, udp or icmp")->required()->check(CLI::IsMember({"tcp", "udp", "icmp"}));
    bib_del->add_option("ipv6", b_ip6, "IPv6 address of the host")->required();
    bib_del->add_option("port6", b_port6, "its port (ICMP: identifier)")->required();
    CLI::App* subscribers = app.add_subcommand(
        "subscribers", "the top subscribers by public ports held (with a subscriber limit set), or clear one");
    std::string sub_sort = "ports", sub_clear;
    uint32_t sub_limit = 20;
    subscribers->add_option("--sort", sub_sort, "ports, sessions or refused (largest first)")
        ->check(CLI::IsMember({"ports", "sessions", "refused"}))
        ->capture_default_str();
    subscribers->add_option("--limit", sub_limit, "at most this many rows")
        ->check(CLI::Range(1u, kMaxListLimit))
        ->capture_default_str();
    CLI::App* sub_clear_cmd = subscribers->add_subcommand(
        "clear", "remove every session (and so every mapping) of one subscriber: ADDRESS (its subscriber prefix) "
                 "or PREFIX/LEN");
    sub_clear_cmd->add_option("subscriber", sub_clear, "IPv6 address or prefix")->required();
    LookupArgs la;
    CLI::App* lookup_cmd = app.add_subcommand(
        "lookup", "who had a public port: IPV4 PORT [--at TIME], by RFC 7422 arithmetic in deterministic mode, "
                  "from the event log with --at, else now; or the block / mappings of --ipv6 ADDRESS");
    lookup_cmd->add_option("ipv4", la.ipv4, "public IPv4 address");
    lookup_cmd->add_option("port", la.port, "public port or ICMP identifier")->check(CLI::Range(0, 65535));
    lookup_cmd->add_option("--ipv6", la.ipv6, "the reverse: this IPv6 address's subscriber block or mappings");
    lookup_cmd->add_option("--proto", la.proto, "tcp, udp or icmp")
        ->check(CLI::IsMember({"tcp", "udp", "icmp"}))
        ->capture_default_str();
    lookup_cmd->add_option("--at", la.at, "UTC time, YYYY-MM-DDTHH:MM[:SS[.mmm]]: read the event log");
    lookup_cmd->add_option("--config", la.config_file, "work offline from this config file, without the daemon");
    lookup_cmd->add_option("--log", la.log_file, "the event log to read (default: the config's control.log_file)");
    CLI::App* config = app.add_subcommand("config", "the running configuration");
    CLI::App* health = app.add_subcommand("health", "exit 0 only when every worker is polling");
    CLI::App* reload = app.add_subcommand(
        "reload", "re-read the config file and apply what changes with sessions kept (timeouts, ICMP limits, "
                  "static BIB); refused, with nothing changed, for keys that need a restart (as SIGHUP)");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? 0 : kExitUsage;
    }

    if (lookup_cmd->parsed()) {
        try {
            const json r = lookup(la, path, timeout_ms);
            if (as_json)
                std::puts(r.dump(2).c_str());
            else
                print_lookup(la, r);
            return at(r, "found").is_boolean() && at(r, "found").get<bool>() ? 0 : kExitRefused;
        } catch (const Failure& f) {
            std::fprintf(stderr, "nat64ctl: %s\n", f.message.c_str());
            return f.code;
        }
    }
    json req;
    if (stats->parsed()) {
        req["cmd"] = "stats";
    } else if (flows->parsed()) {
        req["cmd"] = "flows";
        flow_filter.put(req);
    } else if (bib_list->parsed()) {
        req = {{"cmd", "bib"}, {"op", "list"}};
        bib_filter.put(req);
    } else if (bib_add->parsed()) {
        req = {{"cmd", "bib"}, {"op", "add"}, {"proto", b_proto}, {"ipv6", b_ip6}, {"port6", b_port6},
               {"ipv4", b_ip4}, {"port4", b_port4}};
    } else if (bib_del->parsed()) {
        req = {{"cmd", "bib"}, {"op", "del"}, {"proto", b_proto}, {"ipv6", b_ip6}, {"port6", b_port6}};
    } else if (sub_clear_cmd->parsed()) {
        req = {{"cmd", "subscribers"}, {"op", "clear"}, {"subscriber", sub_clear}};
    } else if (subscribers->parsed()) {
        req = {{"cmd", "subscribers"}, {"op", "list"}, {"sort", sub_sort}, {"limit", sub_limit}};
    } else if (config->parsed()) {
        req["cmd"] = "config";
    } else if (health->parsed()) {
        req["cmd"] = "health";
    } else if (reload->parsed()) {
        req["cmd"] = "reload";
    }
    // Check locally what the daemon would refuse, for a clearer message.
    try {
        (void)parse_request(req.dump());
    } catch (const RequestError& e) {
        std::fprintf(stderr, "nat64ctl: %s\n", e.what());
        return kExitUsage;
    }

    json result;
    try {
        result = call(path, req, timeout_ms);
    } catch (const Failure& f) {
        std::fprintf(stderr, "nat64ctl: %s\n", f.message.c_str());
        return f.code;
    }

    if (flows->parsed() && !sort_by.empty() && at(result, "flows").is_array())
        sort_flows(result["flows"], sort_by);
    if (prometheus) {
        std::fputs(stats_to_prometheus(result).c_str(), stdout);
    } else if (as_json) {
        std::puts(result.dump(2).c_str());
    } else if (stats->parsed()) {
        print_stats(result, explain);
    } else if (flows->parsed()) {
        print_flows(result);
    } else if (bib_list->parsed()) {
        print_bib(result);
    } else if (sub_clear_cmd->parsed()) {
        std::printf("cleared %s: %s session(s) removed\n", cell(at(result, "subscriber")).c_str(),
                    cell(at(result, "sessions")).c_str());
    } else if (subscribers->parsed()) {
        print_subscribers(result);
    } else if (config->parsed()) {
        print_config(result);
    } else if (health->parsed()) {
        print_health(result);
    } else if (reload->parsed()) {
        print_reload(result);
    } else {
        std::printf("ok: %s\n", cell(result.begin() != result.end() ? *result.begin() : json()).c_str());
        if (result.contains("not_kept"))   // in force, but gone after a restart
            std::fprintf(stderr, "nat64ctl: warning: not kept for the next start: %s\n",
                         cell(at(result, "not_kept")).c_str());
    }
    if (health->parsed())
        return at(result, "healthy").is_boolean() && at(result, "healthy").get<bool>() ? 0 : 1;
    if (reload->parsed() && at(result, "not_applied").is_array() && !at(result, "not_applied").empty())
        return 1;   // applied in part: the operator must look
    return 0;
}
