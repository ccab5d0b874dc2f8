// The parsed, validated configuration: plain data, no CLI11, no DPDK. control/
// fills it from the file and flags (schema.cpp, validate.cpp); the dataplane's
// constructors take the pieces they need.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/nat/deterministic.hpp"
#include "dataplane/xlate/bytes.hpp"
#include "dataplane/xlate/rfc6052.hpp"

namespace nat64d::ctl {

enum class ArmMode : uint8_t { two_arm, one_arm };
enum class Filtering : uint8_t { endpoint_independent, address_dependent };

struct MacAddr {
    std::array<uint8_t, 6> bytes{};
};

struct PortRange {
    uint16_t first = 1024;
    uint16_t last = 65535;
};

/// One DPDK port as the box uses it.
struct PortConfig {
    std::string device;             // ethdev name, e.g. "net_tap0" or "0000:03:00.1"
    uint32_t mtu_bytes = 1500;
    uint16_t vlan = 0;              // 0: untagged
    bool has_mac = false;           // set the port's MAC (keys ports.inside_mac / ports.outside_mac)
    MacAddr mac;
};

struct StaticBib {
    uint8_t proto = 0;              // kProtoTcp, kProtoUdp, kProtoIcmp6 (identifier)
    In6 addr6{};
    uint16_t port6 = 0;
    Ip4 addr4 = 0;
    uint16_t port4 = 0;
    std::string text;               // as written, for error messages and `config`
};

struct StaticNeighbour {
    bool is_ip6 = false;
    Ip4 ip4 = 0;
    In6 ip6{};
    MacAddr mac;
    std::string text;
};

struct UdpEndpoint {                 // a collector's address: IPv4 or IPv6, and a port
    bool is_ip6 = false;
    Ip4 ip4 = 0;
    In6 ip6{};
    uint16_t port = 0;
};

struct Timeouts {                   // RFC 6146 s4 defaults
    uint32_t udp_s = 300;
    uint32_t tcp_established_s = 7440;
    uint32_t tcp_transitory_s = 240;
    uint32_t icmp_s = 60;
    uint32_t tcp_incoming_syn_s = 6;
    uint32_t port_quarantine_s = 120;   // RFC 6888 REQ-? : a freed port rests before reuse
    uint32_t fragment_s = 2;
    uint32_t neighbour_reachable_s = 30;
    bool allow_short = false;           // [timeouts] allow_short: floors below RFC 6146 s4 (tests only)
};

struct Config {
    // [eal]
    std::vector<std::string> eal_args;  // passed to rte_eal_init after argv[0]

    // [ports]
    ArmMode mode = ArmMode::two_arm;
    PortConfig inside;                  // IPv6 side (the only port in one-arm mode)
    PortConfig outside;                 // IPv4 side (unused in one-arm mode)
    uint32_t rx_desc = 1024;
    uint32_t tx_desc = 1024;
    uint32_t mbufs = 8191;              // per mempool
    uint32_t workers = 1;
    // Longest sleep of an idle worker, in microseconds; 0: poll without
    // pause (lowest latency, a whole core each); kIdleSleepAuto: sleep on
    // virtual devices (a laptop), never on PCI devices.
    static constexpr int32_t kIdleSleepAuto = -1;
    int32_t idle_sleep_us = kIdleSleepAuto;

    // [addresses]: the box's own
    In6 inside_ip6{};                   // answers NDP and ping
    uint8_t inside_ip6_prefix_len = 64; // on-link prefix
    In6 gateway6{};                     // zero: destinations are on-link
    bool has_gateway6 = false;
    Ip4 outside_ip4 = 0;                // answers ARP and ping
    uint8_t outside_ip4_prefix_len = 24;
    Ip4 gateway4 = 0;                   // zero: on-link
    bool has_gateway4 = false;
    std::vector<StaticNeighbour> neighbours;

    // [nat64]
    xlate::Prefix6 prefix;              // default 64:ff9b::/96
    bool allow_non_global = false;      // RFC 6052 s3.1 override for the WKP
    uint32_t lowest_ipv6_mtu = 1280;
    Filtering filtering = Filtering::endpoint_independent;
    bool hairpinning = true;
    // IPv6 sources allowed to use the box; empty: any (the box is then an
    // open relay for whoever can reach its inside port).
    std::vector<xlate::Prefix6> clients;
    uint8_t subscriber_prefix_len = 56;   // one subscriber's share of the IPv6 space

