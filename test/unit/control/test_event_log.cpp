// control/event_log.cpp: the documented line format (docs/EVENT_LOG.md), UTC
// times, the file writer.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

#include "control/config/load.hpp"
#include "control/event_log.hpp"

using namespace nat64d;
using namespace nat64d::ctl;

namespace {

dp::FlowEvent event(dp::FlowEventKind kind, uint8_t proto)
{
    dp::FlowEvent e;
    e.kind = kind;
    e.proto6 = proto;
    REQUIRE(parse_ip6("2001:db8::5", e.src6));
    e.sport6 = 40000;
    e.pub4 = 0xC0000201;   // 192.0.2.1
    e.pub_port = 40123;
    e.dst4 = 0xC6336407;   // 198.51.100.7
    e.dport = 443;
    return e;
}

constexpr int64_t kT = 1'795'000'000'123;   // 2026-11-18T11:06:40.123Z

} // namespace

TEST_CASE("event log: UTC with milliseconds", "[control][event_log]")
{
    CHECK(format_utc_ms(0) == "1970-01-01T00:00:00.000Z");
    CHECK(format_utc_ms(kT) == "2026-11-18T11:06:40.123Z");
    CHECK(format_utc_ms(951'782'400'999) == "2000-02-29T00:00:00.999Z");
}

TEST_CASE("event log: one line per event, in the documented format", "[control][event_log]")
{
    CHECK(format_event(event(dp::FlowEventKind::session_create, kProtoTcp), kT) ==
          "2026-11-18T11:06:40.123Z session-create tcp src=[2001:db8::5]:40000 pub=192.0.2.1:40123 dst=198.51.100.7:443");
    CHECK(format_event(event(dp::FlowEventKind::session_delete, kProtoUdp), kT) ==
          "2026-11-18T11:06:40.123Z session-delete udp src=[2001:db8::5]:40000 pub=192.0.2.1:40123 dst=198.51.100.7:443");
    CHECK(format_event(event(dp::FlowEventKind::mapping_create, kProtoIcmp6), kT) ==
          "2026-11-18T11:06:40.123Z mapping-create icmp src=[2001:db8::5]:40000 pub=192.0.2.1:40123");
    dp::FlowEvent s = event(dp::FlowEventKind::mapping_delete, kProtoTcp);
    s.is_static = 1;
    CHECK(format_event(s, kT) == "2026-11-18T11:06:40.123Z mapping-delete tcp src=[2001:db8::5]:40000 pub=192.0.2.1:40123 static");
    CHECK(format_events_lost(12, kT) == "2026-11-18T11:06:40.123Z events-lost 12");
}

TEST_CASE("event log: off without a file, appends to a file, reopens", "[control][event_log]")
{
    CHECK_FALSE(EventLog("", false).enabled());
    char tmpl[] = "/tmp/nat64d-evtest.XXXXXX";
    const int fd = mkstemp(tmpl);
    REQUIRE(fd >= 0);
    close(fd);
    {
        EventLog log(tmpl, false);
        CHECK(log.enabled());
        log.write("one");
        log.flush();
        std::rename(tmpl, (std::string(tmpl) + ".1").c_str());   // logrotate
        log.reopen();
        log.write("two");
        log.flush();
    }
    std::ifstream a(std::string(tmpl) + ".1"), b(tmpl);
    std::string la, lb;
    std::getline(a, la);
    std::getline(b, lb);
    CHECK(la == "one");
    CHECK(lb == "two");
    std::remove(tmpl);
    std::remove((std::string(tmpl) + ".1").c_str());
    CHECK_THROWS_WITH(EventLog("/nonexistent/dir/x.log", false), Catch::Contains("control.log_file = /nonexistent/dir/x.log"));
}

TEST_CASE("event log: retargeted by a reload, or left as it was when the new file cannot be opened",
          "[control][event_log][reload]")
{
    const std::string a = "/tmp/nat64d-evlog-a-" + std::to_string(getpid());
    const std::string b = "/tmp/nat64d-evlog-b-" + std::to_string(getpid());
    {
        nat64d::ctl::EventLog log("", false);
        CHECK_FALSE(log.enabled());
        CHECK(log.retarget(a, false).empty());
        CHECK(log.enabled());
        log.write("one");
        log.flush();
        CHECK(log.retarget("/nonexistent-dir/events.log", false) ==
              "control.log_file = /nonexistent-dir/events.log: No such file or directory");
        log.write("two");   // still to a
        log.flush();
        CHECK(log.retarget(b, false).empty());
        log.write("three");
        log.flush();
        CHECK(log.retarget("", false).empty());
        CHECK_FALSE(log.enabled());
    }
    std::ifstream in_a(a), in_b(b);
    std::stringstream text_a, text_b;
    text_a << in_a.rdbuf();
    text_b << in_b.rdbuf();
    CHECK(text_a.str() == "one\ntwo\n");
    CHECK(text_b.str() == "three\n");
    std::remove(a.c_str());
    std::remove(b.c_str());
}
