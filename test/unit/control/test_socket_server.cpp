// control/socket_server.cpp on a real Unix socket, served from this thread:
// several requests in one write, mode 0660, too long a line, too many clients,
// a client that vanishes. The daemon-level tests are in test/control/run.sh.
#include <catch2/catch.hpp>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/socket_server.hpp"

using namespace nat64d::ctl;

namespace {

std::string temp_socket_path()
{
    return "/tmp/nat64d-unit-" + std::to_string(getpid()) + ".sock";
}

int connect_to(const std::string& path)
{
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strcpy(a.sun_path, path.c_str());
    REQUIRE(connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof(a)) == 0);
    return fd;
}

// Serves until `fd` has `lines` complete lines or EOF; returns what arrived
// and whether the server closed.
std::string serve_and_read(SocketServer& s, int fd, size_t lines, bool& closed)
{
    std::string got;
    closed = false;
    for (int i = 0; i < 500; ++i) {
        s.poll_once(2, 0);
        char buf[65536];
        const ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n == 0) {
            closed = true;
            break;
        }
        if (n > 0)
            got.append(buf, static_cast<size_t>(n));
        size_t have = 0;
        for (char c : got)
            have += c == '\n';
        if (have >= lines && lines != 0)
            break;
    }
    return got;
}

Reply echo_handler(const std::string& line)
{
    if (line == "bad")
        return {error_reply("malformed"), true};
    return {ok_reply(line), false};
}

} // namespace

TEST_CASE("socket: answers each line, in order, with mode 0660", "[control][socket]")
{
    const std::string path = temp_socket_path();
    SocketServer s(path, SocketOwner{}, echo_handler);
    struct stat st{};
    REQUIRE(stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0660);
    CHECK(S_ISSOCK(st.st_mode));

    const int fd = connect_to(path);
    const std::string req = "one\ntwo\r\n\nthree\n";
    REQUIRE(send(fd, req.data(), req.size(), 0) == static_cast<ssize_t>(req.size()));
    bool closed = false;
    const std::string got = serve_and_read(s, fd, 3, closed);
    CHECK(got == "{\"ok\":true,\"result\":\"one\"}\n{\"ok\":true,\"result\":\"two\"}\n{\"ok\":true,\"result\":\"three\"}\n");
    CHECK_FALSE(closed);
    CHECK(s.requests() == 3);
    close(fd);
}

TEST_CASE("socket: a refused request gets its error, then a close", "[control][socket]")
{
    SocketServer s(temp_socket_path(), SocketOwner{}, echo_handler);
    const int fd = connect_to(temp_socket_path());
    REQUIRE(send(fd, "bad\nnever\n", 10, 0) == 10);
    bool closed = false;
    const std::string got = serve_and_read(s, fd, 0, closed);
    CHECK(got == "{\"error\":\"malformed\",\"ok\":false}\n");
    CHECK(closed);
    close(fd);
}

TEST_CASE("socket: a line over 64 KiB gets an error and a close", "[control][socket]")
{
    SocketServer s(temp_socket_path(), SocketOwner{}, echo_handler);
    const int fd = connect_to(temp_socket_path());
    const std::string big(kMaxRequestBytes + 100, 'x');
    size_t sent = 0;
    bool closed = false;
    std::string got;
    for (int i = 0; i < 1000 && sent < big.size(); ++i) {
        const ssize_t n = send(fd, big.data() + sent, big.size() - sent, MSG_DONTWAIT);
        if (n > 0)
            sent += static_cast<size_t>(n);
        s.poll_once(1, 0);
    }
    got = serve_and_read(s, fd, 0, closed);
    CHECK(got.find("request longer than 65536 bytes") != std::string::npos);
    CHECK(closed);
    close(fd);
}