    // [pool]
    std::vector<Ip4> pool;              // public IPv4 addresses, in order
    // The whole port space: a source port below 1024 keeps to that class
    // (preserve_port_class), so ordinary clients never get one of those.
    PortRange tcp_ports{1, 65535};
    PortRange udp_ports{1, 65535};
    PortRange icmp_ids{1, 65535};
    bool paired_pooling = true;         // one IPv6 host, one IPv4 address
    bool preserve_port_class = true;    // RFC 6146 s3.5.1.1: well-known to well-known, parity kept
    uint64_t port_seed = 0;             // 0: arc4random; else deterministic
    // RFC 7422 deterministic NAT: subscribers (nat64.subscriber_prefix_len)
    // of deterministic_prefix get fixed port blocks; off: ports by RFC 6056.
    nat::DeterministicOrder deterministic = nat::DeterministicOrder::off;
    xlate::Prefix6 deterministic_prefix{{}, 0};
    // Port block allocation: a subscriber's ports come block_size at a time,
    // at most blocks_per_subscriber blocks per protocol; 0: port by port.
    uint32_t block_size = 0;
    uint32_t blocks_per_subscriber = 4;
    std::vector<StaticBib> static_bib;

    // [limits]
    uint32_t max_flows = 1u << 20;
    uint32_t fragment_cache = 1024;
    uint32_t icmp_errors_per_s = 1000;  // the box's, shared by its workers
    uint32_t icmp_errors_per_subscriber_per_s = 20;   // to one subscriber (IPv6 /subscriber_prefix_len, IPv4 /32)
    uint32_t fragments_per_subscriber = 0;  // datagrams in the fragment cache per source subscriber; 0: fragment_cache / 8
    // RFC 6888 REQ-4: what one subscriber (IPv6 /subscriber_prefix_len) may
    // hold; 0 is no limit. With all of them 0 nothing is counted.
    uint32_t subscriber_sessions = 0;
    uint32_t subscriber_tcp_ports = 0;
    uint32_t subscriber_udp_ports = 0;
    uint32_t subscriber_icmp_ids = 0;
    uint32_t subscriber_new_sessions_per_s = 0;
    bool subscriber_limit_icmp = true;  // answer a refused flow with ICMPv6 1/1 (rate-limited)
    uint32_t subscribers = 0;           // subscribers tracked at once; 0: max(1024, max_flows / 8)
    Timeouts timeouts;

    // [control]
    // In the directory systemd's RuntimeDirectory=nat64d creates (nat64d.service).
    std::string socket_path = "/run/nat64d/nat64d.sock";
    std::string pidfile = "/run/nat64d/nat64d.pid";
    uint32_t exit_when_idle_ms = 0;     // > 0: exit once rx was empty this long (pcap tests)
    std::string log_file;               // NAT event log; empty: off
    std::string bib_state;              // runtime static mappings kept across restarts; empty: not kept
    bool log_syslog = false;            // NAT event log to syslog (LOG_DAEMON, info) too
    std::string socket_owner;           // user owning the socket; empty: the daemon's
    std::string socket_group;           // group owning the socket (mode 0660); empty: the daemon's
    std::string ipfix_collector;        // "ADDR4:PORT" or "[ADDR6]:PORT"; empty: no IPFIX export
    UdpEndpoint ipfix_collector_addr;   // ipfix_collector, parsed
    uint32_t ipfix_domain_id = 1;       // RFC 7011 s3.1 Observation Domain ID
    uint32_t ipfix_template_refresh_s = 60;   // RFC 7011 s8.4: templates re-sent this often over UDP
    uint32_t ipfix_mtu = 1400;          // largest IPFIX message (UDP payload), bytes

    // [exception]: the box's own stack on kernel interfaces beside the data ports
    std::string kernel_inside_iface;    // inside (and one-arm) port's; empty: none
    std::string kernel_outside_iface;   // outside port's (two-arm); empty: none
    std::string health_iface;           // up only while healthy; empty: none
    uint32_t punt_per_s = 10000;        // frames to the kernel per second, all workers
    struct KernelPorts {                // a pool address that is the box's own: what the kernel keeps
        uint8_t proto = 0;              // kProtoTcp or kProtoUdp
        uint16_t first = 0, last = 0;
        std::string text;
    };
    std::vector<KernelPorts> kernel_ports;
};

} // namespace nat64d::ctl
