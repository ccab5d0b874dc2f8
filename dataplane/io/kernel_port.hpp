// The exception path: a kernel interface (a net_tap device, the way DPDK
// documents it) beside each data port, carrying the box's own addresses, so
// the host's stack (BGP, BFD, SSH, SNMP, chrony) works on them although the
// NIC belongs to nat64d; and the health interface whose state a routing
// daemon follows. Start-up and control thread only; may throw StartupError.
#pragma once
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include <rte_ether.h>
#include <rte_mempool.h>

#include "dataplane/io/port.hpp"
#include "dataplane/xlate/bytes.hpp"

namespace nat64d::dp {

struct KernelPortSetup {
    std::string iface;                 // the kernel interface's name
    rte_ether_addr mac{};              // the data port's: the kernel's frames leave as the box's
    uint16_t queues = 1;               // one per worker
    uint32_t mtu_bytes = 1500;
    bool has_ip6 = false;
    In6 ip6{};
    uint8_t prefix6 = 64;
    bool has_ip4 = false;
    Ip4 ip4 = 0;
    uint8_t prefix4 = 24;
};

/// Creates the kernel interface (net_tap vdev "net_tap_<iface>"), starts it
/// (interface up) and gives the kernel side the box's addresses. Throws
/// StartupError naming the interface and what failed.
PortInfo start_kernel_port(const KernelPortSetup& setup, rte_mempool* pool);

/// The health interface: an empty kernel interface that is administratively up
/// while the dataplane is healthy and down otherwise, and gone with the
/// process, so a routing daemon tracking it (BIRD: a static route via it with
/// check link) announces the NAT64 prefix only while nat64d can carry it.
PortInfo start_health_port(const std::string& iface, rte_mempool* pool);
/// Sets a kernel interface administratively up or down (no-op if already so).
void set_kernel_port_up(uint16_t port, bool up) noexcept;

/// What the box's own stack sends (BGP, SSH, its ARP and ND) leaves through a
/// TX queue of the data port that is the control thread's, not a worker's: a
/// worker that stops polling must not hold back the BGP UPDATE that withdraws
/// the box's route (the health interface goes down exactly then). The kernel
/// interface's RX queues are all read here; the workers only write to it.
class KernelInjector {
public:
    struct Path {
        uint16_t kernel_port;
        uint16_t kernel_queues;
        uint16_t data_port;
        uint16_t data_queue;   // the data port's extra TX queue
        uint16_t vlan;         // 802.1Q tag the data port's frames carry, 0: none
    };
    void add(const Path& p) { paths_.push_back(p); }
    bool empty() const noexcept { return paths_.empty(); }
    /// Moves what the kernel sent to the wire; returns how many frames it took.
    uint32_t poll() noexcept;
    uint64_t injected() const noexcept { return injected_.load(std::memory_order_relaxed); }
    uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }

private:
    std::vector<Path> paths_;
    std::atomic<uint64_t> injected_{0};
    std::atomic<uint64_t> dropped_{0};   // the TX queue was full, or no room for the tag
};

} // namespace nat64d::dp
