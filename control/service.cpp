// Management requests, health and the event log writer; see service.hpp.
#include "control/service.hpp"

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include <fmt/format.h>

#include "control/bib_state.hpp"
#include "control/config/load.hpp"
#include "control/config/validate.hpp"
#include "dataplane/xlate/rfc6052.hpp"

namespace nat64d::ctl {
namespace {

using nlohmann::json;

constexpr uint32_t kEventBatch = 1024;
// A listing's slice per control-loop pass: about a millisecond of work.
constexpr uint32_t kListPositionsPerSlice = 16384;
constexpr uint32_t kListRowsPerSlice = 2048;
constexpr uint32_t kEventsPerPass = 256 * 1024;   // bounds one control-loop pass

std::string bib_text(uint8_t proto6, const In6& a6, uint16_t p6)
{
    return fmt::format("{} [{}]:{}", proto_name(proto6), format_ip6(a6), p6);
}

} // namespace

Service::Service(ServiceContext ctx, EventLog* log, const std::unique_ptr<ipfix::IpfixExporter>* ipfix,
                 const ipfix::ExporterCounters* ipfix_counters)
    : ctx_(std::move(ctx)), log_(log), ipfix_(ipfix), ipfix_counters_(ipfix_counters),
      health_(std::make_unique<WorkerHealth[]>(ctx_.workers.size())),
      link_up_(std::make_unique<std::atomic<bool>[]>(ctx_.ports.size()))
{
    for (size_t i = 0; i < ctx_.ports.size(); ++i)
        link_up_[i].store(true, std::memory_order_relaxed);
    event_batch_.resize(kEventBatch);
    const uint64_t now = rte_rdtsc();
    for (size_t i = 0; i < ctx_.workers.size(); ++i) {
        health_[i].loops.store(ctx_.workers[i]->loops(), std::memory_order_relaxed);
        health_[i].progress_tsc.store(now, std::memory_order_relaxed);
    }
    last_tick_tsc_.store(now, std::memory_order_relaxed);
}

void Service::tick(uint64_t now_tsc)
{
    for (size_t i = 0; i < ctx_.workers.size(); ++i) {
        const uint64_t loops = ctx_.workers[i]->loops();
        if (loops != health_[i].loops.load(std::memory_order_relaxed)) {
            health_[i].loops.store(loops, std::memory_order_relaxed);
            health_[i].progress_tsc.store(now_tsc, std::memory_order_relaxed);
        }
    }
    for (size_t i = 0; i < ctx_.ports.size(); ++i) {
        rte_eth_link link{};
        if (rte_eth_link_get_nowait(ctx_.ports[i].id, &link) == 0)
            link_up_[i].store(link.link_status == RTE_ETH_LINK_UP, std::memory_order_relaxed);
    }
    last_tick_tsc_.store(now_tsc, std::memory_order_relaxed);
}

bool Service::healthy() const noexcept
{
    for (size_t i = 0; i < ctx_.ports.size(); ++i)
        if (!link_up_[i].load(std::memory_order_relaxed))
            return false;
    return workers_polling();
}

bool Service::workers_polling() const noexcept
{
    const uint64_t now = last_tick_tsc_.load(std::memory_order_relaxed);
    for (size_t i = 0; i < ctx_.workers.size(); ++i) {
        const uint64_t since = now - std::min(now, health_[i].progress_tsc.load(std::memory_order_relaxed));
        if (ctx_.workers[i]->loops() == 0 || since * 1000 / ctx_.tsc_hz > ctx_.health_window_ms)
            return false;
    }
    return !ctx_.workers.empty();
}

json Service::health() const
{
    const uint64_t now = last_tick_tsc_.load(std::memory_order_relaxed);
    json workers = json::array();
    for (size_t i = 0; i < ctx_.workers.size(); ++i) {
        const uint64_t since = now - std::min(now, health_[i].progress_tsc.load(std::memory_order_relaxed));
        const uint64_t ms = since * 1000 / ctx_.tsc_hz;
        workers.push_back({{"id", i},
                           {"loops", ctx_.workers[i]->loops()},
                           {"last_progress_ms", ms},
                           {"polling", ctx_.workers[i]->loops() != 0 && ms <= ctx_.health_window_ms}});
    }
    json links = json::array();
    for (size_t i = 0; i < ctx_.ports.size(); ++i)
        links.push_back({{"port", ctx_.ports[i].name}, {"role", ctx_.ports[i].role},
                         {"link_up", link_up_[i].load(std::memory_order_relaxed)}});
    return {{"healthy", healthy()}, {"workers", workers}, {"links", links},
            {"uptime_s", (rte_rdtsc() - ctx_.start_tsc) / ctx_.tsc_hz}};
}

void Service::save_runtime_bib(json& reply) const
{
    const std::string& path = ctx_.cfg->bib_state;
    if (path.empty()) {
        reply["kept"] = "until nat64d stops (control.bib_state is not set)";
        return;
    }
    try {
        save_bib_state(path, *ctx_.runtime_bib);
        reply["kept"] = path;
    } catch (const std::exception& e) {
        // The mapping itself is in force; only its record is not.
        reply["not_kept"] = e.what();
    }
}

FlowFilter Service::with_subscriber_len(FlowFilter f) const
{
    if (f.subscriber && !f.prefix_len_given)
        f.prefix_len = ctx_.cfg->subscriber_prefix_len;
    return f;
}

json Service::subscribers(SubscriberSort sort, uint32_t limit) const
{
    const dp::SubscriberTable* table = ctx_.flows->subscribers();
    if (table == nullptr)
        throw RequestError("no subscriber limit is set ([limits] subscriber_*), so nat64d does not track "
                           "subscribers; `flows --subscriber ADDRESS` lists one subscriber's sessions");
    // The table holds at most limits.subscribers entries: one pass, sorted here.
    std::vector<dp::SubscriberInfo> all;
    all.reserve(table->count());
    table->visit([&](const dp::SubscriberInfo& s) {
        all.push_back(s);
        return true;
    });
    const auto key = [sort](const dp::SubscriberInfo& s) -> uint64_t {
        switch (sort) {
        case SubscriberSort::sessions:
            return s.sessions;
        case SubscriberSort::refused:
            return s.refused_sessions + s.refused_ports + s.refused_rate;
        case SubscriberSort::ports:
            break;
        }
        return s.ports_total();
    };
    const size_t shown = std::min<size_t>(limit, all.size());
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(shown), all.end(),
                      [&](const dp::SubscriberInfo& a, const dp::SubscriberInfo& b) { return key(a) > key(b); });
    const dp::SubscriberLimits l = table->limits();
    json rows = json::array();
    for (size_t i = 0; i < shown; ++i) {
        const dp::SubscriberInfo& s = all[i];
        rows.push_back({{"subscriber", fmt::format("{}/{}", format_ip6(s.prefix), table->prefix_len())},
                        {"sessions", s.sessions},
                        {"tcp_ports", s.ports[static_cast<uint32_t>(nat::PortProto::tcp)]},
                        {"udp_ports", s.ports[static_cast<uint32_t>(nat::PortProto::udp)]},
                        {"icmp_ids", s.ports[static_cast<uint32_t>(nat::PortProto::icmp)]},
                        {"refused_sessions", s.refused_sessions},
                        {"refused_ports", s.refused_ports},
                        {"refused_rate", s.refused_rate}});
    }
    return {{"subscribers", rows},
            {"tracked", all.size()},
            {"capacity", table->capacity()},
            {"limits",
             {{"sessions", l.sessions},
              {"tcp_ports", l.ports[static_cast<uint32_t>(nat::PortProto::tcp)]},
              {"udp_ports", l.ports[static_cast<uint32_t>(nat::PortProto::udp)]},
              {"icmp_ids", l.ports[static_cast<uint32_t>(nat::PortProto::icmp)]},
              {"new_sessions_per_s", l.new_sessions_per_s}}}};
}

