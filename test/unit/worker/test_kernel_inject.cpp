// dp::KernelInjector: the box's own frames (what its kernel sends through the
// exception interface) leave on the data port's extra TX queue, drained by the
// control thread, with no worker running at all; tagged where the data port
// is; a frame the TX queue cannot take is counted, not lost silently.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dataplane/io/kernel_port.hpp"
#include "dataplane/io/port.hpp"
#include <rte_eth_ring.h>
#include <algorithm>

namespace {

struct RingPort {
    std::vector<rte_ring*> rx, tx;
    uint16_t id = 0;
};

// A net_ring port with rx_queues / tx_queues rings of `size` entries each.
RingPort ring_port(const std::string& name, unsigned rx_queues, unsigned tx_queues, unsigned size = 1024)
{
    RingPort p;
    for (unsigned q = 0; q < rx_queues; ++q)
        p.rx.push_back(rte_ring_create((name + "r" + std::to_string(q)).c_str(), size, 0, RING_F_SP_ENQ | RING_F_SC_DEQ));
    for (unsigned q = 0; q < tx_queues; ++q)
        p.tx.push_back(rte_ring_create((name + "t" + std::to_string(q)).c_str(), size, 0, RING_F_SP_ENQ | RING_F_SC_DEQ));
    const int id = rte_eth_from_rings(name.c_str(), p.rx.data(), rx_queues, p.tx.data(), tx_queues, 0);
    REQUIRE(id >= 0);
    p.id = static_cast<uint16_t>(id);
    return p;
}

rte_mbuf* frame(rte_mempool* pool, uint8_t tag, uint16_t len = 60)
{
    rte_mbuf* m = rte_pktmbuf_alloc(pool);
    REQUIRE(m != nullptr);
    auto* d = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, len));
    REQUIRE(d != nullptr);
    std::memset(d, tag, len);
    d[12] = 0x86;   // EtherType IPv6
    d[13] = 0xdd;
    return m;
}

} // namespace

TEST_CASE("exception path: the kernel's frames leave on the data port's own TX queue, no worker needed",
          "[kernel][exception]")
{
    rte_mempool* pool = rte_pktmbuf_pool_create("kinj_mb", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
    REQUIRE(pool != nullptr);
    // Two workers' queues on each port; the data port has a third TX queue.
    RingPort kernel = ring_port("kinj_k", 2, 2);
    RingPort data = ring_port("kinj_d", 2, 3);
    char name[RTE_ETH_NAME_MAX_LEN];
    rte_eth_dev_get_name_by_port(data.id, name);
    const nat64d::dp::PortInfo info = nat64d::dp::start_port({name, 2, 3, 512, 512, 1500, nullptr}, pool);
    CHECK(info.tx_queues == 3);   // net_ring takes more TX than RX queues
    rte_eth_dev_get_name_by_port(kernel.id, name);
    nat64d::dp::start_port({name, 2, 2, 512, 512, 1500, nullptr}, pool);

    nat64d::dp::KernelInjector inj;
    inj.add({kernel.id, 2, data.id, 2, 0});
    // The kernel spread its frames over both of its queues.
    for (uint8_t i = 0; i < 5; ++i)
        REQUIRE(rte_ring_enqueue(kernel.rx[i % 2], frame(pool, static_cast<uint8_t>(0x10 + i))) == 0);
    CHECK(inj.poll() == 5);
    CHECK(inj.injected() == 5);
    CHECK(inj.dropped() == 0);
    // All on TX queue 2, none on the workers' queues, each frame as it was.
    CHECK(rte_ring_count(data.tx[0]) == 0);
    CHECK(rte_ring_count(data.tx[1]) == 0);
    REQUIRE(rte_ring_count(data.tx[2]) == 5);
    std::vector<uint8_t> seen;
    void* obj = nullptr;
    while (rte_ring_dequeue(data.tx[2], &obj) == 0) {
        auto* m = static_cast<rte_mbuf*>(obj);
        const auto* d = rte_pktmbuf_mtod(m, const uint8_t*);
        CHECK(rte_pktmbuf_data_len(m) == 60);
        CHECK(d[12] == 0x86);
        seen.push_back(d[0]);
        rte_pktmbuf_free(m);
    }
    std::sort(seen.begin(), seen.end());
    CHECK(seen == std::vector<uint8_t>{0x10, 0x11, 0x12, 0x13, 0x14});
    CHECK(inj.poll() == 0);

    {   // a tagged data port gets tagged frames
        nat64d::dp::KernelInjector tagged;
        tagged.add({kernel.id, 2, data.id, 2, 100});
        REQUIRE(rte_ring_enqueue(kernel.rx[0], frame(pool, 0x20)) == 0);
        CHECK(tagged.poll() == 1);
        REQUIRE(rte_ring_dequeue(data.tx[2], &obj) == 0);
        auto* m = static_cast<rte_mbuf*>(obj);
        const auto* d = rte_pktmbuf_mtod(m, const uint8_t*);
        CHECK(rte_pktmbuf_data_len(m) == 64);
        CHECK((d[12] == 0x81 && d[13] == 0x00));              // 802.1Q
        CHECK(((d[14] << 8 | d[15]) & 0x0FFF) == 100);        // VLAN 100
        CHECK((d[16] == 0x86 && d[17] == 0xdd));              // the frame's own EtherType after the tag
        rte_pktmbuf_free(m);
    }
    {   // what the TX queue cannot take is counted as dropped
        RingPort small_k = ring_port("kinj_sk", 1, 1);
        RingPort small_d = ring_port("kinj_sd", 1, 2, 4);   // TX ring of 4: holds 3
        rte_eth_dev_get_name_by_port(small_d.id, name);
        nat64d::dp::start_port({name, 1, 2, 512, 512, 1500, nullptr}, pool);
        rte_eth_dev_get_name_by_port(small_k.id, name);
        nat64d::dp::start_port({name, 1, 1, 512, 512, 1500, nullptr}, pool);
        nat64d::dp::KernelInjector few;
        few.add({small_k.id, 1, small_d.id, 1, 0});
        for (uint8_t i = 0; i < 6; ++i)
            REQUIRE(rte_ring_enqueue(small_k.rx[0], frame(pool, i)) == 0);
        CHECK(few.poll() == 6);
        CHECK(few.injected() == 3);
        CHECK(few.dropped() == 3);
        CHECK(rte_ring_count(small_d.tx[1]) == 3);
        while (rte_ring_dequeue(small_d.tx[1], &obj) == 0)
            rte_pktmbuf_free(static_cast<rte_mbuf*>(obj));
    }
}
