// DPDK port and mempool setup. Start-up only; errors become StartupError with
// the device and the DPDK reason.
#include "dataplane/io/port.hpp"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <vector>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

namespace nat64d::dp {

namespace {

// The Toeplitz key Microsoft's RSS specification uses for its verification
// suite: widely used, and every NIC takes 40 bytes.
constexpr std::array<uint8_t, 40> kRssKey{
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
    0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
    0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};

std::string to_hex(uint64_t v)
{
    char buf[20];
    std::snprintf(buf, sizeof(buf), "%llx", static_cast<unsigned long long>(v));
    return buf;
}

} // namespace

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
        throw StartupError(what + ": ports.workers = " + std::to_string(s.rx_queues) + " needs " +
                           std::to_string(s.rx_queues) + " RX and TX queues, the device has " +
                           std::to_string(dev_info.max_rx_queues) + " / " + std::to_string(dev_info.max_tx_queues) +
                           " (a vdev takes more with its own arguments, e.g. net_tap queues, net_pcap one "
                           "rx_pcap per queue); or set ports.workers = " +
                           std::to_string(std::min(dev_info.max_rx_queues, dev_info.max_tx_queues)));

    info.driver = dev_info.driver_name != nullptr ? dev_info.driver_name : "?";
    rte_eth_conf conf{};
    bool use_rss = false;
    if (s.rx_queues > 1) {
        // What a software device's peer does per queue is spread enough; a NIC
        // must hash IPv4 and IPv6 with their ports, or one queue gets it all.
        constexpr uint64_t kWanted = RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_NONFRAG_IPV4_UDP |
                                     RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_NONFRAG_IPV6_TCP | RTE_ETH_RSS_NONFRAG_IPV6_UDP |
                                     RTE_ETH_RSS_FRAG_IPV4 | RTE_ETH_RSS_FRAG_IPV6;
        const std::string drv = info.driver;
        if (drv == "net_tap") {
            info.spread = "the kernel spreads the tap's flows over its queues";
        } else if (drv == "net_memif" || drv == "net_ring" || drv == "net_af_packet") {
            info.spread = "the peer fills each queue";
        } else if (drv == "net_pcap") {
            info.spread = "one capture file per queue";
        } else if (drv == "net_null") {
            info.spread = "every queue generates";
        } else if ((dev_info.flow_type_rss_offloads & (RTE_ETH_RSS_NONFRAG_IPV4_UDP | RTE_ETH_RSS_NONFRAG_IPV6_UDP)) ==
                   (RTE_ETH_RSS_NONFRAG_IPV4_UDP | RTE_ETH_RSS_NONFRAG_IPV6_UDP)) {
            use_rss = true;
            conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
            conf.rx_adv_conf.rss_conf.rss_key = const_cast<uint8_t*>(kRssKey.data());
            conf.rx_adv_conf.rss_conf.rss_key_len = static_cast<uint8_t>(kRssKey.size());
            conf.rx_adv_conf.rss_conf.rss_hf = kWanted & dev_info.flow_type_rss_offloads;
        } else {
            throw StartupError(what + " (" + drv + ") cannot spread traffic over " + std::to_string(s.rx_queues) +
                               " queues: it has no RSS on IPv4 and IPv6 with UDP/TCP ports; set ports.workers = 1");
        }
    }
    // net_tap pairs every TX queue with an RX queue (and logs an error when
    // asked otherwise); another device that refuses gets a second try.
    uint16_t tx_queues = info.driver == "net_tap" ? s.rx_queues : s.tx_queues;
    rc = rte_eth_dev_configure(info.id, s.rx_queues, tx_queues, &conf);
    if (rc < 0 && tx_queues > s.rx_queues) {
        tx_queues = s.rx_queues;
        rc = rte_eth_dev_configure(info.id, s.rx_queues, tx_queues, &conf);
    }
    check_rc(rc, what + ": configure");
    info.tx_queues = tx_queues;
    uint16_t rx_desc = s.rx_desc, tx_desc = s.tx_desc;
    check_rc(rte_eth_dev_adjust_nb_rx_tx_desc(info.id, &rx_desc, &tx_desc), what + ": descriptors");
    int socket = rte_eth_dev_socket_id(info.id);
    for (uint16_t q = 0; q < s.rx_queues; ++q)
        check_rc(rte_eth_rx_queue_setup(info.id, q, rx_desc, static_cast<unsigned>(socket), nullptr, pool),
                 what + ": rx queue " + std::to_string(q));
    for (uint16_t q = 0; q < tx_queues; ++q)
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
    if (use_rss) {
        // The redirection table explicitly round robin over the queues; what
        // the device took is logged, since devices accept subsets.
        if (dev_info.reta_size > 0) {
            std::vector<rte_eth_rss_reta_entry64> reta(dev_info.reta_size / RTE_ETH_RETA_GROUP_SIZE + 1);
            for (uint16_t i = 0; i < dev_info.reta_size; ++i) {
                auto& g = reta[i / RTE_ETH_RETA_GROUP_SIZE];
                g.mask |= uint64_t{1} << (i % RTE_ETH_RETA_GROUP_SIZE);
                g.reta[i % RTE_ETH_RETA_GROUP_SIZE] = static_cast<uint16_t>(i % s.rx_queues);
            }
            check_rc(rte_eth_dev_rss_reta_update(info.id, reta.data(), dev_info.reta_size), what + ": RSS table");
        }
        rte_eth_rss_conf got{};
        std::array<uint8_t, 64> key{};
        got.rss_key = key.data();
        got.rss_key_len = static_cast<uint8_t>(key.size());
        if (rte_eth_dev_rss_hash_conf_get(info.id, &got) == 0)
            info.spread = "RSS over " + std::to_string(s.rx_queues) + " queues, hash functions 0x" + to_hex(got.rss_hf) +
                          ", redirection table of " + std::to_string(dev_info.reta_size);
        else
            info.spread = "RSS over " + std::to_string(s.rx_queues) + " queues";
    }
    // Promiscuous: a one-arm box receives for the pool addresses too; on a
    // virtual device it is harmless. Not every PMD supports it.
    (void)rte_eth_promiscuous_enable(info.id);
    check_rc(rte_eth_macaddr_get(info.id, &info.mac), what + ": mac");
    if (mac_in_software)
        info.mac = *s.mac;
    if (s.tap_kernel_mac_differs && info.driver == "net_tap" && dev_info.if_index != 0) {
        char iface[IF_NAMESIZE] = {};
        const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && if_indextoname(dev_info.if_index, iface) != nullptr) {
            ifreq ifr{};
            std::memcpy(ifr.ifr_name, iface, sizeof(iface));
            ifr.ifr_hwaddr.sa_family = 1;   // ARPHRD_ETHER
            // Locally administered, and never nat64d's own.
            uint8_t* m = reinterpret_cast<uint8_t*>(ifr.ifr_hwaddr.sa_data);
            std::memcpy(m, info.mac.addr_bytes, 6);
            m[0] = static_cast<uint8_t>((m[0] & 0xFC) | 0x02);
            m[5] = static_cast<uint8_t>(m[5] ^ 0x5A);
            (void)ioctl(fd, SIOCSIFHWADDR, &ifr);
        }
        if (fd >= 0)
            close(fd);
    }
    return info;
}

void stop_port(uint16_t port_id) noexcept
{
    (void)rte_eth_dev_stop(port_id);
    (void)rte_eth_dev_close(port_id);
}

} // namespace nat64d::dp
