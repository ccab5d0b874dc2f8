// control/ipfix.cpp: the octets of RFC 7011 messages carrying RFC 8158 NAT
// events, checked at offsets written out here from the RFCs (not with a
// decoder of ours): message header (RFC 7011 s3.1), set headers (s3.3.2),
// template records (s3.4.1), each record's fields in template order, sequence
// numbers, template refresh (s8.4) and the message size limit.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <tuple>
#include <vector>

#include "control/config/load.hpp"
#include "control/ipfix.hpp"

using namespace nat64d;
using namespace nat64d::ctl;
using namespace nat64d::ctl::ipfix;

namespace {

constexpr int64_t kNow = 1'795'000'000'123;     // 2026-11-18T11:06:40.123Z
constexpr int64_t kEventMs = 1'795'000'000'045;
constexpr uint32_t kDomain = 0x01020304;

// RFC 7011 s3.1 message header: version 0, length 2, export time 4, sequence 8, domain 12.
constexpr std::size_t kHdr = 16;
// All six templates (ipfix.cpp), written out: set header 4, then per template
// 4 + 4 per field: session 11 fields, BIB 7, ports exhausted 6, quota 7 and 7, port block 8.
constexpr std::size_t kTemplateSetLen = 4 + (4 + 4 * 11) + (4 + 4 * 7) + (4 + 4 * 6) + (4 + 4 * 7) * 2 + (4 + 4 * 8);
static_assert(kTemplateSetLen == 212);
// Record lengths, the sums of each template's field lengths.
constexpr std::size_t kSessionRec = 8 + 1 + 16 + 4 + 1 + 2 + 2 + 16 + 4 + 2 + 2;   // 58
constexpr std::size_t kBibRec = 8 + 1 + 16 + 4 + 1 + 2 + 2;                        // 34
constexpr std::size_t kPortsExhaustedRec = 8 + 1 + 4 + 1 + 16 + 2;                 // 32
constexpr std::size_t kQuotaRec = 8 + 1 + 4 + 4 + 16 + 1 + 1;                      // 35
constexpr std::size_t kBlockRec = 8 + 1 + 16 + 1 + 4 + 1 + 2 + 2;                  // 35

uint16_t u16(const std::vector<uint8_t>& b, std::size_t at)
{
    REQUIRE(at + 2 <= b.size());
    return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}
uint32_t u32(const std::vector<uint8_t>& b, std::size_t at)
{
    return static_cast<uint32_t>(u16(b, at)) << 16 | u16(b, at + 2);
}
uint64_t u64(const std::vector<uint8_t>& b, std::size_t at)
{
    return static_cast<uint64_t>(u32(b, at)) << 32 | u32(b, at + 4);
}
std::array<uint8_t, 16> ip6_at(const std::vector<uint8_t>& b, std::size_t at)
{
    REQUIRE(at + 16 <= b.size());
    std::array<uint8_t, 16> a{};
    std::copy(b.begin() + static_cast<std::ptrdiff_t>(at), b.begin() + static_cast<std::ptrdiff_t>(at + 16), a.begin());
    return a;
}
In6 ip6(const char* text)
{
    In6 a{};
    REQUIRE(parse_ip6(text, a));
    return a;
}

dp::FlowEvent event(dp::FlowEventKind kind, uint8_t proto)
{
    dp::FlowEvent e;
    e.kind = kind;
    e.proto6 = proto;
    e.src6 = ip6("2001:db8::5");
    e.sport6 = 40000;
    e.pub4 = 0xC0000201;   // 192.0.2.1
    e.pub_port = 40123;
    e.dst4 = 0xC6336407;   // 198.51.100.7
    e.dport = 443;
    return e;
}

EncoderSettings settings(uint32_t max_bytes = 1400, uint32_t refresh_s = 60)
{
    EncoderSettings s;
    s.observation_domain_id = kDomain;
    s.max_message_bytes = max_bytes;
    s.template_refresh_s = refresh_s;
    s.prefix = xlate::well_known_prefix();
    return s;
}

/// An encoder that already sent its templates, so the next message is data only.
IpfixEncoder primed(uint32_t max_bytes = 1400)
{
    IpfixEncoder enc(settings(max_bytes));
    enc.flush(kNow - 1000);
    REQUIRE(enc.ready().size() == 1);
    enc.ready().clear();
    return enc;
}

/// The one message a single event makes on a primed encoder; checks the
/// header and the data set header, returns the message.
std::vector<uint8_t> one_record_message(const dp::FlowEvent& e, uint16_t template_id, std::size_t rec_len)
{
    IpfixEncoder enc = primed();
    REQUIRE(enc.add(e, kEventMs, kNow));
    enc.flush(kNow);
    REQUIRE(enc.ready().size() == 1);
    std::vector<uint8_t> m = enc.ready()[0].bytes;
    CHECK(enc.ready()[0].records == 1);
    CHECK(m.size() == kHdr + 4 + rec_len);
    CHECK(u16(m, 0) == 10);                   // version
    CHECK(u16(m, 2) == m.size());             // length
    CHECK(u32(m, 4) == kNow / 1000);          // export time, seconds
    CHECK(u32(m, 8) == 0);                    // no data record was sent before
    CHECK(u32(m, 12) == kDomain);
    CHECK(u16(m, kHdr) == template_id);       // data set id = template id
    CHECK(u16(m, kHdr + 2) == 4 + rec_len);
    CHECK(u64(m, kHdr + 4) == static_cast<uint64_t>(kEventMs));   // observationTimeMilliseconds
    return m;
}

} // namespace