TEST_CASE("socket: past max_clients a client gets an error and a close", "[control][socket]")
{
    SocketLimits lim;
    lim.max_clients = 1;
    lim.reserved_root_slots = 0;   // this test may run as root
    SocketServer s(temp_socket_path(), SocketOwner{}, echo_handler, lim);
    const int first = connect_to(temp_socket_path());
    s.poll_once(10, 0);
    const int second = connect_to(temp_socket_path());
    bool closed = false;
    const std::string got = serve_and_read(s, second, 0, closed);
    CHECK(got == "{\"error\":\"too many clients\",\"ok\":false}\n");
    CHECK(closed);
    CHECK(s.clients() == 1);
    // The first still works.
    REQUIRE(send(first, "hi\n", 3, 0) == 3);
    CHECK(serve_and_read(s, first, 1, closed) == "{\"ok\":true,\"result\":\"hi\"}\n");
    close(first);
    close(second);
}

TEST_CASE("socket: a silent client is closed after the idle timeout; vanished clients are dropped", "[control][socket]")
{
    SocketLimits lim;
    lim.idle_timeout_ms = 100;
    SocketServer s(temp_socket_path(), SocketOwner{}, echo_handler, lim);
    const int fd = connect_to(temp_socket_path());
    REQUIRE(send(fd, "half", 4, 0) == 4);   // never finishes its line
    s.poll_once(10, 0);
    s.poll_once(10, 50);
    CHECK(s.clients() == 1);
    s.poll_once(10, 1000);                  // the clock moved past the timeout
    CHECK(s.clients() == 0);
    close(fd);

    const int gone = connect_to(temp_socket_path());
    s.poll_once(10, 1000);
    CHECK(s.clients() == 1);
    close(gone);
    for (int i = 0; i < 10 && s.clients() != 0; ++i)
        s.poll_once(10, 1000);
    CHECK(s.clients() == 0);
}

TEST_CASE("socket: a stale socket file is replaced, another file is not", "[control][socket]")
{
    const std::string path = temp_socket_path();
    { SocketServer a(path, SocketOwner{}, echo_handler); }
    { SocketServer b(path, SocketOwner{}, echo_handler); }   // a's file was removed at exit; fine either way
    const std::string plain = path + ".file";
    FILE* f = std::fopen(plain.c_str(), "w");
    std::fclose(f);
    CHECK_THROWS_WITH(SocketServer(plain, SocketOwner{}, echo_handler), Catch::Contains("exists and is not a socket"));
    std::remove(plain.c_str());
}

TEST_CASE("socket: a line's deadline runs from its first byte, whatever trickles in after", "[control][socket]")
{
    SocketLimits lim;
    lim.idle_timeout_ms = 1000;
    SocketServer s(temp_socket_path(), SocketOwner{}, echo_handler, lim);
    const int fd = connect_to(temp_socket_path());
    s.poll_once(5, 0);   // accepted
    // One byte every 300 ms (the clock is the test's): never a whole line.
    for (uint64_t t = 0; t <= 900; t += 300) {
        REQUIRE(send(fd, "x", 1, 0) == 1);
        s.poll_once(5, t);
        CHECK(s.clients() == 1);
    }
    REQUIRE(send(fd, "x", 1, 0) == 1);
    s.poll_once(5, 1200);   // 1200 ms after the first byte
    CHECK(s.clients() == 0);
    close(fd);
}

TEST_CASE("socket: bare newlines keep no connection alive", "[control][socket]")
{
    SocketLimits lim;
    lim.idle_timeout_ms = 1000;
    SocketServer s(temp_socket_path(), SocketOwner{}, echo_handler, lim);
    const int fd = connect_to(temp_socket_path());
    s.poll_once(5, 0);
    for (uint64_t t = 300; t <= 900; t += 300) {
        REQUIRE(send(fd, "\n", 1, 0) == 1);
        s.poll_once(5, t);
    }
    s.poll_once(5, 1100);
    CHECK(s.clients() == 0);
    close(fd);
}

