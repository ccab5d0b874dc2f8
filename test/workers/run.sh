#!/usr/bin/env bash
# Many workers for real: the namespace lab with ports.workers = 2 on
# multi-queue net_tap (the kernel spreads the taps' flows over the queues).
# Real TCP and UDP from many source ports all succeed, both workers carry a
# share of the traffic, replies cross between workers, and no public
# (address, port, protocol) is ever held by two IPv6 transport addresses.
HERE=$(cd "$(dirname "$0")" && pwd)
LAYER=workers
. "$HERE/../../scripts/lib/layer.sh"
LAB_WORKERS=2
. "$ROOT/scripts/lib/netns.sh"
trap lab_cleanup EXIT
TOOLS="$ROOT/test/e2e/tools.py"
CTL="$BUILD/control/nat64ctl"
in_cli() { ip netns exec "$NS_CLI" "$@"; }
in_srv() { ip netns exec "$NS_SRV" "$@"; }

if ! { lab_netns && lab_config "$LAB_DIR/nat64d.conf" && lab_start_web_server &&
       lab_start_nat64d "$BUILD/control/nat64d" "$LAB_DIR/nat64d.conf" "$LAB_DIR/nat64d.log"; }; then
  record FAIL "workers:lab_starts"; cat "$LAB_DIR/nat64d.log" 2>/dev/null | tail -20; exit 1
fi
record PASS "workers:lab_starts"
SOCK="$LAB_DIR/nat64d.sock"
ctl() { "$CTL" -s "$SOCK" "$@"; }

in_srv /usr/bin/python3 "$TOOLS" echo-server "$SERVER_IP4" 7000 >/dev/null 2>&1 &
LAB_PIDS+=("$!")
in_srv /usr/bin/python3 "$TOOLS" udp-echo-server "$SERVER_IP4" 7001 >/dev/null 2>&1 &
LAB_PIDS+=("$!")
wait_for 15 in_srv bash -c "exec 3<>/dev/tcp/$SERVER_IP4/7000"

check two_workers_polling bash -c "'$CTL' -s '$SOCK' health && [ \$('$CTL' -s '$SOCK' --json stats | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)[\"workers\"]))') = 2 ]"
check tcp_200_concurrent in_cli /usr/bin/python3 "$TOOLS" tcp-clients "$SERVER_VIA_PREFIX" 7000 200 65536
check udp_300_flows_from_300_ports in_cli /usr/bin/python3 "$TOOLS" udp-many "$SERVER_VIA_PREFIX" 7001 300
check http_page in_cli bash -c "curl -sS --max-time 10 -g 'http://[$SERVER_VIA_PREFIX]/' | grep -q 'hello from the IPv4-only server'"

# Every worker carries at least a tenth of what was translated, and replies
# crossed between workers (a worker's 6to4 and 4to6 counts differ when some
# replies land on the other one).
check both_workers_carry_traffic bash -c "'$CTL' -s '$SOCK' --json stats | /usr/bin/python3 -c '
import json, sys
w = json.load(sys.stdin)[\"workers\"]
t = [x[\"translated_6to4\"][\"packets\"] + x[\"translated_4to6\"][\"packets\"] for x in w]
total = sum(t)
print(\"translated per worker:\", t, \"6to4/4to6:\", [(x[\"translated_6to4\"][\"packets\"], x[\"translated_4to6\"][\"packets\"]) for x in w])
sys.exit(0 if total > 0 and all(n >= total / 10 for n in t) else 1)'"

"$CTL" -s "$SOCK" --json stats | /usr/bin/python3 -c '
import json, sys
for x in json.load(sys.stdin)["workers"]:
    print("  info: worker", x["id"], "translated 6to4", x["translated_6to4"]["packets"], "4to6", x["translated_4to6"]["packets"])' || true

check no_public_port_held_twice bash -c "'$CTL' -s '$SOCK' --json flows --limit 100000 | /usr/bin/python3 -c '
import json, sys
flows = json.load(sys.stdin)[\"flows\"]
by_public, by_host = {}, {}
bad = []
for f in flows:
    host = (f[\"proto\"], f[\"ipv6\"], f[\"port6\"])
    pub = (f[\"proto\"], f[\"public\"], f[\"public_port\"])
    if by_public.setdefault(pub, host) != host:
        bad.append((pub, by_public[pub], host))
    if by_host.setdefault(host, pub) != pub:   # endpoint-independent mapping
        bad.append((host, by_host[host], pub))
print(len(flows), \"sessions,\", len(by_public), \"public transport addresses\", bad[:3])
sys.exit(0 if len(flows) >= 400 and not bad else 1)'"

check no_drops_but_expected bash -c "'$CTL' -s '$SOCK' --json stats | /usr/bin/python3 -c '
import json, sys
d = {k: v for k, v in json.load(sys.stdin)[\"drops\"].items() if v}
print(d)
sys.exit(0 if not set(d) - {\"drop_not_for_us\", \"drop_flow_busy\"} else 1)'"

kill -TERM "$NAT64D_PID"
stop_clean() { wait "$NAT64D_PID" && grep -q '^stats: ' "$LAB_DIR/nat64d.log"; }
check sigterm_exits_cleanly stop_clean
