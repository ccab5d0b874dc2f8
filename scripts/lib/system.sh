# The whole deployment in network namespaces, real daemons from Debian: an
# IPv6-only client behind a core router running BIRD 2 (no static route to
# the prefix: it learns 64:ff9b::/96 by BGP), one or two nat64d boxes, each
# with its exception interfaces and BIRD announcing the prefix while the box
# is healthy (config/bird.conf as shipped), unbound doing DNS64
# (config/unbound-dns64.conf as shipped), and an IPv4 network with a web
# server and NSD serving its name. Sourced by scripts/demo.sh and
# test/system/run.sh; sys_cleanup removes exactly what sys_* created.
#
#   client 2001:db8:1:a::2 --- core 2001:db8:1:a::1            unbound 2001:db8:1:53::53 / 203.0.113.53
#                                   2001:db8:1::fe  (br)            |
#                 box1 2001:db8:1::1 nat64d  box2 2001:db8:1::2     | (IPv4)
#                 pool 192.0.2.1         pool 192.0.2.2             |
#                                  (br) 192.0.2.254 router 198.51.100.1, 203.0.113.1 --- server 198.51.100.80 (web, NSD)

SYS_ID=${SYS_ID:-$$}
SYS_DIR=${SYS_DIR:-$(mktemp -d /tmp/nat64d-system.XXXXXX)}
NS_CLI="s-cli-$SYS_ID"; NS_CORE="s-core-$SYS_ID"; NS_RTR="s-rtr-$SYS_ID"; NS_SRV="s-srv-$SYS_ID"
NS_DNS="s-dns-$SYS_ID"
SYS_PIDS=()
SYS_BOXES=()
CLIENT_IP6=2001:db8:1:a::2
CORE_CLI_IP6=2001:db8:1:a::1
CORE_BOX_IP6=2001:db8:1::fe
DNS_IP6=2001:db8:1:53::53
CORE_DNS_IP6=2001:db8:1:53::1
DNS_IP4=203.0.113.53
RTR_DNS_IP4=203.0.113.1
RTR_BOX_IP4=192.0.2.254
RTR_SRV_IP4=198.51.100.1
SERVER_IP4=198.51.100.80
SYS_PREFIX=64:ff9b::/96
SYS_NAME=v4only.example
SYS_NAME_VIA_PREFIX=64:ff9b::c633:6450   # 64:ff9b::198.51.100.80 (RFC 6052 s2.2)

box_ns() { echo "s-box$1-$SYS_ID"; }
box_ip6() { echo "2001:db8:1::$1"; }
box_ip4() { echo "192.0.2.$1"; }

sys_cleanup() {
  set +e   # every step runs, whatever failed before (callers may use set -e)
  local pid ns
  for pid in "${SYS_PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null; done
  for pid in "${SYS_PIDS[@]:-}"; do
    [ -n "$pid" ] || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  done
  # Only the lab starts processes in its namespaces: whatever is left there is ours.
  for ns in "$NS_CLI" "$NS_CORE" "$NS_RTR" "$NS_SRV" "$NS_DNS" $(for b in "${SYS_BOXES[@]:-}"; do [ -n "$b" ] && box_ns "$b"; done); do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
  done
  rm -rf "$SYS_DIR"
}

# sys_wait SECONDS COMMAND...: polls until the command succeeds.
sys_wait() {
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.05
  done
}

