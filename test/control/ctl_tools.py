"""Helpers for test/control/run.sh: traffic with known counts, raw socket
requests, many clients, the Prometheus parser, event-log checks, and the
check of the IPFIX export as tshark decoded it."""
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


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def tcp_listen(host, port):
    s = socket.socket(family(host), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen(16)
    while True:
        c, _ = s.accept()
        c.sendall(b"forwarded\n")
        c.close()


def tcp_connect(host, port, timeout, sport=0):
    try:
        s = socket.create_connection((host, port), timeout=float(timeout),
                                     source_address=("::" if ":" in host else "0.0.0.0", sport))
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


def ipfix_records(tshark_json):
    """Every IPFIX packet tshark decoded: (sequence number, observation
    domain, data records as {field: value}). A data record is a subtree that
    has cflow.nat_event: tshark only names the fields when it decoded the
    template the record refers to."""
    packets = []
    for pkt in json.load(open(tshark_json)):
        layers = pkt["_source"]["layers"]
        cflow = layers.get("cflow")
        if cflow is None:
            continue
        records = []

        def walk(node):
            if isinstance(node, dict):
                if "cflow.nat_event" in node:
                    records.append({k: v for k, v in node.items() if not isinstance(v, (dict, list))})
                    return
                for v in node.values():
                    walk(v)
            elif isinstance(node, list):
                for v in node:
                    walk(v)
        walk(cflow)
        packets.append((int(cflow["cflow.sequence"]), int(cflow["cflow.od_id"]), records))
    return packets


def ipfix_check(tshark_json, flows_json, domain, records_sent, prefix_dst6):
    """The export as tshark decoded it against what the test did: per flow
    (nat64ctl flows --json rows taken while it was live) one NAT64 session
    create (natEvent 6) and delete (7) with its addresses, ports and protocol,
    and one BIB create (10) and delete (11); every message of the domain;
    sequence numbers that count the records before each message; as many
    records as nat64d says it sent."""
    packets = ipfix_records(tshark_json)
    flows = [json.loads(l) for l in open(flows_json) if l.strip()]
    ok = True
    total = sum(len(r) for _, _, r in packets)
    print(f"tshark decoded {len(packets)} IPFIX messages, {total} data records; nat64d sent {records_sent}")
    if total != int(records_sent) or not packets:
        ok = False
    if any(d != int(domain) for _, d, _ in packets):
        print("a message with another observation domain id")
        ok = False
    expect_seq = packets[0][0] if packets else 0
    for seq, _, recs in packets:
        if seq != expect_seq:
            print(f"sequence {seq}, expected {expect_seq}")
            ok = False
        expect_seq = seq + len(recs)
    records = [r for _, _, recs in packets for r in recs]
    proto_num = {"tcp": "6", "udp": "17"}
    for f in flows:
        def matches(r, event):
            return (r.get("cflow.nat_event") == event and r.get("cflow.srcaddrv6") == f["ipv6"]
                    and r.get("cflow.srcport") == str(f["port6"])
                    and r.get("cflow.post_natsource_ipv4_address") == f["public"]
                    and r.get("cflow.post_naptsource_transport_port") == str(f["public_port"])
                    and r.get("cflow.protocol") == proto_num[f["proto"]])
        for event in ("6", "7"):
            s = [r for r in records if matches(r, event)
                 and r.get("cflow.post_natdestination_ipv4_address") == f["dst"]
                 and r.get("cflow.dstaddrv6") == prefix_dst6
                 and r.get("cflow.dstport") == str(f["dport"])
                 and r.get("cflow.post_naptdestination_transport_port") == str(f["dport"])]
            print(f"{f['proto']} [{f['ipv6']}]:{f['port6']} -> {f['dst']}:{f['dport']} natEvent {event}: {len(s)} record(s)")
            ok = ok and len(s) == 1
        for event in ("10", "11"):
            b = [r for r in records if matches(r, event)]
            print(f"{f['proto']} [{f['ipv6']}]:{f['port6']} = {f['public']}:{f['public_port']} natEvent {event}: "
                  f"{len(b)} record(s)")
            ok = ok and len(b) == 1
    return ok


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
        sys.exit(0 if tcp_connect(args[0], int(args[1]), args[2], int(args[3]) if len(args) > 3 else 0) else 1)
    elif cmd == "ipfix-check":
        sys.exit(0 if ipfix_check(*args) else 1)
    elif cmd == "events-per-flow":
        sys.exit(0 if events_per_flow(args[0], args[1], args[2]) else 1)
    else:
        sys.exit(f"unknown command {cmd}")
