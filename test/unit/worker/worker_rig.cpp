// The in-process dataplane of worker_rig.hpp.
#include "worker_rig.hpp"

#include <atomic>
#include <cstring>
#include <stdexcept>

namespace nat64d::test {

namespace {

std::atomic<uint32_t> g_rigs{0};

void check(bool ok, const std::string& what)
{
    if (!ok)
        throw std::runtime_error("rig: " + what + ": " + rte_strerror(rte_errno));
}

rte_ether_addr ether(const xlate::MacBytes& m)
{
    rte_ether_addr e;
    std::memcpy(e.addr_bytes, m.data(), 6);
    return e;
}

Bytes frame(const xlate::MacBytes& dst, const xlate::MacBytes& src, uint16_t type, const Bytes& l3)
{
    Bytes f;
    f.reserve(14 + l3.size());
    f.insert(f.end(), dst.begin(), dst.end());
    f.insert(f.end(), src.begin(), src.end());
    f.push_back(static_cast<uint8_t>(type >> 8));
    f.push_back(static_cast<uint8_t>(type));
    f.insert(f.end(), l3.begin(), l3.end());
    return f;
}

} // namespace

void Rig::make_port(const std::string& name, uint16_t& id, std::vector<rte_ring*>& rx, std::vector<rte_ring*>& tx)
{
    for (uint32_t q = 0; q < opt_.workers; ++q) {
        rx.push_back(rte_ring_create((name + "r" + std::to_string(q)).c_str(), 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ));
        tx.push_back(rte_ring_create((name + "t" + std::to_string(q)).c_str(), 4096, 0, RING_F_SP_ENQ | RING_F_SC_DEQ));
        check(rx.back() != nullptr && tx.back() != nullptr, "ring " + name);
    }
    const int port = rte_eth_from_rings(name.c_str(), rx.data(), static_cast<unsigned>(rx.size()), tx.data(),
                                        static_cast<unsigned>(tx.size()), 0);
    check(port >= 0, "port " + name);
    id = static_cast<uint16_t>(port);
}

Rig::Rig(const RigOptions& o) : opt_(o), tag_("rig" + std::to_string(g_rigs.fetch_add(1)))
{
    pool_ = rte_pktmbuf_pool_create((tag_ + "mb").c_str(), 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
    check(pool_ != nullptr, "mempool");
    make_port(tag_ + "i", in_id_, in_rx_, in_tx_);
    make_port(tag_ + "o", out_id_, out_rx_, out_tx_);
    const rte_ether_addr mac_in = ether(kBoxMacIn), mac_out = ether(kBoxMacOut);
    const auto q = static_cast<uint16_t>(opt_.workers);
    char name[RTE_ETH_NAME_MAX_LEN];
    rte_eth_dev_get_name_by_port(in_id_, name);
    const dp::PortInfo in = dp::start_port({name, q, q, 512, 512, 1500, &mac_in}, pool_);
    rte_eth_dev_get_name_by_port(out_id_, name);
    const dp::PortInfo out = dp::start_port({name, q, q, 512, 512, opt_.mtu4, &mac_out}, pool_);

    nat::PortAllocConfig pc;
    pool_addrs_.insert(pool_addrs_.end(), opt_.more_pool.begin(), opt_.more_pool.end());
    pc.pool = pool_addrs_;
    pc.workers = opt_.workers;
    pc.seed = 7;
    pc.quarantine_s = 0;
    ports_ = std::make_unique<nat::PortAllocator>(pc);
    dp::FlowTableConfig fc;
    fc.name = tag_;
    fc.max_flows = 8192;
    fc.workers = opt_.workers;
    flows_ = std::make_unique<dp::FlowTable>(fc, *ports_);
    mesh_ = std::make_unique<dp::WorkerMesh>(opt_.workers, 0, 1024);
    if (opt_.address_dependent)
        permissions_ = std::make_unique<dp::AddressPermissions>(tag_ + "adf", 8192, 0);

    dp::WorkerConfig wc;
    wc.workers = opt_.workers;
    wc.inside_port = in.id;
    wc.outside_port = out.id;
    wc.inside_mac = in.mac;
    wc.outside_mac = out.mac;
    wc.inside_ip6 = kBox6;
    wc.inside_prefix_len = opt_.inside_prefix_len;
    wc.has_gateway6 = opt_.gateway6;
    wc.gateway6 = kGateway6;
    wc.outside_ip4 = kBox4;
    wc.outside_prefix_len = 24;
    wc.has_gateway4 = true;
    wc.gateway4 = kGateway4;
    wc.prefix = rig_prefix();
    wc.permissions = permissions_.get();
    wc.xlate.mtu4 = opt_.mtu4;
    wc.icmp_errors_per_s = opt_.icmp_errors_per_s == 0 ? 0 : std::max(1u, opt_.icmp_errors_per_s / opt_.workers);
    wc.pool_for_generated = pool_;
    wc.fragments.max_entries = 64;
    wc.fragments.max_held_total = 64;
    wc.fragments.timeout_ms = 2000;
    const auto mac = [](const xlate::MacBytes& b) {
        nat::MacAddr m;
        std::memcpy(m.data(), b.data(), 6);
        return m;
    };
    wc.static_neighbours = {{nat::neighbour_key6(kClient6), mac(kClientMac)},
                            {nat::neighbour_key6(kClientB6), mac(kClientMac)},
                            {nat::neighbour_key6(kRouter6), mac(kClientMac)},
                            {nat::neighbour_key6(kGateway6), mac(kGateway6Mac)},
                            {nat::neighbour_key4(kGateway4), mac(kGatewayMac)},
                            {nat::neighbour_key4(kNeighbour4), mac(kNeighbourMac)}};
    for (const auto& [a, m] : opt_.neighbours6)
        wc.static_neighbours.push_back({nat::neighbour_key6(a), mac(m)});
    wc.mesh = mesh_.get();
    for (uint32_t w = 0; w < opt_.workers; ++w) {
        wc.worker_id = w;
        wc.queue = static_cast<uint16_t>(w);
        workers_.push_back(std::make_unique<dp::Worker>(wc, *flows_));
    }
    set_now_ms(1000);
}

Rig::~Rig()
{
    (void)sent_inside();
    (void)sent_outside();
    workers_.clear();
    mesh_.reset();
    dp::stop_port(in_id_);
    dp::stop_port(out_id_);
    permissions_.reset();
    flows_.reset();
    for (auto* v : {&in_rx_, &in_tx_, &out_rx_, &out_tx_})
        for (rte_ring* r : *v)
            rte_ring_free(r);
    rte_mempool_free(pool_);
}

void Rig::set_now_ms(uint64_t ms)
{
    for (auto& w : workers_)
        w->set_now_ms(ms);
}

void Rig::burst(uint32_t w, dp::Side side, const std::vector<Bytes>& frames)
{
    std::vector<rte_mbuf*> m;
    for (const Bytes& f : frames) {
        rte_mbuf* b = rte_pktmbuf_alloc(pool_);
        check(b != nullptr, "mbuf");
        auto* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(b, static_cast<uint16_t>(f.size())));
        check(p != nullptr, "mbuf room");
        std::memcpy(p, f.data(), f.size());
        m.push_back(b);
    }
    for (size_t i = 0; i < m.size(); i += dp::kBurst) {
        const auto n = static_cast<uint16_t>(std::min<size_t>(dp::kBurst, m.size() - i));
        workers_[w]->process_burst(m.data() + i, n, side);
    }
    workers_[w]->flush();
}

std::vector<Bytes> Rig::drain(uint16_t port)
{
    std::vector<Bytes> out;
    const std::vector<rte_ring*>& rings = port == in_id_ ? in_tx_ : out_tx_;
    for (rte_ring* r : rings) {
        void* obj = nullptr;
        while (rte_ring_sc_dequeue(r, &obj) == 0) {
            auto* m = static_cast<rte_mbuf*>(obj);
            const auto* p = rte_pktmbuf_mtod(m, const uint8_t*);
            out.emplace_back(p, p + rte_pktmbuf_data_len(m));
            rte_pktmbuf_free(m);
        }
    }
    return out;
}

std::vector<Bytes> Rig::sent_inside()
{
    for (auto& w : workers_)
        w->flush();
    return drain(in_id_);
}

std::vector<Bytes> Rig::sent_outside()
{
    for (auto& w : workers_)
        w->flush();
    return drain(out_id_);
}

std::vector<Bytes> Rig::ip_of(const std::vector<Bytes>& frames, uint16_t ethertype)
{
    std::vector<Bytes> out;
    for (const Bytes& f : frames)
        if (f.size() >= 14 && be16_at(f, 12) == ethertype)
            out.emplace_back(f.begin() + 14, f.end());
    return out;
}

uint64_t Rig::count(Verdict v) const
{
    uint64_t n = 0;
    for (const auto& w : workers_)
        n += w->counters().verdicts[static_cast<size_t>(v)].read();
    return n;
}

Bytes Rig::from_inside(const Bytes& ip6) { return frame(kBoxMacIn, kClientMac, kEtherTypeIp6, ip6); }
Bytes Rig::from_outside(const Bytes& ip4) { return frame(kBoxMacOut, kGatewayMac, kEtherTypeIp4, ip4); }

} // namespace nat64d::test
