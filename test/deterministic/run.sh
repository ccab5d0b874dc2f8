#!/usr/bin/env bash
# Deterministic NAT (RFC 7422). Offline: `nat64ctl lookup --config` for every
# port of a small configuration, in both directions and both orders, against
# the assignment rfc7422.py builds the way the RFC walks it. Live: nat64d in
# the namespace lab with a deterministic pool gives the client's flows ports
# of its block only, `nat64ctl lookup` names the client's subscriber for each,
# and a source outside the prefix is refused under its own counter.
HERE=$(cd "$(dirname "$0")" && pwd)
LAYER=deterministic
. "$HERE/../../scripts/lib/layer.sh"
. "$ROOT/scripts/lib/netns.sh"
trap lab_cleanup EXIT
CTL="$BUILD/control/nat64ctl"
TOOLS="$ROOT/test/e2e/tools.py"
REF="$HERE/rfc7422.py"
mkdir -p "$LAB_DIR"

# --- offline: 16 subscribers (/64 of a /60) on 4 addresses, small ranges
offline_conf() {  # offline_conf ORDER FILE
  cat > "$2" <<CONF
[ports]
inside = "net_tap0"
outside = "net_tap1"
[addresses]
inside_ipv6 = "2001:db8:1::1/64"
outside_ipv4 = "192.0.2.1/24"
[nat64]
subscriber_prefix_len = 64
[pool]
addresses = ["192.0.2.8/30"]
tcp_ports = "1000-1099"
udp_ports = "2000-2049"
icmp_ids = "1-20"
deterministic = "$1"
deterministic_prefix = "2001:db8:100::/60"
CONF
}
every_port_matches() {  # every_port_matches ORDER
  local conf="$LAB_DIR/det-$1.conf"
  offline_conf "$1" "$conf"
  /usr/bin/python3 "$REF" "$1" 2001:db8:100::/60 64 192.0.2.8,192.0.2.9,192.0.2.10,192.0.2.11 \
    tcp=1000-1099 udp=2000-2049 icmp=1-20 > "$LAB_DIR/ref-$1.txt"
  /usr/bin/python3 - "$CTL" "$conf" "$LAB_DIR/ref-$1.txt" <<'PYEOF'
import ipaddress, json, subprocess, sys
ctl, conf, ref = sys.argv[1:4]
owners, blocks = {}, {}
for line in open(ref):
    f = line.split()
    if f[0] == "port":
        owners[(f[1], f[2], int(f[3]))] = f[4]
    else:
        blocks[(f[1], f[2])] = (f[3], int(f[4]), int(f[5]))
def lookup(*args):
    r = subprocess.run([ctl, "--json", "lookup", "--config", conf, *args], capture_output=True, text=True)
    return json.loads(r.stdout) if r.stdout else {"error": r.stderr}
bad, checked = [], 0
ranges = {"tcp": range(1000, 1101), "udp": range(1999, 2051), "icmp": range(0, 22)}
for addr in ("192.0.2.8", "192.0.2.9", "192.0.2.10", "192.0.2.11"):
    for proto, ports in ranges.items():
        for port in ports:
            got = lookup(addr, str(port), "--proto", proto)
            want = owners.get((addr, proto, port))
            checked += 1
            if (want is None and got.get("found")) or (want is not None and got.get("subscriber") != want):
                bad.append((addr, proto, port, want, got))
subs = list(ipaddress.IPv6Network("2001:db8:100::/60").subnets(new_prefix=64))
for sub in subs:
    for proto in ranges:
        host = str(sub.network_address + 0x1234)
        got = lookup("--ipv6", host, "--proto", proto)
        a, lo, hi = blocks[(str(sub), proto)]
        checked += 1
        if (got.get("subscriber"), got.get("public"), got.get("first_port"), got.get("last_port")) != (str(sub), a, lo, hi):
            bad.append((host, proto, (a, lo, hi), got))
outside = lookup("--ipv6", "2001:db8:100:10::1")
checked += 1
if outside.get("found") is not False:
    bad.append(("outside the prefix", outside))
print(f"{checked} lookups, {len(owners)} owned ports, {len(bad)} wrong", bad[:5])
sys.exit(1 if bad or not owners else 0)
PYEOF
}
check offline_every_port_sequential every_port_matches sequential
check offline_every_port_staggered every_port_matches staggered