json Service::stats() const
{
    StatsSources src;
    src.workers = ctx_.workers;
    src.flows = ctx_.flows;
    src.ports = ctx_.ports;
    src.neighbours = ctx_.neighbours;
    src.uptime_s = (rte_rdtsc() - ctx_.start_tsc) / ctx_.tsc_hz;
    src.events_written = events_written_.load(std::memory_order_relaxed);
    if (ipfix_counters_ != nullptr) {   // another thread (telemetry) may ask: never the exporter itself
        const ipfix::ExporterCounters& c = *ipfix_counters_;
        src.ipfix_records_sent = c.records_sent.load(std::memory_order_relaxed);
        src.ipfix_messages_sent = c.messages_sent.load(std::memory_order_relaxed);
        src.ipfix_send_errors = c.send_errors.load(std::memory_order_relaxed);
        src.ipfix_records_skipped = c.records_skipped.load(std::memory_order_relaxed);
    }
    src.injector = ctx_.injector;
    src.mbufs = ctx_.mbufs;
    src.ager_passes = ctx_.ager_passes != nullptr ? ctx_.ager_passes->load(std::memory_order_relaxed) : 0;
    return collect_stats(src);
}

json Service::session_row(const dp::SessionInfo& s) const
{
    // What the ager will do with it if nothing more arrives: the running
    // timeouts (a reload's included) for its protocol and TCP state.
    const uint32_t lifetime = nat::expiry_s(s.key.proto, s.tcp_state, to_nat_timeouts(ctx_.cfg->timeouts));
    json r{{"proto", proto_name(s.key.proto)},
           {"ipv6", format_ip6(s.key.src)},
           {"port6", s.key.sport},
           {"public", format_ip4(s.pub4)},
           {"public_port", s.pub_port},
           {"dst", format_ip4(s.key.dst4)},
           {"dport", s.key.dport},
           {"idle_s", s.idle_s},
           {"expires_in_s", lifetime > s.idle_s ? lifetime - s.idle_s : 0}};
    if (s.key.proto == kProtoTcp)
        r["state"] = std::string(nat::tcp_state_name(s.tcp_state));
    return r;
}

