// The management socket's protocol (docs/CONTROL.md): one JSON object per line
// each way. A request names a command ("cmd") and its arguments; a reply is
// {"ok": true, "result": ...} or {"ok": false, "error": "..."}. Pure: no DPDK,
// so nat64ctl and the unit tests share it with the daemon.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "dataplane/xlate/bytes.hpp"

namespace nat64d::ctl {

/// Longest request line the daemon reads; a longer one is refused and the
/// connection closed.
inline constexpr size_t kMaxRequestBytes = 64 * 1024;
/// Default and largest `flows` / `bib list` row counts.
inline constexpr uint32_t kDefaultListLimit = 100;
inline constexpr uint32_t kMaxListLimit = 1'000'000;

/// A request the daemon cannot serve; what() is the reply's "error".
struct RequestError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

enum class Command : uint8_t {
    stats,
    flows,
    bib_list,
    bib_add,
    bib_del,
    config,
    health,
    reload,
    subscribers,        // the top subscribers by what they hold
    subscriber_clear,   // remove one subscriber's sessions
};

/// How `subscribers` orders its rows (largest first).
enum class SubscriberSort : uint8_t { ports, sessions, refused };

/// `flows` filters; every one that is set must match.
struct FlowFilter {
    std::optional<uint8_t> proto6;      // kProtoTcp, kProtoUdp, kProtoIcmp6
    std::optional<In6> addr6;           // with prefix_len: an IPv6 source prefix
    uint8_t prefix_len = 128;
    // addr6 names a subscriber: without a length given, the daemon uses its
    // nat64.subscriber_prefix_len (`flows --subscriber`, `subscribers clear`).
    bool subscriber = false;
    bool prefix_len_given = false;
    std::optional<Ip4> pub4;
    std::optional<uint16_t> pub_port;
    uint32_t limit = kDefaultListLimit;
};

/// `bib add` / `bib del` arguments (del needs no public side).
struct BibEntry {
    uint8_t proto6 = 0;
    In6 addr6{};
    uint16_t port6 = 0;
    Ip4 addr4 = 0;
    uint16_t port4 = 0;
};

struct Request {
    Command cmd = Command::stats;
    FlowFilter filter;                  // flows, bib list (proto, addr6, pub4, pub_port, limit)
    BibEntry bib;                       // bib add, bib del
    SubscriberSort sort = SubscriberSort::ports;   // subscribers
};

/// Parses one request line (without its newline). Throws RequestError.
Request parse_request(std::string_view line);

/// The request as a JSON line (what nat64ctl sends); parse_request() of it gives it back.
nlohmann::json request_to_json(const Request& r);

/// "tcp", "udp", "icmp" for kProtoTcp, kProtoUdp, kProtoIcmp6 (and kProtoIcmp4).
std::string_view proto_name(uint8_t proto6) noexcept;
/// The inverse; false if the name is none of those.
bool parse_proto(std::string_view name, uint8_t& proto6) noexcept;

/// Does an IPv6 source / public (address, port) pass the filter's address parts?
bool filter_matches(const FlowFilter& f, uint8_t proto6, const In6& src6, Ip4 pub4, uint16_t pub_port) noexcept;

/// Reply lines, newline included.
std::string ok_reply(const nlohmann::json& result);
std::string error_reply(std::string_view message);

/// Splits a byte stream into lines of at most kMaxRequestBytes (plus newline).
class LineReader {
public:
    explicit LineReader(size_t max_line = kMaxRequestBytes) : max_line_(max_line) {}
    enum class Status : uint8_t { line, need_more, too_long };
    /// Appends received bytes.
    void feed(const char* data, size_t n) { buf_.append(data, n); }
    /// The next complete line (without "\n" or "\r\n") in `line`.
    Status next(std::string& line);
    size_t buffered() const noexcept { return buf_.size(); }

private:
    size_t max_line_;
    std::string buf_;
    size_t scanned_ = 0;
};

} // namespace nat64d::ctl
