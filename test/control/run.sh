#!/usr/bin/env bash
# Control plane with the running daemon: nat64d on net_tap in the namespace lab
# with short timers, the event log and the IPFIX export on, driven through
# nat64ctl and raw socket requests; tshark decodes the export. Waits by
# polling with deadlines; asserts no duration. The trap removes the lab
# (namespaces, links, our PIDs) whatever happens.
HERE=$(cd "$(dirname "$0")" && pwd)
LAYER=control
. "$HERE/../../scripts/lib/layer.sh"
. "$ROOT/scripts/lib/netns.sh"
trap lab_cleanup EXIT

CTL="$BUILD/control/nat64ctl"
SOCK="$LAB_DIR/nat64d.sock"
EVENTS="$LAB_DIR/events.log"
TOOLS="$HERE/ctl_tools.py"
UDP_TIMEOUT_S=3
# IPFIX: nat64d's control thread runs in the box's namespace, so the collector
# is that namespace's loopback.
IPFIX_PORT=4739
IPFIX_DOMAIN=4242
IPFIX_PCAP="$LAB_DIR/ipfix.pcapng"

in_cli() { ip netns exec "$NS_CLI" "$@"; }
in_srv() { ip netns exec "$NS_SRV" "$@"; }
ctl() { "$CTL" -s "$SOCK" "$@"; }
udp_flow_present() {  # udp_flow_present PORT6
  ctl flows --proto udp --json | /usr/bin/python3 -c "
import json, sys; sys.exit(0 if any(f['port6'] == $1 for f in json.load(sys.stdin)['flows']) else 1)"
}

BIB_STATE="$LAB_DIR/bib.state"
if ! { lab_netns && lab_config "$LAB_DIR/nat64d.conf" "log_file = \"$EVENTS\"" "bib_state = \"$BIB_STATE\"" \
         "socket_owner = \"daemon\"" "socket_group = \"daemon\"" \
         "ipfix_collector = \"127.0.0.1:$IPFIX_PORT\"" "ipfix_domain_id = $IPFIX_DOMAIN" \
         "ipfix_template_refresh_s = 2" "" "[timeouts]" \
         "allow_short = true" "udp = $UDP_TIMEOUT_S" "icmp = $UDP_TIMEOUT_S" "tcp_transitory = 4" \
         "tcp_established = 6" "port_quarantine = 2" &&
       lab_ipfix_capture_start &&
       lab_start_nat64d "$BUILD/control/nat64d" "$LAB_DIR/nat64d.conf" "$LAB_DIR/nat64d.log"; }; then
  record FAIL "control:lab_starts"; exit 1
fi
record PASS "control:lab_starts"
# Started with ip netns exec directly (it execs), so $! is the server itself.
ip netns exec "$NS_SRV" /usr/bin/python3 "$TOOLS" udp-echo-server "$SERVER_IP4" 7001 & LAB_PIDS+=("$!")

