// One NAT event (a mapping or session created or deleted), as workers and the
// ager hand it to the control thread through per-worker rings. Plain data, no
// DPDK: control/event_log.cpp formats it for the abuse desk (docs/EVENT_LOG.md).
#pragma once
#include <cstdint>

#include "dataplane/xlate/bytes.hpp"

namespace nat64d::dp {

enum class FlowEventKind : uint8_t { mapping_create, mapping_delete, session_create, session_delete };

struct FlowEvent {
    uint64_t tsc = 0;           // rte_rdtsc() when it happened; control turns it into wall time
    In6 src6{};                 // IPv6 source address, network order
    Ip4 pub4 = 0;               // public IPv4 address, host order
    Ip4 dst4 = 0;               // sessions: the IPv4 destination, host order
    uint16_t sport6 = 0;        // IPv6 source port or ICMP identifier
    uint16_t pub_port = 0;
    uint16_t dport = 0;         // sessions: destination port (0 for ICMP)
    FlowEventKind kind = FlowEventKind::mapping_create;
    uint8_t proto6 = 0;         // kProtoTcp, kProtoUdp, kProtoIcmp6
    uint8_t is_static = 0;      // mappings: a static BIB entry
    uint8_t pad[7]{};
};
static_assert(sizeof(FlowEvent) == 48);   // rte_ring element size: a multiple of 4

} // namespace nat64d::dp
