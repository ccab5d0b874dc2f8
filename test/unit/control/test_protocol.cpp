// control/protocol.cpp: request parsing and its errors, filters, reply lines,
// line framing with the 64 KiB limit.
#include <catch2/catch.hpp>

#include "control/config/load.hpp"
#include "control/protocol.hpp"

using namespace nat64d;
using namespace nat64d::ctl;

namespace {

In6 ip6(const char* text)
{
    In6 a{};
    REQUIRE(parse_ip6(text, a));
    return a;
}

std::string error_of(std::string_view line)
{
    try {
        parse_request(line);
    } catch (const RequestError& e) {
        return e.what();
    }
    return "";
}

} // namespace

TEST_CASE("protocol: each command parses", "[control][protocol]")
{
    CHECK(parse_request(R"({"cmd":"stats"})").cmd == Command::stats);
    CHECK(parse_request(R"({"cmd":"config"})").cmd == Command::config);
    CHECK(parse_request(R"({"cmd":"health"})").cmd == Command::health);
    CHECK(parse_request(R"({"cmd":"bib"})").cmd == Command::bib_list);
    CHECK(parse_request(R"({"cmd":"bib","op":"list","proto":"udp"})").filter.proto6 == kProtoUdp);

    const Request f = parse_request(
        R"({"cmd":"flows","proto":"tcp","ipv6":"2001:db8::/32","public":"192.0.2.1","public_port":40123,"limit":5})");
    CHECK(f.cmd == Command::flows);
    CHECK(f.filter.proto6 == kProtoTcp);
    CHECK(f.filter.addr6 == ip6("2001:db8::"));
    CHECK(f.filter.prefix_len == 32);
    CHECK(f.filter.pub4 == 0xC0000201u);
    CHECK(f.filter.pub_port == 40123);
    CHECK(f.filter.limit == 5);

    const Request a = parse_request(
        R"({"cmd":"bib","op":"add","proto":"tcp","ipv6":"2001:db8::5","port6":80,"ipv4":"192.0.2.1","port4":8080})");
    CHECK(a.cmd == Command::bib_add);
    CHECK(a.bib.proto6 == kProtoTcp);
    CHECK(a.bib.addr6 == ip6("2001:db8::5"));
    CHECK(a.bib.port6 == 80);
    CHECK(a.bib.addr4 == 0xC0000201u);
    CHECK(a.bib.port4 == 8080);

    const Request d = parse_request(R"({"cmd":"bib","op":"del","proto":"icmp","ipv6":"2001:db8::5","port6":7})");
    CHECK(d.cmd == Command::bib_del);
    CHECK(d.bib.proto6 == kProtoIcmp6);
}

TEST_CASE("protocol: flows without filters takes the default limit", "[control][protocol]")
{
    const Request f = parse_request(R"({"cmd":"flows"})");
    CHECK_FALSE(f.filter.proto6);
    CHECK_FALSE(f.filter.addr6);
    CHECK(f.filter.limit == kDefaultListLimit);
}

TEST_CASE("protocol: bad requests are refused with a reason", "[control][protocol]")
{
    CHECK(error_of("not json") == "malformed request: not a JSON object");
    CHECK(error_of("[1,2]") == "malformed request: not a JSON object");
    CHECK(error_of("{}") == "missing \"cmd\"");
    CHECK(error_of(R"({"cmd":5})") == "\"cmd\" must be a string");
    CHECK(error_of(R"({"cmd":"reboot"})") == "unknown command \"reboot\" (stats, flows, bib, subscribers, config, health, reload)");
    CHECK(error_of(R"({"cmd":"flows","proto":"sctp"})") == "\"proto\" = \"sctp\": must be tcp, udp or icmp");
    CHECK(error_of(R"({"cmd":"flows","ipv6":"2001:db8::/129"})") == "\"ipv6\" = \"2001:db8::/129\": prefix length must be 0..128");
    CHECK(error_of(R"({"cmd":"flows","ipv6":"2001:db8::/x"})") == "\"ipv6\" = \"2001:db8::/x\": prefix length must be 0..128");
    CHECK(error_of(R"({"cmd":"flows","ipv6":"192.0.2.1"})") == "\"ipv6\" = \"192.0.2.1\": not an IPv6 address or prefix");
    CHECK(error_of(R"({"cmd":"flows","public":"2001:db8::1"})") == "\"public\" = \"2001:db8::1\": not an IPv4 address");
    CHECK(error_of(R"({"cmd":"flows","public_port":65536})") == "\"public_port\" = 65536: must be 0..65535");
    CHECK(error_of(R"({"cmd":"flows","public_port":-1})") == "\"public_port\" must be a number 0..65535");
    CHECK(error_of(R"({"cmd":"flows","limit":0})") == "\"limit\" = 0: must be 1..1000000");
    CHECK(error_of(R"({"cmd":"bib","op":"add","proto":"tcp","ipv6":"2001:db8::5","port6":80})") == "missing \"ipv4\"");
    CHECK(error_of(R"({"cmd":"bib","op":"move"})") == "\"op\" = \"move\": must be list, add or del");
    CHECK(error_of(R"({"cmd":"subscribers","sort":"name"})") == "\"sort\" = \"name\": must be ports, sessions or refused");
    CHECK(error_of(R"({"cmd":"subscribers","op":"clear"})") ==
          "clear: \"subscriber\" is required (an IPv6 address or prefix)");
    CHECK(error_of(R"({"cmd":"subscribers","op":"clear","subscriber":"10.0.0.1"})") ==
          "\"subscriber\" = \"10.0.0.1\": not an IPv6 address or prefix");
    CHECK(error_of(R"({"cmd":"flows","ipv6":"2001:db8::1","subscriber":"2001:db8::1"})") ==
          "\"ipv6\" and \"subscriber\": give one of them");
    // A number beyond double's range is a malformed request like any other, not a library error.
    CHECK(error_of("99E9998") == "malformed request: a number out of range");
    CHECK(error_of(R"({"cmd":"flows","limit":1e999})") == "malformed request: a number out of range");
}