# --- live: the lab's client 2001:db8:1::2 is subscriber 2001:db8:1::/56 of
# 2001:db8::/44 (4096 subscribers on one address: 15 TCP/UDP ports each)
LIVE_ORDER=staggered
if ! { lab_netns && lab_config "$LAB_DIR/nat64d.conf" "" "[pool]" "deterministic = \"$LIVE_ORDER\"" \
         "deterministic_prefix = \"2001:db8::/44\"" &&
       lab_start_nat64d "$BUILD/control/nat64d" "$LAB_DIR/nat64d.conf" "$LAB_DIR/nat64d.log"; }; then
  record FAIL "deterministic:lab_starts"; tail -20 "$LAB_DIR/nat64d.log" 2>/dev/null; exit 1
fi
record PASS "deterministic:lab_starts"
SOCK="$LAB_DIR/nat64d.sock"
ctl() { "$CTL" -s "$SOCK" "$@"; }
ip netns exec "$NS_SRV" /usr/bin/python3 "$TOOLS" udp-echo-server "$SERVER_IP4" 7001 >/dev/null 2>&1 &
LAB_PIDS+=("$!")
# An address outside the prefix beside the client, deprecated so the client's
# own flows never use it as their source.
OUTSIDE_IP6=2001:db8:100::2
ip -n "$NS_CLI" addr add "$OUTSIDE_IP6/64" dev eth0 nodad preferred_lft 0
check client_udp_flows ip netns exec "$NS_CLI" /usr/bin/python3 "$TOOLS" udp-many "$SERVER_VIA_PREFIX" 7001 12
flows_in_block() {
  ctl --json flows --proto udp --limit 1000 > "$LAB_DIR/flows.json"
  /usr/bin/python3 "$REF" "$LIVE_ORDER" 2001:db8::/44 56 "$POOL_IP4" udp=1-65535 | grep '^block 2001:db8:1::/56 udp ' > "$LAB_DIR/block.txt"
  cat "$LAB_DIR/block.txt"
  /usr/bin/python3 - "$LAB_DIR/flows.json" "$LAB_DIR/block.txt" <<'PYEOF'
import json, sys
flows = json.load(open(sys.argv[1]))["flows"]
_, sub, proto, addr, lo, hi = open(sys.argv[2]).read().split()
lo, hi = int(lo), int(hi)
mine = [f for f in flows if f["ipv6"] == "2001:db8:1::2"]
print(len(mine), "flows; public ports", sorted(f["public_port"] for f in mine), "block", addr, lo, hi)
assert len(mine) == 12
assert all(f["public"] == addr and lo <= f["public_port"] <= hi for f in mine)
PYEOF
}
check client_ports_in_its_block flows_in_block
lookup_names_client() {
  local port; port=$(ctl --json flows --proto udp | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["flows"][0]["public_port"])')
  ctl lookup "$POOL_IP4" "$port" --proto udp | tee /dev/stderr | grep -q "subscriber 2001:db8:1::/56, block"
}
check lookup_from_daemon_names_subscriber lookup_names_client
ip netns exec "$NS_CLI" /usr/bin/python3 -c "
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(('$OUTSIDE_IP6', 0))
for i in range(5): s.sendto(b'x', ('$SERVER_VIA_PREFIX', 7001))"
outside_refused() {
  local n; n=$(ctl --json stats | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["drops"]["drop_no_port_block"])')
  echo "drop_no_port_block $n"; [ "$n" = 5 ]
}
check source_outside_prefix_refused wait_for 10 outside_refused
check still_running kill -0 "$NAT64D_PID"