json Service::mapping_row(const dp::MappingInfo& m)
{
    return {{"proto", proto_name(m.key.proto)},
            {"ipv6", format_ip6(m.key.src)},
            {"port6", m.key.sport},
            {"public", format_ip4(m.pub4)},
            {"public_port", m.pub_port},
            {"static", m.is_static},
            {"sessions", m.sessions}};
}

// `flows` and `bib list` in slices: a table of millions of entries is walked
// kListPositionsPerSlice positions per control-loop pass, so one listing (or
// sixteen) never keeps the ager, the event log or other clients waiting.
Reply Service::list_reply(const FlowFilter& f, bool mappings)
{
    struct Listing {
        FlowFilter filter;
        bool mappings;
        uint32_t pos = 0;
        uint32_t rows = 0;
        bool truncated = false;
    };
    auto st = std::make_shared<Listing>(Listing{f, mappings});
    Reply r;
    r.text = fmt::format("{{\"ok\":true,\"result\":{{\"{}\":[", mappings ? "mappings" : "flows");
    r.more = [this, st](std::string& out) {
        const FlowFilter& flt = st->filter;
        uint32_t in_slice = 0;
        const auto add = [&](const json& row) {
            if (st->rows >= flt.limit) {
                st->truncated = true;
                return false;
            }
            out += st->rows++ == 0 ? "" : ",";
            out += row.dump(-1, ' ', false, json::error_handler_t::replace);
            return ++in_slice < kListRowsPerSlice;
        };
        uint32_t end = 0;
        if (st->mappings) {
            st->pos = ctx_.flows->visit_mappings(st->pos, kListPositionsPerSlice, [&](const dp::MappingInfo& m) {
                return !filter_matches(flt, m.key.proto, m.key.src, m.pub4, m.pub_port) || add(mapping_row(m));
            });
            end = ctx_.flows->mapping_positions();
        } else {
            const uint32_t now = now_s(rte_rdtsc());
            st->pos = ctx_.flows->visit_sessions(st->pos, kListPositionsPerSlice, now, [&](const dp::SessionInfo& s) {
                return !filter_matches(flt, s.key.proto, s.key.src, s.pub4, s.pub_port) || add(session_row(s));
            });
            end = ctx_.flows->session_positions();
        }
        if (!st->truncated && st->pos < end)
            return false;
        out += fmt::format("],\"truncated\":{}}}}}\n", st->truncated ? "true" : "false");
        return true;
    };
    return r;
}

