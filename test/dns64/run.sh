#!/usr/bin/env bash
# DNS64 (RFC 6147) with the real daemons: an IPv6-only client asks unbound,
# running config/unbound-dns64.conf unmodified, and unbound asks an NSD
# authoritative server that it reaches over IPv4 only. Checks that an A-only
# name gets an AAAA synthesised in 64:ff9b::/96 (RFC 6052 s2.2, computed here
# independently), that real AAAA records, A records, NXDOMAIN and CD-bit
# queries pass unsynthesised, and that the client's own resolver library
# (getaddrinfo) lands on the synthesised address. No nat64d needed.
#
#   client  2001:db8:1::2/64 --- 2001:db8:1::53  resolver  203.0.113.1 --- 203.0.113.53  authoritative
#   (IPv6 only)                  unbound (dns64)           (IPv4 only link)  NSD: example., 100.51.198.in-addr.arpa.
HERE=$(cd "$(dirname "$0")" && pwd)
LAYER=dns64   # read by check() in layer.sh
. "$HERE/../../scripts/lib/layer.sh"

ID=$$
NS_CLI="d64cli-$ID"
NS_RES="d64res-$ID"
NS_AUTH="d64auth-$ID"
TMP=$(mktemp -d /tmp/nat64d-dns64.XXXXXX)
PIDS=()

CLIENT_IP6=2001:db8:1::2
OUTSIDER_IP6=2001:db8:99::2      # outside the client prefix the config allows
RESOLVER_IP6=2001:db8:1::53
RESOLVER_IP4=203.0.113.1
AUTH_IP4=203.0.113.53
NAT64_PREFIX=64:ff9b::/96        # the dns64-prefix of config/unbound-dns64.conf

