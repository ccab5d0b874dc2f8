#!/usr/bin/env bash
# Port block allocation with real hosts: nat64d in the namespace lab hands the
# client's subscriber UDP ports 64 at a time (two blocks at most). 100 UDP
# flows all work; every public port they got lies in a block the event log
# names, which holds one line per block handed out and back and none per
# session; the IPFIX export (decoded by tshark) carries the same blocks; the
# blocks come back after their sessions expire plus the port quarantine; and
# `nat64ctl lookup --at` names the subscriber from the block lines.
HERE=$(cd "$(dirname "$0")" && pwd)
LAYER=blocks
. "$HERE/../../scripts/lib/layer.sh"
. "$ROOT/scripts/lib/netns.sh"
trap lab_cleanup EXIT
TOOLS="$ROOT/test/e2e/tools.py"
CTL="$BUILD/control/nat64ctl"
SOCK="$LAB_DIR/nat64d.sock"
EVENTS="$LAB_DIR/events.log"
IPFIX_PORT=4739
IPFIX_PCAP="$LAB_DIR/ipfix.pcapng"
FLOWS=100
ctl() { "$CTL" -s "$SOCK" "$@"; }

if ! { lab_netns &&
       lab_config "$LAB_DIR/nat64d.conf" "log_file = \"$EVENTS\"" "ipfix_collector = \"127.0.0.1:$IPFIX_PORT\"" \
         "ipfix_template_refresh_s = 2" "" "[pool]" "udp_ports = \"2000-2511\"" "block_size = 64" \
         "blocks_per_subscriber = 2" "" "[timeouts]" "allow_short = true" "udp = 3" "port_quarantine = 2" &&
       lab_ipfix_capture_start &&
       lab_start_nat64d "$BUILD/control/nat64d" "$LAB_DIR/nat64d.conf" "$LAB_DIR/nat64d.log"; }; then
  record FAIL "blocks:lab_starts"; tail -20 "$LAB_DIR/nat64d.log" 2>/dev/null; exit 1
fi
record PASS "blocks:lab_starts"
ip netns exec "$NS_SRV" /usr/bin/python3 "$TOOLS" udp-echo-server "$SERVER_IP4" 7001 >/dev/null 2>&1 &
LAB_PIDS+=("$!")

check udp_flows_all_answered ip netns exec "$NS_CLI" /usr/bin/python3 "$TOOLS" udp-many "$SERVER_VIA_PREFIX" 7001 "$FLOWS"
ctl --json flows --proto udp --limit 1000 > "$LAB_DIR/flows.json"
ports_in_logged_blocks() {
  /usr/bin/python3 - "$LAB_DIR/flows.json" "$EVENTS" "$FLOWS" <<'PYEOF'
import json, re, sys
flows = [f for f in json.load(open(sys.argv[1]))["flows"] if f["ipv6"] == "2001:db8:1::2"]
lines = open(sys.argv[2]).read().splitlines()
blocks = [tuple(map(int, m.groups()[1:])) + (m.group(1),) for m in
          (re.search(r" block-allocate udp subscriber=(\S+) pub=192\.0\.2\.1:(\d+)-(\d+)$", l) for l in lines) if m]
print(len(flows), "flows;", "blocks", blocks)
assert len(flows) == int(sys.argv[3])
assert len(blocks) == 2 and all(s == "2001:db8:1::/56" and hi - lo + 1 == 64 for lo, hi, s in blocks)
assert all(any(lo <= f["public_port"] <= hi for lo, hi, _ in blocks) and f["public"] == "192.0.2.1" for f in flows)
per_session = [l for l in lines if " session-" in l or " mapping-" in l]
assert not per_session, per_session[:3]
PYEOF
}
check every_port_in_a_logged_block ports_in_logged_blocks
lookup_block_owner() {
  local port out; port=$(/usr/bin/python3 -c "import json; print(json.load(open('$LAB_DIR/flows.json'))['flows'][0]['public_port'])")
  sleep 1   # "now" to the millisecond, a second after the blocks were handed out
  out=$(ctl lookup "$POOL_IP4" "$port" --proto udp --at "$(date -u +%Y-%m-%dT%H:%M:%S.%3N)"); echo "$out"
  [[ "$out" == *"subscriber 2001:db8:1::/56 (port block "* ]]
}
check lookup_names_block_owner lookup_block_owner
# Sessions expire after 3 s, the blocks rest 2 s more, then go back.
blocks_released() { [ "$(grep -c ' block-release udp subscriber=2001:db8:1::/56 ' "$EVENTS")" = 2 ]; }
check blocks_released_after_quarantine wait_for 30 blocks_released
subscriber_gone() { [ "$(ctl --json stats | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["flows"]["subscribers"])')" = 0 ]; }
check subscriber_gone_with_its_blocks wait_for 10 subscriber_gone

ipfix_blocks() {
  sleep 1
  lab_ipfix_decode || return 1
  /usr/bin/python3 - "$LAB_DIR/ipfix.json" "$ROOT/test/control" "$EVENTS" <<'PYEOF'
import re, sys
sys.path.insert(0, sys.argv[2])
from ctl_tools import ipfix_records
records = [r for _, _, recs in ipfix_records(sys.argv[1]) for r in recs]
print(len(records), "records; a block record:", [r for r in records if r.get("cflow.nat_event") == "16"][:1])
lines = open(sys.argv[3]).read().splitlines()
for event, word in (("16", "block-allocate"), ("17", "block-release")):
    logged = sorted((int(a), int(b)) for a, b in re.findall(word + r" udp subscriber=2001:db8:1::/56 pub=192\.0\.2\.1:(\d+)-(\d+)", "\n".join(lines)))
    got = sorted((int(r["cflow.port_range_start"]), int(r["cflow.port_range_end"])) for r in records
                 if r.get("cflow.nat_event") == event and r.get("cflow.srcaddrv6") == "2001:db8:1::"
                 and r.get("cflow.post_natsource_ipv4_address") == "192.0.2.1" and r.get("cflow.protocol") == "17")
    print(word, "log", logged, "ipfix", got)
    assert logged and got == logged
assert not [r for r in records if r.get("cflow.nat_event") in ("6", "7", "10", "11")]
PYEOF
}
check ipfix_block_records_decoded_by_tshark ipfix_blocks
check still_running kill -0 "$NAT64D_PID"
