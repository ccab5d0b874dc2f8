// The exception path: a kernel interface (a net_tap device, the way DPDK
// documents it) beside each data port, carrying the box's own addresses, so
// the host's stack (BGP, BFD, SSH, SNMP, chrony) works on them although the
// NIC belongs to nat64d; and the health interface whose state a routing
// daemon follows. Start-up and control thread only; may throw StartupError.
#pragma once
#include <cstdint>
#include <string>

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

} // namespace nat64d::dp
