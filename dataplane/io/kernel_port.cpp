// Kernel interfaces for the exception path and for health: net_tap vdevs
// created at run time, and the kernel side addressed with the interface
// ioctls (SIOCSIFADDR for IPv4 and IPv6), so no netlink library is needed.
#include "dataplane/io/kernel_port.hpp"

#include <arpa/inet.h>
#include <bsd/string.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include <rte_dev.h>
#include <rte_ethdev.h>

namespace nat64d::dp {

namespace {

// struct in6_ifreq of <linux/ipv6.h>, which clashes with <netinet/in.h>.
struct In6Ifreq {
    in6_addr addr;
    uint32_t prefixlen;
    int ifindex;
};

[[noreturn]] void fail(const std::string& iface, const std::string& what)
{
    throw StartupError("exception interface " + iface + ": " + what + ": " + std::strerror(errno));
}

void write_sysctl(const std::string& iface, const char* name, const char* value)
{
    const std::string path = "/proc/sys/net/ipv6/conf/" + iface + "/" + name;
    std::ofstream f(path);
    f << value;
    if (!f)
        throw StartupError("exception interface " + iface + ": cannot set " + path);
}

std::string mac_text(const rte_ether_addr& m)
{
    char buf[RTE_ETHER_ADDR_FMT_SIZE];
    rte_ether_format_addr(buf, sizeof(buf), &m);
    return buf;
}

uint16_t create_tap(const std::string& iface, const std::string& extra_args)
{
    const std::string name = "net_tap_" + iface;
    const std::string args = "iface=" + iface + extra_args;
    // EAL hotplug: a vdev made at run time, as --vdev would have at start.
    if (rte_dev_probe((name + "," + args).c_str()) != 0)
        throw StartupError("exception interface " + iface + ": cannot create it (net_tap " + args +
                           "): another interface of that name exists, or no CAP_NET_ADMIN");
    uint16_t id = 0;
    if (rte_eth_dev_get_port_by_name(name.c_str(), &id) != 0)
        throw StartupError("exception interface " + iface + ": created but not found");
    return id;
}

} // namespace

PortInfo start_kernel_port(const KernelPortSetup& s, rte_mempool* pool)
{
    // mac=: net_tap gives its kernel side the same address, so what the kernel
    // sends leaves as the box and what the box punts is addressed to the kernel.
    const uint16_t id = create_tap(s.iface, ",mac=" + mac_text(s.mac));
    char name[RTE_ETH_NAME_MAX_LEN];
    rte_eth_dev_get_name_by_port(id, name);
    PortSetup ps{name, s.queues, s.queues, 512, 512, s.mtu_bytes, nullptr};
    ps.tap_kernel_mac_differs = false;
    PortInfo info = start_port(ps, pool);

    // The kernel side answers to the data port's MAC: what the kernel sends
    // leaves as the box, and its neighbours answer to an address nat64d takes.
    {
        const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            fail(s.iface, "socket");
        ifreq ifr{};
        strlcpy(ifr.ifr_name, s.iface.c_str(), sizeof(ifr.ifr_name));
        ifr.ifr_hwaddr.sa_family = 1;   // ARPHRD_ETHER
        std::memcpy(ifr.ifr_hwaddr.sa_data, s.mac.addr_bytes, 6);
        const bool ok = ioctl(fd, SIOCSIFHWADDR, &ifr) == 0;
        close(fd);
        if (!ok)
            fail(s.iface, "MAC address");
    }

    if (s.has_ip4) {
        const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            fail(s.iface, "socket");
        ifreq ifr{};
        strlcpy(ifr.ifr_name, s.iface.c_str(), sizeof(ifr.ifr_name));
        sockaddr_in sin{};
        sin.sin_family = AF_INET;
        sin.sin_addr.s_addr = htonl(s.ip4);
        std::memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
        const bool ok = ioctl(fd, SIOCSIFADDR, &ifr) == 0;
        sin.sin_addr.s_addr = htonl(s.prefix4 == 0 ? 0 : ~uint32_t{0} << (32 - s.prefix4));
        std::memcpy(&ifr.ifr_netmask, &sin, sizeof(sin));
        const bool mask_ok = ok && ioctl(fd, SIOCSIFNETMASK, &ifr) == 0;
        close(fd);
        if (!mask_ok)
            fail(s.iface, "IPv4 address");
    }
    if (s.has_ip6) {
        // The box answers neighbour discovery for its address itself; the
        // kernel must not wait for duplicate address detection or take
        // addresses from router advertisements on a link nat64d serves.
        write_sysctl(s.iface, "disable_ipv6", "0");
        write_sysctl(s.iface, "accept_dad", "0");
        write_sysctl(s.iface, "accept_ra", "0");
        write_sysctl(s.iface, "autoconf", "0");
        const int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            fail(s.iface, "socket");
        In6Ifreq r{};
        std::memcpy(&r.addr, s.ip6.data(), 16);
        r.prefixlen = s.prefix6;
        r.ifindex = static_cast<int>(if_nametoindex(s.iface.c_str()));
        const bool ok = r.ifindex != 0 && ioctl(fd, SIOCSIFADDR, &r) == 0;
        close(fd);
        if (!ok)
            fail(s.iface, "IPv6 address");
    }
    return info;
}

PortInfo start_health_port(const std::string& iface, rte_mempool* pool)
{
    const uint16_t id = create_tap(iface, "");
    char name[RTE_ETH_NAME_MAX_LEN];
    rte_eth_dev_get_name_by_port(id, name);
    PortSetup ps{name, 1, 1, 64, 64, 1500, nullptr};
    ps.tap_kernel_mac_differs = false;
    const PortInfo info = start_port(ps, pool);
    // A routing daemon installs the IPv6 prefix via this interface (FRR's
    // zebra into the kernel too): IPv6 on, whatever the host's default, and
    // nothing of its own (no DAD, router advertisements or addresses).
    write_sysctl(iface, "disable_ipv6", "0");
    write_sysctl(iface, "accept_dad", "0");
    write_sysctl(iface, "accept_ra", "0");
    write_sysctl(iface, "autoconf", "0");
    return info;
}

void set_kernel_port_up(uint16_t port, bool up) noexcept
{
    (void)(up ? rte_eth_dev_set_link_up(port) : rte_eth_dev_set_link_down(port));
}

} // namespace nat64d::dp