TEST_CASE("ipfix: the first message carries the header and every template", "[control][ipfix][rfc7011]")
{
    IpfixEncoder enc(settings());
    REQUIRE(enc.add(event(dp::FlowEventKind::session_create, kProtoTcp), kEventMs, kNow));
    enc.flush(kNow);
    REQUIRE(enc.ready().size() == 1);
    const std::vector<uint8_t>& m = enc.ready()[0].bytes;
    REQUIRE(m.size() == kHdr + kTemplateSetLen + 4 + kSessionRec);
    CHECK(u16(m, 0) == 10);
    CHECK(u16(m, 2) == m.size());
    CHECK(u32(m, 8) == 0);
    CHECK(u32(m, 12) == kDomain);
    // Template set (id 2), then template 256 (NAT64 session): 11 fields.
    CHECK(u16(m, 16) == 2);
    CHECK(u16(m, 18) == kTemplateSetLen);
    CHECK(u16(m, 20) == 256);
    CHECK(u16(m, 22) == 11);
    const std::vector<std::pair<uint16_t, uint16_t>> session_fields = {
        {323, 8}, {230, 1}, {27, 16}, {225, 4}, {4, 1}, {7, 2}, {227, 2}, {28, 16}, {226, 4}, {11, 2}, {228, 2}};
    for (std::size_t i = 0; i < session_fields.size(); ++i) {
        CHECK(u16(m, 24 + 4 * i) == session_fields[i].first);
        CHECK(u16(m, 26 + 4 * i) == session_fields[i].second);
    }
    // Template 257 (NAT64 BIB) right after: 7 fields.
    const std::size_t bib = 20 + 4 + 4 * 11;
    CHECK(u16(m, bib) == 257);
    CHECK(u16(m, bib + 2) == 7);
    const std::vector<std::pair<uint16_t, uint16_t>> bib_fields = {
        {323, 8}, {230, 1}, {27, 16}, {225, 4}, {4, 1}, {7, 2}, {227, 2}};
    for (std::size_t i = 0; i < bib_fields.size(); ++i) {
        CHECK(u16(m, bib + 4 + 4 * i) == bib_fields[i].first);
        CHECK(u16(m, bib + 6 + 4 * i) == bib_fields[i].second);
    }
    // Then 258 ports exhausted (6), 259 quota/sessions (7), 260 quota/BIB (7), 261 port block (8).
    std::size_t at = bib + 4 + 4 * 7;
    for (const auto& [id, n] : std::vector<std::pair<uint16_t, uint16_t>>{{258, 6}, {259, 7}, {260, 7}, {261, 8}}) {
        CHECK(u16(m, at) == id);
        CHECK(u16(m, at + 2) == n);
        if (id == 259 || id == 260) {   // natQuotaExceededEvent, then maxSessionEntries or maxBIBEntries
            CHECK(u16(m, at + 4 + 4 * 2) == 466);
            CHECK(u16(m, at + 4 + 4 * 3) == (id == 259 ? 471 : 472));
        }
        if (id == 261) {   // portRangeStart, portRangeEnd last
            CHECK(u16(m, at + 4 + 4 * 6) == 361);
            CHECK(u16(m, at + 4 + 4 * 7) == 362);
        }
        at += 4 + 4u * n;
    }
    CHECK(at == 16 + kTemplateSetLen);
    // The data set follows the template set.
    CHECK(u16(m, at) == 256);
    CHECK(u16(m, at + 2) == 4 + kSessionRec);
}

