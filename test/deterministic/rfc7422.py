"""RFC 7422 s2's assignment written out the way the RFC describes it, as the
test's independent reference: walk the pool addresses and their port blocks
(sequential: all blocks of the first address, then the next; staggered: the
first block of every address, then the second...) and hand them to the
subscribers of the prefix in order. Prints one line per port that has an
owner: "ADDRESS PROTO PORT SUBSCRIBER/LEN", and per subscriber its block."""
import ipaddress
import sys


def assignment(order, prefix, sub_len, pool, ranges):
    net = ipaddress.IPv6Network(prefix)
    subscribers = list(net.subnets(new_prefix=sub_len))
    per_addr = -(-len(subscribers) // len(pool))
    owners = {}    # (address, proto, port) -> subscriber
    blocks = {}    # (subscriber, proto) -> (address, first, last)
    for proto, (first, last) in ranges.items():
        if proto in ("tcp", "udp"):
            first = max(first, 1024)   # the well-known ports are reserved
        m = (last - first + 1) // per_addr
        if order == "sequential":
            slots = [(a, b) for a in range(len(pool)) for b in range(per_addr)]
        else:
            slots = [(a, b) for b in range(per_addr) for a in range(len(pool))]
        for sub, (a, b) in zip(subscribers, slots):
            lo = first + b * m
            blocks[(sub, proto)] = (pool[a], lo, lo + m - 1)
            for port in range(lo, lo + m):
                owners[(pool[a], proto, port)] = sub
    return owners, blocks


if __name__ == "__main__":
    order, prefix, sub_len = sys.argv[1], sys.argv[2], int(sys.argv[3])
    pool = sys.argv[4].split(",")
    ranges = {}
    for spec in sys.argv[5:]:
        proto, r = spec.split("=")
        lo, hi = r.split("-")
        ranges[proto] = (int(lo), int(hi))
    owners, blocks = assignment(order, prefix, sub_len, pool, ranges)
    for (addr, proto, port), sub in sorted(owners.items()):
        print(f"port {addr} {proto} {port} {sub}")
    for (sub, proto), (addr, lo, hi) in sorted(blocks.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        print(f"block {sub} {proto} {addr} {lo} {hi}")