TEST_CASE("protocol: request_to_json round-trips", "[control][protocol]")
{
    for (const char* line : {R"({"cmd":"flows","proto":"udp","ipv6":"2001:db8:1::/48","public":"192.0.2.9","public_port":9,"limit":7})",
                             R"({"cmd":"bib","op":"add","proto":"udp","ipv6":"2001:db8::5","port6":53,"ipv4":"192.0.2.1","port4":53})",
                             R"({"cmd":"bib","op":"del","proto":"tcp","ipv6":"2001:db8::5","port6":22})",
                             R"({"cmd":"flows","subscriber":"2001:db8:1::5","limit":100})",
                             R"({"cmd":"flows","subscriber":"2001:db8:1::/60","limit":100})",
                             R"({"cmd":"subscribers","op":"list","limit":5,"sort":"sessions"})",
                             R"({"cmd":"subscribers","op":"clear","subscriber":"2001:db8:1::5"})",
                             R"({"cmd":"health"})"}) {
        const Request r = parse_request(line);
        const Request again = parse_request(request_to_json(r).dump());
        CHECK(request_to_json(again) == request_to_json(r));
        CHECK(request_to_json(r) == nlohmann::json::parse(line));
    }
}

TEST_CASE("protocol: filters match on prefix bits, protocol and public side", "[control][protocol]")
{
    FlowFilter f;
    f.addr6 = ip6("2001:db8:1::");
    f.prefix_len = 63;
    CHECK(filter_matches(f, kProtoTcp, ip6("2001:db8:1:1::5"), 1, 2));    // bit 64 is outside a /63
    CHECK_FALSE(filter_matches(f, kProtoTcp, ip6("2001:db8:1:2::5"), 1, 2));
    f.prefix_len = 0;
    CHECK(filter_matches(f, kProtoTcp, ip6("fe80::1"), 1, 2));
    f.prefix_len = 128;
    CHECK_FALSE(filter_matches(f, kProtoTcp, ip6("2001:db8:1::1"), 1, 2));

    FlowFilter p;
    p.proto6 = kProtoIcmp6;
    CHECK(filter_matches(p, kProtoIcmp6, ip6("::1"), 1, 2));
    CHECK_FALSE(filter_matches(p, kProtoUdp, ip6("::1"), 1, 2));
    p.proto6 = kProtoUdp;
    p.pub4 = 7;
    p.pub_port = 9;
    CHECK(filter_matches(p, kProtoUdp, ip6("::1"), 7, 9));
    CHECK_FALSE(filter_matches(p, kProtoUdp, ip6("::1"), 7, 10));
    CHECK_FALSE(filter_matches(p, kProtoUdp, ip6("::1"), 8, 9));
}

TEST_CASE("protocol: replies are one JSON line", "[control][protocol]")
{
    CHECK(ok_reply({{"a", 1}}) == "{\"ok\":true,\"result\":{\"a\":1}}\n");
    CHECK(error_reply("no \"such\" thing") == "{\"error\":\"no \\\"such\\\" thing\",\"ok\":false}\n");
    // Invalid UTF-8 from a client never makes the reply throw.
    CHECK_NOTHROW(error_reply(std::string("bad \xff byte")));
}

TEST_CASE("protocol: LineReader splits lines and refuses long ones", "[control][protocol]")
{
    LineReader r(16);
    std::string line;
    r.feed("ab\r\ncd\nef", 9);
    CHECK(r.next(line) == LineReader::Status::line);
    CHECK(line == "ab");
    CHECK(r.next(line) == LineReader::Status::line);
    CHECK(line == "cd");
    CHECK(r.next(line) == LineReader::Status::need_more);
    r.feed("gh\n", 3);
    CHECK(r.next(line) == LineReader::Status::line);
    CHECK(line == "efgh");

    LineReader full(16);
    const std::string sixteen(16, 'x');
    full.feed((sixteen + "\n").data(), 17);
    CHECK(full.next(line) == LineReader::Status::line);   // exactly the limit is fine

    LineReader over(16);
    over.feed((sixteen + "y\n").data(), 18);
    CHECK(over.next(line) == LineReader::Status::too_long);

    LineReader endless(16);
    endless.feed(sixteen.data(), 16);
    CHECK(endless.next(line) == LineReader::Status::need_more);
    endless.feed("z", 1);
    CHECK(endless.next(line) == LineReader::Status::too_long);   // no newline yet, already too long
}
