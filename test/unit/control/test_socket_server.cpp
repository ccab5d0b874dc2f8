// control/socket_server.cpp on a real Unix socket, served from this thread:
// several requests in one write, mode 0660, too long a line, too many clients,
// a client that vanishes. The daemon-level tests are in test/control/run.sh.
#include <catch2/catch.hpp>

#include <cerrno>
#include <chrono>
#include <cstring>
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
