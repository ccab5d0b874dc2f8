#!/usr/bin/env bash
# A net_memif peer that goes away under load does not take nat64d with it.
# nat64d holds the server ends of two memif ports; the project's generator
# (test/bench/gen) connects as the client, floods translated traffic both
# ways and is killed with SIGKILL mid-run, again and again (PEER_EXITS). Each
# time nat64d must still run, and at the end it must have forwarded packets
# and exit 0 on SIGTERM. Before dataplane/io/unmap_guard.hpp, DPDK 22.11's PMD
# unmapped the rings under the polling worker: a SIGSEGV once in about 80 exits.
HERE=$(cd "$(dirname "$0")" && pwd)
LAYER=memif
. "$HERE/../../scripts/lib/layer.sh"
PEER_EXITS=${NAT64D_MEMIF_PEER_EXITS:-25}
GEN="$BUILD/test/bench/gen/nat64gen"
NAT64D="$BUILD/control/nat64d"
CTL="$BUILD/control/nat64ctl"
WORK=$(mktemp -d /tmp/nat64d-memif.XXXXXX)
ID=$$
DUT=""; GENPID=""
cleanup() {
  [ -n "$GENPID" ] && kill -9 "$GENPID" 2>/dev/null
  [ -n "$DUT" ] && { kill -TERM "$DUT" 2>/dev/null; sleep 1; kill -9 "$DUT" 2>/dev/null; }
  rm -rf "$WORK"
}
trap cleanup EXIT

for b in "$GEN" "$NAT64D" "$CTL"; do
  [ -x "$b" ] || { record FAIL "memif:build" "$b missing"; exit 1; }
done
. "$ROOT/scripts/lib/memif.sh"
memif_dut_conf "$WORK/nat64d.conf" "0@0,1@1" 512 "n64m-dut-$ID" "$WORK" 2001:db8:64:: 1 65536
"$NAT64D" --config "$WORK/nat64d.conf" >"$WORK/nat64d.log" 2>&1 </dev/null &
DUT=$!
for _ in $(seq 1 600); do "$CTL" -s "$WORK/nat64d.sock" stats >/dev/null 2>&1 && break; sleep 0.1; done
check nat64d_starts kill -0 "$DUT"

alive_after_peer_exits() {
  local i
  for i in $(seq 1 "$PEER_EXITS"); do
    "$GEN" --lcores=0@0 --no-huge -m 256 --no-pci --file-prefix "n64m-gen-$ID" --log-level lib.eal:error \
      --log-level pmd.net.memif:error --no-telemetry \
      --vdev "net_memif0,role=client,id=0,socket=$WORK/in.sock,socket-abstract=no" \
      --vdev "net_memif1,role=client,id=0,socket=$WORK/out.sock,socket-abstract=no" \
      -- --prefix 2001:db8:64:: --flows 512 --dir mixed --warmup 0 --duration 30 >"$WORK/gen.log" 2>&1 </dev/null &
    GENPID=$!
    # Killed at a different moment each time: while connecting, learning, or flooding.
    sleep "$(awk -v i="$i" 'BEGIN{srand(i); printf "%.2f", 0.8 + rand() * 1.2}')"
    kill -9 "$GENPID" 2>/dev/null; wait "$GENPID" 2>/dev/null; GENPID=""
    if ! kill -0 "$DUT" 2>/dev/null; then
      echo "nat64d died after peer exit $i:"; tail -20 "$WORK/nat64d.log"; return 1
    fi
  done
  echo "$PEER_EXITS peer exits, nat64d still running"
}
check survives_peer_killed_under_traffic alive_after_peer_exits
forwarded() {
  "$CTL" -s "$WORK/nat64d.sock" --json stats | "$PY" -c '
import json, sys
s = json.load(sys.stdin); w = s["workers"] if isinstance(s.get("workers"), list) else []
tx = sum(x.get("tx_outside", {}).get("packets", 0) + x.get("tx_inside", {}).get("packets", 0) for x in w)
print("packets sent by the workers:", tx); sys.exit(0 if tx > 0 else 1)'
}
check forwarded_between_exits forwarded
stops_cleanly() {
  kill -TERM "$DUT"; local rc=0
  wait "$DUT" || rc=$?
  DUT=""
  echo "exit $rc"; grep -E "unmapped|stats:" "$WORK/nat64d.log" | cut -c1-300 | tail -3
  # The guard saw the peers' memory go: the interposed munmap is the one the PMD calls.
  [ "$rc" = 0 ] && grep -qE "unmapped while running: [1-9][0-9]* after the workers' loops" "$WORK/nat64d.log"
}
check exits_0_on_sigterm stops_cleanly
