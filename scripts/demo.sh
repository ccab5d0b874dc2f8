#!/usr/bin/env bash
# The embedded default, the whole deployment: sets up this machine, builds
# nat64d and runs it on two net_tap ports (no NIC, no hugepages) in a box
# with its exception interfaces and BIRD, between an IPv6-only client behind a
# core router (BIRD, no static route) and an IPv4-only web server, with unbound
# doing DNS64 (scripts/lib/system.sh; each part a network namespace). Shows
# the core learning 64:ff9b::/96 by BGP from the box, the client resolving the
# server's name through DNS64, fetching its page and pinging it, prints
# nat64d's counters and cleans up. --keep leaves the lab running until Ctrl-C.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KEEP=0
[ "${1:-}" = "--keep" ] && KEEP=1

"$ROOT/scripts/setup.sh"
BUILD="$ROOT/build/release"
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" --buildtype=release -Db_lto=true >/dev/null
ninja -C "$BUILD" control/nat64d control/nat64ctl >/dev/null

. "$ROOT/scripts/lib/system.sh"
trap sys_cleanup EXIT
trap 'exit 130' INT TERM
CTL=("$BUILD/control/nat64ctl" -s "$SYS_DIR/box1.sock")

if ! { sys_netns && sys_box 1 && sys_start_web && sys_start_dns && sys_start_bird_core &&
       sys_start_nat64d 1 "$BUILD/control/nat64d" && sys_start_bird_box 1; }; then
  echo "demo: the lab did not start; its logs:" >&2
  tail -n 20 "$SYS_DIR"/*.log "$SYS_DIR"/bird*/bird.log >&2 2>/dev/null
  exit 1
fi
grep -E "^nat64d:" "$SYS_DIR/box1.log" || true

echo
echo "== the core router learns $SYS_PREFIX by BGP from the box (BIRD on nat64d's exception path)"
have_route() { [ -n "$(sys_core_next_hops)" ]; }
if ! sys_wait 60 have_route; then
  echo "demo: the core has no route after 60 s" >&2; tail -n 20 "$SYS_DIR"/bird*/bird.log >&2; exit 1
fi
ip -n "$NS_CORE" -6 route show "$SYS_PREFIX"
echo
echo "== client $CLIENT_IP6 resolves $SYS_NAME (an A record only) through unbound's DNS64"
ip netns exec "$NS_CLI" dig +short AAAA "$SYS_NAME" @"$DNS_IP6"
echo
echo "== client fetches http://$SYS_NAME/ (server $SERVER_IP4)"
in_client curl -sS --max-time 10 "http://$SYS_NAME/"
echo
echo "== client pings $SYS_NAME_VIA_PREFIX"
ip netns exec "$NS_CLI" ping -6 -c 3 -i 0.2 -W 2 "$SYS_NAME_VIA_PREFIX"

if [ "$KEEP" = 1 ]; then
  echo
  echo "lab running: ip netns exec $NS_CLI bash; ${CTL[*]} stats   (Ctrl-C to stop and clean up)"
  # Ctrl-C ends the wait, not the script: the counters below still print.
  trap 'true' INT
  wait "$NAT64D_PID_1" || true
  trap 'exit 130' INT
  # nat64d had the Ctrl-C too: give it the moment it takes to stop cleanly.
  for _ in $(seq 50); do kill -0 "$NAT64D_PID_1" 2>/dev/null || break; sleep 0.1; done
fi

echo
echo "== nat64d counters"
if kill -0 "$NAT64D_PID_1" 2>/dev/null; then
  "${CTL[@]}" stats
else
  # Ctrl-C reached nat64d too: it printed its final counters as it stopped.
  /usr/bin/python3 - "$SYS_DIR/box1.log" <<'PY'
import json, sys
line = next((l for l in open(sys.argv[1]) if l.startswith("stats: ")), None)
if line is None:
    sys.exit("nat64d left no final counters")
s = json.loads(line[len("stats: "):])
for w in s["workers"]:
    parts = [f"{k} {w[k]['packets']}" for k in ("rx_inside", "rx_outside", "translated_6to4", "translated_4to6")]
    print(f"worker {w['id']}: " + ", ".join(parts) + f", flows created {w['flows_created']}")
drops = {k: v for k, v in s["drops"].items() if v}
print("drops:", ", ".join(f"{k}={v}" for k, v in drops.items()) or "none")
PY
fi
