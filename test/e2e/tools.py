"""Small traffic tools run inside the lab's namespaces (Debian python3 only)."""
import asyncio
import hashlib
import os
import socket
import sys


async def echo_server(host, port):
    async def handle(reader, writer):
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()
    server = await asyncio.start_server(handle, host, port, backlog=512)
    async with server:
        await server.serve_forever()


async def tcp_clients(host, port, count, size, connect_tries=1):
    """count concurrent connections, each sends size random bytes and reads them back.
    With connect_tries > 1 a connection whose handshake does not complete in 20 s
    is opened again, as a client application would (the retries are printed)."""
    retries = []

    async def connect():
        for attempt in range(connect_tries):
            try:
                return await asyncio.wait_for(asyncio.open_connection(host, port), 20)
            except asyncio.TimeoutError:
                if attempt + 1 == connect_tries:
                    raise
                retries.append(1)

    async def one(i):
        data = os.urandom(size)
        reader, writer = await connect()
        writer.write(data)
        await writer.drain()
        got = await asyncio.wait_for(reader.readexactly(size), 60)
        writer.close()
        return hashlib.sha256(got).digest() == hashlib.sha256(data).digest()
    results = await asyncio.gather(*(one(i) for i in range(count)), return_exceptions=True)
    ok = sum(1 for r in results if r is True)
    errors = [repr(r) for r in results if r is not True][:3]
    print(f"{ok}/{count} connections intact {errors if errors else ''}"
          + (f" ({len(retries)} opened again after 20 s without a handshake)" if retries else ""))
    return ok == count


def udp_echo_server(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((host, port))
    while True:
        data, peer = s.recvfrom(65535)
        s.sendto(data, peer)


def udp_client(host, port, count):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.settimeout(2)
    ok = 0
    for i in range(count):
        data = os.urandom(64 + i % 1200)
        for _ in range(3):
            s.sendto(data, (host, port))
            try:
                got, _ = s.recvfrom(65535)
            except socket.timeout:
                continue
            if got == data:
                ok += 1
            break
    print(f"{ok}/{count} datagrams echoed intact")
    return ok == count


def udp_many(host, port, flows):
    """flows sockets, each its own source port, each sends a datagram and
    checks its echo; resent up to 5 times (UDP is lossy); all flows at once."""
    import selectors
    import time
    sel = selectors.DefaultSelector()
    payloads = {}
    for _ in range(flows):
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.setblocking(False)
        s.connect((host, port))
        payloads[s] = os.urandom(40) + s.getsockname()[1].to_bytes(2, "big")
        sel.register(s, selectors.EVENT_READ)
    done = set()
    for _ in range(5):
        for s, data in payloads.items():
            if s not in done:
                s.send(data)
        end = time.monotonic() + 2
        while len(done) < flows and time.monotonic() < end:
            for key, _ in sel.select(timeout=0.2):
                try:
                    got = key.fileobj.recv(65535)
                except OSError:
                    continue
                if got == payloads[key.fileobj]:
                    done.add(key.fileobj)
        if len(done) == flows:
            break
    print(f"{len(done)}/{flows} flows echoed intact")
    return len(done) == flows


def udp_big(host, port, size, tries):
    """One large datagram, resent until its echo comes back whole: the first
    copies are lost to the smaller IPv4 link until path MTU discovery adapts."""
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.settimeout(1.5)
    data = os.urandom(size)
    for attempt in range(tries):
        try:
            s.sendto(data, (host, port))
            got, _ = s.recvfrom(65535)
        except OSError as e:  # EMSGSIZE once the kernel learned the smaller path MTU: send again
            print(f"attempt {attempt}: {e}")
            continue
        print(f"attempt {attempt}: {len(got)} bytes back, intact={got == data}")
        return got == data
    return False


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "echo-server":
        asyncio.run(echo_server(sys.argv[2], int(sys.argv[3])))
    elif cmd == "tcp-clients":
        tries = int(sys.argv[6]) if len(sys.argv) > 6 else 1
        sys.exit(0 if asyncio.run(tcp_clients(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]),
                                              tries)) else 1)
    elif cmd == "udp-echo-server":
        udp_echo_server(sys.argv[2], int(sys.argv[3]))
    elif cmd == "udp-big":
        sys.exit(0 if udp_big(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])) else 1)
    elif cmd == "udp-many":
        sys.exit(0 if udp_many(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])) else 1)
    elif cmd == "udp-client":
        sys.exit(0 if udp_client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])) else 1)