TEST_CASE("socket: root gets the reserved slot when every other one is taken", "[control][socket]")
{
    REQUIRE(getuid() == 0);   // the test command runs as root; the slot is for uid 0
    SocketLimits lim;
    lim.max_clients = 2;
    SocketServer s(temp_socket_path(), SocketOwner{}, echo_handler, lim);
    const int a = connect_to(temp_socket_path());
    const int b = connect_to(temp_socket_path());
    s.poll_once(5, 0);
    const int root = connect_to(temp_socket_path());   // over max_clients, from root
    s.poll_once(5, 0);
    CHECK(s.clients() == 3);
    REQUIRE(send(root, "health\n", 7, 0) == 7);
    bool closed = false;
    CHECK(serve_and_read(s, root, 1, closed) == "{\"ok\":true,\"result\":\"health\"}\n");
    const int fourth = connect_to(temp_socket_path());   // the reserved slot is taken
    CHECK(serve_and_read(s, fourth, 0, closed) == "{\"error\":\"too many clients\",\"ok\":false}\n");
    for (int fd : {a, b, root, fourth})
        close(fd);
}

TEST_CASE("socket: a socket another server answers on is not taken over", "[control][socket]")
{
    const std::string path = temp_socket_path();
    SocketServer first(path, SocketOwner{}, echo_handler);
    CHECK_THROWS_WITH(SocketServer(path, SocketOwner{}, echo_handler), Catch::Contains("another nat64d answers on it"));
    // The first still has its socket.
    const int fd = connect_to(path);
    REQUIRE(send(fd, "still\n", 6, 0) == 6);
    bool closed = false;
    CHECK(serve_and_read(first, fd, 1, closed) == "{\"ok\":true,\"result\":\"still\"}\n");
    close(fd);
}

TEST_CASE("socket: a stale socket file nobody answers on is replaced", "[control][socket]")
{
    const std::string path = temp_socket_path();
    // A socket bound and closed without unlinking: what a killed daemon leaves.
    const int stale = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strcpy(a.sun_path, path.c_str());
    unlink(path.c_str());
    REQUIRE(bind(stale, reinterpret_cast<const sockaddr*>(&a), sizeof(a)) == 0);
    close(stale);
    SocketServer s(path, SocketOwner{}, echo_handler);
    const int fd = connect_to(path);
    REQUIRE(send(fd, "new\n", 4, 0) == 4);
    bool closed = false;
    CHECK(serve_and_read(s, fd, 1, closed) == "{\"ok\":true,\"result\":\"new\"}\n");
    close(fd);
}

TEST_CASE("socket: a long reply is made in slices while other clients are served", "[control][socket]")
{
    // "big" answers in 5 slices; anything else at once.
    const auto handler = [](const std::string& line) {
        if (line != "big")
            return Reply{ok_reply(line), false, nullptr};
        auto left = std::make_shared<int>(5);
        Reply r{"{\"ok\":true,\"result\":[", false, nullptr};
        r.more = [left](std::string& out) {
            out += std::to_string(*left);
            if (--*left == 0) {
                out += "]}\n";
                return true;
            }
            out += ",";
            return false;
        };
        return r;
    };
    SocketServer s(temp_socket_path(), SocketOwner{}, handler);
    const int slow = connect_to(temp_socket_path());
    const int quick = connect_to(temp_socket_path());
    REQUIRE(send(slow, "big\nafter\n", 10, 0) == 10);   // the second request waits for the first reply
    s.poll_once(5, 0);
    REQUIRE(send(quick, "ping\n", 5, 0) == 5);
    bool closed = false;
    CHECK(serve_and_read(s, quick, 1, closed) == "{\"ok\":true,\"result\":\"ping\"}\n");
    CHECK(serve_and_read(s, slow, 2, closed) == "{\"ok\":true,\"result\":[5,4,3,2,1]}\n{\"ok\":true,\"result\":\"after\"}\n");
    close(slow);
    close(quick);
}
