// DPDK port and mempool setup. Start-up only; errors become StartupError with
// the device and the DPDK reason.
#include "dataplane/io/port.hpp"

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

namespace nat64d::dp {

void check_rc(int rc, const std::string& what)
{
    if (rc < 0)
        throw StartupError(what + ": " + rte_strerror(-rc));
}

rte_mempool* create_packet_pool(const std::string& name, uint32_t mbufs, int socket)
{
    // Headroom 128 (RTE_PKTMBUF_HEADROOM) covers the 20..48 bytes a 4to6
    // translation prepends; 2048 of data room holds a 1518-byte frame.
    constexpr uint32_t kCacheSize = 256;
    rte_mempool* pool = rte_pktmbuf_pool_create(name.c_str(), mbufs, kCacheSize, 0,
                                                RTE_MBUF_DEFAULT_BUF_SIZE, socket);
    if (pool == nullptr)
        throw StartupError("mempool " + name + " (" + std::to_string(mbufs) +
                           " mbufs): " + rte_strerror(rte_errno));
    return pool;
}

PortInfo start_port(const PortSetup& s, rte_mempool* pool)
{
    PortInfo info;
    info.device = s.device;
    int rc = rte_eth_dev_get_port_by_name(s.device.c_str(), &info.id);
    if (rc < 0)
        throw StartupError("port " + s.device +
                           ": no such DPDK device (give it with --vdev or -a in [eal] args)");
    const std::string what = "port " + s.device;

    rte_eth_dev_info dev_info{};
    check_rc(rte_eth_dev_info_get(info.id, &dev_info), what + ": info");
    if (s.rx_queues > dev_info.max_rx_queues || s.tx_queues > dev_info.max_tx_queues)
        throw StartupError(what + ": needs " + std::to_string(s.rx_queues) + " rx / " +
                           std::to_string(s.tx_queues) + " tx queues, device has " +
                           std::to_string(dev_info.max_rx_queues) + " / " +
                           std::to_string(dev_info.max_tx_queues));

    rte_eth_conf conf{};
    check_rc(rte_eth_dev_configure(info.id, s.rx_queues, s.tx_queues, &conf), what + ": configure");
    uint16_t rx_desc = s.rx_desc, tx_desc = s.tx_desc;
    check_rc(rte_eth_dev_adjust_nb_rx_tx_desc(info.id, &rx_desc, &tx_desc), what + ": descriptors");
    int socket = rte_eth_dev_socket_id(info.id);
    for (uint16_t q = 0; q < s.rx_queues; ++q)
        check_rc(rte_eth_rx_queue_setup(info.id, q, rx_desc, static_cast<unsigned>(socket), nullptr, pool),
                 what + ": rx queue " + std::to_string(q));
    for (uint16_t q = 0; q < s.tx_queues; ++q)
        check_rc(rte_eth_tx_queue_setup(info.id, q, tx_desc, static_cast<unsigned>(socket), nullptr),
                 what + ": tx queue " + std::to_string(q));

    // Virtual devices such as net_pcap and net_ring have no MTU to set; a real
    // NIC that refuses the configured MTU is an error.
    rc = rte_eth_dev_set_mtu(info.id, static_cast<uint16_t>(s.mtu_bytes));
    if (rc < 0 && rc != -ENOTSUP)
        check_rc(rc, what + ": mtu " + std::to_string(s.mtu_bytes));

    // A device that cannot change its MAC (net_pcap, net_null) still carries the
    // configured one in software: the port runs promiscuous and nat64d answers
    // and sends as that address.
    bool mac_in_software = false;
    if (s.mac != nullptr) {
        rc = rte_eth_dev_default_mac_addr_set(info.id, const_cast<rte_ether_addr*>(s.mac));
        if (rc == -ENOTSUP)
            mac_in_software = true;
        else
            check_rc(rc, what + ": mac");
    }
    check_rc(rte_eth_dev_start(info.id), what + ": start");
    // Promiscuous: a one-arm box receives for the pool addresses too; on a
    // virtual device it is harmless. Not every PMD supports it.
    (void)rte_eth_promiscuous_enable(info.id);
    check_rc(rte_eth_macaddr_get(info.id, &info.mac), what + ": mac");
    if (mac_in_software)
        info.mac = *s.mac;
    return info;
}

void stop_port(uint16_t port_id) noexcept
{
    (void)rte_eth_dev_stop(port_id);
    (void)rte_eth_dev_close(port_id);
}

} // namespace nat64d::dp