sys_netns() {
  local ns
  for ns in "$NS_CLI" "$NS_CORE" "$NS_RTR" "$NS_SRV" "$NS_DNS"; do
    ip netns add "$ns" || return 1
    ip -n "$ns" link set lo up
  done
  # client -- core
  ip link add eth0 netns "$NS_CLI" type veth peer name cli netns "$NS_CORE"
  ip netns exec "$NS_CLI" sysctl -qw net.ipv6.conf.eth0.accept_dad=0 net.ipv4.conf.all.disable_policy=1
  ip -n "$NS_CLI" addr add "$CLIENT_IP6/64" dev eth0 nodad
  ip -n "$NS_CLI" link set eth0 up
  ip -n "$NS_CLI" -6 route add default via "$CORE_CLI_IP6"
  # core: forwards, hashes flows on the 5-tuple for ECMP (config/bird-core.conf)
  ip netns exec "$NS_CORE" sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv6.fib_multipath_hash_policy=1 \
    net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
  ip -n "$NS_CORE" addr add "$CORE_CLI_IP6/64" dev cli nodad
  ip -n "$NS_CORE" link set cli up
  ip -n "$NS_CORE" link add lan type bridge
  ip -n "$NS_CORE" addr add "$CORE_BOX_IP6/64" dev lan nodad
  ip -n "$NS_CORE" link set lan up
  # resolver: IPv6 to the core, IPv4 to the router
  ip link add eth0 netns "$NS_DNS" type veth peer name dns netns "$NS_CORE"
  ip link add eth1 netns "$NS_DNS" type veth peer name dns netns "$NS_RTR"
  ip netns exec "$NS_DNS" sysctl -qw net.ipv6.conf.eth0.accept_dad=0 net.ipv6.conf.eth1.disable_ipv6=1
  ip -n "$NS_DNS" addr add "$DNS_IP6/64" dev eth0 nodad
  ip -n "$NS_DNS" addr add "$DNS_IP4/24" dev eth1
  ip -n "$NS_DNS" link set eth0 up; ip -n "$NS_DNS" link set eth1 up
  ip -n "$NS_DNS" -6 route add default via "$CORE_DNS_IP6"
  ip -n "$NS_DNS" route add default via "$RTR_DNS_IP4"
  ip -n "$NS_CORE" addr add "$CORE_DNS_IP6/64" dev dns nodad
  ip -n "$NS_CORE" link set dns up
  # IPv4 router: the boxes' segment, the server's, the resolver's
  ip netns exec "$NS_RTR" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1
  ip -n "$NS_RTR" link add wan type bridge
  ip -n "$NS_RTR" addr add "$RTR_BOX_IP4/24" dev wan
  ip -n "$NS_RTR" link set wan up
  ip -n "$NS_RTR" addr add "$RTR_DNS_IP4/24" dev dns
  ip -n "$NS_RTR" link set dns up
  ip link add eth0 netns "$NS_SRV" type veth peer name srv netns "$NS_RTR"
  ip -n "$NS_RTR" addr add "$RTR_SRV_IP4/24" dev srv
  ip -n "$NS_RTR" link set srv up
  ip netns exec "$NS_SRV" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  ip -n "$NS_SRV" addr add "$SERVER_IP4/24" dev eth0
  ip -n "$NS_SRV" link set eth0 up
  ip -n "$NS_SRV" route add default via "$RTR_SRV_IP4"
}

# sys_box N: box N's namespace, bridged to the core's and the router's segments.
sys_box() {
  local n=$1 ns
  ns=$(box_ns "$n")
  SYS_BOXES+=("$n")
  ip netns add "$ns" || return 1
  ip -n "$ns" link set lo up
  ip link add "v6-$n" netns "$ns" type veth peer name "box$n" netns "$NS_CORE"
  ip link add "v4-$n" netns "$ns" type veth peer name "box$n" netns "$NS_RTR"
  ip -n "$NS_CORE" link set "box$n" master lan up
  ip -n "$NS_RTR" link set "box$n" master wan up
  # The box's own stack speaks only through nat64d's exception interfaces.
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$ns" link add br6 type bridge; ip -n "$ns" link add br4 type bridge
  ip -n "$ns" link set "v6-$n" master br6 up; ip -n "$ns" link set "v4-$n" master br4 up
  ip -n "$ns" link set br6 up; ip -n "$ns" link set br4 up
}

# sys_box_config N FILE: nat64d's config for box N.
sys_box_config() {
  local n=$1
  cat > "$2" <<CONF
# Generated by scripts/lib/system.sh: box $n
[eal]
args = ["--no-huge", "-m", "256", "--no-pci", "--lcores=0@0,1@$(( n % $(nproc) ))", "--file-prefix", "nat64d-sys$n-$SYS_ID", "--vdev", "net_tap0,iface=n64in", "--vdev", "net_tap1,iface=n64out", "--log-level", "lib.eal:error"]
[ports]
inside = "net_tap0"
outside = "net_tap1"
mbufs = 8191
[addresses]
inside_ipv6 = "$(box_ip6 "$n")/64"
outside_ipv4 = "$(box_ip4 "$n")/24"
gateway6 = "$CORE_BOX_IP6"
gateway4 = "$RTR_BOX_IP4"
[nat64]
prefix = "$SYS_PREFIX"
# The lab's IPv4 side uses documentation addresses, which RFC 6052 s3.1 keeps
# out of the well-known prefix unless the operator says so.
allow_non_global = true
[pool]
addresses = ["$(box_ip4 "$n")"]
[limits]
max_flows = 65536
[control]
pidfile = "$SYS_DIR/box$n.pid"
socket = "$SYS_DIR/box$n.sock"
[exception]
inside_iface = "nat64in"
outside_iface = "nat64out"
health_iface = "nat64health"
CONF
}

