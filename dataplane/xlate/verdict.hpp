// The one list of what can happen to a packet. Every drop has a stable snake_case
// name; that name is what counters, nat64ctl and telemetry print.
#pragma once
#include <array>
#include <cstdint>
#include <string_view>

// X(name): defined once, so the enum and its names cannot drift apart.
#define NAT64D_VERDICTS(X)                                                          \
    X(forward)                  /* translated (or answered) and sent */             \
    X(drop_malformed)           /* truncated header, bad lengths, bad version */    \
    X(drop_ttl_expired)         /* hop limit / TTL would reach 0 (ICMP sent) */     \
    X(drop_ext_header)          /* IPv6 extension header we may not skip */         \
    X(drop_segments_left)       /* routing header with segments left != 0 */        \
    X(drop_source_route)        /* IPv4 unexpired source route option */            \
    X(drop_unsupported_proto)   /* stateful NAT64 carries TCP, UDP, ICMP only */    \
    X(drop_icmp_untranslatable) /* ND, MLD, redirects, unknown ICMP types */        \
    X(drop_icmp_error_in_error) /* ICMP error about an ICMP error */                \
    X(drop_packet_too_big)      /* exceeds next-hop MTU with DF (ICMP sent) */      \
    X(drop_non_global_dst)      /* RFC 6052 s3.1: WKP to a non-global IPv4 */       \
    X(drop_not_in_prefix)       /* IPv6 destination outside the NAT64 prefix */     \
    X(drop_no_mapping)          /* IPv4 packet with no session or static BIB */     \
    X(drop_filtered)            /* address-dependent filtering refused it */        \
    X(drop_table_full)          /* flow table has no free entry */                  \
    X(drop_ports_exhausted)     /* no free public port for this protocol */         \
    X(drop_fragment_no_state)   /* non-first fragment with no known first one */    \
    X(drop_fragment_cache_full) /* fragment tracking cache is full */               \
    X(drop_multiseg)            /* chained mbuf: not translated in place */         \
    X(drop_no_neighbour)        /* next hop unresolved and hold queue full */       \
    X(drop_not_for_us)          /* L2 destination or L3 family not ours */          \
    X(drop_tx_full)             /* the NIC did not take it */                       \
    X(drop_no_mbuf)             /* mempool empty when a copy was needed */          \
    X(drop_icmp_rate_limited)   /* an ICMP error we would send was rate-limited */  \
    X(drop_bad_checksum)        /* a checksum we must verify did not verify */      \
    X(drop_no_headroom)         /* buffer lacks the room the 4to6 header growth needs */ \
    X(drop_udp_zero_checksum)   /* fragmented IPv4 UDP with checksum 0 (RFC 7915 s4.5) */

namespace nat64d {

enum class Verdict : uint8_t {
#define NAT64D_VERDICT_ENUM(name) name,
    NAT64D_VERDICTS(NAT64D_VERDICT_ENUM)
#undef NAT64D_VERDICT_ENUM
};

inline constexpr std::array kVerdictNames = {
#define NAT64D_VERDICT_NAME(name) std::string_view{#name},
    NAT64D_VERDICTS(NAT64D_VERDICT_NAME)
#undef NAT64D_VERDICT_NAME
};

inline constexpr size_t kVerdictCount = kVerdictNames.size();

constexpr std::string_view verdict_name(Verdict v) noexcept
{
    return kVerdictNames[static_cast<size_t>(v)];
}

} // namespace nat64d
