// IPFIX export of NAT events (docs/EVENT_LOG.md, "IPFIX"): RFC 7011 messages
// over UDP carrying the information elements and per-event templates of RFC
// 8158. IpfixEncoder is pure (bytes in memory, no socket, no DPDK) so the unit
// tests can check every octet; IpfixExporter owns the UDP socket and is driven
// by the control thread, which must never wait on it.
#pragma once
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "control/config/config.hpp"
#include "control/config/validate.hpp"
#include "dataplane/flow/flow_event.hpp"
#include "dataplane/xlate/rfc6052.hpp"

namespace nat64d::ctl::ipfix {

// RFC 7011 s3.1: the version of the IPFIX message header.
inline constexpr uint16_t kVersion = 10;
inline constexpr std::size_t kMessageHeaderBytes = 16;   // RFC 7011 s3.1
inline constexpr std::size_t kSetHeaderBytes = 4;        // RFC 7011 s3.3.2
inline constexpr uint16_t kTemplateSetId = 2;            // RFC 7011 s3.3.2
inline constexpr uint32_t kMinMessageBytes = kMinIpfixMessageBytes;   // every template at once, and a record
inline constexpr uint32_t kMaxMessageBytes = kMaxIpfixMessageBytes;

// RFC 7012 / IANA "IPFIX Information Elements" ids, the ones RFC 8158 s4 uses.
namespace ie {
inline constexpr uint16_t protocolIdentifier = 4;
inline constexpr uint16_t sourceTransportPort = 7;
inline constexpr uint16_t destinationTransportPort = 11;
inline constexpr uint16_t sourceIPv6Address = 27;
inline constexpr uint16_t destinationIPv6Address = 28;
inline constexpr uint16_t sourceIPv6PrefixLength = 29;
inline constexpr uint16_t postNATSourceIPv4Address = 225;
inline constexpr uint16_t postNATDestinationIPv4Address = 226;
inline constexpr uint16_t postNAPTSourceTransportPort = 227;
inline constexpr uint16_t postNAPTDestinationTransportPort = 228;
inline constexpr uint16_t natEvent = 230;
inline constexpr uint16_t observationTimeMilliseconds = 323;
inline constexpr uint16_t portRangeStart = 361;
inline constexpr uint16_t portRangeEnd = 362;
inline constexpr uint16_t natQuotaExceededEvent = 466;
inline constexpr uint16_t maxSessionEntries = 471;
inline constexpr uint16_t maxBIBEntries = 472;
} // namespace ie

// RFC 8158 s4.1.1 (IANA "NAT Event Type") natEvent values.
enum class NatEvent : uint8_t {
    nat64_session_create = 6,
    nat64_session_delete = 7,
    nat64_bib_create = 10,
    nat64_bib_delete = 11,
    ports_exhausted = 12,
    quota_exceeded = 13,
    port_block_allocation = 16,
    port_block_deallocation = 17,
};

// RFC 8158 (IANA "NAT Quota Exceeded Event Type") natQuotaExceededEvent values.
enum class QuotaEvent : uint32_t { max_session_entries = 1, max_bib_entries = 2 };

// Template ids: RFC 7011 s3.4.1, 256 and up. One per record shape.
enum class TemplateId : uint16_t {
    nat64_session = 256,
    nat64_bib = 257,
    ports_exhausted = 258,
    quota_sessions = 259,
    quota_bib = 260,
    port_block = 261,
};

/// RFC 8158's natEvent for a FlowEvent, or 0 if it has no IPFIX form (a
/// quota RFC 8158 has no value for: new_sessions_per_s).
uint8_t nat_event_of(const dp::FlowEvent& e) noexcept;

struct EncoderSettings {
    uint32_t observation_domain_id = 1;   // RFC 7011 s3.1
    uint32_t max_message_bytes = 1400;    // the whole IPFIX message, i.e. the UDP payload
    uint32_t template_refresh_s = 60;     // RFC 7011 s8.4
    xlate::Prefix6 prefix;                // for sessions' destinationIPv6Address (RFC 6052)
};

/// Turns FlowEvents into IPFIX messages. Every message carries the templates
/// when they are due (first message, then every template_refresh_s); data
/// records of consecutive events of one shape share one data set.
class IpfixEncoder {
public:
    explicit IpfixEncoder(const EncoderSettings& settings);

    /// Appends the record for e (its time event_unix_ms); a full message is
    /// closed first. now_unix_ms: the wall clock, for export time and template
    /// refresh. false (nothing added) for an event with no IPFIX form.
    bool add(const dp::FlowEvent& e, int64_t event_unix_ms, int64_t now_unix_ms);

    /// Closes the open message, if any; with none open and templates due,
    /// makes a message of the templates alone (RFC 7011 s8.4: over UDP they
    /// are re-sent on a timer whether data flows or not).
    void flush(int64_t now_unix_ms);

    /// Closed messages, oldest first, with how many data records each holds.
    struct Message {
        std::vector<uint8_t> bytes;
        uint32_t records = 0;
    };
    std::vector<Message>& ready() noexcept { return ready_; }

    /// Data records in closed messages so far (the next message's sequence number).
    uint32_t sequence() const noexcept { return sequence_; }

private:
    bool templates_due(int64_t now_unix_ms) const noexcept;
    void open_message(int64_t now_unix_ms);
    void close_message(int64_t now_unix_ms);
    void close_set();
    void append_templates();

    EncoderSettings settings_;
    std::vector<uint8_t> open_;       // the message being filled; empty: none
    std::size_t set_start_ = 0;       // offset of the open data set's header; 0: none
    uint16_t set_template_ = 0;
    uint32_t open_records_ = 0;
    uint32_t sequence_ = 0;           // RFC 7011 s3.1: data records sent before, modulo 2^32
    bool templates_sent_ = false;
    int64_t templates_sent_ms_ = 0;
    std::vector<Message> ready_;
};

/// The exporter's counters, read from any thread (stats, Prometheus).
struct ExporterCounters {
    std::atomic<uint64_t> records_sent{0};
    std::atomic<uint64_t> messages_sent{0};
    std::atomic<uint64_t> send_errors{0};       // messages the socket refused (dropped, not retried)
    std::atomic<uint64_t> records_skipped{0};   // events with no IPFIX form
};

/// The control thread's exporter: a connected, non-blocking UDP socket to the
/// collector. A send that would block or fails is counted and the message
/// dropped; the collector sees the gap in the sequence numbers.
class IpfixExporter {
public:
    /// Throws std::runtime_error naming control.ipfix_collector if the socket
    /// cannot be made or connected. The counters live outside: a reload that
    /// moves the collector replaces the exporter while the counts go on.
    IpfixExporter(const UdpEndpoint& collector, const EncoderSettings& settings, ExporterCounters& counters);
    ~IpfixExporter();
    IpfixExporter(const IpfixExporter&) = delete;
    IpfixExporter& operator=(const IpfixExporter&) = delete;

    void add(const dp::FlowEvent& e, int64_t event_unix_ms, int64_t now_unix_ms);
    /// Once per control-loop pass: closes the open message (and sends the
    /// templates when due) and sends what is ready, without waiting.
    void flush(int64_t now_unix_ms);

    const ExporterCounters& counters() const noexcept { return counters_; }

private:
    void send_ready();

    int fd_ = -1;
    IpfixEncoder encoder_;
    ExporterCounters& counters_;
};

} // namespace nat64d::ctl::ipfix