TEST_CASE("ipfix: NAT64 session create and delete (RFC 8158 natEvent 6, 7)", "[control][ipfix][rfc8158]")
{
    for (const auto& [kind, nat_event] : std::vector<std::pair<dp::FlowEventKind, uint8_t>>{
             {dp::FlowEventKind::session_create, 6}, {dp::FlowEventKind::session_delete, 7}}) {
        const std::vector<uint8_t> m = one_record_message(event(kind, kProtoTcp), 256, kSessionRec);
        const std::size_t r = kHdr + 4;
        CHECK(m[r + 8] == nat_event);
        CHECK(ip6_at(m, r + 9) == ip6("2001:db8::5"));          // sourceIPv6Address
        CHECK(u32(m, r + 25) == 0xC0000201);                    // postNATSourceIPv4Address
        CHECK(m[r + 29] == 6);                                  // protocolIdentifier
        CHECK(u16(m, r + 30) == 40000);                         // sourceTransportPort
        CHECK(u16(m, r + 32) == 40123);                         // postNAPTSourceTransportPort
        CHECK(ip6_at(m, r + 34) == ip6("64:ff9b::c633:6407"));  // destinationIPv6Address (RFC 6052)
        CHECK(u32(m, r + 50) == 0xC6336407);                    // postNATDestinationIPv4Address
        CHECK(u16(m, r + 54) == 443);                           // destinationTransportPort
        CHECK(u16(m, r + 56) == 443);                           // postNAPTDestinationTransportPort
    }
}

TEST_CASE("ipfix: NAT64 BIB create and delete (RFC 8158 natEvent 10, 11)", "[control][ipfix][rfc8158]")
{
    for (const auto& [kind, nat_event] : std::vector<std::pair<dp::FlowEventKind, uint8_t>>{
             {dp::FlowEventKind::mapping_create, 10}, {dp::FlowEventKind::mapping_delete, 11}}) {
        const std::vector<uint8_t> m = one_record_message(event(kind, kProtoUdp), 257, kBibRec);
        const std::size_t r = kHdr + 4;
        CHECK(m[r + 8] == nat_event);
        CHECK(ip6_at(m, r + 9) == ip6("2001:db8::5"));
        CHECK(u32(m, r + 25) == 0xC0000201);
        CHECK(m[r + 29] == 17);
        CHECK(u16(m, r + 30) == 40000);
        CHECK(u16(m, r + 32) == 40123);
    }
}

TEST_CASE("ipfix: NAT ports exhausted (RFC 8158 natEvent 12)", "[control][ipfix][rfc8158]")
{
    dp::FlowEvent e = event(dp::FlowEventKind::ports_exhausted, kProtoIcmp6);
    const std::vector<uint8_t> m = one_record_message(e, 258, kPortsExhaustedRec);
    const std::size_t r = kHdr + 4;
    CHECK(m[r + 8] == 12);
    CHECK(u32(m, r + 9) == 0xC0000201);                 // postNATSourceIPv4Address: the exhausted address
    CHECK(m[r + 13] == 58);                             // protocolIdentifier (the IPv6 side's: ICMPv6)
    CHECK(ip6_at(m, r + 14) == ip6("2001:db8::5"));     // sourceIPv6Address: who was refused
    CHECK(u16(m, r + 30) == 40000);
}