json Service::serve(const Request& r)
{
    switch (r.cmd) {
    case Command::stats:
        return stats();
    case Command::health:
        return health();
    case Command::config:
        return config_to_json(*ctx_.cfg);
    case Command::reload:
        if (!ctx_.reload)
            throw RequestError("reload is not offered by this nat64d");
        return ctx_.reload();
    case Command::flows:
    case Command::bib_list:
        break;   // made in slices by handle()
    case Command::subscribers:
        return subscribers(r.sort, r.filter.limit);
    case Command::subscriber_clear: {
        const FlowFilter f = with_subscriber_len(r.filter);
        xlate::Prefix6 p;
        p.len = f.prefix_len;
        p.addr = xlate::mask_prefix(*f.addr6, f.prefix_len);
        const uint32_t removed = ctx_.flows->remove_sessions_in(p, now_s(rte_rdtsc()));
        return {{"subscriber", fmt::format("{}/{}", format_ip6(p.addr), p.len)}, {"sessions", removed}};
    }
    case Command::bib_add: {
        const BibEntry& b = r.bib;
        // The rules static.bib has at start (one place for both).
        StaticBib sb;
        sb.proto = b.proto6;
        sb.addr6 = b.addr6;
        sb.port6 = b.port6;
        sb.addr4 = b.addr4;
        sb.port4 = b.port4;
        if (const std::string why = why_not_static_bib(sb, *ctx_.cfg); !why.empty())
            throw RequestError(fmt::format("{} -> {}:{}: {}", bib_text(b.proto6, b.addr6, b.port6),
                                           format_ip4(b.addr4), b.port4, why));
        uint32_t addr_index = 0;
        nat::PortProto proto;
        if (!ctx_.flows->ports().find_address(b.addr4, addr_index))
            throw RequestError(fmt::format("{} -> {}:{}: {} is not a pool address", bib_text(b.proto6, b.addr6, b.port6),
                                           format_ip4(b.addr4), b.port4, format_ip4(b.addr4)));
        if (!nat::port_proto_of(b.proto6, proto) || !ctx_.flows->ports().in_range(proto, b.port4))
            throw RequestError(fmt::format("{} -> {}:{}: public port outside the {} range of the pool",
                                           bib_text(b.proto6, b.addr6, b.port6), format_ip4(b.addr4), b.port4,
                                           proto_name(b.proto6)));
        const dp::StaticMapping sm{b.proto6, b.addr6, b.port6, b.addr4, b.port4};
        if (!ctx_.flows->add_static(sm))
            throw RequestError(fmt::format("{} -> {}:{}: collides with an existing mapping (the IPv6 side is "
                                           "mapped or the public port is in use)",
                                           bib_text(b.proto6, b.addr6, b.port6), format_ip4(b.addr4), b.port4));
        json reply{{"added", bib_text(b.proto6, b.addr6, b.port6)}};
        if (ctx_.runtime_bib != nullptr) {
            sb.text = format_static_bib(sb);
            ctx_.runtime_bib->push_back(sb);
            save_runtime_bib(reply);
        }
        return reply;
    }
    case Command::bib_del: {
        const BibEntry& b = r.bib;
        const uint32_t now = now_s(rte_rdtsc());
        if (ctx_.flows->del_static(b.proto6, b.addr6, b.port6, now)) {
            json reply{{"deleted", bib_text(b.proto6, b.addr6, b.port6)}};
            if (ctx_.runtime_bib != nullptr &&
                std::erase_if(*ctx_.runtime_bib, [&](const StaticBib& x) {
                    return x.proto == b.proto6 && x.addr6 == b.addr6 && x.port6 == b.port6;
                }) != 0)
                save_runtime_bib(reply);
            return reply;
        }
        // A dynamic mapping ends with its sessions (a subscriber to cut off,
        // a stuck mapping to reset).
        const int64_t sessions = ctx_.flows->del_dynamic(b.proto6, b.addr6, b.port6, now);
        if (sessions < 0)
            throw RequestError(fmt::format("{}: no mapping", bib_text(b.proto6, b.addr6, b.port6)));
        return {{"deleted", bib_text(b.proto6, b.addr6, b.port6)}, {"sessions", sessions}};
    }
    }
    throw RequestError("unknown command");
}

