// An in-process dataplane for tests: real Workers, FlowTable, PortAllocator and
// WorkerMesh on net_ring ports (one ring per queue each way), so a test hands
// a worker exactly the burst it wants, in the order it wants, and reads back
// every frame the worker sent. No NIC, no second process, deterministic.
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dataplane/flow/flow_table.hpp"
#include "dataplane/io/port.hpp"
#include "dataplane/worker/mesh.hpp"
#include "dataplane/worker/worker.hpp"
#include "dataplane/xlate/local_reply.hpp"
#include "dataplane/xlate/rfc6052.hpp"
#include "packet_builder.hpp"

namespace nat64d::test {

inline const In6 kBox6 = In6{0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};     // 2001:db8:1::1
inline const In6 kClient6 = In6{0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};  // 2001:db8:1::2
inline const In6 kClientB6 = In6{0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xb};
inline const In6 kRouter6 = In6{0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x99};
inline constexpr Ip4 kBox4 = 0xC6336401;       // 198.51.100.1, also the pool address
inline constexpr Ip4 kGateway4 = 0xC63364FE;   // 198.51.100.254
inline constexpr Ip4 kNeighbour4 = 0xC6336407;  // 198.51.100.7, on the outside link
inline const In6 kGateway6 = In6{0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfe};   // with RigOptions::gateway6
inline constexpr Ip4 kServer4 = 0xCB007150;    // 203.0.113.80
inline constexpr Ip4 kStranger4 = 0xCB007163;  // 203.0.113.99
inline const xlate::MacBytes kBoxMacIn{0x02, 0, 0, 0, 0x64, 0x01};
inline const xlate::MacBytes kBoxMacOut{0x02, 0, 0, 0, 0x64, 0x02};
inline const xlate::MacBytes kClientMac{0x02, 0, 0, 0, 0, 0x06};
inline const xlate::MacBytes kGatewayMac{0x02, 0, 0, 0, 0, 0x04};
inline const xlate::MacBytes kNeighbourMac{0x02, 0, 0, 0, 0, 0x07};
inline const xlate::MacBytes kGateway6Mac{0x02, 0, 0, 0, 0, 0xfe};

inline xlate::Prefix6 rig_prefix()
{
    xlate::Prefix6 p;
    p.addr = In6{0x20, 0x01, 0x0d, 0xb8, 0, 0x64};   // 2001:db8:64::/96
    p.len = 96;
    return p;
}
/// An IPv4 address as the IPv6 side sees it (RFC 6052 /96).
inline In6 via_prefix(Ip4 a) { return xlate::embed_ip4(rig_prefix(), a); }

struct RigOptions {
    uint32_t workers = 1;
    bool address_dependent = false;
    uint32_t icmp_errors_per_s = 1000;
    uint32_t mtu4 = 1500;
    uint8_t inside_prefix_len = 64;   // of kBox6
    bool gateway6 = false;            // IPv6 off the inside prefix goes to kGateway6
    std::vector<std::pair<In6, xlate::MacBytes>> neighbours6;   // more static IPv6 neighbours
    std::vector<Ip4> more_pool;       // pool addresses after kBox4, ascending
};

class Rig {
public:
    explicit Rig(const RigOptions& o = {});
    ~Rig();
    Rig(const Rig&) = delete;
    Rig& operator=(const Rig&) = delete;

    /// Worker w receives `frames` (Ethernet included) as one burst on `side`,
    /// then flushes what it sends.
    void burst(uint32_t w, dp::Side side, const std::vector<Bytes>& frames);
    /// What left on each port since the last call, all queues, as L2 frames.
    std::vector<Bytes> sent_inside();
    std::vector<Bytes> sent_outside();
    /// IP packets only (Ethernet stripped), ARP and the like left out.
    static std::vector<Bytes> ip_of(const std::vector<Bytes>& frames, uint16_t ethertype);

    dp::Worker& worker(uint32_t w) { return *workers_[w]; }
    dp::WorkerMesh& mesh() { return *mesh_; }
    dp::FlowTable& flows() { return *flows_; }
    /// A verdict summed over the workers.
    uint64_t count(Verdict v) const;
    /// Sets every worker's clock (the tests drive time).
    void set_now_ms(uint64_t ms);

    /// Ethernet framing for input.
    static Bytes from_inside(const Bytes& ip6);
    static Bytes from_outside(const Bytes& ip4);

private:
    std::vector<Bytes> drain(uint16_t port);
    void make_port(const std::string& name, uint16_t& id, std::vector<rte_ring*>& rx, std::vector<rte_ring*>& tx);

    RigOptions opt_;
    std::string tag_;
    rte_mempool* pool_ = nullptr;
    uint16_t in_id_ = 0, out_id_ = 0;
    std::vector<rte_ring*> in_rx_, in_tx_, out_rx_, out_tx_;
    std::unique_ptr<nat::PortAllocator> ports_;
    std::unique_ptr<dp::FlowTable> flows_;
    std::unique_ptr<dp::AddressPermissions> permissions_;
    std::unique_ptr<dp::WorkerMesh> mesh_;
    std::vector<Ip4> pool_addrs_{kBox4};
    std::vector<std::unique_ptr<dp::Worker>> workers_;
};

} // namespace nat64d::test