# --- health, config, errors of the client
check health_exit_0 wait_for 10 ctl health
socket_mode() { [ "$(stat -c %a "$SOCK")" = 660 ]; }
check socket_mode_0660 socket_mode
# Owner and group from [control]: the operator's monitoring group may talk to it.
socket_owner_group() { [ "$(stat -c %U:%G "$SOCK")" = daemon:daemon ]; }
check socket_owner_and_group socket_owner_group
config_roundtrip() { ctl config --json | /usr/bin/python3 -c '
import json, sys; c = json.load(sys.stdin); print(c["timeouts"]); sys.exit(0 if c["timeouts"]["udp"] == '"$UDP_TIMEOUT_S"' else 1)'; }
check config_shows_running_timeouts config_roundtrip
not_running() {
  local out rc
  out=$("$CTL" -s "$LAB_DIR/no-such.sock" stats 2>&1); rc=$?
  echo "exit $rc: $out"; [ "$rc" = 3 ] && echo "$out" | grep -q "cannot reach nat64d"
}
check ctl_clear_error_when_daemon_absent not_running
refused() { local rc; ctl bib del tcp 2001:db8:1::99 1234; rc=$?; echo "exit $rc"; [ "$rc" = 1 ]; }
check ctl_nonzero_when_refused refused

# --- traffic: counters match what was sent, flows appear and age out
N=40
stat_field() { ctl stats --json | /usr/bin/python3 -c "import json,sys; s=json.load(sys.stdin); print(sum(w['$1']['packets'] for w in s['workers']))"; }
before6=$(stat_field translated_6to4); before4=$(stat_field translated_4to6)
check udp_traffic in_cli /usr/bin/python3 "$TOOLS" udp-send "$SERVER_VIA_PREFIX" 7001 40001 "$N" "$LAB_DIR/udp_sent"
counters_match() {   # every datagram sent (a retry too) is translated, and each is echoed once
  local d6 d4 sent
  sent=$(cat "$LAB_DIR/udp_sent")
  d6=$(( $(stat_field translated_6to4) - before6 )); d4=$(( $(stat_field translated_4to6) - before4 ))
  echo "translated 6to4 +$d6, 4to6 +$d4 (sent $sent)"; [ "$d6" = "$sent" ] && [ "$d4" = "$sent" ]
}
check stats_counters_match_packets_sent wait_for 5 counters_match
flow_listed() { ctl flows --proto udp --ipv6 "$CLIENT_IP6" --json | /usr/bin/python3 -c '
import json, sys; r = json.load(sys.stdin)
f = [x for x in r["flows"] if x["port6"] == 40001 and x["dst"] == "'"$SERVER_IP4"'" and x["dport"] == 7001]
print(r); sys.exit(0 if len(f) == 1 and f[0]["public"] == "'"$POOL_IP4"'" else 1)'; }
check flow_appears_in_flows flow_listed
filter_excludes() { [ "$(ctl flows --proto tcp --public-port 1 --json | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["flows"]))')" = 0 ]; }
check flows_filters_exclude filter_excludes
check flows_table_for_people bash -c "'$CTL' -s '$SOCK' flows | grep -q '\[$CLIENT_IP6\]:40001'"
# Time to expiry: what the running UDP timeout leaves of a session's life.
expiry_shown() { ctl flows --proto udp --json | /usr/bin/python3 -c '
import json, sys; f = [x for x in json.load(sys.stdin)["flows"] if x["port6"] == 40001]
print(f); sys.exit(0 if len(f) == 1 and f[0]["idle_s"] + f[0]["expires_in_s"] == '"$UDP_TIMEOUT_S"' else 1)'; }
check flows_show_time_to_expiry expiry_shown
explained() {
  local out; out=$(ctl stats --explain)
  echo "$out" | grep -E "^drop_not_for_us +[0-9]+ +.+" && echo "$out" | grep -E "^flows_created +[0-9]+ +sessions this worker opened"
}
check stats_explain_names_every_counter explained
check bib_list_shows_mapping bash -c "'$CTL' -s '$SOCK' bib list --proto udp | grep -q 'dynamic'"
flow_gone() { [ "$(ctl flows --proto udp --json | /usr/bin/python3 -c 'import json,sys; print(len([f for f in json.load(sys.stdin)["flows"] if f["port6"] == 40001]))')" = 0 ]; }
check flow_disappears_on_time wait_for $(( UDP_TIMEOUT_S + 10 )) flow_gone
mapping_gone() { ! ctl bib list --proto udp | grep -q "\[$CLIENT_IP6\]:40001"; }
check mapping_disappears_with_last_session wait_for 5 mapping_gone
expired_counted() { ctl stats --json | /usr/bin/python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["flows"]); sys.exit(0 if s["flows"]["sessions_expired"]["udp"] >= 1 and s["flows"]["sessions_by_proto"]["udp"] == 0 else 1)'; }
check stats_count_expired expired_counted
events_ok() { /usr/bin/python3 "$TOOLS" events-per-flow "$EVENTS" "$CLIENT_IP6" 40001; }
check event_log_one_create_one_delete_per_flow wait_for 5 events_ok
# --sort orders what the daemon answered in its hash order.
flows_sorted() {
  local p
  for p in 40027 40021 40025 40020 40023 40026 40022 40024; do
    in_cli /usr/bin/python3 "$TOOLS" udp-send "$SERVER_VIA_PREFIX" 7001 "$p" 1 "$LAB_DIR/udp_sent_sort" >/dev/null || return 1
  done
  ctl flows --proto udp --sort subscriber --json | /usr/bin/python3 -c '
import json, sys; ports = [x["port6"] for x in json.load(sys.stdin)["flows"] if 40020 <= x["port6"] <= 40027]
print(ports); sys.exit(0 if ports == list(range(40020, 40028)) else 1)' || return 1
  ctl flows --proto udp --sort expiry --json | /usr/bin/python3 -c '
import json, sys; e = [x["expires_in_s"] for x in json.load(sys.stdin)["flows"]]
print(e); sys.exit(0 if e == sorted(e) and len(e) >= 8 else 1)'
}
check flows_sort_by_subscriber_and_expiry flows_sorted
# bib del on a dynamic mapping ends it and its sessions, nothing else.
dynamic_deleted() {
  local out
  out=$(ctl bib del udp "$CLIENT_IP6" 40025) || { echo "$out"; return 1; }
  echo "$out"
  ! udp_flow_present 40025 && udp_flow_present 40024 && ! ctl bib list --proto udp | grep -q "\[$CLIENT_IP6\]:40025 "
}
check bib_del_ends_a_dynamic_mapping dynamic_deleted

# --- static BIB at run time: a port forward works at once, and stops at once
ip netns exec "$NS_CLI" /usr/bin/python3 "$TOOLS" tcp-listen "$CLIENT_IP6" 8080 & LAB_PIDS+=("$!")
wait_for 10 in_cli bash -c "exec 3<>/dev/tcp/$CLIENT_IP6/8080"
check bib_add ctl bib add tcp "$CLIENT_IP6" 8080 "$POOL_IP4" 8080
check bib_add_forward_works in_srv /usr/bin/python3 "$TOOLS" tcp-connect "$POOL_IP4" 8080 5
check bib_add_duplicate_refused bash -c "! '$CTL' -s '$SOCK' bib add tcp '$CLIENT_IP6' 8080 '$POOL_IP4' 8080"
check bib_list_static bash -c "'$CTL' -s '$SOCK' bib list --proto tcp | grep -q static"
check bib_del ctl bib del tcp "$CLIENT_IP6" 8080
check bib_del_forward_stops bash -c "! ip netns exec '$NS_SRV' /usr/bin/python3 '$TOOLS' tcp-connect '$POOL_IP4' 8080 2"

# bib add takes what static.bib takes, and refuses what it refuses.
bib_add_refused() {  # bib_add_refused PROTO ADDR6 PORT6 ADDR4 PORT4 REASON
  local out rc
  out=$(ctl bib add "$1" "$2" "$3" "$4" "$5" 2>&1); rc=$?
  echo "exit $rc: $out"
  [ "$rc" = 1 ] && echo "$out" | grep -qF "$6"
}
check bib_add_refuses_multicast bib_add_refused udp ff02::1 53 "$POOL_IP4" 5353 "multicast"
check bib_add_refuses_unspecified bib_add_refused udp :: 53 "$POOL_IP4" 5353 "unspecified"
check bib_add_refuses_v4_mapped bib_add_refused udp ::ffff:192.0.2.9 53 "$POOL_IP4" 5353 "IPv4-mapped"
check bib_add_refuses_prefix_address bib_add_refused udp 64:ff9b::c000:209 53 "$POOL_IP4" 5353 "inside nat64.prefix"
check bib_add_refuses_the_box bib_add_refused udp "$BOX_IP6" 53 "$POOL_IP4" 5353 "the box's own address"
check bib_add_refuses_identifier_0 bib_add_refused icmp "$CLIENT_IP6" 0 "$POOL_IP4" 7 "identifier 0"

# --- IPFIX (RFC 7011 over UDP, RFC 8158 events) as tshark, a decoder of
# Debian's, reads it: a UDP and a TCP flow the test knows, from creation to
# expiry, against their nat64ctl rows taken while they were live.
ipfix_flow_row() {  # ipfix_flow_row PROTO PORT6: appends the live flow's row to the expected list
  ctl flows --proto "$1" --json | /usr/bin/python3 -c "
import json, sys
rows = [f for f in json.load(sys.stdin)['flows'] if f['port6'] == $2 and f['dst'] == '$SERVER_IP4']
print(rows)
if len(rows) != 1: sys.exit(1)
open('$LAB_DIR/ipfix_flows.jsonl', 'a').write(json.dumps(rows[0]) + '\n')"
}
ipfix_stat() { ctl stats --json | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['events']['ipfix']['$1'])"; }
ip netns exec "$NS_SRV" /usr/bin/python3 "$TOOLS" tcp-listen "$SERVER_IP4" 7002 & LAB_PIDS+=("$!")
wait_for 10 in_srv bash -c "exec 3<>/dev/tcp/$SERVER_IP4/7002"
check ipfix_udp_flow in_cli /usr/bin/python3 "$TOOLS" udp-send "$SERVER_VIA_PREFIX" 7001 40301 1 "$LAB_DIR/udp_sent_ipfix"
check ipfix_udp_flow_listed ipfix_flow_row udp 40301
check ipfix_tcp_flow in_cli /usr/bin/python3 "$TOOLS" tcp-connect "$SERVER_VIA_PREFIX" 7002 5 40302
check ipfix_tcp_flow_listed ipfix_flow_row tcp 40302
ipfix_flows_ended() {   # both mappings gone, and their deletions through the control thread's pass
  ! ctl bib list | grep -qE "\]:4030[12] " &&
    /usr/bin/python3 "$TOOLS" events-per-flow "$EVENTS" "$CLIENT_IP6" 40301 &&
    /usr/bin/python3 "$TOOLS" events-per-flow "$EVENTS" "$CLIENT_IP6" 40302
}
check ipfix_flows_expire wait_for 30 ipfix_flows_ended
ipfix_quiet() { local a; a=$(ipfix_stat records_sent); sleep 1; [ "$a" = "$(ipfix_stat records_sent)" ]; }
wait_for 20 ipfix_quiet
IPFIX_RECORDS_SENT=$(ipfix_stat records_sent)
ipfix_counters() {
  ctl stats --json | /usr/bin/python3 -c '
import json, sys; x = json.load(sys.stdin)["events"]["ipfix"]; print(x)
sys.exit(0 if x["records_sent"] > 0 and x["messages_sent"] > 0 and x["send_errors"] == 0 else 1)'
}
check ipfix_counters_in_stats ipfix_counters
ipfix_decoded() {
  lab_ipfix_decode || return 1
  /usr/bin/python3 "$TOOLS" ipfix-check "$LAB_DIR/ipfix.json" "$LAB_DIR/ipfix_flows.jsonl" "$IPFIX_DOMAIN" \
    "$IPFIX_RECORDS_SENT" "$SERVER_VIA_PREFIX"
}
check ipfix_tshark_decodes_every_flow_event ipfix_decoded

# --- Prometheus
prom() { ctl stats --prometheus > "$LAB_DIR/metrics.prom" && /usr/bin/python3 "$TOOLS" prom-parse "$LAB_DIR/metrics.prom"; }
check prometheus_parses prom
# Prometheus' own linter (Debian's prometheus package): names, types, HELP.
promtool_clean() {
  local out rc
  out=$(promtool check metrics < "$LAB_DIR/metrics.prom" 2>&1); rc=$?
  echo "promtool: exit $rc ${out}"; [ "$rc" = 0 ] && [ -z "$out" ]
}
check promtool_check_metrics_clean promtool_clean

# The running configuration, as nat64ctl prints it, is a config file that loads back.
config_loads_back() {
  ctl config > "$LAB_DIR/running.conf" || return 1
  cat "$LAB_DIR/running.conf"
  "$BUILD/control/nat64d" --check-config "$LAB_DIR/running.conf"
}
check config_output_loads_back config_loads_back

# A second nat64d with its own pidfile but this socket path must not take the
# socket over: it refuses to start and the first keeps answering.
second_on_same_socket() {
  sed -e "s|^pidfile = .*|pidfile = \"$LAB_DIR/second.pid\"|" -e "s|nat64d-$LAB_ID|nat64d-second-$LAB_ID|" \
      -e "s|net_tap0,iface=n64in|net_null0|" -e "s|net_tap1,iface=n64out|net_null1|" \
      -e "s|^inside = \"net_tap0\"|inside = \"net_null0\"|" -e "s|^outside = \"net_tap1\"|outside = \"net_null1\"|" \
      -e "s|^log_file = .*||" -e "s|^ipfix_collector = .*||" "$LAB_DIR/nat64d.conf" > "$LAB_DIR/second.conf"
  local out rc
  out=$(timeout 60 "$BUILD/control/nat64d" --config "$LAB_DIR/second.conf" 2>&1); rc=$?
  echo "exit $rc: $out" | tail -3
  [ "$rc" -ne 0 ] && echo "$out" | grep -q "another nat64d answers on it" && ctl health >/dev/null &&
    [ "$(ctl --json config | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["control"]["pidfile"])')" = "$LAB_DIR/nat64d.pid" ]
}
check second_daemon_cannot_take_the_socket second_on_same_socket

# --- the socket survives its clients
check malformed_request_error_and_close /usr/bin/python3 "$TOOLS" malformed "$SOCK"
check oversized_request_error_and_close /usr/bin/python3 "$TOOLS" oversized "$SOCK"
check unknown_command_error /usr/bin/python3 "$TOOLS" unknown-command "$SOCK"
check many_clients /usr/bin/python3 "$TOOLS" many-clients "$SOCK" 100
check slow_client_does_not_stall /usr/bin/python3 "$TOOLS" slow-client "$SOCK"
check still_healthy_after_abuse ctl health

# --- DPDK telemetry
telemetry() {
  local out
  out=$(echo /nat64d/stats | /usr/bin/python3 /usr/bin/dpdk-telemetry.py -f "nat64d-$LAB_ID" 2>&1); echo "$out"
  echo "$out" | grep -q '"flows/sessions_created/udp": [1-9]'
}
check telemetry_reads_stats telemetry

# --- reload: the file read again, applied with sessions kept, or refused whole
CONF="$LAB_DIR/nat64d.conf"
cp "$CONF" "$LAB_DIR/nat64d.conf.start"
config_value() {  # config_value SECTION KEY: the running value, as JSON
  ctl --json config | /usr/bin/python3 -c "import json,sys; print(json.dumps(json.load(sys.stdin)['$1']['$2']))"
}
reload_nothing() { local out; out=$(ctl reload); echo "$out"; [ "$out" = "nothing changed" ]; }
check reload_of_the_same_file_changes_nothing reload_nothing

# A session older than the old UDP timeout lives on under the new one.
reload_keeps_sessions() {
  local out
  in_cli /usr/bin/python3 "$TOOLS" udp-send "$SERVER_VIA_PREFIX" 7001 40101 1 "$LAB_DIR/udp_sent_reload" || return 1
  udp_flow_present 40101 || { echo "no session for port 40101"; return 1; }
  sed -i "s/^udp = $UDP_TIMEOUT_S\$/udp = 30/" "$CONF"
  out=$(ctl reload) || { echo "$out"; return 1; }
  echo "$out"
  echo "$out" | grep -qx "applied: timeouts.udp = 30 (was $UDP_TIMEOUT_S)" || return 1
  [ "$(config_value timeouts udp)" = 30 ] || return 1
  sleep $(( UDP_TIMEOUT_S + 3 ))   # the old timeout and the ager's pass are long past
  udp_flow_present 40101 || { echo "the session expired on the old timeout"; return 1; }
}
check reload_applies_timeouts_to_live_sessions reload_keeps_sessions

reload_static_bib() {
  local out
  printf '\n[static]\nbib = ["tcp %s#8080 %s#18080"]\n' "$CLIENT_IP6" "$POOL_IP4" >> "$CONF"
  out=$(ctl reload) || { echo "$out"; return 1; }
  echo "$out"
  echo "$out" | grep -q "^applied: static.bib = " || return 1
  ctl bib list --json | grep -qE '"public_port": *18080' || { ctl bib list; return 1; }
  sed -i '/^\[static\]$/,$d' "$CONF"
  out=$(ctl reload) || { echo "$out"; return 1; }
  echo "$out"
  ! ctl bib list --json | grep -qE '"public_port": *18080'
}
check reload_adds_and_removes_static_bib reload_static_bib

# Keys only a restart can change refuse the reload; nothing changes, the
# running configuration says so.
reload_refused() {
  local out rc
  cp "$CONF" "$LAB_DIR/nat64d.conf.good"
  sed -i -e 's/^mbufs = 16383$/mbufs = 8191/' -e 's/^udp = 30$/udp = 40/' "$CONF"
  out=$(ctl reload 2>&1); rc=$?
  echo "exit $rc: $out"
  cp "$LAB_DIR/nat64d.conf.good" "$CONF"
  [ "$rc" = 1 ] && echo "$out" | grep -qF "config: ports.mbufs = 8191: needs a restart (running: 16383)" &&
    echo "$out" | grep -q "nothing changed" && [ "$(config_value ports mbufs)" = 16383 ] &&
    [ "$(config_value timeouts udp)" = 30 ]
}
check reload_refuses_keys_that_need_a_restart reload_refused
reload_broken() {
  local out rc
  sed -i 's/^udp = 30$/udp = banana/' "$CONF"
  out=$(ctl reload 2>&1); rc=$?
  echo "exit $rc: $out"
  cp "$LAB_DIR/nat64d.conf.good" "$CONF"
  [ "$rc" = 1 ] && echo "$out" | grep -q "timeouts.udp" && echo "$out" | grep -q "nothing changed" &&
    [ "$(config_value timeouts udp)" = 30 ] && ctl health >/dev/null
}
check reload_refuses_a_broken_file reload_broken

udp_is() { [ "$(config_value timeouts udp)" = "$1" ]; }
sighup_reloads() {
  sed -i 's/^udp = 30$/udp = 45/' "$CONF"
  kill -HUP "$NAT64D_PID"
  wait_for 10 udp_is 45 || return 1
  wait_for 10 grep -q "nat64d: reload: timeouts.udp = 45 (was 30)" "$LAB_DIR/nat64d.log"
}
check sighup_reloads_the_file sighup_reloads
# The event log moved by a reload: new events go to the new file.
EVENTS2="$LAB_DIR/events2.log"
log_moves() {
  sed -i "s|^log_file = .*|log_file = \"$EVENTS2\"|" "$CONF"
  local out; out=$(ctl reload); echo "$out"
  [[ "$out" == *"applied: control.log_file"* ]] &&
    in_cli /usr/bin/python3 "$TOOLS" udp-send "$SERVER_VIA_PREFIX" 7001 40777 1 "$LAB_DIR/sent40777" &&
    wait_for 10 grep -q "session-create udp src=\[$CLIENT_IP6\]:40777 " "$EVENTS2" &&
    ! grep -q ":40777 " "$EVENTS"
}
check reload_moves_the_event_log log_moves
# The IPFIX export moved by a reload: a new collector gets the templates
# first, then the new flow's record; the counters go on from where they were.
IPFIX_PORT2=$((IPFIX_PORT + 1))
ipfix_has_flow() {  # ipfix_has_flow JSON PORT6: a session-create record of that source port, decoded
  /usr/bin/python3 -c "
import json, sys
def walk(n):
    if isinstance(n, dict):
        yield n
        for v in n.values(): yield from walk(v)
    elif isinstance(n, list):
        for v in n: yield from walk(v)
hits = [r for r in walk(json.load(open('$1'))) if r.get('cflow.srcport') == '$2' and 'cflow.nat_event' in r]
print(len(hits), 'records of port', '$2'); sys.exit(0 if hits else 1)"
}
ipfix_moves() {
  IPFIX_PORT=$IPFIX_PORT2 IPFIX_PCAP="$LAB_DIR/ipfix2.pcapng" lab_ipfix_capture_start || return 1
  local before out; before=$(ipfix_stat records_sent)
  sed -i "s|^ipfix_collector = .*|ipfix_collector = \"127.0.0.1:$IPFIX_PORT2\"|" "$CONF"
  out=$(ctl reload); echo "$out"
  [[ "$out" == *"applied: control.ipfix_collector"* ]] || return 1
  in_cli /usr/bin/python3 "$TOOLS" udp-send "$SERVER_VIA_PREFIX" 7001 40779 1 "$LAB_DIR/sent40779" || return 1
  wait_for 10 bash -c "[ \$('$CTL' -s '$SOCK' stats --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[\"events\"][\"ipfix\"][\"records_sent\"])') -gt $before ]" || return 1
  sleep 1
  IPFIX_PORT=$IPFIX_PORT2 IPFIX_PCAP="$LAB_DIR/ipfix2.pcapng" lab_ipfix_decode || return 1
  ipfix_has_flow "$LAB_DIR/ipfix.json" 40779
}
check reload_moves_the_ipfix_collector ipfix_moves
cp "$LAB_DIR/nat64d.conf.start" "$CONF"

# --- a runtime static mapping outlives the process (control.bib_state)
KEEP_ENTRY="tcp $CLIENT_IP6#9090 $POOL_IP4#9090"
check bib_add_kept ctl bib add tcp "$CLIENT_IP6" 9090 "$POOL_IP4" 9090
check bib_state_written grep -qxF "$KEEP_ENTRY" "$BIB_STATE"

# --- health turns false when the daemon stops
kill -TERM "$NAT64D_PID" 2>/dev/null
wait_for 15 bash -c "! kill -0 $NAT64D_PID"
check health_nonzero_when_stopped bash -c "! '$CTL' -s '$SOCK' health"

# Started again on the same file: the runtime mapping is back, static.
if lab_start_nat64d "$BUILD/control/nat64d" "$CONF" "$LAB_DIR/nat64d-again.log"; then
  check runtime_bib_restored_after_restart bash -c "grep -q '1 runtime static mapping(s) restored' '$LAB_DIR/nat64d-again.log' &&
    '$CTL' -s '$SOCK' bib list --proto tcp | grep -E '\[$CLIENT_IP6\]:9090 +$POOL_IP4:9090 +static'"
  check bib_del_forgets_runtime_entry bash -c "'$CTL' -s '$SOCK' bib del tcp '$CLIENT_IP6' 9090 && ! grep -qF '$KEEP_ENTRY' '$BIB_STATE'"
  kill -TERM "$NAT64D_PID" 2>/dev/null
  wait_for 15 bash -c "! kill -0 $NAT64D_PID"
else
  record FAIL "control:restart_on_same_config"; tail -20 "$LAB_DIR/nat64d-again.log"
fi

# --- reload draining a pool address: two addresses, the client's taken out;
# its live flow keeps its address, its new ones get the other, and putting
# the address back ends the drain.
POOL2_IP4=192.0.2.2
CONF3="$LAB_DIR/nat64d-pool2.conf"
sed "s|^addresses = \[\"$POOL_IP4\"\]|addresses = [\"$POOL_IP4\", \"$POOL2_IP4\"]|" "$CONF" > "$CONF3"
public_of() {  # public_of PORT6: the public address of the client's UDP flow from that port
  ctl --json flows --proto udp | /usr/bin/python3 -c "
import json, sys; f = [x for x in json.load(sys.stdin)['flows'] if x['port6'] == $1]; print(f[0]['public'] if f else '')"
}
draining_of() {  # draining_of ADDR: true or false in stats
  ctl --json stats | /usr/bin/python3 -c "
import json, sys; print(str([a['draining'] for a in json.load(sys.stdin)['pool'] if a['address'] == '$1'][0]).lower())"
}
if grep -q "$POOL2_IP4" "$CONF3" && lab_start_nat64d "$BUILD/control/nat64d" "$CONF3" "$LAB_DIR/nat64d-pool2.log"; then
  # The restarted taps have new MACs (a NIC's would not): the hosts forget the old.
  ip -n "$NS_CLI" neigh flush all; ip -n "$NS_RTR" neigh flush all
  check pool2_first_flow in_cli /usr/bin/python3 "$TOOLS" udp-send "$SERVER_VIA_PREFIX" 7001 41001 2 "$LAB_DIR/sent41001"
  HOME4=$(public_of 41001); OTHER4=$([ "$HOME4" = "$POOL_IP4" ] && echo "$POOL2_IP4" || echo "$POOL_IP4")
  drain_home() {
    sed -i "s|^addresses = .*|addresses = [\"$OTHER4\"]|" "$CONF3"
    local out; out=$(ctl reload); echo "$out"
    [[ "$out" == *"applied: pool.addresses"* ]] && [ "$(draining_of "$HOME4")" = true ] &&
      [ "$(draining_of "$OTHER4")" = false ]
  }
  check reload_drains_a_pool_address drain_home
  check drained_new_flow_on_other_address bash -c "ip netns exec '$NS_CLI' /usr/bin/python3 '$TOOLS' udp-send '$SERVER_VIA_PREFIX' 7001 41002 2 '$LAB_DIR/sent41002' &&
    [ \"\$('$CTL' -s '$SOCK' --json flows --proto udp | /usr/bin/python3 -c 'import json,sys; print([x[\"public\"] for x in json.load(sys.stdin)[\"flows\"] if x[\"port6\"] == 41002][0])')\" = '$OTHER4' ]"
  check drained_live_flow_keeps_its_address bash -c "ip netns exec '$NS_CLI' /usr/bin/python3 '$TOOLS' udp-send '$SERVER_VIA_PREFIX' 7001 41001 2 '$LAB_DIR/sent41001b' &&
    [ \"\$('$CTL' -s '$SOCK' --json flows --proto udp | /usr/bin/python3 -c 'import json,sys; print([x[\"public\"] for x in json.load(sys.stdin)[\"flows\"] if x[\"port6\"] == 41001][0])')\" = '$HOME4' ]"
  undrain() {
    sed -i "s|^addresses = .*|addresses = [\"$POOL_IP4\", \"$POOL2_IP4\"]|" "$CONF3"
    ctl reload && [ "$(draining_of "$HOME4")" = false ]
  }
  check reload_puts_the_address_back undrain
  # A brand-new address joins live: with the two old ones taken out, the
  # client's next flow leaves from it (the box answers ARP for it at once)
  # and the server's reply comes back through it; the old flows stay.
  POOL3_IP4=192.0.2.3
  new_address_joins() {
    sed -i "s|^addresses = .*|addresses = [\"$POOL3_IP4\"]|" "$CONF3"
    local out; out=$(ctl reload); echo "$out"
    [[ "$out" == *"applied: pool.addresses"* ]] && [ "$(draining_of "$POOL3_IP4")" = false ] &&
      [ "$(draining_of "$POOL_IP4")" = true ] && [ "$(draining_of "$POOL2_IP4")" = true ]
  }
  check reload_adds_a_pool_address new_address_joins
  check added_address_carries_new_flow bash -c "ip netns exec '$NS_CLI' /usr/bin/python3 '$TOOLS' udp-send '$SERVER_VIA_PREFIX' 7001 41003 2 '$LAB_DIR/sent41003' &&
    [ \"\$('$CTL' -s '$SOCK' --json flows --proto udp | /usr/bin/python3 -c 'import json,sys; print([x[\"public\"] for x in json.load(sys.stdin)[\"flows\"] if x[\"port6\"] == 41003][0])')\" = '$POOL3_IP4' ]"
  check added_address_old_flow_kept bash -c "ip netns exec '$NS_CLI' /usr/bin/python3 '$TOOLS' udp-send '$SERVER_VIA_PREFIX' 7001 41001 2 '$LAB_DIR/sent41001c' &&
    [ \"\$('$CTL' -s '$SOCK' --json flows --proto udp | /usr/bin/python3 -c 'import json,sys; print([x[\"public\"] for x in json.load(sys.stdin)[\"flows\"] if x[\"port6\"] == 41001][0])')\" = '$HOME4' ]"
  check added_address_in_prometheus bash -c "'$CTL' -s '$SOCK' stats --prometheus | grep -q 'nat64d_pool_address_draining{address=\"$POOL3_IP4\"} 0'"
  # Past the room a running nat64d has for addresses: refused whole.
  too_many_addresses() {
    local list; list=$(/usr/bin/python3 -c "print(', '.join('\"10.{}.{}.{}\"'.format(i >> 16, (i >> 8) & 255, i & 255) for i in range(1, 1100)))")
    cp "$CONF3" "$CONF3.good"
    sed -i "s|^addresses = .*|addresses = [$list]|" "$CONF3"
    local out rc; out=$(ctl reload 2>&1); rc=$?; echo "exit $rc: $(echo "$out" | head -3)"
    cp "$CONF3.good" "$CONF3"
    [ "$rc" = 1 ] && [[ "$out" == *"pool.addresses"*"at most 1024"*"needs a restart"* ]] &&
      [ "$(draining_of "$POOL3_IP4")" = false ]
  }
  check reload_refuses_more_addresses_than_room too_many_addresses
  kill -TERM "$NAT64D_PID" 2>/dev/null
  wait_for 15 bash -c "! kill -0 $NAT64D_PID"
else
  record FAIL "control:pool2_lab_starts"; tail -20 "$LAB_DIR/nat64d-pool2.log"
fi
