// nat64d: parse and validate the configuration, start DPDK and the ports,
// launch the workers and run the control loop (ageing, the management socket,
// telemetry, the NAT event log, idle exit) until a signal. Everything here may
// throw; main() turns that into one line and exit 1.
#include <bsd/libutil.h>
#include <chrono>
#include <algorithm>
#include <csignal>
#include <grp.h>
#include <pwd.h>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pdump.h>

#include "control/config/load.hpp"
#include "control/config/reload.hpp"
#include "control/ager_pacing.hpp"
#include "control/bib_state.hpp"
#include "control/event_log.hpp"
#include "control/ipfix.hpp"
#include "control/service.hpp"
#include "control/socket_server.hpp"
#include "control/stats.hpp"
#include "control/systemd_notify.hpp"
#include "control/telemetry.hpp"
#include "dataplane/flow/flow_table.hpp"
#include "dataplane/io/kernel_port.hpp"
#include "dataplane/io/port.hpp"
#include "dataplane/io/unmap_guard.hpp"
#include "dataplane/worker/mesh.hpp"
#include "dataplane/worker/worker.hpp"

namespace nat64d::ctl {
namespace {

std::atomic<bool> g_stop{false};   // set by the signal handler; relaxed: only ever goes true
std::atomic<bool> g_reopen{false}; // SIGHUP: reload the file, reopen the event log (logrotate); relaxed
// The command line, read again by a reload: the same file and flags as at start.
int g_argc = 0;
char** g_argv = nullptr;

void on_signal(int) { g_stop.store(true, std::memory_order_relaxed); }
void on_hup(int) { g_reopen.store(true, std::memory_order_relaxed); }

constexpr int kControlPollMs = 10;
constexpr int kControlPollInjectMs = 1;

SocketOwner socket_owner(const Config& cfg)
{
    SocketOwner o;
    if (!cfg.socket_owner.empty()) {
        const passwd* pw = getpwnam(cfg.socket_owner.c_str());
        if (pw == nullptr)
            throw dp::StartupError(fmt::format("control.socket_owner = {}: no such user", cfg.socket_owner));
        o.uid = pw->pw_uid;
    }
    if (!cfg.socket_group.empty()) {
        const group* gr = getgrnam(cfg.socket_group.c_str());
        if (gr == nullptr)
            throw dp::StartupError(fmt::format("control.socket_group = {}: no such group", cfg.socket_group));
        o.gid = gr->gr_gid;
    }
    return o;
}

// The pidfile guards against a second instance; an empty path means none.
struct PidFile {
    pidfh* handle = nullptr;
    explicit PidFile(const std::string& path)
    {
        if (path.empty())
            return;
        ensure_parent_dir(path);
        pid_t other = 0;
        handle = pidfile_open(path.c_str(), 0644, &other);
        if (handle == nullptr) {
            if (errno == EEXIST)
                throw dp::StartupError(fmt::format("another nat64d (pid {}) holds {}", other, path));
            throw dp::StartupError(fmt::format("pidfile {}: {}", path, std::strerror(errno)));
        }
        pidfile_write(handle);
    }
    ~PidFile()
    {
        if (handle != nullptr)
            pidfile_remove(handle);
    }
    PidFile(const PidFile&) = delete;
    PidFile& operator=(const PidFile&) = delete;
};

std::string format_mac_of(const rte_ether_addr& e)
{
    MacAddr m;
    std::memcpy(m.bytes.data(), e.addr_bytes, 6);
    return format_mac(m);
}

int worker_main(void* arg)
{
    static_cast<dp::Worker*>(arg)->run(g_stop);
    return 0;
}

int run_dataplane(const Config& cfg, const std::vector<unsigned>& worker_lcores);

} // namespace

// Signals first: a SIGTERM that arrives while the EAL starts (a service
// manager stopping a slow start) must end nat64d the clean way, pidfile removed.
void install_signal_handlers()
{
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::signal(SIGHUP, on_hup);
    std::signal(SIGPIPE, SIG_IGN);
}

namespace {

// What most often makes the EAL fail on a new box is memory: DPDK wants
// hugepages unless told otherwise, and says only "Permission denied" or
// "Cannot allocate memory" when there are none.
std::string eal_failure_hint(const std::vector<std::string>& eal_args)
{
    const bool no_huge = std::find(eal_args.begin(), eal_args.end(), "--no-huge") != eal_args.end();
    long free_pages = -1;
    if (std::FILE* f = std::fopen("/proc/meminfo", "r")) {
        char line[128];
        while (std::fgets(line, sizeof line, f) != nullptr)
            if (std::sscanf(line, "HugePages_Free: %ld", &free_pages) == 1)
                break;
        std::fclose(f);
    }
    if (!no_huge && free_pages == 0)
        return "no free hugepages (HugePages_Free: 0 in /proc/meminfo): reserve some, e.g. "
               "echo 512 > /proc/sys/vm/nr_hugepages (2 MiB pages: 1 GiB) with hugetlbfs mounted "
               "(systemd mounts /dev/hugepages), or run on ordinary memory with \"--no-huge\", \"-m\", \"512\" "
               "in [eal] args (tests, laptops; not for production rates)";
    return "check [eal] args";
}

// dpdk-dumpcap and dpdk-pdump capture what the ports carry by attaching to
// nat64d as DPDK secondary processes: nat64d only answers their requests
// (rte_pdump); nothing runs on the fast path until a capture starts. A
// secondary maps the primary's memory, so it needs hugepages: with --no-huge
// or --in-memory there is nothing to attach to, and nat64d says so.
bool offer_packet_capture(const Config& cfg)
{
    const auto has = [&](std::string_view flag) {
        return std::any_of(cfg.eal_args.begin(), cfg.eal_args.end(),
                           [&](const std::string& a) { return a == flag || a.rfind(std::string(flag) + "=", 0) == 0; });
    };
    std::string prefix = "rte";
    for (size_t i = 0; i < cfg.eal_args.size(); ++i)
        if (cfg.eal_args[i] == "--file-prefix" && i + 1 < cfg.eal_args.size())
            prefix = cfg.eal_args[i + 1];
        else if (cfg.eal_args[i].rfind("--file-prefix=", 0) == 0)
            prefix = cfg.eal_args[i].substr(14);
    if (has("--no-huge") || has("--in-memory") || has("--no-shconf")) {
        fmt::print("nat64d: packet capture (dpdk-dumpcap): not offered: [eal] args run without shared hugepage "
                   "memory (--no-huge, --in-memory or --no-shconf), which a capture process must map\n");
        return false;
    }
    if (rte_pdump_init() != 0) {
        fmt::print("nat64d: packet capture (dpdk-dumpcap): not offered: {}\n", rte_strerror(rte_errno));
        return false;
    }
    fmt::print("nat64d: packet capture: dpdk-dumpcap --file-prefix {} -i PORT -w FILE (as root)\n", prefix);
    return true;
}

int run(const Config& cfg)
{
    PidFile pid(cfg.pidfile);

    // net_tap logs its missing multiq qdisc and rte_flow support (a kernel
    // without sch_multiq) as errors; nat64d uses neither, so they are not
    // shown unless [eal] args ask for net_tap's log (later args win).
    std::vector<std::string> args{"nat64d", "--log-level=pmd.net.tap:critical"};
    args.insert(args.end(), cfg.eal_args.begin(), cfg.eal_args.end());
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    if (rte_eal_init(static_cast<int>(argv.size()), argv.data()) < 0)
        throw dp::StartupError(fmt::format("EAL init failed: {} ({})", rte_strerror(rte_errno), eal_failure_hint(cfg.eal_args)));
    // EAL installs nothing of its own for these, but be sure ours are in place.
    install_signal_handlers();
    if (g_stop.load(std::memory_order_relaxed)) {
        rte_eal_cleanup();
        return 0;
    }

    // One worker lcore per configured worker, besides the main lcore (control).
    std::vector<unsigned> worker_lcores;
    for (unsigned l = rte_get_next_lcore(rte_get_main_lcore(), 1, 0); l < RTE_MAX_LCORE && worker_lcores.size() < cfg.workers;
         l = rte_get_next_lcore(l, 1, 0))
        worker_lcores.push_back(l);
    if (worker_lcores.size() < cfg.workers) {
        rte_eal_cleanup();
        throw dp::StartupError(fmt::format(
            "ports.workers = {} needs {} lcores (the main one for control and one per worker), [eal] args give {}: "
            "add e.g. \"--lcores=0-{}\" (on fewer CPUs, map them: \"--lcores=0@0,(1-{})@1\")",
            cfg.workers, cfg.workers + 1, worker_lcores.size() + 1, cfg.workers, cfg.workers));
    }

    const bool capture = offer_packet_capture(cfg);
    const int exit_code = run_dataplane(cfg, worker_lcores);
    if (capture)
        rte_pdump_uninit();
    rte_eal_cleanup();
    return exit_code;
}

// Every worker idle for idle_ms: the capture is done (packet tests). A worker's
// timestamp may be newer than `now` (it stores it after we read the clock):
// then it is not idle, and the difference must not wrap.
bool all_idle(const std::vector<std::unique_ptr<dp::Worker>>& workers, uint64_t now, uint64_t hz, uint32_t idle_ms)
{
    for (const auto& w : workers) {
        const uint64_t last = w->last_rx_tsc();
        if (!w->polling() || last >= now || (now - last) * 1000 / hz < idle_ms)
            return false;
    }
    return true;
}

dp::SubscriberLimits subscriber_limits(const Config& c)
{
    dp::SubscriberLimits l;
    l.sessions = c.subscriber_sessions;
    l.ports[static_cast<uint32_t>(nat::PortProto::tcp)] = c.subscriber_tcp_ports;
    l.ports[static_cast<uint32_t>(nat::PortProto::udp)] = c.subscriber_udp_ports;
    l.ports[static_cast<uint32_t>(nat::PortProto::icmp)] = c.subscriber_icmp_ids;
    l.new_sessions_per_s = c.subscriber_new_sessions_per_s;
    return l;
}

// The IPFIX exporter a configuration asks for, on counters that outlive it;
// null without a collector. Throws (naming the key) if its socket fails.
std::unique_ptr<ipfix::IpfixExporter> make_ipfix_exporter(const Config& c, ipfix::ExporterCounters& counters)
{
    if (c.ipfix_collector.empty())
        return nullptr;
    ipfix::EncoderSettings es;
    es.observation_domain_id = c.ipfix_domain_id;
    es.max_message_bytes = c.ipfix_mtu;
    es.template_refresh_s = c.ipfix_template_refresh_s;
    es.prefix = c.prefix;
    return std::make_unique<ipfix::IpfixExporter>(c.ipfix_collector_addr, es, counters);
}

bool ipfix_settings_differ(const Config& a, const Config& b)
{
    return a.ipfix_collector != b.ipfix_collector || a.ipfix_domain_id != b.ipfix_domain_id ||
           a.ipfix_mtu != b.ipfix_mtu || a.ipfix_template_refresh_s != b.ipfix_template_refresh_s;
}

// A reload: the command line read again, compared key by key with what runs
// (control/config/reload.hpp). Keys only a restart can change refuse the
// whole reload, and so does a file that does not load: nothing changes. The
// rest is applied with every session kept: timeouts and ICMP limits to the
// ager and the workers (LiveSettings), static BIB entries removed and added.
nlohmann::json reload_running(Config& running, dp::FlowTable& flows, nat::PortAllocator& ports, EventLog& events,
                              std::unique_ptr<ipfix::IpfixExporter>& ipfix_export,
                              ipfix::ExporterCounters& ipfix_counters, dp::LiveSettings& live,
                              nat::Timeouts& ager_timeouts, uint32_t now_s)
{
    Config next;
    try {
        next = parse_command_line(g_argc, g_argv).config;
    } catch (const ConfigError& e) {
        throw RequestError(fmt::format("{}\nnothing changed: the file does not load", e.what()));
    }
    ReloadPlan plan = plan_reload(running, next);
    // pool.addresses: an address taken out drains (no new mapping, the live
    // ones stay until they expire), one put back returns, a new one joins
    // (up to the allocator's room). Deterministic mode maps subscribers onto
    // the start's addresses, so any change there needs a restart; so does
    // adding the box's own address (its kernel's ports are set aside at start).
    std::vector<Ip4> added;
    for (const Ip4 a : next.pool)
        if (uint32_t i = 0; !ports.find_address(a, i))
            added.push_back(a);
    const auto pool_change = std::find_if(plan.restart.begin(), plan.restart.end(),
                                          [](const KeyChange& c) { return c.key == "pool.addresses"; });
    if (pool_change != plan.restart.end() && next.deterministic == nat::DeterministicOrder::off) {
        if (ports.address_count() + added.size() > ports.capacity())
            throw RequestError(fmt::format("config: pool.addresses: {} new address(es) on top of {}: a running "
                                           "nat64d holds at most {}; needs a restart\nnothing changed",
                                           added.size(), ports.address_count(), ports.capacity()));
        if (std::find(added.begin(), added.end(), running.outside_ip4) != added.end())
            throw RequestError(fmt::format("config: pool.addresses: {} is the box's own address (outside.ip4): "
                                           "adding it needs a restart\nnothing changed",
                                           format_ip4(running.outside_ip4)));
        plan.apply.push_back(*pool_change);
        plan.restart.erase(pool_change);
    }
    if (!plan.restart.empty())
        throw RequestError(restart_refusal(plan.restart) + "\nnothing changed");
    // Subscriber limits change live only while the subscriber table exists,
    // which it does when some limit was set at start.
    if (flows.subscribers() == nullptr && subscriber_limits(next).any())
        throw RequestError("config: limits.subscriber_*: no subscriber limit was set at start; turning one on "
                           "needs a restart\nnothing changed");

    nlohmann::json applied = nlohmann::json::array(), not_applied = nlohmann::json::array();
    const auto same = [](const StaticBib& a, const StaticBib& b) {
        return a.proto == b.proto && a.addr6 == b.addr6 && a.port6 == b.port6 && a.addr4 == b.addr4 &&
               a.port4 == b.port4;
    };
    const auto listed = [&](const std::vector<StaticBib>& list, const StaticBib& b) {
        return std::any_of(list.begin(), list.end(), [&](const StaticBib& x) { return same(x, b); });
    };
    std::vector<StaticBib> installed;
    for (const StaticBib& b : running.static_bib) {
        if (listed(next.static_bib, b))
            installed.push_back(b);
        else
            (void)flows.del_static(b.proto, b.addr6, b.port6, now_s);   // its sessions go with it
    }
    for (const StaticBib& b : next.static_bib) {
        if (listed(running.static_bib, b))
            continue;
        if (flows.add_static({b.proto, b.addr6, b.port6, b.addr4, b.port4}))
            installed.push_back(b);
        else
            not_applied.push_back(fmt::format("static.bib = {}: collides with a live mapping (the IPv6 side is "
                                              "mapped or the public port is in use); not added",
                                              b.text));
    }

    dp::LiveValues v;
    v.timeouts = to_nat_timeouts(next.timeouts);
    v.icmp_errors_per_s = next.icmp_errors_per_s == 0 ? 0 : std::max(1u, next.icmp_errors_per_s / next.workers);
    v.icmp_errors_per_subscriber_per_s = next.icmp_errors_per_subscriber_per_s;
    live.publish(v);
    ager_timeouts = v.timeouts;
    for (const Ip4 a : added)
        if (const char* why = flows.add_pool_address(a)) {
            not_applied.push_back(fmt::format("pool.addresses: {}: {}; not added", format_ip4(a), why));
            next.pool.erase(std::find(next.pool.begin(), next.pool.end(), a));
        }
    for (uint32_t a = 0; a < ports.address_count(); ++a) {
        const bool out = std::find(next.pool.begin(), next.pool.end(), ports.address(a)) == next.pool.end();
        if (out != ports.draining(a) && !ports.set_draining(a, out))
            not_applied.push_back(fmt::format("pool.addresses: {} would leave no address to map to; not drained",
                                              format_ip4(ports.address(a))));
    }
    if (flows.subscribers() != nullptr)
        flows.subscribers()->set_limits(subscriber_limits(next));
    bool log_kept = false;
    if (next.log_file != running.log_file || next.log_syslog != running.log_syslog) {
        if (const std::string why = events.retarget(next.log_file, next.log_syslog); !why.empty()) {
            log_kept = true;
            not_applied.push_back(why + "; the event log goes on as it was");
            next.log_file = running.log_file;
            next.log_syslog = running.log_syslog;
        }
    }
    bool ipfix_kept = false;
    if (ipfix_settings_differ(running, next)) {
        // The new exporter first: if its socket fails, the old one goes on.
        try {
            ipfix_export = make_ipfix_exporter(next, ipfix_counters);
        } catch (const std::exception& e) {
            ipfix_kept = true;
            not_applied.push_back(fmt::format("{}; the IPFIX export goes on as it was", e.what()));
            next.ipfix_collector = running.ipfix_collector;
            next.ipfix_collector_addr = running.ipfix_collector_addr;
            next.ipfix_domain_id = running.ipfix_domain_id;
            next.ipfix_mtu = running.ipfix_mtu;
            next.ipfix_template_refresh_s = running.ipfix_template_refresh_s;
        }
    }
    flows.set_events(!next.log_file.empty() || next.log_syslog || !next.ipfix_collector.empty());

    // The file's order of static entries, less those that did not go in.
    std::vector<StaticBib> kept;
    for (const StaticBib& b : next.static_bib)
        if (listed(installed, b))
            kept.push_back(b);
    next.static_bib = kept;
    running = next;
    for (const KeyChange& c : plan.apply)
        if ((!log_kept || (c.key != "control.log_file" && c.key != "control.log_syslog")) &&
            (!ipfix_kept || !c.key.starts_with("control.ipfix_")))
            applied.push_back({{"key", c.key}, {"before", c.before}, {"after", c.after}});
    return {{"applied", applied}, {"not_applied", not_applied}};
}

// SIGHUP's reload reports on stdout (the journal), as nat64ctl would.
void print_reload(const std::function<nlohmann::json()>& reload)
{
    try {
        const nlohmann::json r = reload();
        if (r["applied"].empty() && r["not_applied"].empty())
            fmt::print("nat64d: reload: nothing changed\n");
        for (const nlohmann::json& c : r["applied"])
            fmt::print("nat64d: reload: {} = {} (was {})\n", c["key"].get<std::string>(), c["after"].get<std::string>(),
                       c["before"].get<std::string>());
        for (const nlohmann::json& n : r["not_applied"])
            fmt::print("nat64d: reload: {}\n", n.get<std::string>());
    } catch (const std::exception& e) {
        fmt::print("nat64d: reload refused:\n{}\n", e.what());
    }
}

int run_dataplane(const Config& cfg, const std::vector<unsigned>& worker_lcores)
{
    const int socket = static_cast<int>(rte_socket_id());
    const auto nworkers = static_cast<uint16_t>(cfg.workers);
    rte_mempool* pool = dp::create_packet_pool("nat64d_pkts", cfg.mbufs, socket);

    rte_ether_addr inside_mac, outside_mac;
    std::memcpy(inside_mac.addr_bytes, cfg.inside.mac.bytes.data(), 6);
    std::memcpy(outside_mac.addr_bytes, cfg.outside.mac.bytes.data(), 6);
    // Each data port with a kernel interface beside it has one TX queue more
    // than workers, the control thread's (dp::KernelInjector).
    const bool one_arm = cfg.mode == ArmMode::one_arm;
    const bool inject_in = !cfg.kernel_inside_iface.empty();
    const bool inject_out = !one_arm && !cfg.kernel_outside_iface.empty();
    dp::PortSetup inside{cfg.inside.device, nworkers, static_cast<uint16_t>(nworkers + (inject_in ? 1 : 0)),
                         static_cast<uint16_t>(cfg.rx_desc),
                         static_cast<uint16_t>(cfg.tx_desc), cfg.inside.mtu_bytes,
                         cfg.inside.has_mac ? &inside_mac : nullptr};
    const dp::PortInfo in = dp::start_port(inside, pool);
    dp::PortInfo out = in;
    if (!one_arm) {
        dp::PortSetup outside{cfg.outside.device, nworkers, static_cast<uint16_t>(nworkers + (inject_out ? 1 : 0)),
                              static_cast<uint16_t>(cfg.rx_desc),
                              static_cast<uint16_t>(cfg.tx_desc), cfg.outside.mtu_bytes,
                              cfg.outside.has_mac ? &outside_mac : nullptr};
        out = dp::start_port(outside, pool);
    }
    // The exception path: the box's own addresses on kernel interfaces.
    dp::PortInfo kernel_in, kernel_out, health;
    dp::KernelInjector injector;
    std::vector<dp::KernelInjector::Path> inject_paths;
    bool inject_by_worker = false;
    bool has_kernel_in = false, has_kernel_out = false, has_health = false;
    if (!cfg.kernel_inside_iface.empty()) {
        dp::KernelPortSetup k;
        k.iface = cfg.kernel_inside_iface;
        k.mac = in.mac;
        k.queues = nworkers;
        k.mtu_bytes = cfg.inside.mtu_bytes;
        k.has_ip6 = true;
        k.ip6 = cfg.inside_ip6;
        k.prefix6 = cfg.inside_ip6_prefix_len;
        k.has_ip4 = one_arm;
        k.ip4 = cfg.outside_ip4;
        k.prefix4 = cfg.outside_ip4_prefix_len;
        kernel_in = dp::start_kernel_port(k, pool);
        has_kernel_in = true;
        inject_paths.push_back({kernel_in.id, nworkers, in.id, nworkers, static_cast<uint16_t>(cfg.inside.vlan)});
        inject_by_worker = inject_by_worker || in.tx_queues <= nworkers;
        fmt::print("nat64d: exception interface {}: {}/{}{}, MAC {} (the inside port's)\n", k.iface,
                   format_ip6(k.ip6), k.prefix6, one_arm ? fmt::format(", {}/{}", format_ip4(k.ip4), k.prefix4) : "",
                   format_mac_of(in.mac));
    }
    if (!cfg.kernel_outside_iface.empty() && !one_arm) {
        dp::KernelPortSetup k;
        k.iface = cfg.kernel_outside_iface;
        k.mac = out.mac;
        k.queues = nworkers;
        k.mtu_bytes = cfg.outside.mtu_bytes;
        k.has_ip4 = true;
        k.ip4 = cfg.outside_ip4;
        k.prefix4 = cfg.outside_ip4_prefix_len;
        kernel_out = dp::start_kernel_port(k, pool);
        has_kernel_out = true;
        inject_paths.push_back({kernel_out.id, nworkers, out.id, nworkers, static_cast<uint16_t>(cfg.outside.vlan)});
        inject_by_worker = inject_by_worker || out.tx_queues <= nworkers;
        fmt::print("nat64d: exception interface {}: {}/{}, MAC {} (the outside port's)\n", k.iface,
                   format_ip4(k.ip4), k.prefix4, format_mac_of(out.mac));
    }
    if (!inject_paths.empty()) {
        if (inject_by_worker)
            fmt::print("nat64d: exception path: the kernel's frames leave through the workers' queues ({} has no "
                       "TX queue to spare for the control thread)\n",
                       in.tx_queues <= nworkers ? in.device : out.device);
        else
            for (const dp::KernelInjector::Path& p : inject_paths)
                injector.add(p);
    }
    if (!cfg.health_iface.empty()) {
        health = dp::start_health_port(cfg.health_iface, pool);
        dp::set_kernel_port_up(health.id, false);   // up once the workers poll
        has_health = true;
    }
    if (nworkers > 1) {
        fmt::print("nat64d: {} ({}): {}\n", in.device, in.driver, in.spread);
        if (!one_arm)
            fmt::print("nat64d: {} ({}): {}\n", out.device, out.driver, out.spread);
    }

    // Public ports: the pool, the ranges, the slices (one per worker), the seed.
    nat::PortAllocConfig pcfg = port_alloc_config(cfg);
    nat::PortAllocator ports(pcfg);
    if (ports.address_count() != pcfg.pool.size())
        throw dp::StartupError(fmt::format("pool.addresses: no memory for the ports of {} address(es)",
                                           pcfg.pool.size()));

    rte_malloc_socket_stats before{}, after{};
    rte_malloc_get_socket_stats(socket, &before);
    dp::FlowTableConfig fcfg;
    fcfg.max_flows = cfg.max_flows;
    fcfg.socket = socket;
    fcfg.workers = cfg.workers;
    fcfg.events = !cfg.log_file.empty() || cfg.log_syslog || !cfg.ipfix_collector.empty();
    fcfg.subscribers.limits = subscriber_limits(cfg);
    fcfg.subscribers.prefix_len = cfg.subscriber_prefix_len;
    fcfg.subscribers.socket = socket;
    fcfg.subscribers.max_subscribers = cfg.subscribers != 0 ? cfg.subscribers : std::max(1024u, cfg.max_flows / 8);
    fcfg.subscribers.max_blocks = cfg.blocks_per_subscriber;
    fcfg.block_size = cfg.block_size;
    fcfg.blocks = nat::block_pool_of(pcfg, cfg.block_size);
    dp::FlowTable flows(fcfg, ports);
    rte_malloc_get_socket_stats(socket, &after);
    const double table_bytes = static_cast<double>(after.heap_allocsz_bytes - before.heap_allocsz_bytes) +
                               static_cast<double>(flows.array_bytes());
    fmt::print("nat64d: flow table for {} flows: {:.1f} MiB, {:.0f} bytes per flow\n", cfg.max_flows,
               table_bytes / (1 << 20), table_bytes / cfg.max_flows);

    // A one-address box: what its kernel keeps on that address is never
    // handed out, and comes back to the kernel (Worker::stage_4to6).
    dp::KernelPortSet kernel_ports;
    const bool box_address_in_pool = std::find(cfg.pool.begin(), cfg.pool.end(), cfg.outside_ip4) != cfg.pool.end();
    const bool kernel_has_ip4 = one_arm ? has_kernel_in : has_kernel_out;
    if (box_address_in_pool && kernel_has_ip4) {
        for (const Config::KernelPorts& k : cfg.kernel_ports)
            for (uint32_t p = k.first; p <= k.last; ++p)
                (k.proto == kProtoTcp ? kernel_ports.tcp : kernel_ports.udp).set(p);
        uint32_t lo = 0, hi = 0;
        if (std::FILE* f = std::fopen("/proc/sys/net/ipv4/ip_local_port_range", "r")) {
            if (std::fscanf(f, "%u %u", &lo, &hi) == 2 && lo > 0 && lo <= hi && hi <= 65535)
                for (uint32_t p = lo; p <= hi; ++p) {
                    kernel_ports.tcp.set(p);
                    kernel_ports.udp.set(p);
                }
            std::fclose(f);
        }
        uint32_t addr_index = 0;
        ports.find_address(cfg.outside_ip4, addr_index);
        uint32_t kept = 0;
        for (uint32_t p = 1; p <= 65535; ++p)
            for (const nat::PortProto proto : {nat::PortProto::tcp, nat::PortProto::udp})
                if ((proto == nat::PortProto::tcp ? kernel_ports.tcp : kernel_ports.udp).test(p) &&
                    ports.reserve(proto, addr_index, static_cast<uint16_t>(p), 0))
                    ++kept;
        fmt::print("nat64d: {} is the box's own address: {} TCP/UDP ports of it kept for the kernel "
                   "(its ephemeral range {}-{} and exception.kernel_ports)\n",
                   format_ip4(cfg.outside_ip4), kept, lo, hi);
    }

    for (const StaticBib& b : cfg.static_bib) {
        dp::StaticMapping sm{b.proto, b.addr6, b.port6, b.addr4, b.port4};
        if (!flows.add_static(sm))
            throw dp::StartupError(fmt::format("static.bib = {}: collides with another mapping", b.text));
    }
    // What `nat64ctl bib add` left: restored after static.bib, an entry that
    // no longer fits (the pool changed, static.bib took its port) is named
    // and left out rather than stopping the box.
    std::vector<StaticBib> runtime_bib;
    if (!cfg.bib_state.empty()) {
        const BibStateLoad st = load_bib_state(cfg.bib_state, cfg);
        for (const std::string& p : st.problems)
            fmt::print("nat64d: {}: not restored\n", p);
        for (const StaticBib& b : st.entries) {
            if (flows.add_static({b.proto, b.addr6, b.port6, b.addr4, b.port4}))
                runtime_bib.push_back(b);
            else
                fmt::print("nat64d: {}: {}: collides with another mapping: not restored\n", cfg.bib_state, b.text);
        }
        fmt::print("nat64d: {} runtime static mapping(s) restored from {}\n", runtime_bib.size(), cfg.bib_state);
    }

    dp::WorkerMesh mesh(cfg.workers, socket);
    std::unique_ptr<dp::AddressPermissions> permissions;
    if (cfg.filtering == Filtering::address_dependent)
        permissions = std::make_unique<dp::AddressPermissions>("nat64d_adf", cfg.max_flows, socket);

    dp::LiveSettings live;   // what a reload changes in the workers
    dp::WorkerConfig wc;
    wc.workers = cfg.workers;
    wc.live = &live;
    wc.one_arm = one_arm;
    wc.inside_port = in.id;
    wc.outside_port = out.id;
    wc.inside_mac = in.mac;
    wc.inside_vlan = cfg.inside.vlan;
    wc.outside_vlan = one_arm ? cfg.inside.vlan : cfg.outside.vlan;
    wc.outside_mac = out.mac;
    wc.inside_ip6 = cfg.inside_ip6;
    wc.inside_prefix_len = cfg.inside_ip6_prefix_len;
    wc.has_gateway6 = cfg.has_gateway6;
    wc.gateway6 = cfg.gateway6;
    wc.outside_ip4 = cfg.outside_ip4;
    wc.outside_prefix_len = cfg.outside_ip4_prefix_len;
    wc.has_gateway4 = cfg.has_gateway4;
    wc.gateway4 = cfg.gateway4;
    wc.prefix = cfg.prefix;
    wc.allow_non_global = cfg.allow_non_global;
    wc.permissions = permissions.get();
    wc.hairpinning = cfg.hairpinning;
    wc.xlate.mtu4 = cfg.outside.mtu_bytes;
    wc.xlate.mtu6 = cfg.inside.mtu_bytes;
    wc.xlate.lowest_ipv6_mtu = cfg.lowest_ipv6_mtu;
    wc.timeouts = to_nat_timeouts(cfg.timeouts);
    // The configured rate is the box's: each worker gets its share.
    wc.icmp_errors_per_s = cfg.icmp_errors_per_s == 0 ? 0 : std::max(1u, cfg.icmp_errors_per_s / cfg.workers);
    wc.icmp_errors_per_subscriber_per_s = cfg.icmp_errors_per_subscriber_per_s;
    wc.subscriber_prefix_len = cfg.subscriber_prefix_len;
    wc.subscriber_limit_icmp = cfg.subscriber_limit_icmp;
    wc.clients = cfg.clients;
    wc.fragments.max_entries_per_source =
        cfg.fragments_per_subscriber != 0 ? cfg.fragments_per_subscriber : std::max(1u, cfg.fragment_cache / 8);
    wc.fragments.source_prefix_len6 = cfg.subscriber_prefix_len;
    wc.pool_for_generated = pool;
    wc.fragments.max_entries = cfg.fragment_cache;
    wc.fragments.max_held_total = cfg.fragment_cache;
    wc.fragments.timeout_ms = cfg.timeouts.fragment_s * 1000;
    wc.neighbour.reachable_ms = cfg.timeouts.neighbour_reachable_s * 1000;
    for (const StaticNeighbour& n : cfg.neighbours) {
        dp::StaticNeighbourEntry e;
        e.key = n.is_ip6 ? nat::neighbour_key6(n.ip6) : nat::neighbour_key4(n.ip4);
        std::memcpy(e.mac.data(), n.mac.bytes.data(), 6);
        wc.static_neighbours.push_back(e);
    }
    wc.mesh = &mesh;
    wc.kernel_inside_port = has_kernel_in ? kernel_in.id : dp::kNoPort;
    wc.kernel_outside_port = has_kernel_out ? kernel_out.id : dp::kNoPort;
    wc.kernel_inject_by_worker = inject_by_worker;
    wc.punt_per_s = std::max(1u, cfg.punt_per_s / cfg.workers);
    wc.kernel_ports = box_address_in_pool && kernel_has_ip4 ? &kernel_ports : nullptr;
    // auto: a laptop's virtual devices get an idle worker that sleeps; a PCI
    // device (its name is a bus address) gets one that polls.
    const bool pci = cfg.inside.device.find(':') != std::string::npos ||
                     (!one_arm && cfg.outside.device.find(':') != std::string::npos);
    wc.idle_sleep_us = cfg.idle_sleep_us == Config::kIdleSleepAuto ? (pci ? 0u : 1000u)
                                                                   : static_cast<uint32_t>(cfg.idle_sleep_us);
    std::vector<std::unique_ptr<dp::Worker>> workers;
    for (uint32_t w = 0; w < cfg.workers; ++w) {
        wc.worker_id = w;
        wc.queue = static_cast<uint16_t>(w);
        workers.push_back(std::make_unique<dp::Worker>(wc, flows));
    }

    // The control clock: event times are wall time at start plus TSC since.
    const uint64_t hz = rte_get_tsc_hz();
    const uint64_t start = rte_rdtsc();
    const int64_t start_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::system_clock::now().time_since_epoch()).count();
    EventLog events(cfg.log_file, cfg.log_syslog);
    ipfix::ExporterCounters ipfix_counters;
    std::unique_ptr<ipfix::IpfixExporter> ipfix_export = make_ipfix_exporter(cfg, ipfix_counters);
    // The running configuration: the start's, then each reload's.
    Config running = cfg;
    nat::Timeouts ager_timeouts = to_nat_timeouts(cfg.timeouts);
    ServiceContext sctx;
    sctx.cfg = &running;
    sctx.reload = [&]() {
        return reload_running(running, flows, ports, events, ipfix_export, ipfix_counters, live, ager_timeouts,
                              static_cast<uint32_t>((rte_rdtsc() - start) / hz));
    };
    sctx.flows = &flows;
    sctx.runtime_bib = &runtime_bib;
    for (const auto& w : workers)
        sctx.workers.push_back(w.get());
    if (one_arm)
        sctx.ports = {{in.id, cfg.inside.device, "one-arm"}};
    else
        sctx.ports = {{in.id, cfg.inside.device, "inside"}, {out.id, cfg.outside.device, "outside"}};
    sctx.neighbours = &workers[0]->neighbours();
    sctx.start_tsc = start;
    sctx.tsc_hz = hz;
    sctx.start_unix_ms = start_unix_ms;
    sctx.injector = &injector;
    sctx.mbufs = pool;
    std::atomic<uint64_t> ager_passes{0};
    sctx.ager_passes = &ager_passes;
    // An idle worker sleeps between loops: a few of its longest sleeps are
    // no sign of trouble.
    sctx.health_window_ms = std::max<uint64_t>(kHealthWindowMs, 4 * wc.idle_sleep_us / 1000);
    Service service(sctx, &events, &ipfix_export, &ipfix_counters);
    SocketServer server(cfg.socket_path, socket_owner(cfg),
                        [&service](const std::string& line) { return service.handle(line); });
    telemetry_start({[&service] { return service.stats(); }, [&service] { return service.health(); }});

