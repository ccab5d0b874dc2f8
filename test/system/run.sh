#!/usr/bin/env bash
# The whole deployment, end to end, with the real daemons (scripts/lib/system.sh):
# the core learns exactly the NAT64 prefix by BGP from the box's BIRD, which
# talks to it over nat64d's exception path; the client fetches a page by name
# through unbound's DNS64 and nat64d with intact content; the route goes when
# the box cannot carry traffic (nat64d killed, a worker stopped, a data port's
# link lost) and comes back after; two boxes share the prefix by ECMP, flows
# spread over both (box 2 runs FRR with config/frr.conf), and when one dies
# new connections go through the other.
# Withdrawal times are measured and printed (info lines; benchmarks, never
# asserted), and written to $SYSTEM_TIMES when that is set.
HERE=$(cd "$(dirname "$0")" && pwd)
LAYER=system
. "$HERE/../../scripts/lib/layer.sh"
. "$ROOT/scripts/lib/system.sh"
trap sys_cleanup EXIT
NAT64D="$BUILD/control/nat64d"
CTL="$BUILD/control/nat64ctl"
TOOLS="$ROOT/test/e2e/tools.py"
TIMES=${SYSTEM_TIMES:-$SYS_DIR/times.txt}
: > "$TIMES"

if ! { sys_netns && sys_box 1 && sys_start_web && sys_start_dns && sys_start_bird_core &&
       sys_start_nat64d 1 "$NAT64D" && sys_start_bird_box 1; }; then
  record FAIL "system:lab_starts"
  tail -5 "$SYS_DIR"/*.log "$SYS_DIR"/*/bird.log 2>/dev/null
  exit 1
fi
record PASS "system:lab_starts"
ip netns exec "$NS_SRV" /usr/bin/python3 "$TOOLS" echo-server "$SERVER_IP4" 7000 >/dev/null 2>&1 &
SYS_PIDS+=("$!")

B1=$(box_ip6 1); B2=$(box_ip6 2)
next_hops_are() { [ "$(sys_core_next_hops | paste -sd' ')" = "$*" ]; }

# --- BGP: the core learns the prefix, exactly, from the box --------------------
core_learns_the_prefix() {
  sys_wait 60 next_hops_are "$B1" || { ip -n "$NS_CORE" -6 route; tail -5 "$SYS_DIR"/bird*/bird.log; return 1; }
  # Nothing else came from the box: its only BGP route is the prefix.
  local routes
  routes=$(birdc -s "$SYS_DIR/bird-core/bird.ctl" show route where source = RTS_BGP 2>/dev/null |
           grep -cE '^[0-9a-f:.]+/[0-9]+')
  echo "routes from the box: $routes"; ip -n "$NS_CORE" -6 route show proto bird
  [ "$routes" = 1 ] && [ "$(ip -n "$NS_CORE" -6 route show proto bird | wc -l)" = 1 ]
}
check core_learns_exactly_the_prefix_by_bgp core_learns_the_prefix

# BFD with the box is up (what notices a box that cannot send its withdrawal).
bfd_up() {  # bfd_up BOX_IP6
  birdc -s "$SYS_DIR/bird-core/bird.ctl" show bfd sessions 2>/dev/null | grep -E "^$1 .* Up " >/dev/null
}
check core_has_bfd_with_the_box sys_wait 30 bfd_up "$B1"

# --- DNS64 and the page by name -------------------------------------------------
name_resolves() {
  local got; got=$(ip netns exec "$NS_CLI" dig +short AAAA "$SYS_NAME" @"$DNS_IP6"); echo "$got"
  [ "$got" = "$SYS_NAME_VIA_PREFIX" ]
}
check name_resolves_through_dns64 name_resolves
page_by_name() {
  in_client curl -sS --max-time 20 -o "$SYS_DIR/data.got" "http://$SYS_NAME/data.bin" || return 1
  local want got
  want=$(sha256sum < "$SYS_DIR/www/data.bin"); got=$(sha256sum < "$SYS_DIR/data.got")
  echo "sent $want"; echo "got  $got"; [ "$want" = "$got" ]
}
check client_fetches_the_page_by_name_intact page_by_name