TEST_CASE("ipfix: quota exceeded (RFC 8158 natEvent 13, natQuotaExceededEvent 1 and 2)", "[control][ipfix][rfc8158]")
{
    for (const auto& [quota, template_id, quota_event, limit] :
         std::vector<std::tuple<dp::QuotaKind, uint16_t, uint32_t, uint32_t>>{
             {dp::QuotaKind::sessions, 259, 1, 2000}, {dp::QuotaKind::ports, 260, 2, 512}}) {
        dp::FlowEvent e = event(dp::FlowEventKind::quota_exceeded, kProtoTcp);
        e.src6 = ip6("2001:db8:0:100::");
        e.subscriber_len = 56;
        e.quota = quota;
        e.limit = limit;
        const std::vector<uint8_t> m = one_record_message(e, template_id, kQuotaRec);
        const std::size_t r = kHdr + 4;
        CHECK(m[r + 8] == 13);
        CHECK(u32(m, r + 9) == quota_event);                  // natQuotaExceededEvent
        CHECK(u32(m, r + 13) == limit);                       // maxSessionEntries / maxBIBEntries
        CHECK(ip6_at(m, r + 17) == ip6("2001:db8:0:100::"));  // sourceIPv6Address: the subscriber's prefix
        CHECK(m[r + 33] == 56);                               // sourceIPv6PrefixLength
        CHECK(m[r + 34] == 6);
    }
    // A rate limit has no natQuotaExceededEvent value: no record.
    dp::FlowEvent rate = event(dp::FlowEventKind::quota_exceeded, kProtoTcp);
    rate.quota = dp::QuotaKind::new_sessions_per_s;
    IpfixEncoder enc = primed();
    CHECK(nat_event_of(rate) == 0);
    CHECK_FALSE(enc.add(rate, kEventMs, kNow));
    enc.flush(kNow);
    CHECK(enc.ready().empty());
}

TEST_CASE("ipfix: port block allocation and de-allocation (RFC 8158 natEvent 16, 17)", "[control][ipfix][rfc8158]")
{
    for (const auto& [kind, nat_event] : std::vector<std::pair<dp::FlowEventKind, uint8_t>>{
             {dp::FlowEventKind::block_allocate, 16}, {dp::FlowEventKind::block_release, 17}}) {
        dp::FlowEvent e = event(kind, kProtoUdp);
        e.src6 = ip6("2001:db8:0:100::");
        e.subscriber_len = 56;
        e.pub_port = 2048;
        e.dport = 2559;   // the block's last port
        const std::vector<uint8_t> m = one_record_message(e, 261, kBlockRec);
        const std::size_t r = kHdr + 4;
        CHECK(m[r + 8] == nat_event);
        CHECK(ip6_at(m, r + 9) == ip6("2001:db8:0:100::"));
        CHECK(m[r + 25] == 56);
        CHECK(u32(m, r + 26) == 0xC0000201);
        CHECK(m[r + 30] == 17);
        CHECK(u16(m, r + 31) == 2048);   // portRangeStart
        CHECK(u16(m, r + 33) == 2559);   // portRangeEnd
    }
}