# sys_start_nat64d N BINARY: nat64d of box N; bridges its data taps.
sys_start_nat64d() {
  local n=$1 bin=$2 ns
  ns=$(box_ns "$n")
  [ -f "$SYS_DIR/box$n.conf" ] || sys_box_config "$n" "$SYS_DIR/box$n.conf"
  ip netns exec "$ns" "$bin" --config "$SYS_DIR/box$n.conf" >"$SYS_DIR/box$n.log" 2>&1 &
  eval "NAT64D_PID_$n=$!"
  SYS_PIDS+=("$!")
  sys_wait 30 ip -n "$ns" link show n64out || { cat "$SYS_DIR/box$n.log"; return 1; }
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.n64in.disable_ipv6=1 net.ipv6.conf.n64out.disable_ipv6=1 2>/dev/null
  ip -n "$ns" link set n64in master br6 up
  ip -n "$ns" link set n64out master br4 up
  sys_wait 30 grep -q "nat64d: running" "$SYS_DIR/box$n.log" || { cat "$SYS_DIR/box$n.log"; return 1; }
}

# BIRD: its own process, files and control socket in SYS_DIR; the shipped
# policy file next to a generated site file (config/bird.conf includes it).
sys_start_bird_box() {
  local n=$1 ns dir
  ns=$(box_ns "$n"); dir="$SYS_DIR/bird$n"
  mkdir -p "$dir"
  cp "$ROOT/config/bird.conf" "$dir/bird.conf"
  cat > "$dir/bird-site.conf" <<CONF
define ROUTER_ID = $(box_ip4 "$n");
define NAT64_AS = 65064;
define CORE_IP = $CORE_BOX_IP6;
define CORE_AS = 65000;
define NAT64_PREFIX = $SYS_PREFIX;
define NAT64_PREFIXES = [ $SYS_PREFIX ];
define POOL_PREFIXES = [ $(box_ip4 "$n")/32 ];
CONF
  sed -i 's/^log syslog all;/log stderr all;/' "$dir/bird.conf"   # the lab keeps logs with the run
  ip netns exec "$ns" bird -f -c "$dir/bird.conf" -s "$dir/bird.ctl" >"$dir/bird.log" 2>&1 &
  SYS_PIDS+=("$!")
  sys_wait 10 test -S "$dir/bird.ctl"
}

# FRR instead of BIRD on box N (config/frr.conf as shipped: its example
# values are box 2's): zebra, staticd, bfdd and bgpd in the box's namespace,
# their sockets, pid files and logs in SYS_DIR, the file applied by vtysh.
sys_start_frr_box() {
  local n=$1 ns dir d
  ns=$(box_ns "$n"); dir="$SYS_DIR/frr$n"
  mkdir -p "$dir"
  chmod 755 "$SYS_DIR"; chown frr:frr "$dir"   # the daemons drop to Debian's frr user
  for d in zebra staticd bfdd bgpd; do
    ip netns exec "$ns" "/usr/lib/frr/$d" -u frr -g frr --vty_socket "$dir" -z "$dir/zserv.api" \
      -i "$dir/$d.pid" --log "file:$dir/$d.log" >"$dir/$d.out" 2>&1 &
    SYS_PIDS+=("$!")
    [ "$d" = zebra ] && { sys_wait 10 test -S "$dir/zserv.api" || return 1; }
  done
  sys_wait 10 test -S "$dir/bgpd.vty" || return 1
  ip netns exec "$ns" vtysh --vty_socket "$dir" -f "$ROOT/config/frr.conf" >"$dir/vtysh.log" 2>&1
}

sys_start_bird_core() {
  local dir="$SYS_DIR/bird-core"
  mkdir -p "$dir"
  sed 's/^log syslog all;/log stderr all;/' "$ROOT/config/bird-core.conf" > "$dir/bird.conf"
  ip netns exec "$NS_CORE" bird -f -c "$dir/bird.conf" -s "$dir/bird.ctl" >"$dir/bird.log" 2>&1 &
  SYS_PIDS+=("$!")
  sys_wait 10 test -S "$dir/bird.ctl"
}

