#!/usr/bin/env bash
# End to end: nat64d on net_tap between real Linux hosts in namespaces, real
# tools (ping, curl, python sockets); data hashed on both sides. One lab for
# all checks; the trap removes it whatever happens.
HERE=$(cd "$(dirname "$0")" && pwd)
LAYER=e2e
. "$HERE/../../scripts/lib/layer.sh"
. "$ROOT/scripts/lib/netns.sh"
trap lab_cleanup EXIT


in_cli() { ip netns exec "$NS_CLI" "$@"; }
in_srv() { ip netns exec "$NS_SRV" "$@"; }

if ! { lab_netns && lab_config "$LAB_DIR/nat64d.conf" && lab_start_web_server &&
       lab_start_nat64d "$BUILD/control/nat64d" "$LAB_DIR/nat64d.conf" "$LAB_DIR/nat64d.log"; }; then
  record FAIL "e2e:lab_starts"; exit 1
fi
record PASS "e2e:lab_starts"

ip netns exec "$NS_SRV" /usr/bin/python3 "$HERE/tools.py" echo-server "$SERVER_IP4" 7000 >/dev/null 2>&1 &
LAB_PIDS+=("$!")
ip netns exec "$NS_SRV" /usr/bin/python3 "$HERE/tools.py" udp-echo-server "$SERVER_IP4" 7001 >/dev/null 2>&1 &
LAB_PIDS+=("$!")
head -c 50M /dev/urandom > "$LAB_DIR/www/big.bin"
wait_for 15 in_srv bash -c "exec 3<>/dev/tcp/$SERVER_IP4/7000"

check ping_through_prefix in_cli ping -6 -c 3 -i 0.2 -W 2 "$SERVER_VIA_PREFIX"
check ping_the_box in_cli ping -6 -c 2 -i 0.2 -W 2 "$BOX_IP6"
check http_page in_cli bash -c "curl -sS --max-time 10 -g 'http://[$SERVER_VIA_PREFIX]/' | grep -q 'hello from the IPv4-only server'"
download_50mb() {
  in_cli curl -sS --max-time 120 -g -o "$LAB_DIR/big.got" "http://[$SERVER_VIA_PREFIX]/big.bin" || return 1
  local want got
  want=$(sha256sum < "$LAB_DIR/www/big.bin"); got=$(sha256sum < "$LAB_DIR/big.got")
  echo "sent $want"; echo "got  $got"; [ "$want" = "$got" ]
}
check tcp_download_50mb_sha256 download_50mb
check udp_both_ways in_cli /usr/bin/python3 "$HERE/tools.py" udp-client "$SERVER_VIA_PREFIX" 7001 300
check tcp_200_concurrent in_cli /usr/bin/python3 "$HERE/tools.py" tcp-clients "$SERVER_VIA_PREFIX" 7000 200 65536

traceroute_hops() {
  # hop 1: nat64d itself (hop limit 1, RFC 7915 s5.1); hop 2: the IPv4 router's
  # Time Exceeded, translated (RFC 7915 s4.2); then the server.
  local out
  out=$(in_cli traceroute -6 -n -q 1 -w 2 -m 6 "$SERVER_VIA_PREFIX" 2>&1); echo "$out"
  echo "$out" | grep -qE "^ *1 +$BOX_IP6 " &&
  echo "$out" | grep -qE "^ *2 +$ROUTER_VIA_PREFIX " &&
  echo "$out" | grep -qE "^ *3 +$SERVER_VIA_PREFIX "
}
check traceroute_hop_limit_expiry traceroute_hops

path_mtu_discovery() {
  # The router's link to the server is 1400 bytes: a 1450-byte datagram from the
  # client becomes a 1478-byte IPv4 packet with DF (RFC 7915 s5.1), the router
  # answers Fragmentation Needed, nat64d turns it into Packet Too Big (MTU 1420),
  # the client fragments, and the echo comes back whole.
  ip -n "$NS_RTR" link set eth1 mtu 1400; ip -n "$NS_SRV" link set eth0 mtu 1400
  in_cli /usr/bin/python3 "$HERE/tools.py" udp-big "$SERVER_VIA_PREFIX" 7001 1450 6 || return 1
  in_cli ip -6 route get "$SERVER_VIA_PREFIX" | tee /dev/stderr | grep -q "mtu 1420"
}
check path_mtu_discovery_through_smaller_ipv4_link path_mtu_discovery

kill -INT "$NAT64D_PID"
stop_clean() { wait "$NAT64D_PID" && grep -q '^stats: ' "$LAB_DIR/nat64d.log"; }
check sigint_exits_cleanly stop_clean
