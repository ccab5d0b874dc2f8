// libFuzzer target: the management socket's input path (docs/CONTROL.md). The
// bytes are a client's stream, cut into lines by LineReader in pieces the way
// recv() may deliver them; every line goes through parse_request as
// SocketServer and Service do. Invariants: lines are exactly the stream's
// newline-separated pieces and never longer than the limit; parse_request
// throws nothing but RequestError; a parsed request survives
// request_to_json -> parse_request unchanged; every reply is one JSON line.
// Input: byte 0 sets the line limit, byte 1 the piece size, the rest is the stream.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "control/protocol.hpp"
#include "fuzz_check.hpp"

using namespace nat64d;

namespace {

// One reply line: ends in its only newline and is a JSON object with "ok".
void check_reply(const std::string& reply, bool ok)
{
    FUZZ_CHECK(!reply.empty() && reply.back() == '\n' && reply.find('\n') == reply.size() - 1);
    const nlohmann::json j = nlohmann::json::parse(reply, nullptr, false);
    FUZZ_CHECK(!j.is_discarded() && j.is_object());
    FUZZ_CHECK(j.contains("ok") && j["ok"].is_boolean() && j["ok"].get<bool>() == ok);
    FUZZ_CHECK(ok ? j.contains("result") : (j.contains("error") && j["error"].is_string()));
}

void check_request(const std::string& line)
{
    ctl::Request r;
    try {
        r = ctl::parse_request(line);
    } catch (const ctl::RequestError& e) {
        check_reply(ctl::error_reply(e.what()), false);
        return;
    } catch (const std::exception& e) {
        // The contract is RequestError only; Service::handle catches the rest
        // too, but as "malformed request: <library text>".
        std::fprintf(stderr, "parse_request threw something other than RequestError: %s\n", e.what());
        std::abort();
    }
    FUZZ_CHECK(r.filter.prefix_len <= 128);
    FUZZ_CHECK(r.filter.limit >= 1 && r.filter.limit <= ctl::kMaxListLimit);
    const nlohmann::json j = ctl::request_to_json(r);
    const std::string again_line = j.dump();
    ctl::Request again;
    try {
        again = ctl::parse_request(again_line);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "request_to_json gave a line parse_request refuses: %s: %s\n", again_line.c_str(),
                     e.what());
        std::abort();
    }
    FUZZ_CHECK(ctl::request_to_json(again) == j);
    check_reply(ctl::ok_reply(j), true);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size < 2)
        return 0;
    const size_t max_line = (size_t{data[0]} + 1) * 16;   // 16..4096: the limit is reachable
    const size_t piece = size_t{data[1]} + 1;              // what one recv() returned
    const std::string_view stream(reinterpret_cast<const char*>(data) + 2, size - 2);

    ctl::LineReader reader(max_line);
    size_t fed = 0, consumed = 0;
    std::string line;
    bool closed = false;
    while (!closed && fed < stream.size()) {
        const size_t n = std::min(piece, stream.size() - fed);
        reader.feed(stream.data() + fed, n);
        fed += n;
        for (;;) {
            const ctl::LineReader::Status st = reader.next(line);
            if (st == ctl::LineReader::Status::need_more) {
                FUZZ_CHECK(reader.buffered() == fed - consumed);
                FUZZ_CHECK(stream.substr(consumed, fed - consumed).find('\n') == std::string_view::npos);
                break;
            }
            if (st == ctl::LineReader::Status::too_long) {
                closed = true;   // the server answers once and closes
                break;
            }
            // The line is the stream up to the next newline, less a trailing CR.
            FUZZ_CHECK(line.size() <= max_line && line.find('\n') == std::string::npos);
            FUZZ_CHECK(stream.substr(consumed, line.size()) == line);
            const size_t nl = stream.find('\n', consumed);
            FUZZ_CHECK(nl != std::string_view::npos && nl < fed);
            FUZZ_CHECK(nl == consumed + line.size() || (nl == consumed + line.size() + 1 && stream[nl - 1] == '\r'));
            consumed = nl + 1;
            FUZZ_CHECK(reader.buffered() == fed - consumed);
            if (!line.empty())
                check_request(line);
        }
    }
    // A last request without its newline is answered as if it had one (SocketServer).
    if (!closed && reader.buffered() > 0) {
        reader.feed("\n", 1);
        if (reader.next(line) == ctl::LineReader::Status::line && !line.empty())
            check_request(line);
    }
    return 0;
}
