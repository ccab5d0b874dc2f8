// IPFIX (RFC 7011) messages of RFC 8158 NAT events, and their UDP exporter; see ipfix.hpp.
#include "control/ipfix.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <cstring>
#include <span>
#include <stdexcept>

#include <fmt/format.h>

#include "control/config/load.hpp"

namespace nat64d::ctl::ipfix {
namespace {

struct Field {
    uint16_t id;
    uint16_t length;   // octets on the wire (RFC 7011 s3.2: fixed-length fields only here)
};

// One template per record shape, after RFC 8158 s4's per-event templates.
// Their vlanID/ingressVRFID are left out: nat64d has one routing context. Quota and port-block records also name the subscriber's prefix
// (sourceIPv6Address + sourceIPv6PrefixLength): nat64d's limits are per subscriber.
constexpr Field kSessionFields[] = {
    {ie::observationTimeMilliseconds, 8}, {ie::natEvent, 1},
    {ie::sourceIPv6Address, 16},          {ie::postNATSourceIPv4Address, 4},
    {ie::protocolIdentifier, 1},          {ie::sourceTransportPort, 2},
    {ie::postNAPTSourceTransportPort, 2}, {ie::destinationIPv6Address, 16},
    {ie::postNATDestinationIPv4Address, 4}, {ie::destinationTransportPort, 2},
    {ie::postNAPTDestinationTransportPort, 2},
};
constexpr Field kBibFields[] = {
    {ie::observationTimeMilliseconds, 8}, {ie::natEvent, 1},
    {ie::sourceIPv6Address, 16},          {ie::postNATSourceIPv4Address, 4},
    {ie::protocolIdentifier, 1},          {ie::sourceTransportPort, 2},
    {ie::postNAPTSourceTransportPort, 2},
};
constexpr Field kPortsExhaustedFields[] = {
    {ie::observationTimeMilliseconds, 8}, {ie::natEvent, 1},
    {ie::postNATSourceIPv4Address, 4},    {ie::protocolIdentifier, 1},
    {ie::sourceIPv6Address, 16},          {ie::sourceTransportPort, 2},
};
constexpr Field kQuotaSessionFields[] = {
    {ie::observationTimeMilliseconds, 8}, {ie::natEvent, 1},
    {ie::natQuotaExceededEvent, 4},       {ie::maxSessionEntries, 4},
    {ie::sourceIPv6Address, 16},          {ie::sourceIPv6PrefixLength, 1},
    {ie::protocolIdentifier, 1},
};
constexpr Field kQuotaBibFields[] = {
    {ie::observationTimeMilliseconds, 8}, {ie::natEvent, 1},
    {ie::natQuotaExceededEvent, 4},       {ie::maxBIBEntries, 4},
    {ie::sourceIPv6Address, 16},          {ie::sourceIPv6PrefixLength, 1},
    {ie::protocolIdentifier, 1},
};
constexpr Field kPortBlockFields[] = {
    {ie::observationTimeMilliseconds, 8}, {ie::natEvent, 1},
    {ie::sourceIPv6Address, 16},          {ie::sourceIPv6PrefixLength, 1},
    {ie::postNATSourceIPv4Address, 4},    {ie::protocolIdentifier, 1},
    {ie::portRangeStart, 2},              {ie::portRangeEnd, 2},
};

struct TemplateSpec {
    TemplateId id;
    std::span<const Field> fields;
};
constexpr TemplateSpec kTemplates[] = {
    {TemplateId::nat64_session, kSessionFields},     {TemplateId::nat64_bib, kBibFields},
    {TemplateId::ports_exhausted, kPortsExhaustedFields}, {TemplateId::quota_sessions, kQuotaSessionFields},
    {TemplateId::quota_bib, kQuotaBibFields},        {TemplateId::port_block, kPortBlockFields},
};

constexpr std::size_t record_bytes(std::span<const Field> fields)
{
    std::size_t n = 0;
    for (const Field& f : fields)
        n += f.length;
    return n;
}

constexpr std::size_t template_set_bytes()
{
    std::size_t n = kSetHeaderBytes;
    for (const TemplateSpec& t : kTemplates)
        n += 4 + 4 * t.fields.size();   // RFC 7011 s3.4.1: template id, field count, then (id, length) each
    return n;
}
// The smallest message must hold the templates and the largest record beside them.
static_assert(kMessageHeaderBytes + template_set_bytes() + kSetHeaderBytes + record_bytes(kSessionFields) <=
              kMinMessageBytes);

// Network byte order throughout (RFC 7011 s3: "all fields are in network byte order").
void put_u8(std::vector<uint8_t>& b, uint8_t v) { b.push_back(v); }
void put_u16(std::vector<uint8_t>& b, uint16_t v)
{
    b.push_back(static_cast<uint8_t>(v >> 8));
    b.push_back(static_cast<uint8_t>(v));
}
void put_u32(std::vector<uint8_t>& b, uint32_t v)
{
    put_u16(b, static_cast<uint16_t>(v >> 16));
    put_u16(b, static_cast<uint16_t>(v));
}
void put_u64(std::vector<uint8_t>& b, uint64_t v)
{
    put_u32(b, static_cast<uint32_t>(v >> 32));
    put_u32(b, static_cast<uint32_t>(v));
}
void put_ip6(std::vector<uint8_t>& b, const In6& a) { b.insert(b.end(), a.begin(), a.end()); }
void set_u16(std::vector<uint8_t>& b, std::size_t at, uint16_t v)
{
    b[at] = static_cast<uint8_t>(v >> 8);
    b[at + 1] = static_cast<uint8_t>(v);
}
void set_u32(std::vector<uint8_t>& b, std::size_t at, uint32_t v)
{
    set_u16(b, at, static_cast<uint16_t>(v >> 16));
    set_u16(b, at + 2, static_cast<uint16_t>(v));
}

TemplateId template_of(const dp::FlowEvent& e)
{
    switch (e.kind) {
    case dp::FlowEventKind::session_create:
    case dp::FlowEventKind::session_delete:
        return TemplateId::nat64_session;
    case dp::FlowEventKind::mapping_create:
    case dp::FlowEventKind::mapping_delete:
        return TemplateId::nat64_bib;
    case dp::FlowEventKind::ports_exhausted:
        return TemplateId::ports_exhausted;
    case dp::FlowEventKind::quota_exceeded:
        return e.quota == dp::QuotaKind::sessions ? TemplateId::quota_sessions : TemplateId::quota_bib;
    case dp::FlowEventKind::block_allocate:
    case dp::FlowEventKind::block_release:
        return TemplateId::port_block;
    }
    return TemplateId::nat64_bib;
}

/// The record for e in its template's field order (template_of(e)).
void write_record(std::vector<uint8_t>& b, const dp::FlowEvent& e, uint8_t nat_event, int64_t event_unix_ms,
                  const xlate::Prefix6& prefix)
{
    // dateTimeMilliseconds: unsigned milliseconds since 1970 (RFC 7011 s6.1.10).
    put_u64(b, static_cast<uint64_t>(std::max<int64_t>(event_unix_ms, 0)));
    put_u8(b, nat_event);
    switch (template_of(e)) {
    case TemplateId::nat64_session:
        put_ip6(b, e.src6);
        put_u32(b, e.pub4);
        put_u8(b, e.proto6);
        put_u16(b, e.sport6);
        put_u16(b, e.pub_port);
        // The IPv6 destination the subscriber wrote: the IPv4 one in the
        // prefix (RFC 6052 s2.2); RFC 8158's NAT64 session template has both.
        put_ip6(b, xlate::embed_ip4(prefix, e.dst4));
        put_u32(b, e.dst4);
        put_u16(b, e.dport);
        put_u16(b, e.dport);   // NAT64 keeps the destination port (RFC 6146 s3.5)
        break;
    case TemplateId::nat64_bib:
        put_ip6(b, e.src6);
        put_u32(b, e.pub4);
        put_u8(b, e.proto6);
        put_u16(b, e.sport6);
        put_u16(b, e.pub_port);
        break;
    case TemplateId::ports_exhausted:
        put_u32(b, e.pub4);
        put_u8(b, e.proto6);
        put_ip6(b, e.src6);
        put_u16(b, e.sport6);
        break;
    case TemplateId::quota_sessions:
    case TemplateId::quota_bib:
        put_u32(b, static_cast<uint32_t>(e.quota == dp::QuotaKind::sessions ? QuotaEvent::max_session_entries
                                                                            : QuotaEvent::max_bib_entries));
        put_u32(b, e.limit);
        put_ip6(b, e.src6);
        put_u8(b, e.subscriber_len);
        put_u8(b, e.proto6);
        break;
    case TemplateId::port_block:
        put_ip6(b, e.src6);
        put_u8(b, e.subscriber_len);
        put_u32(b, e.pub4);
        put_u8(b, e.proto6);
        put_u16(b, e.pub_port);
        put_u16(b, e.dport);   // FlowEvent: a block's last port travels in dport
        break;
    }
}

std::size_t record_bytes_of(TemplateId id)
{
    for (const TemplateSpec& t : kTemplates)
        if (t.id == id)
            return record_bytes(t.fields);
    return 0;
}

} // namespace

uint8_t nat_event_of(const dp::FlowEvent& e) noexcept
{
    switch (e.kind) {
    case dp::FlowEventKind::session_create:
        return static_cast<uint8_t>(NatEvent::nat64_session_create);
    case dp::FlowEventKind::session_delete:
        return static_cast<uint8_t>(NatEvent::nat64_session_delete);
    case dp::FlowEventKind::mapping_create:
        return static_cast<uint8_t>(NatEvent::nat64_bib_create);
    case dp::FlowEventKind::mapping_delete:
        return static_cast<uint8_t>(NatEvent::nat64_bib_delete);
    case dp::FlowEventKind::ports_exhausted:
        return static_cast<uint8_t>(NatEvent::ports_exhausted);
    case dp::FlowEventKind::quota_exceeded:
        // RFC 8158's natQuotaExceededEvent knows session and BIB entry counts,
        // not a rate of new sessions: that one stays in the text log.
        return e.quota == dp::QuotaKind::sessions || e.quota == dp::QuotaKind::ports
                   ? static_cast<uint8_t>(NatEvent::quota_exceeded)
                   : 0;
    case dp::FlowEventKind::block_allocate:
        return static_cast<uint8_t>(NatEvent::port_block_allocation);
    case dp::FlowEventKind::block_release:
        return static_cast<uint8_t>(NatEvent::port_block_deallocation);
    }
    return 0;
}

IpfixEncoder::IpfixEncoder(const EncoderSettings& settings) : settings_(settings)
{
    assert(settings_.max_message_bytes >= kMinMessageBytes && settings_.max_message_bytes <= kMaxMessageBytes);
    assert(settings_.template_refresh_s >= 1);
}

bool IpfixEncoder::templates_due(int64_t now_unix_ms) const noexcept
{
    // A clock stepped back counts as due: one template set too many is harmless.
    return !templates_sent_ || now_unix_ms < templates_sent_ms_ ||
           now_unix_ms - templates_sent_ms_ >= int64_t{settings_.template_refresh_s} * 1000;
}

void IpfixEncoder::append_templates()
{
    const std::size_t start = open_.size();
    put_u16(open_, kTemplateSetId);
    put_u16(open_, 0);   // set length, below
    for (const TemplateSpec& t : kTemplates) {
        put_u16(open_, static_cast<uint16_t>(t.id));
        put_u16(open_, static_cast<uint16_t>(t.fields.size()));
        for (const Field& f : t.fields) {
            put_u16(open_, f.id);   // enterprise bit clear: IANA elements (RFC 7011 s3.2)
            put_u16(open_, f.length);
        }
    }
    set_u16(open_, start + 2, static_cast<uint16_t>(open_.size() - start));
}

void IpfixEncoder::open_message(int64_t now_unix_ms)
{
    open_.assign(kMessageHeaderBytes, 0);   // the header is written when the message closes
    open_records_ = 0;
    set_start_ = 0;
    set_template_ = 0;
    if (templates_due(now_unix_ms)) {
        append_templates();
        templates_sent_ = true;
        templates_sent_ms_ = now_unix_ms;
    }
}

void IpfixEncoder::close_set()
{
    if (set_start_ == 0)
        return;
    set_u16(open_, set_start_ + 2, static_cast<uint16_t>(open_.size() - set_start_));
    set_start_ = 0;
    set_template_ = 0;
}

void IpfixEncoder::close_message(int64_t now_unix_ms)
{
    if (open_.empty())
        return;
    close_set();
    // RFC 7011 s3.1: version, length, export time (seconds), sequence number
    // (data records sent before this message), observation domain id.
    set_u16(open_, 0, kVersion);
    set_u16(open_, 2, static_cast<uint16_t>(open_.size()));
    set_u32(open_, 4, static_cast<uint32_t>(std::max<int64_t>(now_unix_ms, 0) / 1000));
    set_u32(open_, 8, sequence_);
    set_u32(open_, 12, settings_.observation_domain_id);
    sequence_ += open_records_;   // modulo 2^32, as s3.1 says
    ready_.push_back({std::move(open_), open_records_});
    open_.clear();
    open_records_ = 0;
}

bool IpfixEncoder::add(const dp::FlowEvent& e, int64_t event_unix_ms, int64_t now_unix_ms)
{
    const uint8_t nat_event = nat_event_of(e);
    if (nat_event == 0)
        return false;
    const TemplateId id = template_of(e);
    const auto set_id = static_cast<uint16_t>(id);
    const std::size_t bytes = record_bytes_of(id);
    const std::size_t needed = bytes + (set_template_ == set_id ? 0 : kSetHeaderBytes);
    if (!open_.empty() && open_.size() + needed > settings_.max_message_bytes)
        close_message(now_unix_ms);
    if (open_.empty())
        open_message(now_unix_ms);
    if (set_template_ != set_id) {
        close_set();
        set_start_ = open_.size();
        set_template_ = set_id;
        put_u16(open_, set_id);   // RFC 7011 s3.3.2: a data set's id is its template's
        put_u16(open_, 0);
    }
    [[maybe_unused]] const std::size_t before = open_.size();
    write_record(open_, e, nat_event, event_unix_ms, settings_.prefix);
    assert(open_.size() - before == bytes);
    ++open_records_;
    return true;
}

void IpfixEncoder::flush(int64_t now_unix_ms)
{
    if (open_.empty() && templates_due(now_unix_ms))
        open_message(now_unix_ms);
    close_message(now_unix_ms);
}

IpfixExporter::IpfixExporter(const UdpEndpoint& collector, const EncoderSettings& settings,
                             ExporterCounters& counters)
    : encoder_(settings), counters_(counters)
{
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (collector.is_ip6) {
        sockaddr_in6 a{};
        a.sin6_family = AF_INET6;
        a.sin6_port = htons(collector.port);
        std::memcpy(&a.sin6_addr, collector.ip6.data(), collector.ip6.size());
        std::memcpy(&ss, &a, sizeof a);
        len = sizeof a;
    } else {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(collector.port);
        a.sin_addr.s_addr = htonl(collector.ip4);
        std::memcpy(&ss, &a, sizeof a);
        len = sizeof a;
    }
    const std::string where = collector.is_ip6 ? fmt::format("[{}]:{}", format_ip6(collector.ip6), collector.port)
                                               : fmt::format("{}:{}", format_ip4(collector.ip4), collector.port);
    // Non-blocking: the control thread also ages flows and answers nat64ctl.
    fd_ = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0)
        throw std::runtime_error(fmt::format("control.ipfix_collector = {}: socket: {}", where, std::strerror(errno)));
    // connect(): the kernel picks the source once, and send() needs no address.
    if (connect(fd_, reinterpret_cast<const sockaddr*>(&ss), len) != 0) {
        const int err = errno;
        close(fd_);
        throw std::runtime_error(fmt::format("control.ipfix_collector = {}: connect: {}", where, std::strerror(err)));
    }
}

