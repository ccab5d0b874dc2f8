"""Helpers for test/control/run.sh: traffic with known counts, raw socket
requests, many clients, the Prometheus parser, event-log checks."""
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from tools import udp_echo_server  # noqa: E402  (the end-to-end layer's echo server, shared)


def udp_send(dst6, port, sport, count, sent_file):
    """count datagrams from [::]:sport, one at a time, each echoed: exits 0
    when every echo came back. Writes how many it sent (retries included) to
    sent_file, so the counters can be compared with what really went out."""
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.bind(("::", sport))
    s.settimeout(2)
    got = sent = 0
    for i in range(count):
        msg = f"ctl-{i}".encode()
        for _ in range(3):
            s.sendto(msg, (dst6, port))
            sent += 1
            with open(sent_file, "w") as f:
                f.write(f"{sent}\n")
            try:
                data, _ = s.recvfrom(65535)
                if data == msg:
                    got += 1
                    break
            except socket.timeout:
                continue
    print(f"{got}/{count} echoed")
    return got == count


def raw_request(path, payload, expect_close):
    """Sends payload bytes as they are; prints the reply line; with
    expect_close, also checks the daemon closed the connection."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    s.sendall(payload)
    buf = b""
    while b"\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    line = buf.split(b"\n")[0].decode()
    print(line)
    reply = json.loads(line)
    if expect_close:
        try:
            rest = s.recv(1)
        except ConnectionResetError:
            rest = b""
        if rest != b"":
            print("connection not closed")
            return False
    return reply


def many_clients(path, n):
    """Opens n connections at once; every one gets either a stats reply or a
    'too many clients' error, and the daemon answers a fresh client after."""
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        deadline = time.monotonic() + 10
        while True:
            try:
                s.connect(path)
                break
            except BlockingIOError:   # the backlog is full until the daemon's next poll
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)
        socks.append(s)
    ok = refused = other = 0
    for s in socks:
        try:
            s.sendall(b'{"cmd":"health"}\n')
        except OSError:
            pass
    for s in socks:
        buf = b""
        try:
            while b"\n" not in buf:
                c = s.recv(65536)
                if not c:
                    break
                buf += c
        except OSError:
            pass
        try:
            r = json.loads(buf.split(b"\n")[0])
            if r.get("ok"):
                ok += 1
            elif "too many clients" in r.get("error", ""):
                refused += 1
            else:
                other += 1
        except ValueError:
            other += 1
        s.close()
    print(f"ok {ok}, refused {refused}, other {other}")
    after = raw_request(path, b'{"cmd":"health"}\n', False)
    return other == 0 and ok >= 1 and ok + refused == n and after and after.get("ok")


def slow_client(path):
    """A client that sends half a line and stalls must not stall the daemon."""
    slow = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    slow.connect(path)
    slow.sendall(b'{"cmd":"sta')
    t0 = time.monotonic()
    r = raw_request(path, b'{"cmd":"stats"}\n', False)
    print(f"answered in {time.monotonic() - t0:.3f} s while a client stalls")
    slow.close()
    return bool(r and r.get("ok"))


def prom_parse(path):
    from prometheus_client.parser import text_string_to_metric_families
    text = open(path).read()
    names = {}
    for fam in text_string_to_metric_families(text):
        names[fam.name] = fam
    need = ["nat64d_worker_packets", "nat64d_drops", "nat64d_sessions", "nat64d_pool_ports_in_use",
            "nat64d_port_packets", "nat64d_flow_table_capacity"]
    missing = [n for n in need if n not in names]
    print(f"{len(names)} metric families; missing: {missing}")
    return not missing


def tcp_listen(host6, port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host6, port))
    s.listen(16)
    while True:
        c, _ = s.accept()
        c.sendall(b"forwarded\n")
        c.close()


def tcp_connect(host4, port, timeout):
    try:
        s = socket.create_connection((host4, port), timeout=float(timeout))
        data = s.recv(100)
        print(data)
        return data == b"forwarded\n"
    except OSError as e:
        print(e)
        return False


def events_per_flow(path, src6, sport):
    """One session-create and one session-delete for [src6]:sport, and one
    mapping-create and one mapping-delete."""
    key = f"src=[{src6}]:{sport} "
    lines = [l.rstrip("\n") for l in open(path) if key in l + " "]
    for l in lines:
        print(l)
    count = lambda kind: sum(1 for l in lines if f" {kind} " in l)
    return all(count(k) == 1 for k in ("session-create", "session-delete", "mapping-create", "mapping-delete"))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "udp-echo-server":
        udp_echo_server(args[0], int(args[1]))
    elif cmd == "udp-send":
        sys.exit(0 if udp_send(args[0], int(args[1]), int(args[2]), int(args[3]), args[4]) else 1)
    elif cmd == "malformed":
        r = raw_request(args[0], b"this is not json\n", True)
        sys.exit(0 if r is not False and r.get("ok") is False and "malformed" in r.get("error", "") else 1)
    elif cmd == "oversized":
        r = raw_request(args[0], b"{" + b" " * (70 * 1024), True)
        sys.exit(0 if r is not False and r.get("ok") is False and "longer than" in r.get("error", "") else 1)
    elif cmd == "unknown-command":
        r = raw_request(args[0], b'{"cmd":"reboot"}\n', True)
        sys.exit(0 if r is not False and r.get("ok") is False else 1)
    elif cmd == "many-clients":
        sys.exit(0 if many_clients(args[0], int(args[1])) else 1)
    elif cmd == "slow-client":
        sys.exit(0 if slow_client(args[0]) else 1)
    elif cmd == "prom-parse":
        sys.exit(0 if prom_parse(args[0]) else 1)
    elif cmd == "tcp-listen":
        tcp_listen(args[0], int(args[1]))
    elif cmd == "tcp-connect":
        sys.exit(0 if tcp_connect(args[0], int(args[1]), args[2]) else 1)
    elif cmd == "events-per-flow":
        sys.exit(0 if events_per_flow(args[0], args[1], args[2]) else 1)
    else:
        sys.exit(f"unknown command {cmd}")