# The core's route to the prefix: its next hops, one per line ("" when none).
sys_core_next_hops() {
  ip -n "$NS_CORE" -6 route show "$SYS_PREFIX" 2>/dev/null | grep -oE 'via [0-9a-f:]+' | awk '{print $2}' | sort
}

sys_start_web() {
  mkdir -p "$SYS_DIR/www"
  head -c 2M /dev/urandom > "$SYS_DIR/www/data.bin"
  echo "<html><body>hello from the IPv4-only server $SERVER_IP4</body></html>" > "$SYS_DIR/www/index.html"
  ip netns exec "$NS_SRV" /usr/bin/python3 -m http.server 80 --bind "$SERVER_IP4" --directory "$SYS_DIR/www" \
    >"$SYS_DIR/http.log" 2>&1 &
  SYS_PIDS+=("$!")
  sys_wait 15 ip netns exec "$NS_SRV" bash -c "exec 3<>/dev/tcp/$SERVER_IP4/80"
}

# NSD on the server (the name's authoritative server), unbound in the
# resolver's namespace with the shipped DNS64 file as it is.
sys_start_dns() {
  mkdir -p "$SYS_DIR/nsd" "$SYS_DIR/unbound"
  cat > "$SYS_DIR/nsd/example.zone" <<ZONE
\$ORIGIN example.
\$TTL 300
@        SOA   ns.example. hostmaster.example. 1 3600 600 86400 60
@        NS    ns.example.
ns       A     $SERVER_IP4
v4only   A     $SERVER_IP4
ZONE
  cat > "$SYS_DIR/nsd/nsd.conf" <<CONF
server:
    ip-address: $SERVER_IP4
    do-ip6: no
    server-count: 1
    reuseport: no
    username: ""
    chroot: ""
    zonesdir: "$SYS_DIR/nsd"
    database: ""
    zonelistfile: "$SYS_DIR/nsd/zone.list"
    xfrdfile: "$SYS_DIR/nsd/xfrd.state"
    xfrdir: "$SYS_DIR/nsd"
    pidfile: "$SYS_DIR/nsd/nsd.pid"
remote-control:
    control-enable: no
zone:
    name: example.
    zonefile: example.zone
CONF
  cat > "$SYS_DIR/unbound/site.conf" <<CONF
server:
    interface: $DNS_IP6
stub-zone:
    name: "example."
    stub-addr: $SERVER_IP4
CONF
  cat > "$SYS_DIR/unbound/unbound.conf" <<CONF
server:
    directory: "$SYS_DIR/unbound"
    pidfile: "$SYS_DIR/unbound/unbound.pid"
    username: ""
    chroot: ""
    use-syslog: no
    logfile: ""
include: "$ROOT/config/unbound-dns64.conf"
include: "$SYS_DIR/unbound/site.conf"
CONF
  local unbound=/usr/sbin/unbound
  # Debian's AppArmor profile lets /usr/sbin/unbound read /etc/unbound only.
  if grep -qs '^unbound (enforce)' /sys/kernel/security/apparmor/profiles; then
    cp /usr/sbin/unbound "$SYS_DIR/unbound/unbound"; unbound="$SYS_DIR/unbound/unbound"
  fi
  ip netns exec "$NS_SRV" stdbuf -oL -eL nsd -d -c "$SYS_DIR/nsd/nsd.conf" >"$SYS_DIR/nsd.log" 2>&1 &
  SYS_PIDS+=("$!")
  ip netns exec "$NS_DNS" stdbuf -oL -eL "$unbound" -d -c "$SYS_DIR/unbound/unbound.conf" >"$SYS_DIR/unbound.log" 2>&1 &
  SYS_PIDS+=("$!")
  # The client's resolver, for its own resolver library (curl by name).
  echo "nameserver $DNS_IP6" > "$SYS_DIR/resolv.conf"
  sys_wait 20 ip netns exec "$NS_CLI" dig +time=1 +tries=1 @"$DNS_IP6" AAAA "$SYS_NAME" +short
}

# in_client COMMAND...: runs in the client's namespace with its resolv.conf.
in_client() {
  ip netns exec "$NS_CLI" unshare -m bash -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$SYS_DIR/resolv.conf" "$@"
}
