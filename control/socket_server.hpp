// The management socket: a Unix stream socket served from the control thread
// with poll(), never blocking. Each connection sends request lines and gets
// one reply line each (control/protocol.hpp). What it tolerates: a line over
// 64 KiB gets an error and a close; a client that stops reading is closed once
// its unsent replies pass max_output_bytes; a client silent for idle_timeout_ms
// is closed, and one that started a line and did not finish it within
// idle_timeout_ms of its first byte too; past max_clients a new connection
// gets an error and a close, except one from root while the reserved slot is
// free (so the operator's `nat64ctl health` always gets in). A long reply is
// made in slices, one per poll pass and client, so the control thread goes on
// ageing and serving others in between.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "control/protocol.hpp"

namespace nat64d::ctl {

struct SocketLimits {
    size_t max_clients = 64;
    size_t max_output_bytes = 64u << 20;    // unsent reply bytes per client
    size_t pause_reading_bytes = 1u << 20;  // stop reading requests while this much is unsent
    uint32_t idle_timeout_ms = 10'000;
    uint32_t max_lines_per_poll = 16;       // per client and poll, so one client cannot hog the loop
    size_t reserved_root_slots = 1;         // beyond max_clients, for connections from uid 0
};

struct SocketOwner {
    mode_t mode = 0660;
    uid_t uid = static_cast<uid_t>(-1);     // -1: leave as created
    gid_t gid = static_cast<gid_t>(-1);
};

/// What the daemon answers to one request line.
struct Reply {
    std::string text;                        // one line, newline included (or its start, with `more`)
    bool close = false;                      // close the connection once it is sent
    // Set: the reply goes on. Called once per poll pass; appends the next
    // slice to `out` and returns true once the reply (newline included) is
    // complete. The client's next request waits for it.
    std::function<bool(std::string& out)> more;
};

/// Creates the directory a socket or pid file goes in (one level, mode 0755) when
/// it is missing, as systemd's RuntimeDirectory= does for the service: the
/// default paths are in /run/nat64d/. Errors are left to the open that follows.
void ensure_parent_dir(const std::string& file_path);

class SocketServer {
public:
    using Handler = std::function<Reply(const std::string& line)>;

    /// Binds and listens at `path`. A socket file there that nobody answers
    /// (left by a daemon that died) is replaced; one that answers belongs to a
    /// running daemon and is left alone: std::runtime_error naming the path.
    SocketServer(std::string path, const SocketOwner& owner, Handler handler, SocketLimits limits = {});
    ~SocketServer();
    SocketServer(const SocketServer&) = delete;
    SocketServer& operator=(const SocketServer&) = delete;

    /// Waits up to timeout_ms for activity, then serves what is ready. now_ms:
    /// a monotonic clock for idle timeouts.
    void poll_once(int timeout_ms, uint64_t now_ms);
    size_t clients() const noexcept { return clients_.size(); }
    /// True while some reply is being made in slices: poll again without waiting.
    bool busy() const noexcept;
    uint64_t requests() const noexcept { return requests_; }
    uint64_t refused() const noexcept { return refused_; }

private:
    struct Client {
        int fd = -1;
        LineReader in;
        std::string out;
        size_t out_sent = 0;
        bool close_after_flush = false;
        bool eof = false;
        bool reserved = false;               // holds the root slot
        uint64_t last_active_ms = 0;         // last whole request, or reply bytes taken
        uint64_t line_started_ms = 0;        // first byte of the unfinished line
        std::function<bool(std::string&)> more;   // a reply still being made
    };
    void accept_clients(uint64_t now_ms);
    bool serve_input(Client& c, uint64_t now_ms);   // false: close now
    bool serve_lines(Client& c, uint64_t now_ms);   // answers the complete lines read
    bool flush_output(Client& c);                   // false: close now

    std::string path_;
    Handler handler_;
    SocketLimits limits_;
    int listen_fd_ = -1;
    std::vector<Client> clients_;
    uint64_t requests_ = 0;
    uint64_t refused_ = 0;
};

} // namespace nat64d::ctl