namespace nat64d::dp {

uint32_t KernelInjector::poll() noexcept
{
    constexpr uint16_t kBurst = 32;
    std::array<rte_mbuf*, kBurst> frames;
    uint32_t moved = 0;
    for (const Path& p : paths_) {
        for (uint16_t q = 0; q < p.kernel_queues; ++q) {
            uint16_t n = rte_eth_rx_burst(p.kernel_port, q, frames.data(), kBurst);
            if (n == 0)
                continue;
            moved += n;
            uint16_t kept = 0;
            for (uint16_t i = 0; i < n; ++i) {
                rte_mbuf* m = frames[i];
                if (p.vlan != 0) {
                    m->vlan_tci = p.vlan;
                    if (rte_vlan_insert(&m) != 0) {
                        rte_pktmbuf_free(m);
                        continue;
                    }
                }
                frames[kept++] = m;
            }
            const uint16_t sent = rte_eth_tx_burst(p.data_port, p.data_queue, frames.data(), kept);
            for (uint16_t i = sent; i < kept; ++i)
                rte_pktmbuf_free(frames[i]);
            injected_.store(injected_.load(std::memory_order_relaxed) + sent, std::memory_order_relaxed);
            dropped_.store(dropped_.load(std::memory_order_relaxed) + (n - sent), std::memory_order_relaxed);
        }
    }
    return moved;
}

} // namespace nat64d::dp
