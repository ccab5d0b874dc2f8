// DPDK port and mempool setup (start-up only: may throw).
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

#include <rte_ether.h>
#include <rte_mempool.h>

namespace nat64d::dp {

struct StartupError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Throws StartupError naming `what` when a DPDK call returned a negative errno.
void check_rc(int rc, const std::string& what);

struct PortSetup {
    std::string device;      // ethdev name as given to --vdev / -a
    uint16_t rx_queues = 1;
    uint16_t tx_queues = 1;
    uint16_t rx_desc = 1024;
    uint16_t tx_desc = 1024;
    uint32_t mtu_bytes = 1500;
    const rte_ether_addr* mac = nullptr;   // set this MAC; nullptr keeps the device's
    // net_tap: give the tap's kernel side another MAC than nat64d's. A tap
    // starts with its kernel side on the PMD's own MAC; a bridge in front of it
    // would then take nat64d's frames for its own and keep them.
    bool tap_kernel_mac_differs = true;
};

struct PortInfo {
    uint16_t id = 0;
    rte_ether_addr mac{};
    std::string device;
    std::string driver;
    std::string spread;      // how traffic reaches its queues (logged at start)
    uint16_t tx_queues = 0;  // as configured: fewer than asked where the device needs as many as RX
};

/// Finds the port by name, configures its queues on `pool` and starts it. With
/// more than one RX queue, the device must spread traffic over them: RSS on
/// IPv4 and IPv6 with TCP/UDP ports (key and redirection table set
/// explicitly), or a virtual device whose peer fills each queue (net_tap: the
/// kernel; net_memif, net_pcap, net_ring, net_null, net_af_packet: one queue
/// pair each). Otherwise StartupError names the device, what it lacks and
/// what to set instead. More TX than RX queues where the device allows it;
/// else as many as RX (PortInfo::tx_queues says which).
PortInfo start_port(const PortSetup& setup, rte_mempool* pool);

/// Stops and closes a port (net_pcap flushes its output file here).
void stop_port(uint16_t port_id) noexcept;

/// A packet mempool sized for the configured descriptors; data room fits a
/// 1518-byte frame plus the headroom an IPv4->IPv6 translation grows into.
rte_mempool* create_packet_pool(const std::string& name, uint32_t mbufs, int socket);

} // namespace nat64d::dp
