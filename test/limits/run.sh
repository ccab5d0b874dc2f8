#!/usr/bin/env bash
# Per-subscriber limits (RFC 6888 REQ-4) with real hosts: one subscriber
# floods SYNs from thousands of source ports while another, in a different
# /56, opens 20 connections and moves data through them. The pool has 1000
# TCP ports, which the flood alone would take; with a limit of 200 ports per
# subscriber every one of the other's connections succeeds and arrives
# intact, the flooder holds exactly its limit, and the counters, the event
# log and nat64ctl say why. Then the flooder's state is cleared by hand.
HERE=$(cd "$(dirname "$0")" && pwd)
LAYER=limits
. "$HERE/../../scripts/lib/layer.sh"
. "$ROOT/scripts/lib/netns.sh"
trap lab_cleanup EXIT
TOOLS="$ROOT/test/e2e/tools.py"
CTL="$BUILD/control/nat64ctl"
SOCK="$LAB_DIR/nat64d.sock"
EVENTS="$LAB_DIR/events.log"
FLOOD_IP6=2001:db8:2::2          # another /56 than the lab's client (2001:db8:1::2)
PORT_LIMIT=${PORT_LIMIT:-200}   # PORT_LIMIT=0 shows the flood winning without it
FLOOD_SYNS=3000
in_cli() { ip netns exec "$NS_CLI" "$@"; }
in_srv() { ip netns exec "$NS_SRV" "$@"; }
ctl() { "$CTL" -s "$SOCK" "$@"; }

if ! { lab_netns &&
       lab_config "$LAB_DIR/nat64d.conf" "log_file = \"$EVENTS\"" "" "[pool]" "tcp_ports = \"2000-2999\"" "" \
         "[limits]" "subscriber_tcp_ports = $PORT_LIMIT" "subscriber_sessions = 2000" &&
       lab_start_nat64d "$BUILD/control/nat64d" "$LAB_DIR/nat64d.conf" "$LAB_DIR/nat64d.log"; }; then
  record FAIL "limits:lab_starts"; tail -20 "$LAB_DIR/nat64d.log" 2>/dev/null; exit 1
fi
record PASS "limits:lab_starts"
# The flooder lives beside the lab's client, on the same link, with its own
# address; deprecated, so the client's own connections never pick it as their
# source (RFC 6724 rule 3), while the flooder binds to it.
ip -n "$NS_CLI" addr add "$FLOOD_IP6/64" dev eth0 nodad preferred_lft 0
in_srv /usr/bin/python3 "$TOOLS" echo-server "$SERVER_IP4" 7000 >/dev/null 2>&1 &
LAB_PIDS+=("$!")
wait_for 15 in_srv bash -c "exec 3<>/dev/tcp/$SERVER_IP4/7000"

rx_frames() { ctl --json stats | /usr/bin/python3 -c '
import json, sys; s = json.load(sys.stdin); print(sum(p["ipackets"] for p in s["ports"] if p["role"] == "inside"))'; }
rx_before=$(rx_frames)
# The flood first, whole: its SYNs' sessions live on (tcp_transitory), so
# without the limit the pool's 1000 TCP ports would all be the flooder's now.
check flood_sent in_cli /usr/bin/python3 "$HERE/flood.py" "$FLOOD_IP6" "$SERVER_VIA_PREFIX" "$FLOOD_SYNS"
# Then 20 connections of the other subscriber, 256 KiB each way, hashed.
check other_subscriber_20_of_20_intact_after_flood \
  in_cli /usr/bin/python3 "$TOOLS" tcp-clients "$SERVER_VIA_PREFIX" 7000 20 262144

# What the daemon says about each subscriber: the flooder holds exactly its
# limit and every one of its SYNs is either one of those ports or refused.
subscriber_json() { ctl --json subscribers --limit 10; }
flooder_held_at_limit() {
  subscriber_json | /usr/bin/python3 -c "
import json, sys
r = json.load(sys.stdin); print(json.dumps(r))
rows = {s['subscriber']: s for s in r['subscribers']}
f = rows['2001:db8:2::/56']
assert f['tcp_ports'] == $PORT_LIMIT, f
assert f['tcp_ports'] + f['refused_ports'] == $FLOOD_SYNS, f
assert r['limits']['tcp_ports'] == $PORT_LIMIT
other = rows['2001:db8:1::/56']
assert other['refused_ports'] == 0 and other['refused_sessions'] == 0, other
"
}
check flooder_holds_exactly_its_limit flooder_held_at_limit
# Every SYN reached nat64d: the counts above are over all of them.
all_frames_received() {
  local got; got=$(( $(rx_frames) - rx_before )); echo "inside frames since the flood: $got"
  [ "$got" -ge "$FLOOD_SYNS" ]
}
check every_flood_frame_received all_frames_received
drop_counted() {
  ctl --json stats | /usr/bin/python3 -c "
import json, sys
s = json.load(sys.stdin)
n = s['drops']['drop_subscriber_ports']
e = s['drops']['drop_ports_exhausted']
print('drop_subscriber_ports', n, 'drop_ports_exhausted', e)
assert n == $FLOOD_SYNS - $PORT_LIMIT and e == 0
"
}
check refusals_counted_by_reason drop_counted
check prometheus_has_subscriber_drops bash -c "'$CTL' -s '$SOCK' stats --prometheus | grep -E '^nat64d_drops_total\\{.*reason=\"drop_subscriber_ports\".*\\} $(( FLOOD_SYNS - PORT_LIMIT ))\$'"
# One quota-exceeded line per second of flood, not one per refused SYN.
quota_logged() {
  local n; n=$(grep -c ' quota-exceeded tcp subscriber=2001:db8:2::/56 limit=ports:200$' "$EVENTS")
  echo "quota-exceeded lines: $n"; grep -m3 quota-exceeded "$EVENTS"
  [ "$n" -ge 1 ] && [ "$n" -le 30 ]
}
check quota_exceeded_in_event_log quota_logged
check table_shows_both_subscribers bash -c "'$CTL' -s '$SOCK' subscribers | tee /dev/stderr | grep -qE '^2001:db8:2::/56 +[0-9]+ +$PORT_LIMIT '"
flows_of_flooder() {
  local n; n=$(ctl --json flows --subscriber "$FLOOD_IP6" --limit 100000 | /usr/bin/python3 -c '
import json, sys; f = json.load(sys.stdin)["flows"]
assert all(x["ipv6"] == "2001:db8:2::2" for x in f); print(len(f))')
  echo "flows of the flooder: $n"; [ "$n" -ge "$PORT_LIMIT" ]
}
check flows_by_subscriber flows_of_flooder
clear_flooder() {
  ctl subscribers clear "$FLOOD_IP6" && ctl --json subscribers | /usr/bin/python3 -c '
import json, sys; r = json.load(sys.stdin)
assert not any(s["subscriber"] == "2001:db8:2::/56" and s["sessions"] for s in r["subscribers"]), r'
}
check clear_one_subscriber clear_flooder
# Its ports come back, and the other subscriber keeps working.
check other_subscriber_still_works in_cli /usr/bin/python3 "$TOOLS" tcp-clients "$SERVER_VIA_PREFIX" 7000 5 4096
check still_running kill -0 "$NAT64D_PID"
