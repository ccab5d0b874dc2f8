#!/usr/bin/env bash
# Per-subscriber limits (RFC 6888 REQ-4) with real hosts: one subscriber
# floods SYNs from thousands of source ports while another, in a different
# /56, opens 20 connections and moves data through them. The pool has 1000
# TCP ports, which the flood alone would take; with a limit of 200 ports per
# subscriber every one of the other's connections succeeds and arrives
# intact, the flooder holds exactly its limit, and the counters, the event
# log, the IPFIX export (decoded by tshark) and nat64ctl say why. Then the
# flooder's state is cleared by hand, and a UDP port range too small for the
# other subscriber shows ports-exhausted events in both logs.
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
IPFIX_PORT=4739
IPFIX_PCAP="$LAB_DIR/ipfix.pcapng"
UDP_PORTS=64                    # the pool's UDP range: 3000-3063
UDP_FLOWS=100
in_cli() { ip netns exec "$NS_CLI" "$@"; }
in_srv() { ip netns exec "$NS_SRV" "$@"; }
ctl() { "$CTL" -s "$SOCK" "$@"; }

if ! { lab_netns &&
       lab_config "$LAB_DIR/nat64d.conf" "log_file = \"$EVENTS\"" "ipfix_collector = \"127.0.0.1:$IPFIX_PORT\"" \
         "ipfix_template_refresh_s = 2" "" "[pool]" "tcp_ports = \"2000-2999\"" "udp_ports = \"3000-3063\"" "" \
         "[limits]" "subscriber_tcp_ports = $PORT_LIMIT" "subscriber_sessions = 2000" &&
       lab_ipfix_capture_start &&
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
# Then 20 connections of the other subscriber, 256 KiB each way, hashed,
# while the flooder goes on from as many new source ports again; what the
# flooder's refused SYNs get back is captured on its link.
ip netns exec "$NS_CLI" timeout 60 tcpdump -i eth0 -U -c 3 -w "$LAB_DIR/refusals.pcap" \
  "icmp6 and ip6[40] == 1 and ip6[41] == 1" > "$LAB_DIR/tcpdump.log" 2>&1 &
TCPDUMP_PID=$!; LAB_PIDS+=("$TCPDUMP_PID")
wait_for 10 grep -q "listening on" "$LAB_DIR/tcpdump.log"
in_cli /usr/bin/python3 "$HERE/flood.py" "$FLOOD_IP6" "$SERVER_VIA_PREFIX" "$FLOOD_SYNS" $(( 20000 + FLOOD_SYNS )) \
  > "$LAB_DIR/flood2.out" 2>&1 &
FLOOD2_PID=$!; LAB_PIDS+=("$FLOOD2_PID")
check other_subscriber_20_of_20_intact_during_flood \
  in_cli /usr/bin/python3 "$TOOLS" tcp-clients "$SERVER_VIA_PREFIX" 7000 20 262144
check second_flood_sent wait "$FLOOD2_PID"
# RFC 6888 leaves the answer to the CGN; nat64d's is ICMPv6 administratively
# prohibited (1/1, within the ICMP rate limits), quoting the refused SYN.
refusal_answered() {
  wait "$TCPDUMP_PID"
  /usr/bin/python3 - "$LAB_DIR/refusals.pcap" "$FLOOD_IP6" "$SERVER_VIA_PREFIX" <<'PYEOF'
import sys
from scapy.all import rdpcap, IPv6, ICMPv6DestUnreach, IPerror6, TCPerror
pkts = rdpcap(sys.argv[1])
print(len(pkts), "ICMPv6 1/1 captured;", pkts[0].summary() if pkts else "")
assert len(pkts) >= 1
for p in pkts:
    assert p[IPv6].dst == sys.argv[2] and p[ICMPv6DestUnreach].code == 1
    assert p[IPerror6].src == sys.argv[2] and p[IPerror6].dst == sys.argv[3]
    assert p[TCPerror].flags == "S" and p[TCPerror].sport >= 20000
PYEOF
}
check refused_syn_answered_admin_prohibited refusal_answered
FLOOD_SYNS=$(( 2 * FLOOD_SYNS ))

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
# "Who had this public port at that time?" from the event log, for a mapping
# of the flooder's taken from the live table, a second ago and before it existed.
lookup_in_log() {
  local row pub port now; sleep 1
  row=$(ctl --json flows --subscriber "$FLOOD_IP6" --limit 1 | /usr/bin/python3 -c '
import json, sys; f = json.load(sys.stdin)["flows"][0]; print(f["public"], f["public_port"])')
  read -r pub port <<<"$row"
  now=$(date -u +%Y-%m-%dT%H:%M:%S.%3N)
  ctl lookup "$pub" "$port" --at "$now" | tee /dev/stderr | grep -q "^$pub tcp $port at .*: \[$FLOOD_IP6\]:[0-9]*, mapped " &&
    { local before rc; before=$(ctl lookup "$pub" "$port" --at 2000-01-01T00:00); rc=$?
      echo "$before (exit $rc)"; [ "$rc" = 1 ] && [[ "$before" == *nobody* ]]; }
}
check lookup_at_time_from_event_log lookup_in_log
clear_flooder() {
  ctl subscribers clear "$FLOOD_IP6" && ctl --json subscribers | /usr/bin/python3 -c '
import json, sys; r = json.load(sys.stdin)
assert not any(s["subscriber"] == "2001:db8:2::/56" and s["sessions"] for s in r["subscribers"]), r'
}
check clear_one_subscriber clear_flooder

# The other subscriber, no UDP limit, 100 UDP flows into a 64-port range:
# the first 64 get a port, the rest are refused as exhausted, and the logs
# say so once a second, not once a packet.
udp_flows() {
  in_cli /usr/bin/python3 -c "
import socket
for i in range($UDP_FLOWS):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.bind(('$CLIENT_IP6', 30000 + i))
    s.sendto(b'x', ('$SERVER_VIA_PREFIX', 7001))
    s.close()
print('sent $UDP_FLOWS datagrams from $UDP_FLOWS ports')"
}
check udp_flows_sent udp_flows
exhausted_counted() {
  ctl --json stats | /usr/bin/python3 -c "
import json, sys
s = json.load(sys.stdin); e = s['drops']['drop_ports_exhausted']; print('drop_ports_exhausted', e)
assert e == $UDP_FLOWS - $UDP_PORTS"
}
check ports_exhausted_counted wait_for 10 exhausted_counted
exhausted_logged() {
  local n; n=$(grep -c ' ports-exhausted udp src=\[2001:db8:1::2\]:[0-9]* pub=192.0.2.1$' "$EVENTS")
  echo "ports-exhausted lines: $n"; [ "$n" -ge 1 ] && [ "$n" -le 10 ]
}
check ports_exhausted_in_event_log wait_for 10 exhausted_logged

# The IPFIX export as tshark decodes it: the quota-exceeded records (RFC 8158
# natEvent 13, natQuotaExceededEvent 2: BIB entries, the limit, the
# subscriber) and the ports-exhausted ones (natEvent 12, the pool address).
ipfix_quota_and_exhaustion() {
  sleep 1   # the control thread's next pass sends what the last events left
  lab_ipfix_decode || return 1
  /usr/bin/python3 - "$LAB_DIR/ipfix.json" "$ROOT/test/control" "$EVENTS" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[2])
from ctl_tools import ipfix_records
records = [r for _, _, recs in ipfix_records(sys.argv[1]) for r in recs]
quota = [r for r in records if r.get("cflow.nat_event") == "13"]
exhausted = [r for r in records if r.get("cflow.nat_event") == "12"]
lines = open(sys.argv[3]).read().splitlines()
print(f"{len(records)} records; quota exceeded {len(quota)}, ports exhausted {len(exhausted)}")
print("a quota record:", quota[:1]); print("an exhaustion record:", exhausted[:1])
# One record per text-log line: both come from the same events.
assert len(quota) == sum(" quota-exceeded " in l for l in lines) >= 1
assert len(exhausted) == sum(" ports-exhausted " in l for l in lines) >= 1
for r in quota:
    assert r.get("cflow.srcaddrv6") == "2001:db8:2::", r
    assert r.get("cflow.nat_quota_exceeded_event") == "2", r
    assert r.get("cflow.max_bib_entries") == "200", r
for r in exhausted:
    assert r.get("cflow.post_natsource_ipv4_address") == "192.0.2.1", r
    assert r.get("cflow.protocol") == "17", r
PYEOF
}
check ipfix_quota_and_exhaustion_decoded_by_tshark ipfix_quota_and_exhaustion
# Its ports come back, and the other subscriber keeps working.
check other_subscriber_still_works in_cli /usr/bin/python3 "$TOOLS" tcp-clients "$SERVER_VIA_PREFIX" 7000 5 4096
check still_running kill -0 "$NAT64D_PID"
