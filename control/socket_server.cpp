// poll()-driven Unix socket server for the management protocol; see
// socket_server.hpp for what it tolerates and why.
#include "control/socket_server.hpp"

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>

namespace nat64d::ctl {
namespace {

constexpr size_t kReadChunk = 16 * 1024;

[[noreturn]] void fail(const std::string& path, const char* what)
{
    throw std::runtime_error(fmt::format("control.socket = {}: {}: {}", path, what, std::strerror(errno)));
}

} // namespace

void ensure_parent_dir(const std::string& file_path)
{
    const size_t slash = file_path.rfind('/');
    if (slash == std::string::npos || slash == 0)
        return;
    (void)mkdir(file_path.substr(0, slash).c_str(), 0755);
}

SocketServer::SocketServer(std::string path, const SocketOwner& owner, Handler handler, SocketLimits limits)
    : path_(std::move(path)), handler_(std::move(handler)), limits_(limits)
{
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path_.size() >= sizeof(addr.sun_path))
        throw std::runtime_error(fmt::format("control.socket = {}: path too long", path_));
    std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
    ensure_parent_dir(path_);

    // A socket file left by a nat64d that died is ours to replace; one that
    // answers is another daemon's (a second instance with another pidfile):
    // taking it over would leave that one unreachable. Anything else stays.
    struct stat st{};
    if (lstat(path_.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            errno = EEXIST;
            fail(path_, "exists and is not a socket");
        }
        const int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const bool answers = probe >= 0 && connect(probe, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
        if (probe >= 0)
            close(probe);
        if (answers)
            throw std::runtime_error(fmt::format(
                "control.socket = {}: another nat64d answers on it; give this one its own control.socket", path_));
        unlink(path_.c_str());
    }
    listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0)
        fail(path_, "socket");
    // The file is created with the final mode: no window where others may connect.
    const mode_t old_mask = umask(static_cast<mode_t>(~owner.mode & 0777));
    const int rc = bind(listen_fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
    umask(old_mask);
    if (rc != 0) {
        close(listen_fd_);
        fail(path_, "bind");
    }
    if (chmod(path_.c_str(), owner.mode) != 0 ||
        ((owner.uid != static_cast<uid_t>(-1) || owner.gid != static_cast<gid_t>(-1)) &&
         chown(path_.c_str(), owner.uid, owner.gid) != 0) ||
        listen(listen_fd_, SOMAXCONN) != 0) {
        const int e = errno;
        close(listen_fd_);
        unlink(path_.c_str());
        errno = e;
        fail(path_, "chmod/chown/listen");
    }
}

SocketServer::~SocketServer()
{
    for (Client& c : clients_)
        close(c.fd);
    if (listen_fd_ >= 0) {
        close(listen_fd_);
        unlink(path_.c_str());
    }
}

void SocketServer::accept_clients(uint64_t now_ms)
{
    for (;;) {
        const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;   // EAGAIN, or an error that the next poll reports again
        bool reserved = false;
        if (clients_.size() >= limits_.max_clients) {
            ucred peer{};
            socklen_t len = sizeof(peer);
            size_t root_slots_used = 0;
            for (const Client& c : clients_)
                root_slots_used += c.reserved ? 1 : 0;
            reserved = root_slots_used < limits_.reserved_root_slots &&
                       getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) == 0 && peer.uid == 0;
            if (!reserved) {
                const std::string msg = error_reply("too many clients");
                (void)!send(fd, msg.data(), msg.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
                close(fd);
                ++refused_;
                continue;
            }
        }
        Client c;
        c.fd = fd;
        c.reserved = reserved;
        c.last_active_ms = now_ms;
        clients_.push_back(std::move(c));
    }
}

bool SocketServer::serve_input(Client& c, uint64_t now_ms)
{
    char buf[kReadChunk];
    const ssize_t n = recv(c.fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n == 0) {
        c.eof = true;
    } else if (n < 0) {
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    } else {
        if (c.in.buffered() == 0)
            c.line_started_ms = now_ms;   // the deadline runs from a line's first byte
        c.in.feed(buf, static_cast<size_t>(n));
    }
    return serve_lines(c, now_ms);
}

bool SocketServer::serve_lines(Client& c, uint64_t now_ms)
{
    std::string line;
    for (uint32_t i = 0; i < limits_.max_lines_per_poll && !c.close_after_flush && !c.more; ++i) {
        const LineReader::Status st = c.in.next(line);
        if (st == LineReader::Status::need_more)
            break;
        if (st == LineReader::Status::too_long) {
            c.out += error_reply(fmt::format("request longer than {} bytes", kMaxRequestBytes));
            c.close_after_flush = true;
            ++refused_;
            break;
        }
        c.line_started_ms = now_ms;   // what follows in the buffer is the next line
        if (line.empty())
            continue;   // a bare newline is no request and keeps nothing alive
        c.last_active_ms = now_ms;
        ++requests_;
        Reply r = handler_(line);
        c.out += r.text;
        c.more = std::move(r.more);
        if (r.close) {
            c.close_after_flush = true;
            ++refused_;
        }
    }
    if (c.eof && c.in.buffered() > 0 && !c.close_after_flush && !c.more) {
        // A last request without its newline: answer it as if it had one.
        c.in.feed("\n", 1);
        if (c.in.next(line) == LineReader::Status::line && !line.empty()) {
            ++requests_;
            Reply r = handler_(line);
            c.out += r.text;
            c.more = std::move(r.more);
        }
    }
    if (c.eof && !c.more && c.in.buffered() == 0)
        c.close_after_flush = true;
    return true;
}

bool SocketServer::busy() const noexcept
{
    for (const Client& c : clients_)
        if (c.more)
            return true;
    return false;
}

bool SocketServer::flush_output(Client& c)
{
    while (c.out_sent < c.out.size()) {
        const ssize_t n = send(c.fd, c.out.data() + c.out_sent, c.out.size() - c.out_sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
        c.out_sent += static_cast<size_t>(n);
    }
    c.out.clear();
    c.out_sent = 0;
    return !c.close_after_flush;
}

void SocketServer::poll_once(int timeout_ms, uint64_t now_ms)
{
    std::vector<pollfd> fds;
    fds.reserve(clients_.size() + 1);
    fds.push_back({listen_fd_, POLLIN, 0});
    for (const Client& c : clients_) {
        short ev = 0;
        const size_t pending = c.out.size() - c.out_sent;
        if (!c.close_after_flush && pending < limits_.pause_reading_bytes)
            ev |= POLLIN;
        if (pending > 0)
            ev |= POLLOUT;
        fds.push_back({c.fd, ev, 0});
    }
    const int ready = poll(fds.data(), fds.size(), busy() ? 0 : timeout_ms);
    if (ready < 0)
        return;   // EINTR: a signal; the caller's loop looks at it
    std::vector<bool> drop(clients_.size(), false);
    for (size_t i = 0; i < clients_.size(); ++i) {
        Client& c = clients_[i];
        const short re = fds[i + 1].revents;
        bool keep = true;
        if (re & (POLLERR | POLLNVAL))
            keep = false;
        if (keep && c.more && c.out.size() - c.out_sent < limits_.pause_reading_bytes) {
            // One slice of a long reply; its end lets the next request in.
            if (c.more(c.out)) {
                c.more = nullptr;
                c.last_active_ms = now_ms;
                keep = serve_lines(c, now_ms);
                if (c.eof && !c.more && c.in.buffered() == 0)
                    c.close_after_flush = true;
            }
        }
        if (keep && (re & (POLLIN | POLLHUP)) && !c.close_after_flush && !c.more)
            keep = serve_input(c, now_ms);
        if (keep && (c.out.size() > c.out_sent || c.close_after_flush)) {
            const size_t before = c.out.size() - c.out_sent;
            keep = flush_output(c);
            if (c.out.size() - c.out_sent < before)
                c.last_active_ms = now_ms;   // it is reading its replies
        }
        if (keep && c.out.size() - c.out_sent > limits_.max_output_bytes)
            keep = false;   // it does not read its replies
        if (keep && !c.more && c.out.size() == c.out_sent) {
            if (c.in.buffered() > 0 ? now_ms - c.line_started_ms > limits_.idle_timeout_ms
                                    : now_ms - c.last_active_ms > limits_.idle_timeout_ms)
                keep = false;   // stuck mid-line, or silent too long
        }
        drop[i] = !keep;
    }
    size_t j = 0;
    for (size_t i = 0; i < clients_.size(); ++i) {
        if (drop[i]) {
            close(clients_[i].fd);
            continue;
        }
        if (i != j)
            clients_[j] = std::move(clients_[i]);
        ++j;
    }
    clients_.resize(j);
    if (fds[0].revents & POLLIN)
        accept_clients(now_ms);
}

} // namespace nat64d::ctl
