#!/usr/bin/env bash
# Packet capture on a running nat64d with dpdk-dumpcap (DPDK's own tcpdump):
# nat64d on hugepages in the namespace lab, dpdk-dumpcap attached as a
# secondary process to its inside port while the client pings the IPv4-only
# server through it; the capture holds the echo requests and replies with
# their addresses, and nat64d goes on translating after the capture ends.
# The test gives the machine 400 2 MiB hugepages and its own hugetlbfs mount
# for the run; the trap takes both back.
HERE=$(cd "$(dirname "$0")" && pwd)
LAYER=capture
. "$HERE/../../scripts/lib/layer.sh"
. "$ROOT/scripts/lib/netns.sh"
HUGE_DIR=$(mktemp -d /tmp/nat64d-huge.XXXXXX)
NR=/proc/sys/vm/nr_hugepages
OLD_PAGES=$(cat "$NR")
PAGES=400
capture_cleanup() {
  lab_cleanup
  umount "$HUGE_DIR" 2>/dev/null
  rm -f "$HUGE_DIR"/* 2>/dev/null
  rmdir "$HUGE_DIR" 2>/dev/null
  echo "$OLD_PAGES" > "$NR"
}
trap capture_cleanup EXIT
in_cli() { ip netns exec "$NS_CLI" "$@"; }

hugepages() {
  echo $(( OLD_PAGES + PAGES )) > "$NR"
  local free; free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
  echo "HugePages_Free $free"; [ "$free" -ge "$PAGES" ] && mount -t hugetlbfs -o pagesize=2M nodev "$HUGE_DIR"
}
check hugepages_for_the_run hugepages

started() {
  lab_netns && lab_config "$LAB_DIR/nat64d.conf" "" "[limits]" "max_flows = 65536" || return 1
  # The lab's EAL runs on ordinary memory; this one on the hugepages.
  sed -i "s|\"--no-huge\", \"-m\", \"512\"|\"--huge-dir\", \"$HUGE_DIR\"|" "$LAB_DIR/nat64d.conf"
  grep -q -- "--huge-dir" "$LAB_DIR/nat64d.conf" &&
    lab_start_nat64d "$BUILD/control/nat64d" "$LAB_DIR/nat64d.conf" "$LAB_DIR/nat64d.log"
}
if ! started; then
  record FAIL "capture:lab_starts"; tail -20 "$LAB_DIR/nat64d.log" 2>/dev/null; exit 1
fi
record PASS "capture:lab_starts"
check capture_offered grep -q "nat64d: packet capture: dpdk-dumpcap --file-prefix nat64d-$LAB_ID " "$LAB_DIR/nat64d.log"

CAP="$LAB_DIR/inside.pcapng"
stdbuf -oL -eL dpdk-dumpcap --file-prefix "nat64d-$LAB_ID" -i net_tap0 -w "$CAP" > "$LAB_DIR/dumpcap.log" 2>&1 &
DUMPCAP_PID=$!; LAB_PIDS+=("$DUMPCAP_PID")
check dumpcap_attached wait_for 20 grep -q "Capturing on" "$LAB_DIR/dumpcap.log"
sleep 1   # dumpcap says so before nat64d has put the capture on the port's queues
check ping_through_box in_cli ping -6 -c 3 -i 0.2 -W 2 "$SERVER_VIA_PREFIX"
sleep 0.5
kill -INT "$DUMPCAP_PID"; wait "$DUMPCAP_PID" 2>/dev/null
captured() {
  cat "$LAB_DIR/dumpcap.log"
  /usr/bin/python3 - "$CAP" "$CLIENT_IP6" "$SERVER_VIA_PREFIX" <<'PYEOF'
import sys
from scapy.all import rdpcap, IPv6, ICMPv6EchoRequest, ICMPv6EchoReply
pkts = rdpcap(sys.argv[1])
client, server = sys.argv[2], sys.argv[3]
req = [p for p in pkts if p.haslayer(ICMPv6EchoRequest) and p[IPv6].src == client and p[IPv6].dst == server]
rep = [p for p in pkts if p.haslayer(ICMPv6EchoReply) and p[IPv6].src == server and p[IPv6].dst == client]
print(f"{len(pkts)} frames captured: {len(req)} echo requests in, {len(rep)} replies out")
assert len(req) == 3 and len(rep) == 3
PYEOF
}
check capture_has_both_directions captured
check translates_after_capture in_cli ping -6 -c 2 -i 0.2 -W 2 "$SERVER_VIA_PREFIX"
check still_running kill -0 "$NAT64D_PID"