IpfixExporter::~IpfixExporter()
{
    if (fd_ >= 0)
        close(fd_);
}

void IpfixExporter::add(const dp::FlowEvent& e, int64_t event_unix_ms, int64_t now_unix_ms)
{
    if (!encoder_.add(e, event_unix_ms, now_unix_ms))
        counters_.records_skipped.fetch_add(1, std::memory_order_relaxed);
    if (!encoder_.ready().empty())
        send_ready();   // a full message leaves at once: memory stays one message
}

void IpfixExporter::flush(int64_t now_unix_ms)
{
    encoder_.flush(now_unix_ms);
    send_ready();
}

void IpfixExporter::send_ready()
{
    for (const IpfixEncoder::Message& m : encoder_.ready()) {
        // MSG_DONTWAIT: a full socket buffer drops the message (counted) instead
        // of stalling the loop; its records show as a sequence gap at the collector.
        const ssize_t n = send(fd_, m.bytes.data(), m.bytes.size(), MSG_DONTWAIT);
        if (n == static_cast<ssize_t>(m.bytes.size())) {
            counters_.messages_sent.fetch_add(1, std::memory_order_relaxed);
            counters_.records_sent.fetch_add(m.records, std::memory_order_relaxed);
        } else {
            counters_.send_errors.fetch_add(1, std::memory_order_relaxed);
        }
    }
    encoder_.ready().clear();
}

} // namespace nat64d::ctl::ipfix