# Our PIDs first, politely, then by force; then whatever is still inside our
# namespaces (NSD's and unbound's own children: only we start processes there);
# then the namespaces, which takes their veth links with them.
cleanup() {
  local pid ns
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  done
  for ns in "$NS_CLI" "$NS_RES" "$NS_AUTH"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
  done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

in_cli() { ip netns exec "$NS_CLI" "$@"; }
in_res() { ip netns exec "$NS_RES" "$@"; }
in_auth() { ip netns exec "$NS_AUTH" "$@"; }

# wait_until DEADLINE_S COMMAND...: polls until the command succeeds.
wait_until() {
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

make_namespaces() {
  ip netns add "$NS_CLI" && ip netns add "$NS_RES" && ip netns add "$NS_AUTH" || return 1
  ip link add eth0 netns "$NS_CLI" type veth peer name eth0 netns "$NS_RES" || return 1
  ip link add eth1 netns "$NS_RES" type veth peer name eth0 netns "$NS_AUTH" || return 1
  # IPv6-only client: no IPv4 address anywhere but loopback. nodad: the
  # addresses are usable at once, so no daemon races duplicate detection.
  ip netns exec "$NS_CLI" sysctl -qw net.ipv6.conf.eth0.accept_dad=0
  ip -n "$NS_CLI" addr add "$CLIENT_IP6/64" dev eth0 nodad
  ip -n "$NS_CLI" addr add "$OUTSIDER_IP6/64" dev eth0 nodad
  ip -n "$NS_CLI" link set eth0 up
  # Resolver: IPv6 towards the clients, IPv4 only towards the authoritative.
  ip netns exec "$NS_RES" sysctl -qw net.ipv6.conf.eth0.accept_dad=0 net.ipv6.conf.eth1.disable_ipv6=1
  ip -n "$NS_RES" addr add "$RESOLVER_IP6/64" dev eth0 nodad
  ip -n "$NS_RES" addr add "$RESOLVER_IP4/24" dev eth1
  ip -n "$NS_RES" link set lo up; ip -n "$NS_RES" link set eth0 up; ip -n "$NS_RES" link set eth1 up
  ip -n "$NS_RES" route add 2001:db8:99::/64 dev eth0
  # Authoritative: an IPv4-only host (IPv6 off in the whole namespace).
  ip netns exec "$NS_AUTH" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$NS_AUTH" addr add "$AUTH_IP4/24" dev eth0
  ip -n "$NS_AUTH" link set lo up; ip -n "$NS_AUTH" link set eth0 up
}

# --- the authoritative server: NSD, its own process and files in TMP --------
write_nsd_files() {
  mkdir -p "$TMP/nsd"
  cat > "$TMP/nsd/example.zone" <<'ZONE'
$ORIGIN example.
$TTL 300
@        SOA   ns.example. hostmaster.example. 1 3600 600 86400 60
@        NS    ns.example.
ns       A     203.0.113.53
; only an A record: DNS64 synthesises
v4only   A     198.51.100.80
; both families: the real AAAA must come back unchanged
dual     A     198.51.100.81
dual     AAAA  2001:db8:80::81
; only an AAAA record
v6only   AAAA  2001:db8:80::82
; two A records: two synthesised AAAA records
multi    A     198.51.100.90
multi    A     198.51.100.91
; an alias of an A-only name
www      CNAME v4only
ZONE
  cat > "$TMP/nsd/100.51.198.zone" <<'ZONE'
$ORIGIN 100.51.198.in-addr.arpa.
$TTL 300
@        SOA   ns.example. hostmaster.example. 1 3600 600 86400 60
@        NS    ns.example.
80       PTR   v4only.example.
ZONE
  cat > "$TMP/nsd/nsd.conf" <<CONF
server:
    ip-address: $AUTH_IP4
    port: 53
    do-ip6: no
    server-count: 1
    reuseport: no
    username: ""
    chroot: ""
    zonesdir: "$TMP/nsd"
    database: ""
    zonelistfile: "$TMP/nsd/zone.list"
    xfrdfile: "$TMP/nsd/xfrd.state"
    xfrdir: "$TMP/nsd"
    pidfile: "$TMP/nsd/nsd.pid"
    verbosity: 1
remote-control:
    control-enable: no
zone:
    name: example.
    zonefile: example.zone
zone:
    name: 100.51.198.in-addr.arpa.
    zonefile: 100.51.198.zone
CONF
}

# --- the resolver: unbound with the shipped DNS64 file as it is ---------------
# unbound.conf (process settings for a run in TMP) includes the shipped file,
# then site.conf, the part a real site writes too: where to listen and where
# the test's zones are.
write_unbound_files() {
  mkdir -p "$TMP/unbound"
  cat > "$TMP/unbound/site.conf" <<CONF
server:
    interface: $RESOLVER_IP6
    port: 53
    # unbound answers the RFC 5737 reverse zones itself by default; this one
    # is served by the test's authoritative server.
    local-zone: "100.51.198.in-addr.arpa." nodefault
stub-zone:
    name: "example."
    stub-addr: $AUTH_IP4
stub-zone:
    name: "100.51.198.in-addr.arpa."
    stub-addr: $AUTH_IP4
CONF
  cat > "$TMP/unbound/unbound.conf" <<CONF
server:
    directory: "$TMP/unbound"
    pidfile: "$TMP/unbound/unbound.pid"
    username: ""
    chroot: ""
    use-syslog: no
    logfile: ""
    verbosity: 1
include: "$ROOT/config/unbound-dns64.conf"
include: "$TMP/unbound/site.conf"
CONF
}

# Debian's AppArmor profile for /usr/sbin/unbound lets it read /etc/unbound
# only; where that profile is enforced, run the same binary from TMP, which the
# profile (attached by path) does not cover.
unbound_binary() {
  if grep -qs '^unbound (enforce)' /sys/kernel/security/apparmor/profiles; then
    cp /usr/sbin/unbound "$TMP/unbound/unbound" && echo "$TMP/unbound/unbound"
  else
    echo /usr/sbin/unbound
  fi
}

start_daemons() {
  write_nsd_files && write_unbound_files || return 1
  nsd-checkconf "$TMP/nsd/nsd.conf" || return 1
  unbound-checkconf "$TMP/unbound/unbound.conf" || return 1
  # Started as plain commands (not through a shell function) so that $! is
  # the daemon itself: ip netns exec and stdbuf exec it in place.
  ip netns exec "$NS_AUTH" stdbuf -oL -eL nsd -d -c "$TMP/nsd/nsd.conf" >"$TMP/nsd.log" 2>&1 &
  NSD_PID=$!; PIDS+=("$NSD_PID")
  local unbound; unbound=$(unbound_binary) || return 1
  ip netns exec "$NS_RES" stdbuf -oL -eL "$unbound" -d -c "$TMP/unbound/unbound.conf" >"$TMP/unbound.log" 2>&1 &
  UNBOUND_PID=$!; PIDS+=("$UNBOUND_PID")
  # Ready when each answers: NSD its zone from the resolver's side (over
  # IPv4), unbound a name it serves itself (no recursion, nothing cached).
  wait_until 20 bash -c "ip netns exec '$NS_RES' dig +time=1 +tries=1 @$AUTH_IP4 SOA example. | grep -q 'status: NOERROR'" ||
    { echo "nsd does not answer:"; tail -20 "$TMP/nsd.log"; return 1; }
  wait_until 20 bash -c "ip netns exec '$NS_CLI' dig +time=1 +tries=1 @$RESOLVER_IP6 A localhost. | grep -q 'status: NOERROR'" ||
    { echo "unbound does not answer:"; tail -20 "$TMP/unbound.log"; return 1; }
}

if ! { make_namespaces && start_daemons; }; then
  record FAIL "dns64:lab_starts"; exit 1
fi
record PASS "dns64:lab_starts"

# --- helpers ----------------------------------------------------------------
# ask [DIG OPTIONS...] NAME TYPE: the client asks the resolver; full reply.
ask() { in_cli dig +time=2 +tries=2 "@$RESOLVER_IP6" "$@"; }
status_of() { sed -n 's/.*status: \([A-Z]*\),.*/\1/p'; }
# records TYPE: the data of the answer records of TYPE, one per line, sorted.
records() { awk -v t="$1" '!/^;/ && $4 == t { print $5 }' | sort; }
# canon: IPv6 addresses (one a line on stdin) in one canonical text form, sorted.
canon() { /usr/bin/python3 -c 'import ipaddress, sys; print("\n".join(sorted(str(ipaddress.IPv6Address(a)) for a in sys.stdin.read().split())))'; }
# rfc6052_96 PREFIX IPV4: RFC 6052 s2.2 for a /96 prefix: the IPv4 address is
# the last 32 bits, nothing else changes (no u-octet below /96).
rfc6052_96() {
  /usr/bin/python3 -c '
import ipaddress, sys
net = ipaddress.IPv6Network(sys.argv[1])
assert net.prefixlen == 96, "this helper embeds for /96 only"
print(ipaddress.IPv6Address(int(net.network_address) | int(ipaddress.IPv4Address(sys.argv[2]))))' "$@"
}

# --- checks -----------------------------------------------------------------
topology() {
  echo "client IPv4: $(ip -n "$NS_CLI" -4 addr show scope global)"
  [ -z "$(ip -n "$NS_CLI" -4 addr show scope global)" ] || return 1
  echo "authoritative IPv6 disabled: $(in_auth cat /proc/sys/net/ipv6/conf/all/disable_ipv6)"
  [ "$(in_auth cat /proc/sys/net/ipv6/conf/all/disable_ipv6)" = 1 ] || return 1
  # The client cannot reach the authoritative server itself: every answer it
  # gets below came through the resolver.
  ! in_cli dig +time=1 +tries=1 "@$AUTH_IP4" SOA example. 2>&1 | grep -q 'status:'
}
check topology_client_ipv6_only_authoritative_ipv4_only topology

EXPECT_V4ONLY=$(rfc6052_96 "$NAT64_PREFIX" 198.51.100.80)
embedding_by_hand() {
  # 198.51.100.80 = c6.33.64.50 in hex, in the last 32 bits of 64:ff9b::/96.
  echo "computed $EXPECT_V4ONLY"; [ "$EXPECT_V4ONLY" = "$(canon <<<64:ff9b::c633:6450)" ]
}
check rfc6052_embedding_matches_hand_computed embedding_by_hand

synthesised_for_a_only() {
  local out; out=$(ask v4only.example. AAAA); echo "$out"
  [ "$(status_of <<<"$out")" = NOERROR ] && [ "$(records AAAA <<<"$out" | canon)" = "$EXPECT_V4ONLY" ]
}
check aaaa_synthesised_for_a_only_name synthesised_for_a_only

synthesised_for_each_a() {
  local out; out=$(ask multi.example. AAAA); echo "$out"
  local want
  want=$(for a in 198.51.100.90 198.51.100.91; do rfc6052_96 "$NAT64_PREFIX" "$a"; done | canon)
  [ "$(records AAAA <<<"$out" | canon)" = "$want" ]
}
check aaaa_synthesised_for_each_a_record synthesised_for_each_a

synthesised_through_cname() {
  # RFC 6147 s5.1.5: synthesis follows the CNAME chain to the A-only name.
  local out; out=$(ask www.example. AAAA); echo "$out"
  records CNAME <<<"$out" | grep -qx 'v4only.example.' && [ "$(records AAAA <<<"$out" | canon)" = "$EXPECT_V4ONLY" ]
}
check aaaa_synthesised_through_cname synthesised_through_cname

real_aaaa_kept() {
  # RFC 6147 s5.1.1: a name with AAAA records gets them, and only them.
  local out; out=$(ask dual.example. AAAA); echo "$out"
  [ "$(records AAAA <<<"$out" | canon)" = "$(canon <<<2001:db8:80::81)" ]
}
check real_aaaa_of_dual_stack_name_unchanged real_aaaa_kept

aaaa_only_name() {
  local out; out=$(ask v6only.example. AAAA); echo "$out"
  [ "$(records AAAA <<<"$out" | canon)" = "$(canon <<<2001:db8:80::82)" ] || return 1
  out=$(ask v6only.example. A); echo "$out"
  [ "$(status_of <<<"$out")" = NOERROR ] && [ -z "$(records A <<<"$out")" ]
}
check aaaa_only_name_real_aaaa_and_empty_a aaaa_only_name

a_queries() {
  local out; out=$(ask v4only.example. A); echo "$out"
  [ "$(records A <<<"$out")" = 198.51.100.80 ] || return 1
  out=$(ask dual.example. A); echo "$out"
  [ "$(records A <<<"$out")" = 198.51.100.81 ]
}
check a_queries_unchanged a_queries

nxdomain() {
  # RFC 6147 s5.1.2: Name Error is returned as it is, nothing synthesised.
  local t out
  for t in AAAA A; do
    out=$(ask nosuch.example. "$t"); echo "$out"
    [ "$(status_of <<<"$out")" = NXDOMAIN ] && [ -z "$(records "$t" <<<"$out")" ] || return 1
  done
}
check nxdomain_not_synthesised nxdomain

checking_disabled() {
  # RFC 6147 s5.5: a query with CD set comes from a validating stub that does
  # its own synthesis; it gets the real answer: NOERROR and no AAAA.
  local out; out=$(ask +cd +dnssec v4only.example. AAAA); echo "$out"
  [ "$(status_of <<<"$out")" = NOERROR ] && [ -z "$(records AAAA <<<"$out")" ]
}
check cd_bit_query_not_synthesised checking_disabled

reverse_of_synthesised() {
  # RFC 6147 s5.3.1: the PTR of an address in the prefix is the PTR of the
  # IPv4 address embedded in it.
  local out; out=$(ask -x "$EXPECT_V4ONLY"); echo "$out"
  records PTR <<<"$out" | grep -qx 'v4only.example.'
}
check ptr_of_synthesised_address reverse_of_synthesised

outsider_refused() {
  # The shipped access-control allows the client prefix only.
  local out; out=$(ask -b "$OUTSIDER_IP6" v4only.example. AAAA); echo "$out"
  [ "$(status_of <<<"$out")" = REFUSED ]
}
check access_control_refuses_other_prefix outsider_refused

getaddrinfo_on_client() {
  # The client's own C library, through a resolv.conf that names the
  # resolver (bind-mounted in this command's private mount namespace, made
  # by ip netns exec). getent ahosts asks with AI_ADDRCONFIG: with no IPv4
  # address the client asks for AAAA only, as a real IPv6-only host does.
  printf 'nameserver %s\noptions timeout:2 attempts:2\n' "$RESOLVER_IP6" > "$TMP/resolv.conf"
  local out
  out=$(in_cli sh -c "mount --bind '$TMP/resolv.conf' /etc/resolv.conf && getent ahosts v4only.example.") || return 1
  echo "$out"
  [ "$(awk '{ print $1 }' <<<"$out" | sort -u | canon)" = "$EXPECT_V4ONLY" ]
}
check getaddrinfo_on_ipv6_only_client getaddrinfo_on_client

unbound_clean_stop() {
  # The resolver ran the whole time on the shipped file and stops on SIGTERM.
  local pid=$UNBOUND_PID
  kill -TERM "$pid"; wait "$pid"; local rc=$?
  echo "exit $rc"; tail -5 "$TMP/unbound.log"
  ! grep -qiE 'error|fatal' "$TMP/unbound.log" && [ "$rc" -eq 0 ]
}
check unbound_ran_without_errors unbound_clean_stop
