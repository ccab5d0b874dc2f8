#!/usr/bin/env bash
# The command line an operator meets: --check-config on every example and on
# broken files (one line naming key, value and reason; non-zero exit; nothing
# starts), one instance per pidfile, and a clean SIGTERM stop that flushes
# net_pcap output.
HERE=$(cd "$(dirname "$0")" && pwd)
LAYER=cli
. "$HERE/../../scripts/lib/layer.sh"
NAT64D="$BUILD/control/nat64d"
TMP=$(mktemp -d /tmp/nat64d-cli.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT


# Every example validates (machine-specific checks aside: config_valid_here).
for conf in "$ROOT"/config/*.conf; do
  case "$(basename "$conf")" in bird*|frr*|unbound*) continue ;; esac
  check "check_config_$(basename "$conf" .conf)" config_valid_here "$NAT64D" "$conf"
done

# A broken file: nothing starts, exit non-zero, one line naming key, value, why.
bad_config() {  # bad_config KEY_LINE EXPECTED_PREFIX
  printf '[ports]\ninside = "net_null0"\noutside = "net_null1"\n[addresses]\ninside_ipv6 = "2001:db8:1::1/64"\noutside_ipv4 = "192.0.2.1/24"\n[pool]\naddresses = ["192.0.2.1"]\n%s\n' "$1" > "$TMP/bad.conf"
  local out rc
  out=$("$NAT64D" --check-config "$TMP/bad.conf" 2>&1); rc=$?
  echo "exit $rc: $out"
  [ "$rc" -ne 0 ] && [ "$(echo "$out" | wc -l)" -eq 1 ] && echo "$out" | grep -qF "$2"
}
bad_config_file() {  # bad_config_file PATH EXPECTED
  local out rc
  out=$("$NAT64D" --check-config "$1" 2>&1); rc=$?
  echo "exit $rc: $out"
  [ "$rc" -ne 0 ] && [ "$(echo "$out" | wc -l)" -eq 1 ] && echo "$out" | grep -qF "$2"
}
check bad_prefix_length bad_config $'[nat64]\nprefix = "64:ff9b::/33"' "config: nat64.prefix = 64:ff9b::/33:"
check unknown_key bad_config $'[nat64]\nprefixx = "64:ff9b::/96"' "config: nat64.prefixx"
check bad_port_range bad_config $'[pool]\ntcp_ports = "2000-1000"' "config: pool.tcp_ports = 2000-1000:"

# Every error at once, each with its file line; nothing starts.
all_errors() {
  printf '[ports]\ninside = "net_null0"\noutside = "net_null1"\nworkers = 0\n[addresses]\ninside_ipv6 = "2001:db8:1::1/64"\noutside_ipv4 = "192.0.2.1/24"\n[nat64]\nprefix = "64:ff9b::/33"\n[pool]\naddresses = ["192.0.2.1"]\n[timeouts]\nudp = 5\n' > "$TMP/many.conf"
  local out rc
  out=$("$NAT64D" --check-config "$TMP/many.conf" 2>&1); rc=$?
  echo "exit $rc:"; echo "$out"
  [ "$rc" -ne 0 ] && [ "$(echo "$out" | wc -l)" -eq 3 ] &&
    echo "$out" | grep -qF "$TMP/many.conf:4: config: ports.workers = 0:" &&
    echo "$out" | grep -qF "$TMP/many.conf:9: config: nat64.prefix = 64:ff9b::/33:" &&
    echo "$out" | grep -qF "$TMP/many.conf:13: config: timeouts.udp = 5:"
}
check check_config_reports_every_error_with_its_line all_errors
check config_is_a_directory bad_config_file "$TMP" "is a directory, not a config file"
check log_file_directory_missing bad_config $'[control]\nlog_file = "/nonexistent-dir/events.log"' \
  "config: control.log_file = /nonexistent-dir/events.log: directory /nonexistent-dir does not exist"
check ipfix_collector_needs_brackets bad_config $'[control]\nipfix_collector = "2001:db8::9:4739"' \
  "config: control.ipfix_collector = 2001:db8::9:4739: an IPv6 address goes in brackets"
check lowest_ipv6_mtu_above_inside_mtu bad_config $'[nat64]\nlowest_ipv6_mtu = 1500\n[ports]\ninside_mtu = 1400' \
  "config: nat64.lowest_ipv6_mtu = 1500: larger than ports.inside_mtu = 1400"
check port_quarantine_capped bad_config $'[timeouts]\nport_quarantine = 2000000000' \
  "config: timeouts.port_quarantine = 2000000000: must be at most"
check workers_against_lcores_at_check bad_config $'[eal]\nargs = ["-l", "0-1"]\n[ports]\nworkers = 2' \
  "config: ports.workers = 2: needs 3 lcores"
check lcores_against_the_machine bad_config $'[eal]\nargs = ["-l", "0-4095"]' \
  "config: eal.args = CPU 4095: this machine has CPUs"

# One instance per pidfile; SIGTERM exits 0 and flushes the capture.
cat > "$TMP/run.conf" <<CONF
[eal]
args = ["--no-huge", "-m", "128", "--no-pci", "-l", "0-1", "--file-prefix", "nat64d-cli-$$", "--vdev", "net_null0", "--vdev", "net_pcap0,rx_pcap=$TMP/empty.pcap,tx_pcap=$TMP/out.pcap", "--log-level", "lib.eal:error"]
[ports]
inside = "net_null0"
outside = "net_pcap0"
[addresses]
inside_ipv6 = "2001:db8:1::1/64"
outside_ipv4 = "192.0.2.1/24"
[pool]
addresses = ["192.0.2.1"]
[limits]
max_flows = 4096
[control]
pidfile = "$TMP/nat64d.pid"
socket = "$TMP/nat64d.sock"
CONF
/usr/bin/python3 -c "from scapy.all import wrpcap; wrpcap('$TMP/empty.pcap', [], linktype=1)"
"$NAT64D" --config "$TMP/run.conf" >"$TMP/first.log" 2>&1 &
FIRST=$!; PIDS+=("$FIRST")
started() { grep -q "nat64d: running" "$TMP/first.log"; }
deadline=$(( $(date +%s) + 30 ))
until started || [ "$(date +%s)" -ge "$deadline" ]; do sleep 0.1; done
second_refused() {
  local out rc
  out=$("$NAT64D" --config "$TMP/run.conf" 2>&1); rc=$?
  echo "exit $rc: $out"
  [ "$rc" -ne 0 ] && echo "$out" | grep -q "another nat64d (pid $FIRST)"
}
check second_instance_refused second_refused
sigterm_clean() {
  kill -TERM "$FIRST"; wait "$FIRST"; local rc=$?
  echo "exit $rc"; tail -3 "$TMP/first.log"
  [ "$rc" -eq 0 ] && grep -q '^stats: ' "$TMP/first.log" && [ ! -e "$TMP/nat64d.pid" ] &&
    /usr/bin/python3 -c "from scapy.all import rdpcap; rdpcap('$TMP/out.pcap')"
}
check sigterm_exits_0_and_removes_pidfile sigterm_clean

# ports.workers = N must be real or refused at start with one line saying what
# is missing: queues on the device, or lcores.
refused_at_start() {  # refused_at_start EAL_LCORES VDEV_PCAP EXPECTED
  sed -e "s|\"-l\", \"0-1\"|\"--lcores\", \"$1\"|" -e "s|net_pcap0,rx_pcap=$TMP/empty.pcap,tx_pcap=$TMP/out.pcap|$2|" \
      -e "s|^outside = \"net_pcap0\"|outside = \"${2%%,*}\"|" \
      -e "s|^\[ports\]|[ports]\nworkers = 2|" -e "s|nat64d-cli-$$|nat64d-cli2-$$|" "$TMP/run.conf" > "$TMP/workers.conf"
  local out rc
  out=$(timeout 60 "$NAT64D" --config "$TMP/workers.conf" 2>&1); rc=$?
  echo "exit $rc: $out"
  [ "$rc" -ne 0 ] && ! echo "$out" | grep -q "nat64d: running" && echo "$out" | grep -qF "$3"
}
check workers_need_queues_on_the_device refused_at_start "0@0,1@0,2@1" \
  "net_pcap0,rx_pcap=$TMP/empty.pcap,tx_pcap=$TMP/out.pcap" \
  "config: ports.workers = 2: net_pcap0 has 1 RX queue(s): give it one rx_pcap per worker"
check workers_need_lcores refused_at_start "0@0,1@1" \
  "net_pcap0,rx_pcap=$TMP/empty.pcap,rx_pcap=$TMP/empty.pcap,tx_pcap=$TMP/out.pcap,tx_pcap=$TMP/out2.pcap" \
  "config: ports.workers = 2: needs 3 lcores"
# A device the configuration cannot see into is refused when its port starts:
# net_af_packet has one queue pair unless given qpairs=N.
check workers_refused_by_a_device_at_start refused_at_start "0@0,1@0,2@1" \
  "net_af_packet0,iface=lo" "port net_af_packet0: ports.workers = 2 needs 2 RX and TX queues, the device has 1 / 1"

# Without --no-huge on a machine with no free hugepages the EAL fails; the
# error says what is missing and both ways out. (Where hugepages are free the
# EAL starts, and there is no failure to explain.)
no_hugepages_explained() {
  local free out rc
  free=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
  sed -e 's|"--no-huge", "-m", "128", ||' -e "s|nat64d-cli-$$|nat64d-cli4-$$|" "$TMP/run.conf" > "$TMP/huge.conf"
  grep -q -- '--no-huge' "$TMP/huge.conf" && { echo "sed left --no-huge in"; return 1; }
  out=$(timeout -s TERM 10 "$NAT64D" --config "$TMP/huge.conf" 2>&1); rc=$?
  echo "HugePages_Free $free, exit $rc: $(echo "$out" | tail -2)"
  if [ "$free" = 0 ]; then
    [ "$rc" -ne 0 ] && echo "$out" | grep -q "no free hugepages" && echo "$out" | grep -q "nr_hugepages" &&
      echo "$out" | grep -qF '"--no-huge"'
  else
    ! echo "$out" | grep -q "no free hugepages"
  fi
}
check no_hugepages_explained no_hugepages_explained

# SIGTERM at any moment of start-up (a service manager stopping a slow start)
# ends nat64d the clean way: exit 0, no pidfile left, whenever it arrives.
sigterm_during_start() {
  local delay pid rc
  sed -e "s|nat64d-cli-$$|nat64d-cli3-$$|" "$TMP/run.conf" > "$TMP/early.conf"
  for delay in 0 0.02 0.05 0.1 0.2 0.4; do
    "$NAT64D" --config "$TMP/early.conf" >"$TMP/early.log" 2>&1 &
    pid=$!
    # From the pidfile on (written just before the EAL starts) nat64d owns
    # its signals; before main() runs no program can.
    until [ -e "$TMP/nat64d.pid" ] || ! kill -0 "$pid" 2>/dev/null; do sleep 0.002; done
    sleep "$delay"
    kill -TERM "$pid"; wait "$pid"; rc=$?
    echo "signal after ${delay}s: exit $rc"
    [ "$rc" -eq 0 ] && [ ! -e "$TMP/nat64d.pid" ] || { tail -3 "$TMP/early.log"; return 1; }
  done
}
check sigterm_during_start_exits_0 sigterm_during_start