TEST_CASE("ipfix: records of one shape share a data set, another shape opens the next", "[control][ipfix][rfc7011]")
{
    IpfixEncoder enc = primed();
    REQUIRE(enc.add(event(dp::FlowEventKind::mapping_create, kProtoTcp), kEventMs, kNow));
    REQUIRE(enc.add(event(dp::FlowEventKind::session_create, kProtoTcp), kEventMs, kNow));
    REQUIRE(enc.add(event(dp::FlowEventKind::session_create, kProtoTcp), kEventMs, kNow));
    REQUIRE(enc.add(event(dp::FlowEventKind::mapping_delete, kProtoTcp), kEventMs, kNow));
    enc.flush(kNow);
    REQUIRE(enc.ready().size() == 1);
    const std::vector<uint8_t>& m = enc.ready()[0].bytes;
    CHECK(enc.ready()[0].records == 4);
    std::size_t at = kHdr;
    CHECK(u16(m, at) == 257);
    CHECK(u16(m, at + 2) == 4 + kBibRec);
    at += 4 + kBibRec;
    CHECK(u16(m, at) == 256);
    CHECK(u16(m, at + 2) == 4 + 2 * kSessionRec);
    at += 4 + 2 * kSessionRec;
    CHECK(u16(m, at) == 257);
    CHECK(u16(m, at + 2) == 4 + kBibRec);
    at += 4 + kBibRec;
    CHECK(at == m.size());
    CHECK(u16(m, 2) == m.size());
}