# --- a quiet box: idle CPU and the first packet after idle (measured, never asserted)
thread_ticks() {  # utime + stime of one thread, in clock ticks
  awk '{print $14 + $15}' "/proc/$NAT64D_PID_1/task/$1/stat"
}
idle_cost() {
  local tid t0 t1 hz=$(getconf CLK_TCK) secs=5 pct first median
  tid=$(grep -l '^rte-worker' /proc/"$NAT64D_PID_1"/task/*/comm | head -1 | cut -d/ -f5)
  [ -n "$tid" ] || return 1
  sleep 1
  t0=$(thread_ticks "$tid"); sleep "$secs"; t1=$(thread_ticks "$tid")
  pct=$(awk -v d=$((t1 - t0)) -v hz="$hz" -v s="$secs" 'BEGIN { printf "%.1f", 100 * d / hz / s }')
  echo "  info: idle worker (no user traffic; BFD and BGP only): ${pct}% of a core over ${secs} s (ports.idle_sleep auto)" | tee -a "$TIMES" >&3
  # The first ping after 2 s of quiet against pings 10 ms apart.
  sleep 2
  first=$(ip netns exec "$NS_CLI" ping -6 -c 1 -W 2 "$SYS_NAME_VIA_PREFIX" | sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p')
  median=$(ip netns exec "$NS_CLI" ping -6 -c 21 -i 0.01 -W 2 "$SYS_NAME_VIA_PREFIX" |
           sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' | sort -n | sed -n 11p)
  [ -n "$first" ] && [ -n "$median" ] || return 1
  echo "  info: ping through the box: first after 2 s idle ${first} ms, median of 21 at 10 ms spacing ${median} ms" | tee -a "$TIMES" >&3
}
exec 3>&1
check idle_cost_measured idle_cost

# --- the route follows the box's health -----------------------------------------
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# withdrawn DESCRIPTION START_MS: waits for the core to drop box 1, prints the time.
withdrawn() {
  sys_wait 30 next_hops_are "" || { sys_core_next_hops; return 1; }
  local ms=$(( $(now_ms) - $2 ))
  echo "  info: $1: the core dropped the route after $ms ms" | tee -a "$TIMES"
}

worker_stalls() {
  local tid tracer t0
  tid=$(grep -l '^rte-worker' /proc/"$NAT64D_PID_1"/task/*/comm | head -1 | cut -d/ -f5)
  [ -n "$tid" ] || { echo "no worker thread"; return 1; }
  t0=$(now_ms)
  /usr/bin/python3 "$HERE/stall_thread.py" "$tid" > "$SYS_DIR/stall.log" 2>&1 &
  tracer=$!
  withdrawn "a worker stopped polling (its process alive)" "$t0" >&3 || { kill "$tracer"; cat "$SYS_DIR/stall.log"; return 1; }
  "$CTL" -s "$SYS_DIR/box1.sock" health >/dev/null && { kill "$tracer"; echo "health still ok"; return 1; }
  kill "$tracer"; wait "$tracer"
  route_back
}
# route_back: the core has box 1's route again (after a fault is over).
route_back() {
  sys_wait 30 next_hops_are "$B1" && return 0
  echo "next hops: $(sys_core_next_hops | paste -sd' ')"
  birdc -s "$SYS_DIR/bird-core/bird.ctl" show protocols; birdc -s "$SYS_DIR/bird1/bird.ctl" show protocols
  "$CTL" -s "$SYS_DIR/box1.sock" health; tail -5 "$SYS_DIR/box1.log"
  return 1
}
check route_withdrawn_while_a_worker_stalls_and_back_after worker_stalls

link_lost() {
  local t0
  t0=$(now_ms)
  ip -n "$(box_ns 1)" link set n64out down   # the IPv4 data port's link
  withdrawn "the outside data port lost its link" "$t0" >&3 || return 1
  ip -n "$(box_ns 1)" link set n64out up
  route_back
}
check route_withdrawn_while_a_data_port_is_down_and_back_after link_lost