    // A memif peer's exit unmaps nothing under a polling worker.
    std::vector<const std::atomic<uint64_t>*> loop_counters;
    for (const auto& w : workers)
        loop_counters.push_back(&w->loop_counter());
    dp::guard_unmaps(loop_counters);
    struct Unguard {
        ~Unguard() { dp::unguard_unmaps(); }   // before the workers go, whatever the way out
    } unguard;
    for (uint32_t w = 0; w < cfg.workers; ++w)
        if (rte_eal_remote_launch(worker_main, workers[w].get(), worker_lcores[w]) != 0)
            throw dp::StartupError(fmt::format("cannot launch worker {} on lcore {}", w, worker_lcores[w]));
    fmt::print("nat64d: running, inside {} ({}), outside {}, prefix {}/{}, {} pool address(es), {} worker(s)\n",
               cfg.inside.device, one_arm ? "one-arm" : "two-arm", one_arm ? "-" : cfg.outside.device,
               format_ip6(cfg.prefix.addr), cfg.prefix.len, cfg.pool.size(), cfg.workers);
    std::fflush(stdout);
    systemd::notify_ready();
    systemd::Watchdog watchdog(systemd::watchdog_interval(), systemd::notify_watchdog);

    // The control loop: the socket (its poll() is the loop's sleep), ageing,
    // the event log, health and the idle exit. Workers never wait on it.
    bool behind = false;
    bool health_up = false;
    // With an exception path the loop also carries the kernel's own frames
    // out, so it sleeps less (a tap's receive has no cheaper wake-up here).
    const int poll_ms = injector.empty() ? kControlPollMs : kControlPollInjectMs;
    bool injecting = false;
    uint64_t last_pass = rte_rdtsc();
    const uint64_t tsc_per_us = std::max<uint64_t>(hz / 1'000'000, 1);
    while (!g_stop.load(std::memory_order_relaxed)) {
        server.poll_once(behind || injecting ? 0 : poll_ms, (rte_rdtsc() - start) * 1000 / hz);
        injecting = injector.poll() != 0;
        const uint64_t now = rte_rdtsc();
        // Paced to one sweep of the table a second (ager_pacing.hpp); a pass
        // that removes more than half of what it examined runs again at once.
        const uint32_t budget = ager_budget(flows.session_positions(), (now - last_pass) / tsc_per_us);
        last_pass = now;
        const uint32_t removed = flows.expire(service.now_s(now), ager_timeouts, budget);
        ager_passes.fetch_add(1, std::memory_order_relaxed);
        if (permissions)   // a grant lives as long as the longest session could
            permissions->expire(service.now_s(now), ager_timeouts.tcp_established_s, kAgerMaxBudget);
        behind = removed > budget / 2;
        if (g_reopen.exchange(false, std::memory_order_relaxed)) {
            events.reopen();
            print_reload(sctx.reload);
        }
        service.drain_events();
        service.tick(now);
        if (cfg.exit_when_idle_ms > 0 && all_idle(workers, rte_rdtsc(), hz, cfg.exit_when_idle_ms))
            g_stop.store(true, std::memory_order_relaxed);
        watchdog.tick(std::chrono::steady_clock::now(), [&service] { return service.workers_polling(); });
        // The health interface follows health: a routing daemon withdraws
        // the prefix the moment it goes down (config/bird.conf).
        if (has_health) {
            const bool up = service.healthy();
            if (up != health_up) {
                dp::set_kernel_port_up(health.id, up);
                health_up = up;
                fmt::print("nat64d: {} {}\n", cfg.health_iface, up ? "up: healthy" : "down: not healthy");
            }
        }
    }
    systemd::notify_stopping();
    rte_eal_mp_wait_lcore();
    if (dp::guarded_unmaps() + dp::unguarded_unmaps() != 0)
        fmt::print("nat64d: peers' memory unmapped while running: {} after the workers' loops, {} without (a "
                   "worker did not loop within {} ms)\n",
                   dp::guarded_unmaps(), dp::unguarded_unmaps(), dp::kUnmapGuardMaxWaitMs);
    telemetry_stop();
    service.drain_events();