TEST_CASE("ipfix: sequence number counts the data records sent before each message", "[control][ipfix][rfc7011]")
{
    IpfixEncoder enc(settings());
    for (int i = 0; i < 3; ++i)
        REQUIRE(enc.add(event(dp::FlowEventKind::session_create, kProtoUdp), kEventMs, kNow));
    enc.flush(kNow);
    for (int i = 0; i < 2; ++i)
        REQUIRE(enc.add(event(dp::FlowEventKind::mapping_create, kProtoUdp), kEventMs, kNow + 10));
    enc.flush(kNow + 10);
    enc.flush(kNow + 60'000);   // templates alone: no data records
    REQUIRE(enc.add(event(dp::FlowEventKind::session_delete, kProtoUdp), kEventMs, kNow + 60'010));
    enc.flush(kNow + 60'010);
    const auto& r = enc.ready();
    REQUIRE(r.size() == 4);
    CHECK(u32(r[0].bytes, 8) == 0);
    CHECK(u32(r[1].bytes, 8) == 3);
    CHECK(u32(r[2].bytes, 8) == 5);
    CHECK(r[2].records == 0);
    CHECK(u32(r[3].bytes, 8) == 5);
    CHECK(enc.sequence() == 6);
}

TEST_CASE("ipfix: templates with the first message, then every template_refresh_s (RFC 7011 s8.4)",
          "[control][ipfix][rfc7011]")
{
    IpfixEncoder enc(settings(1400, 60));
    const auto has_templates = [](const std::vector<uint8_t>& m) { return m.size() > kHdr && u16(m, kHdr) == 2; };
    enc.flush(kNow);   // nothing to send, but templates are due: a message of templates alone
    REQUIRE(enc.ready().size() == 1);
    CHECK(has_templates(enc.ready()[0].bytes));
    CHECK(enc.ready()[0].bytes.size() == kHdr + kTemplateSetLen);
    enc.ready().clear();

    enc.flush(kNow + 59'999);   // not due, nothing to send: no message
    CHECK(enc.ready().empty());
    REQUIRE(enc.add(event(dp::FlowEventKind::session_create, kProtoUdp), kEventMs, kNow + 59'999));
    enc.flush(kNow + 59'999);
    REQUIRE(enc.ready().size() == 1);
    CHECK_FALSE(has_templates(enc.ready()[0].bytes));
    enc.ready().clear();

    REQUIRE(enc.add(event(dp::FlowEventKind::session_create, kProtoUdp), kEventMs, kNow + 60'000));
    enc.flush(kNow + 60'000);
    REQUIRE(enc.ready().size() == 1);
    CHECK(has_templates(enc.ready()[0].bytes));
    enc.ready().clear();

    enc.flush(kNow + 120'000);   // idle for a whole period: the templates go alone
    REQUIRE(enc.ready().size() == 1);
    CHECK(has_templates(enc.ready()[0].bytes));
    enc.ready().clear();
    enc.flush(kNow + 120'001);
    CHECK(enc.ready().empty());
}

TEST_CASE("ipfix: messages never exceed the configured size; records split across them", "[control][ipfix][rfc7011]")
{
    IpfixEncoder enc(settings(512));
    for (int i = 0; i < 100; ++i) {
        dp::FlowEvent e = event(dp::FlowEventKind::session_create, kProtoTcp);
        e.sport6 = static_cast<uint16_t>(1000 + i);
        REQUIRE(enc.add(e, kEventMs, kNow));
    }
    enc.flush(kNow);
    const auto& r = enc.ready();
    // First: 16 + 212 + 4 + n * 58 <= 512 gives 4 records; then 16 + 4 + n * 58 <= 512 gives 8.
    REQUIRE(r.size() == 13);
    uint32_t seq = 0;
    uint16_t next_port = 1000;
    for (std::size_t i = 0; i < r.size(); ++i) {
        const std::vector<uint8_t>& m = r[i].bytes;
        CHECK(m.size() <= 512);
        CHECK(u16(m, 2) == m.size());
        CHECK(u32(m, 8) == seq);
        const std::size_t data = i == 0 ? kHdr + kTemplateSetLen : kHdr;
        CHECK(r[i].records == (i == 0 ? 4u : 8u));
        CHECK(u16(m, data) == 256);
        CHECK(u16(m, data + 2) == 4 + r[i].records * kSessionRec);
        for (uint32_t k = 0; k < r[i].records; ++k)   // sourceTransportPort of each, in order
            CHECK(u16(m, data + 4 + k * kSessionRec + 30) == next_port++);
        seq += r[i].records;
    }
    CHECK(seq == 100);
}

TEST_CASE("ipfix: the exporter sends over a connected UDP socket and counts", "[control][ipfix]")
{
    const int rx = socket(AF_INET, SOCK_DGRAM, 0);
    REQUIRE(rx >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(rx, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    REQUIRE(getsockname(rx, reinterpret_cast<sockaddr*>(&a), &len) == 0);

    UdpEndpoint collector;
    collector.ip4 = INADDR_LOOPBACK;
    collector.port = ntohs(a.sin_port);
    ExporterCounters counters;
    {
        IpfixExporter exporter(collector, settings(), counters);
        exporter.add(event(dp::FlowEventKind::session_create, kProtoTcp), kEventMs, kNow);
        dp::FlowEvent rate = event(dp::FlowEventKind::quota_exceeded, kProtoTcp);
        rate.quota = dp::QuotaKind::new_sessions_per_s;
        exporter.add(rate, kEventMs, kNow);
        exporter.flush(kNow);
        CHECK(exporter.counters().messages_sent.load() == 1);
        CHECK(exporter.counters().records_sent.load() == 1);
        CHECK(exporter.counters().records_skipped.load() == 1);
        CHECK(exporter.counters().send_errors.load() == 0);
    }
    pollfd p{rx, POLLIN, 0};
    REQUIRE(poll(&p, 1, 2000) == 1);
    std::vector<uint8_t> buf(2048);
    const ssize_t n = recv(rx, buf.data(), buf.size(), 0);
    REQUIRE(n == static_cast<ssize_t>(kHdr + kTemplateSetLen + 4 + kSessionRec));
    buf.resize(static_cast<std::size_t>(n));
    CHECK(u16(buf, 0) == 10);
    CHECK(u16(buf, 2) == n);
    CHECK(u32(buf, 12) == kDomain);

    // A reload that moves the collector makes a new exporter on the same
    // counters: the counts go on, and the new session starts with the
    // templates and sequence number 0 (RFC 7011 s3.1: a sequence per session).
    {
        IpfixExporter again(collector, settings(), counters);
        again.add(event(dp::FlowEventKind::session_create, kProtoUdp), kEventMs, kNow);
        again.flush(kNow);
    }
    CHECK(counters.messages_sent.load() == 2);
    CHECK(counters.records_sent.load() == 2);
    REQUIRE(poll(&p, 1, 2000) == 1);
    const ssize_t n2 = recv(rx, buf.data(), buf.size(), 0);
    REQUIRE(n2 == static_cast<ssize_t>(kHdr + kTemplateSetLen + 4 + kSessionRec));
    CHECK(u32(buf, 8) == 0);
    close(rx);
}
