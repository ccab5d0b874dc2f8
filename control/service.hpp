// What the control thread serves: management requests (control/protocol.hpp),
// worker health, and the NAT event log drained from the flow table's rings.
// Everything here runs on the control thread unless it says "any thread".
#pragma once
#include <atomic>
#include <functional>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "control/config/config.hpp"
#include "control/event_log.hpp"
#include "control/ipfix.hpp"
#include "control/protocol.hpp"
#include "control/socket_server.hpp"
#include "control/stats.hpp"
#include "dataplane/nat/timeouts.hpp"

namespace nat64d::ctl {

/// A worker counts as polling while its loop counter moved within this window
/// (ServiceContext::health_window_ms; at least this, so a worker the shared
/// machine's scheduler holds back a moment is not taken for a dead one).
inline constexpr uint64_t kHealthWindowMs = 250;

/// The session timers of a configuration, as the ager and the workers take them.
inline nat::Timeouts to_nat_timeouts(const Timeouts& t)
{
    nat::Timeouts n;
    n.udp_s = t.udp_s;
    n.tcp_established_s = t.tcp_established_s;
    n.tcp_transitory_s = t.tcp_transitory_s;
    n.icmp_s = t.icmp_s;
    n.tcp_incoming_syn_s = t.tcp_incoming_syn_s;
    return n;
}

struct ServiceContext {
    const Config* cfg = nullptr;
    dp::FlowTable* flows = nullptr;
    std::vector<const dp::Worker*> workers;
    std::vector<PortRef> ports;
    const nat::NeighbourCache* neighbours = nullptr;
    uint64_t start_tsc = 0;      // the control clock's zero
    uint64_t tsc_hz = 1;
    int64_t start_unix_ms = 0;   // wall time at start_tsc, for event times
    uint64_t health_window_ms = kHealthWindowMs;
    const dp::KernelInjector* injector = nullptr;   // the exception path's, if any
    const rte_mempool* mbufs = nullptr;             // the packet pool, for its use
    const std::atomic<uint64_t>* ager_passes = nullptr;
    // Static mappings added at run time, kept in cfg->bib_state when set.
    std::vector<StaticBib>* runtime_bib = nullptr;
    // `reload`: re-reads the file and applies it (control thread); throws
    // RequestError with a line per key it refuses. Empty: not offered.
    std::function<nlohmann::json()> reload;
};

class Service {
public:
    /// log may be null or off, *ipfix null (no collector); drain_events feeds
    /// whichever is on. *ipfix is read on each pass, so a reload may replace
    /// it (control thread only); the counters outlive every exporter.
    Service(ServiceContext ctx, EventLog* log, const std::unique_ptr<ipfix::IpfixExporter>* ipfix = nullptr,
            const ipfix::ExporterCounters* ipfix_counters = nullptr);

    /// One request line -> one reply line. Never throws.
    Reply handle(const std::string& line);

    /// Any thread.
    nlohmann::json stats() const;
    nlohmann::json health() const;
    /// Every worker polls and every data port has link: the box can carry
    /// traffic (what the health interface and `nat64ctl health` say).
    bool healthy() const noexcept;
    /// Every worker polls: the process works (what the watchdog pings for; a
    /// cable pulled is no reason to restart it).
    bool workers_polling() const noexcept;

    /// Once per control-loop pass: health bookkeeping.
    void tick(uint64_t now_tsc);
    /// Hands pending NAT events to the log and the IPFIX exporter; returns how many.
    uint32_t drain_events();

    uint32_t now_s(uint64_t tsc) const noexcept
    {
        return static_cast<uint32_t>((tsc - ctx_.start_tsc) / ctx_.tsc_hz);
    }

private:
    int64_t unix_ms_of(uint64_t tsc) const noexcept;
    Reply list_reply(const FlowFilter& f, bool mappings);
    // A `subscriber` filter without a length gets nat64.subscriber_prefix_len.
    FlowFilter with_subscriber_len(FlowFilter f) const;
    nlohmann::json subscribers(SubscriberSort sort, uint32_t limit) const;
    // Writes the runtime static mappings to control.bib_state, saying so in `reply`.
    void save_runtime_bib(nlohmann::json& reply) const;
    nlohmann::json session_row(const dp::SessionInfo& s) const;
    static nlohmann::json mapping_row(const dp::MappingInfo& m);
    nlohmann::json serve(const Request& r);

    struct WorkerHealth {
        std::atomic<uint64_t> loops{0};
        std::atomic<uint64_t> progress_tsc{0};   // when loops last moved
    };
    ServiceContext ctx_;
    EventLog* log_;
    const std::unique_ptr<ipfix::IpfixExporter>* ipfix_;
    const ipfix::ExporterCounters* ipfix_counters_;
    ipfix::IpfixExporter* exporter() const noexcept { return ipfix_ == nullptr ? nullptr : ipfix_->get(); }
    std::unique_ptr<WorkerHealth[]> health_;
    std::unique_ptr<std::atomic<bool>[]> link_up_;   // [ctx_.ports index], from tick()
    std::atomic<uint64_t> last_tick_tsc_{0};
    std::atomic<uint64_t> events_written_{0};
    uint64_t events_lost_reported_ = 0;
    std::vector<dp::FlowEvent> event_batch_;
};

} // namespace nat64d::ctl
