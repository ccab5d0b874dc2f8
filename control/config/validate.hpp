// Raw key values to a checked Config. Every error is one line naming the key, the
// value as written and the reason: "config: <key> = <value>: <reason>".
#pragma once
#include "control/config/config.hpp"
#include "control/config/load.hpp"
#include "control/config/schema.hpp"

namespace nat64d::ctl {

// Limits that are ours rather than an RFC's, named so messages and tests agree.
inline constexpr uint32_t kMaxFlows = 1u << 27;            // flow table index width
inline constexpr uint32_t kMaxWorkers = 127;               // RTE_MAX_LCORE 128, less the main lcore
inline constexpr uint32_t kMaxFragmentCache = 1u << 20;
inline constexpr uint32_t kMaxIcmpErrorsPerS = 1000000;
inline constexpr uint32_t kMaxPuntPerS = 10000000;
inline constexpr unsigned kMinPoolBlockLen = 22;           // a pool block holds at most 1024 addresses
inline constexpr std::size_t kMaxPoolAddresses = 4096;     // each address carries its own port tables
inline constexpr uint32_t kMinIp4Mtu = 68;                 // RFC 791
inline constexpr uint32_t kMaxMtu = 65535;
inline constexpr uint16_t kMaxVlan = 4094;                 // IEEE 802.1Q: 4095 is reserved
inline constexpr std::size_t kMaxSocketPathLen = 107;      // sizeof(sockaddr_un::sun_path) - 1
inline constexpr uint32_t kMinIpfixMessageBytes = 512;     // every template in one message, a record beside
inline constexpr uint32_t kMaxIpfixMessageBytes = 9000;    // a jumbo frame
inline constexpr uint32_t kMaxIpfixTemplateRefreshS = 86400;

// RFC 6146 s4 minimums, in seconds; timeouts.allow_short lowers every floor to 1 s.
inline constexpr uint32_t kMinUdpTimeoutS = 120;               // UDP_MIN, 2 min
inline constexpr uint32_t kMinTcpEstablishedTimeoutS = 7440;   // TCP_EST, 2 h 4 min
inline constexpr uint32_t kMinTcpTransitoryTimeoutS = 240;     // TCP_TRANS, 4 min
inline constexpr uint32_t kMinIcmpTimeoutS = 1;

/// The Config a file with no keys would give (Config{} with the well-known prefix).
Config default_config();

/// Builds and checks the Config from raw values. Throws ConfigError for the first bad key.
Config validate(const RawConfig& raw);

/// Parses an IPFIX collector, "ADDR4:PORT" or "[ADDR6]:PORT" (addresses only,
/// never names: nothing at start-up waits on DNS). "" when good, else why not.
std::string parse_collector(std::string_view text, UdpEndpoint& out);

/// Why a static mapping (from static.bib or `nat64ctl bib add`) cannot be, or
/// "" when it can: the same rules for both (RFC 6146 s3.5.1.1 maps IPv6 hosts,
/// public side from the pool). Conflicts with mappings that exist are not
/// looked at here.
std::string why_not_static_bib(const StaticBib& b, const Config& c);

/// One static mapping from its text ("tcp 2001:db8::5#80 192.0.2.1#8080"),
/// parsed and checked as static.bib's entries are (not against the others).
/// Throws ConfigError naming `key` and the entry.
StaticBib parse_static_bib(std::string_view key, const std::string& entry, const Config& c);

} // namespace nat64d::ctl
