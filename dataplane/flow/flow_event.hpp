// One NAT event (a mapping or session created or deleted, a refusal for want
// of ports or over a subscriber's quota, a port block handed out or back), as
// workers and the ager hand it to the control thread through per-worker rings. Plain data, no
// DPDK: control/event_log.cpp formats it for the abuse desk (docs/EVENT_LOG.md).
#pragma once
#include <cstdint>

#include "dataplane/xlate/bytes.hpp"

namespace nat64d::dp {

enum class FlowEventKind : uint8_t {
    mapping_create,
    mapping_delete,
    session_create,
    session_delete,
    ports_exhausted,    // no free public port of proto6 on pub4 (RFC 8158 natEvent 12)
    quota_exceeded,     // a subscriber reached a limit: quota, limit (RFC 8158 natEvent 13)
    block_allocate,     // ports pub_port..block_last on pub4 went to the subscriber src6 (natEvent 16)
    block_release,      // and came back (natEvent 17)
};

/// Which per-subscriber limit a quota_exceeded event hit (RFC 8158 s4.1.13's
/// natQuotaExceededEvent: 1 maximum session entries, 2 maximum BIB entries).
enum class QuotaKind : uint8_t { none = 0, sessions = 1, ports = 2, new_sessions_per_s = 3 };

struct FlowEvent {
    uint64_t tsc = 0;           // rte_rdtsc() when it happened; control turns it into wall time
    In6 src6{};                 // IPv6 source address, network order
    Ip4 pub4 = 0;               // public IPv4 address, host order
    Ip4 dst4 = 0;               // sessions: the IPv4 destination, host order
    uint16_t sport6 = 0;        // IPv6 source port or ICMP identifier
    uint16_t pub_port = 0;
    uint16_t dport = 0;         // sessions: destination port (0 for ICMP); blocks: the last port
    FlowEventKind kind = FlowEventKind::mapping_create;
    uint8_t proto6 = 0;         // kProtoTcp, kProtoUdp, kProtoIcmp6
    uint8_t is_static = 0;      // mappings: a static BIB entry
    QuotaKind quota = QuotaKind::none;   // quota_exceeded: which limit
    uint8_t subscriber_len = 0; // quota_exceeded, blocks: src6 is a prefix of this length
    uint8_t pad[1]{};
    uint32_t limit = 0;         // quota_exceeded: the configured limit it reached
};
static_assert(sizeof(FlowEvent) == 48);   // rte_ring element size: a multiple of 4

} // namespace nat64d::dp