    const nlohmann::json stats = service.stats();
    fmt::print("stats: {}\n", stats.dump());
    std::fflush(stdout);
    workers.clear();
    mesh.clear();
    if (has_health) {
        dp::set_kernel_port_up(health.id, false);
        dp::stop_port(health.id);
    }
    if (has_kernel_in)
        dp::stop_port(kernel_in.id);
    if (has_kernel_out)
        dp::stop_port(kernel_out.id);
    dp::stop_port(in.id);
    if (!one_arm)
        dp::stop_port(out.id);
    return 0;
}

} // namespace
} // namespace nat64d::ctl

int main(int argc, char** argv)
{
    using namespace nat64d;
    // Line-buffered even into a file: scripts and operators wait on these lines.
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    ctl::install_signal_handlers();
    ctl::g_argc = argc;
    ctl::g_argv = argv;
    ctl::CommandLine cl;
    try {
        cl = ctl::parse_command_line(argc, argv);
    } catch (const ctl::ConfigError& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 2;
    }
    if (cl.show_help) {
        std::fputs(cl.help_text.c_str(), stdout);
        return 0;
    }
    if (cl.show_version) {
        std::fputs(cl.version_text.c_str(), stdout);
        return 0;
    }
    if (cl.check_only) {
        std::printf("config: %s is valid\n", cl.config_path.c_str());
        return 0;
    }
    try {
        return ctl::run(cl.config);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "nat64d: %s\n", e.what());
        return 1;
    }
}
