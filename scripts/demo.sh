#!/usr/bin/env bash
# The embedded default: sets up this machine, builds nat64d and runs it on two
# net_tap ports (no NIC, no hugepages) between an IPv6-only client and an
# IPv4-only web server, each a network namespace. Shows the client fetching a
# page and pinging the server through 64:ff9b::/96, prints nat64d's counters,
# and cleans up. --keep leaves the lab running until Ctrl-C.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KEEP=0
[ "${1:-}" = "--keep" ] && KEEP=1

"$ROOT/scripts/setup.sh"
BUILD="$ROOT/build/release"
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" --buildtype=release >/dev/null
ninja -C "$BUILD" control/nat64d >/dev/null

. "$ROOT/scripts/lib/netns.sh"
trap lab_cleanup EXIT
trap 'exit 130' INT TERM

lab_netns
lab_config "$LAB_DIR/nat64d.conf"
lab_start_web_server
lab_start_nat64d "$BUILD/control/nat64d" "$LAB_DIR/nat64d.conf" "$LAB_DIR/nat64d.log"
grep -E "^nat64d:" "$LAB_DIR/nat64d.log" || true

echo
echo "== client $CLIENT_IP6 fetches http://[$SERVER_VIA_PREFIX]/ (server $SERVER_IP4)"
ip netns exec "$NS_CLI" curl -sS --max-time 10 -g "http://[$SERVER_VIA_PREFIX]/"
echo
echo "== client pings $SERVER_VIA_PREFIX"
ip netns exec "$NS_CLI" ping -6 -c 3 -i 0.2 -W 2 "$SERVER_VIA_PREFIX"

if [ "$KEEP" = 1 ]; then
  echo
  echo "lab running: ip netns exec $NS_CLI bash   (Ctrl-C to stop and clean up)"
  wait "$NAT64D_PID" || true
fi

echo
echo "== nat64d counters"
kill -INT "$NAT64D_PID"
wait "$NAT64D_PID" || true
grep '^stats: ' "$LAB_DIR/nat64d.log" | sed 's/^stats: //' | /usr/bin/python3 <(cat <<'PY'
import json, sys
s = json.load(sys.stdin)
w = s["workers"][0]
for k in ("rx_inside", "rx_outside", "translated_6to4", "translated_4to6", "tx_inside", "tx_outside"):
    print(f"  {k:18} {w[k]['packets']:8} packets {w[k]['bytes']:10} bytes")
for k in ("flows_created", "arp_replies", "ndp_adverts", "echo_replies"):
    print(f"  {k:18} {w[k]:8}")
drops = {k: v for k, v in s["drops"].items() if v}
print("  drops:", ", ".join(f"{k}={v}" for k, v in drops.items()) or "none")
print(f"  flows: {s['flows']['sessions']} sessions, {s['flows']['mappings']} mappings")
PY
)