Reply Service::handle(const std::string& line)
{
    Request req;
    try {
        req = parse_request(line);
    } catch (const RequestError& e) {
        return {error_reply(e.what()), true};   // malformed: answer, then close
    } catch (const std::exception& e) {
        return {error_reply(std::string("malformed request: ") + e.what()), true};
    }
    try {
        if (req.cmd == Command::flows || req.cmd == Command::bib_list)
            return list_reply(with_subscriber_len(req.filter), req.cmd == Command::bib_list);
        return {ok_reply(serve(req)), false};
    } catch (const RequestError& e) {
        return {error_reply(e.what()), false};   // well-formed but refused: the connection stays
    } catch (const std::exception& e) {
        return {error_reply(std::string("internal error: ") + e.what()), false};
    }
}

int64_t Service::unix_ms_of(uint64_t tsc) const noexcept
{
    // Signed: a worker's event may carry a TSC read just before start_tsc.
    const auto delta = static_cast<int64_t>(tsc - ctx_.start_tsc);
    const auto hz = static_cast<int64_t>(ctx_.tsc_hz);
    return ctx_.start_unix_ms + delta / hz * 1000 + delta % hz * 1000 / hz;
}

uint32_t Service::drain_events()
{
    const bool to_log = log_ != nullptr && log_->enabled();
    ipfix::IpfixExporter* const ipfix = exporter();
    if (!to_log && ipfix == nullptr)
        return 0;
    const int64_t now_ms = unix_ms_of(rte_rdtsc());
    uint32_t total = 0;
    while (total < kEventsPerPass) {
        const uint32_t n = ctx_.flows->drain_events(event_batch_.data(), kEventBatch);
        for (uint32_t i = 0; i < n; ++i) {
            const dp::FlowEvent& e = event_batch_[i];
            const int64_t when = unix_ms_of(e.tsc);
            if (to_log)
                log_->write(format_event(e, when));
            if (ipfix != nullptr)
                ipfix->add(e, when, now_ms);
        }
        total += n;
        if (n < kEventBatch)
            break;
    }
    // Every pass, events or not: the templates' refresh timer runs here too.
    if (ipfix != nullptr)
        ipfix->flush(now_ms);
    if (!to_log)
        return total;
    const uint64_t lost = ctx_.flows->stats().events_lost;
    if (lost != events_lost_reported_) {
        log_->write(format_events_lost(lost - events_lost_reported_, now_ms));
        events_lost_reported_ = lost;
    }
    if (total != 0)
        log_->flush();
    events_written_.store(events_written_.load(std::memory_order_relaxed) + total, std::memory_order_relaxed);
    return total;
}

} // namespace nat64d::ctl
