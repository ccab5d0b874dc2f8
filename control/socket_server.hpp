// The management socket: a Unix stream socket served from the control thread
// with poll(), never blocking. Each connection sends request lines and gets
// one reply line each (control/protocol.hpp). What it tolerates: a line over
// 64 KiB gets an error and a close; a client that stops reading is closed once
// its unsent replies pass max_output_bytes; a client silent for idle_timeout_ms
// is closed; past max_clients a new connection gets an error and a close.
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
};

struct SocketOwner {
    mode_t mode = 0660;
    uid_t uid = static_cast<uid_t>(-1);     // -1: leave as created
    gid_t gid = static_cast<gid_t>(-1);
};

/// What the daemon answers to one request line.
struct Reply {
    std::string text;                        // one line, newline included
    bool close = false;                      // close the connection once it is sent
};

/// Creates the directory a socket or pid file goes in (one level, mode 0755) when
/// it is missing, as systemd's RuntimeDirectory= does for the service: the
/// default paths are in /run/nat64d/. Errors are left to the open that follows.
void ensure_parent_dir(const std::string& file_path);

class SocketServer {
public:
    using Handler = std::function<Reply(const std::string& line)>;

    /// Binds and listens at `path` (a stale socket file there is replaced).
    /// Throws std::runtime_error naming the path.
    SocketServer(std::string path, const SocketOwner& owner, Handler handler, SocketLimits limits = {});
    ~SocketServer();
    SocketServer(const SocketServer&) = delete;
    SocketServer& operator=(const SocketServer&) = delete;

    /// Waits up to timeout_ms for activity, then serves what is ready. now_ms:
    /// a monotonic clock for idle timeouts.
    void poll_once(int timeout_ms, uint64_t now_ms);
    size_t clients() const noexcept { return clients_.size(); }
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
        uint64_t last_active_ms = 0;
    };
    void accept_clients(uint64_t now_ms);
    bool serve_input(Client& c, uint64_t now_ms);   // false: close now
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