killed() {
  local t0
  t0=$(now_ms)
  kill -9 "$NAT64D_PID_1"
  withdrawn "nat64d killed (SIGKILL)" "$t0" >&3 || return 1
  wait "$NAT64D_PID_1" 2>/dev/null
  sys_start_nat64d 1 "$NAT64D" || return 1
  route_back && page_by_name
}
check route_withdrawn_when_nat64d_dies_and_back_after_restart killed

# --- two boxes by ECMP ------------------------------------------------------------
# Box 2 runs FRR (config/frr.conf as shipped) where box 1 runs BIRD.
if ! { sys_box 2 && sys_start_nat64d 2 "$NAT64D" && sys_start_frr_box 2; }; then
  record FAIL "system:second_box_starts"; exit 1
fi
record PASS "system:second_box_starts"
check core_installs_both_paths sys_wait 60 next_hops_are "$B1" "$B2"
check core_has_bfd_with_both_boxes sys_wait 30 bfd_up "$B2"

# What the two boxes and the core saw, when a check across both fails.
two_box_report() {
  birdc -s "$SYS_DIR/bird-core/bird.ctl" show protocols
  birdc -s "$SYS_DIR/bird-core/bird.ctl" show bfd sessions
  local n
  for n in 1 2; do
    echo "box $n drops:"; "$CTL" -s "$SYS_DIR/box$n.sock" --json stats |
      /usr/bin/python3 -c 'import json,sys; print({k: v for k, v in json.load(sys.stdin)["drops"].items() if v})'
  done
}
# Right after the second box joins, one connection in 200 has now and then
# had no handshake within 20 s (never outside the full suite; neither box
# counted a drop): a client opens it again, and the retry is printed.
spread() {
  local out
  out=$(in_client /usr/bin/python3 "$TOOLS" tcp-clients "$SYS_NAME_VIA_PREFIX" 7000 200 4096 2); local rc=$?
  echo "$out"
  case "$out" in *"opened again"*) echo "  info: two boxes: $out" | tee -a "$TIMES" >&3 ;; esac
  [ "$rc" = 0 ] || { two_box_report; return 1; }
  local s1 s2
  s1=$("$CTL" -s "$SYS_DIR/box1.sock" --json stats | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["flows"]["sessions_created"]["tcp"])')
  s2=$("$CTL" -s "$SYS_DIR/box2.sock" --json stats | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["flows"]["sessions_created"]["tcp"])')
  echo "TCP sessions: box 1 $s1, box 2 $s2"
  [ "$s1" -ge 20 ] && [ "$s2" -ge 20 ]
}
check flows_from_many_ports_spread_over_both_boxes spread

frr_follows_health() {
  local t0
  t0=$(now_ms)
  ip -n "$(box_ns 2)" link set n64out down   # box 2's IPv4 data port
  sys_wait 30 next_hops_are "$B1" || { two_box_report; return 1; }
  echo "  info: FRR box, a data port lost its link: the core dropped its path after $(( $(now_ms) - t0 )) ms" |
    tee -a "$TIMES" >&3
  ip -n "$(box_ns 2)" link set n64out up
  sys_wait 30 next_hops_are "$B1" "$B2"
}
check frr_box_withdraws_while_a_data_port_is_down_and_back_after frr_follows_health

failover() {
  local t0 ms
  t0=$(now_ms)
  kill -9 "$NAT64D_PID_1"
  sys_wait 30 next_hops_are "$B2" || return 1
  # New connections all go through the box that is left.
  sys_wait 30 in_client curl -sS --max-time 2 -o /dev/null "http://$SYS_NAME/" || return 1
  ms=$(( $(now_ms) - t0 ))
  echo "  info: two boxes, one killed: new connections succeed again after $ms ms" | tee -a "$TIMES" >&3
  in_client /usr/bin/python3 "$TOOLS" tcp-clients "$SYS_NAME_VIA_PREFIX" 7000 50 4096
}
check new_connections_go_through_the_other_box_when_one_dies failover
