#!/usr/bin/env bash
# One command for every benchmark figure (issue 5). As root:
#
#   scripts/bench.sh                 # a few minutes: 1K and 64K flows, short intervals
#   scripts/bench.sh --full          # longer intervals, the 1M-flow memif scenarios, a 10M-flow table in process
#   scripts/bench.sh --workers 2     # nat64d workers (and testpmd forwarding cores)
#   scripts/bench.sh --no-tayga      # skip the kernel baseline
#   scripts/bench.sh --smoke --out DIR   # ~2 minutes, tiny intervals: proves the harness works (test/bench/run.sh)
#   scripts/bench.sh --soak 10       # nat64d alone: one scenario in 2 s rounds for 10 minutes (rate, sessions,
#                                    # mbufs in use, ager passes per round; does the rate depend on uptime?)
#   scripts/bench.sh --interleave 5  # testpmd and nat64d point by point, 5 pairs a point: the ratio of each pair
#
# What it runs, on this machine, in one go (method: docs/BENCHMARKS.md):
#   1. in process: test/bench/xlate_bench and test/bench/dp_bench (code cost,
#      flow setup and tear-down, memory per flow), no I/O;
#   2. over net_memif from the generator (test/bench/gen/nat64gen, its own
#      process and core): dpdk-testpmd io forwarding (the I/O ceiling where
#      the generator is not the limit: see the refused shares), then
#      nat64d, same ports, sizes, flow counts and offered loads;
#   3. Tayga + nftables masquerade in two network namespaces, fed by the same
#      generator on net_af_packet over veth pairs.
# Writes docs/bench/results.csv, docs/bench/*.png and docs/bench/latest.md and
# prints the markdown table. Benchmarks are not tests: nothing here asserts a rate.
# Traffic goes only to memif sockets and namespaces this script creates; a trap
# removes them and stops every process it started, also on Ctrl-C or failure.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/lib/memif.sh"
cd "$ROOT"
PY=/usr/bin/python3

FULL=0; SMOKE=0; SOAK_MIN=; PAIRS=; WORKERS=1; TAYGA=1; OUT="$ROOT/docs/bench"; BUILD=${BUILD:-$ROOT/build-bench}
while [ $# -gt 0 ]; do
  case $1 in
    --full) FULL=1 ;;
    --smoke) SMOKE=1 ;;
    --soak) SOAK_MIN=$2; shift ;;
    --interleave) PAIRS=$2; shift ;;
    --workers) WORKERS=$2; shift ;;
    --no-tayga) TAYGA=0 ;;
    --out) OUT=$2; shift ;;
    -h|--help) sed -n 2,20p "$0"; exit 0 ;;
    *) echo "bench.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ "$(id -u)" -eq 0 ] || { echo "bench.sh: run as root (DPDK, namespaces)" >&2; exit 1; }

if [ "$FULL" = 1 ]; then
  WARMUP=1; DURATION=5; REPEAT=3; FLOW_COUNTS="1024 65536 1000000"; MAX_FLOWS=2097152; DUT_MEM=3072
else
  WARMUP=0.5; DURATION=1.5; REPEAT=2; FLOW_COUNTS="1024 65536"; MAX_FLOWS=524288; DUT_MEM=1024
fi
# Every point is the best of REPEAT measured intervals after one warm-up: on a
# shared machine another tenant can take a whole interval away.
SIZES="78 84 128 512 1518"
MAIN_SIZE=84            # 84-byte IPv6 frames, 64-byte IPv4 frames
SIZE_FLOWS=65536        # flow count of the packet-size sweep
DP_ARGS=(--quick)       # dp_bench: a 1M-flow table
[ "$FULL" = 1 ] && DP_ARGS=(10000000)   # a 10M-flow table, filled to 9.5M
if [ "$SMOKE" = 1 ]; then   # every step once, on tiny figures: the harness works, the figures mean nothing
  WARMUP=0.1; DURATION=0.3; REPEAT=1; FLOW_COUNTS="256"; MAX_FLOWS=65536; DUT_MEM=512
  SIZES="84 1518"; SIZE_FLOWS=1024; DP_ARGS=(131072 --quick --packets 20000 --repeat 1)
fi
LOCK=/tmp/nat64d-build.lock

RUN_ID=$$
WORK=$(mktemp -d /tmp/nat64d-bench.XXXXXX)
PIDS=()
NS_GEN="n64b-gen-$RUN_ID"; NS_TAY="n64b-tay-$RUN_ID"

# The step being run: a failure names it and shows the end of its logs, so a
# broken run explains itself (the smoke test layer prints this block).
STEP="start"
cleanup() {
  local rc=$? pid f
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 130 ]; then
    echo "bench.sh: FAILED at step: $STEP (exit $rc)"
    for f in "$WORK"/*.log; do
      [ -s "$f" ] || continue
      case "$(basename "$f")" in setup.log|build.log) [ "$STEP" = build ] || continue ;; esac
      echo "  --- last lines of $(basename "$f"):"; tail -8 "$f" | sed 's/^/    /'
    done
  fi
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  ip netns del "$NS_GEN" 2>/dev/null || true
  ip netns del "$NS_TAY" 2>/dev/null || true
  flock -u 9 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$ROOT/scripts/setup.sh" >/dev/null

STEP="build"; echo "== build ($BUILD, release, link-time optimisation, -march=native: the figures are for this CPU)"
if [ ! -f "$BUILD/build.ninja" ]; then
  flock "$LOCK" meson setup "$BUILD" --buildtype=release -Db_lto=true -Dcpu=native >"$WORK/setup.log" 2>&1 || { cat "$WORK/setup.log"; exit 1; }
fi
flock "$LOCK" ninja -C "$BUILD" control/nat64d test/bench/dp_bench test/bench/xlate_bench test/bench/gen/nat64gen control/nat64ctl \
  >"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log"; exit 1; }
# What was measured, read back from the build (a reused build dir keeps its own options).
BUILD_TARGET=$(meson introspect "$BUILD" --buildoptions | "$PY" -c '
import json, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
print(o["buildtype"] + (", LTO" if o.get("b_lto") else ", no LTO") + ", -march=" + (o.get("cpu") or "(compiler default)"))')
if [ "${BUILD_TARGET##*-march=}" = native ]; then
  BUILD_TARGET="$BUILD_TARGET ($(gcc -march=native -Q --help=target 2>/dev/null | awk '$1 == "-march=" {print $2}'))"
else
  echo "  note: $BUILD is built $BUILD_TARGET, not for this CPU (meson configure $BUILD -Dcpu=native)"
fi
case "$BUILD_TARGET" in *"no LTO"*)
  echo "  note: $BUILD is built without link-time optimisation, unlike the package (meson configure $BUILD -Db_lto=true)" ;;
esac
NAT64D=$BUILD/control/nat64d; GEN=$BUILD/test/bench/gen/nat64gen

# The shared lock: held while anything is measured (no build runs meanwhile),
# released between phases so a phase never blocks others for long.
exec 9>"$LOCK"
lock() { flock -w 900 9 || echo "  warning: $LOCK still busy after 15 min; measuring anyway (figures may be disturbed)"; }
unlock() { flock -u 9; }

CORES=$(nproc)
CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
DPDK_VER=$(pkg-config --modversion libdpdk 2>/dev/null || echo '?')
TAYGA_VER=$(dpkg-query -W -f='${Version}' tayga 2>/dev/null || echo '?')
KERNEL=$(uname -r)
CSV="$WORK/results.csv"
# Other load on the machine during the run (a shared VM): load average and CPU
# steal at start and end go into the report, so a disturbed run shows it.
read -r _ u0 n0 s0 i0 w0 q0 sq0 st0 _ < /proc/stat
LOAD0=$(cut -d' ' -f1 /proc/loadavg)
echo "date,machine,cores,dut,scenario,dir,proto,flows,size,offered_pps,tx_pps,rx_pps,loss_pct,p50_ns,p99_ns,p999_ns,max_ns,cycles_pkt,gen_offcpu_pct,gen_max_gap_us,gen_refused_pps" > "$CSV"
csv() { echo "$DATE,\"$CPU\",$CORES,$*" >> "$CSV"; }
echo "# machine: $CPU, $CORES cores, kernel $KERNEL, DPDK $DPDK_VER, build $BUILD_TARGET, $DATE"

# Lcore placement (docs/BENCHMARKS.md): generator alone on CPU 0; the DUT's
# forwarding lcore(s) from CPU 1 on; the DUT's main/control lcore shares CPU 0
# (nat64d's control thread sleeps 10 ms between ageing rounds).
dut_lcores() {  # "0@0,1@1[,2@...]"
  local l="0@0" w
  for w in $(seq 1 "$WORKERS"); do l="$l,$w@$(( w % CORES == 0 ? 1 : w % CORES ))"; done
  echo "$l"
}
MEMIF_IN="net_memif0,role=server,id=0,socket=$WORK/in.sock,socket-abstract=no,mac=02:00:00:00:01:01"
MEMIF_OUT="net_memif1,role=server,id=0,socket=$WORK/out.sock,socket-abstract=no,mac=02:00:00:00:01:02"
GEN_EAL=(--lcores=0@0 --no-huge -m 1024 --no-pci --file-prefix "n64b-gen-$RUN_ID" --log-level lib.eal:error
         --log-level pmd.net.memif:error --no-telemetry)
GEN_MEMIF=(--vdev "net_memif0,role=client,id=0,socket=$WORK/in.sock,socket-abstract=no"
           --vdev "net_memif1,role=client,id=0,socket=$WORK/out.sock,socket-abstract=no")
PREFIX6=2001:db8:64::   # the same network-specific /96 for nat64d and Tayga
GEN_MEMIF_CMD=("$GEN" "${GEN_EAL[@]}" "${GEN_MEMIF[@]}" -- --prefix "$PREFIX6")

# The generator runs once per device under test and reads one run per line from
# a FIFO, so its ports stay connected from the first run to the last: a memif
# peer that disconnects while the device polls can crash it (DPDK 22.11's
# net_memif unmaps the rings under a polling lcore), so the device is always
# stopped before the generator goes away.
# gen_start LOG COMMAND...: starts the generator session.
gen_start() {
  local log=$1; shift
  rm -f "$WORK/gen.fifo"; mkfifo "$WORK/gen.fifo"
  : > "$log"
  GEN_LOG=$log; GEN_DONE=0
  "$@" --script "$WORK/gen.fifo" >"$log" 2>&1 9>&- </dev/null &
  GEN_PID=$!; PIDS+=("$GEN_PID")
  exec 8<>"$WORK/gen.fifo"
}
gen_stop() {
  exec 8>&-
  for _ in $(seq 100); do kill -0 "$GEN_PID" 2>/dev/null || break; sleep 0.1; done
  kill "$GEN_PID" 2>/dev/null || true
  cat "$GEN_LOG" >> "$WORK/gen.log"
}
# run DUT SCENARIO LABEL [generator options...]: one measured run -> CSV row.
run() {
  local dut=$1 scenario=$2 label=$3; shift 3
  STEP="measure $label"
  local line="--label \"$label\" --warmup $WARMUP --duration $DURATION --repeat $REPEAT $*" out deadline
  echo "$line" >&8
  GEN_DONE=$((GEN_DONE + 1))
  deadline=$(( $(date +%s) + 300 ))
  while [ "$(grep -c '^RESULT,' "$GEN_LOG")" -lt "$GEN_DONE" ]; do
    if ! kill -0 "$GEN_PID" 2>/dev/null || [ "$(date +%s)" -ge "$deadline" ]; then
      echo "  $label: no result; generator log:"; tail -5 "$GEN_LOG" | sed 's/^/    /'
      for l in "$WORK"/testpmd.log "$WORK"/nat64d.log; do [ -f "$l" ] && { echo "    $l:"; tail -5 "$l" | sed 's/^/      /'; }; done
      LAST_RX= LAST_TX= LAST_REFUSED= LAST_OFFCPU=; return 0
    fi
    sleep 0.2
  done
  out=$(grep '^RESULT,' "$GEN_LOG" | sed -n "${GEN_DONE}p")
  if [ "$out" = "RESULT,ERROR" ]; then echo "  $label: bad generator options: $line"; LAST_RX= LAST_TX= LAST_REFUSED= LAST_OFFCPU=; return 0; fi
  IFS=, read -r _ _ mode dir proto flows _ size offered tx rx loss p50 p99 p999 max learned offcpu maxgap refused <<<"$out"
  printf '  %-30s %-6s %-5s %7s flows %4s B: %7.3f Mpps rx (loss %s%%, p50 %s us, p99.9 %s us, learned %s)\n' \
    "$label" "$dir" "$proto" "$flows" "$size" "$(awk "BEGIN{print $rx/1e6}")" "$loss" \
    "$(awk "BEGIN{printf \"%.1f\", $p50/1e3}")" "$(awk "BEGIN{printf \"%.1f\", $p999/1e3}")" "$learned"
  csv "$dut,$scenario,$dir,$proto,$flows,$size,$offered,$tx,$rx,$loss,$p50,$p99,$p999,$max,,$offcpu,$maxgap,$refused"
  LAST_RX=$rx LAST_TX=$tx LAST_REFUSED=$refused LAST_OFFCPU=$offcpu
}

# wait_until SECONDS PID COMMAND...: polls COMMAND until it succeeds; fails at
# once when process PID has exited (no point waiting for a dead process), or
# at the deadline. Waits rest on what a process does (a socket it listens on,
# a device it created), or on a log line only where that process writes its
# log line-buffered (stdbuf -oL, or our own programs, which set it): output
# to a file is otherwise block-buffered and a line may sit unseen for good.
wait_until() {
  local deadline=$(( $(date +%s) + $1 )) pid=$2; shift 2
  until "$@" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { echo "  process $pid exited while $STEP waited"; return 1; }
    [ "$(date +%s)" -lt "$deadline" ] || { echo "  $STEP: gave up after $1 s waiting for: $*"; return 1; }
    sleep 0.2
  done
}
# line_in FILE PATTERN
line_in() { grep -q "$2" "$1"; }
# tun_attached NETNS DEV
tun_attached() { ip -n "$1" link show "$2" | grep -q LOWER_UP; }
stop_pid() {
  local pid=$1
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}
# start_nat64d: nat64d on $WORK/nat64d.conf (memif_dut_conf), as DUT; back
# once its control socket answers (its ports configured, its workers
# running; health would wait for the memif links, which come up only when
# the generator connects).
start_nat64d() {
  rm -f "$WORK/in.sock" "$WORK/out.sock"
  "$NAT64D" --config "$WORK/nat64d.conf" >"$WORK/nat64d.log" 2>&1 9>&- </dev/null &
  DUT=$!; PIDS+=("$DUT")
  wait_until 60 "$DUT" "$BUILD/control/nat64ctl" -s "$WORK/nat64d.sock" stats || exit 1
}

# ------------------------------------------------------ soak (--soak MINUTES)
# One scenario, over and over, against one long-running nat64d: a rate that
# falls with uptime (a leak, a table that fills, an ager that falls behind)
# shows as a trend; a machine that switches levels shows as spread in both
# halves. One 1518-byte round in the middle, as in the full series.
if [ -n "$SOAK_MIN" ]; then
  SOAK_S=$(awk "BEGIN{printf \"%d\", $SOAK_MIN * 60}"); SOAK_FLOWS=65536; SOAK_ROUND_S=2
  [ "$SMOKE" = 1 ] && { SOAK_FLOWS=1024; SOAK_ROUND_S=0.3; }
  STEP="soak"; echo "== soak: nat64d over memif, 6to4, $SOAK_FLOWS flows, $MAIN_SIZE B, $SOAK_ROUND_S s rounds for $SOAK_S s"
  memif_dut_conf "$WORK/nat64d.conf" "$(dut_lcores)" "$DUT_MEM" "n64b-dut-$RUN_ID" "$WORK" "$PREFIX6" "$WORKERS" "$MAX_FLOWS"
  lock
  start_nat64d
  gen_start "$WORK/gen-soak.log" "${GEN_MEMIF_CMD[@]}"
  WARMUP=0; DURATION=$SOAK_ROUND_S; REPEAT=1
  SOAK_CSV="$WORK/soak.csv"
  echo "round,elapsed_s,size,rx_pps,loss_pct,sessions,mbufs_in_use,ager_passes,rx_nombuf" > "$SOAK_CSV"
  start=$(date +%s); round=0; big=0
  while [ $(( $(date +%s) - start )) -lt "$SOAK_S" ]; do
    round=$((round + 1)); size=$MAIN_SIZE
    if [ "$big" = 0 ] && [ $(( $(date +%s) - start )) -ge $(( SOAK_S / 2 )) ]; then size=1518; big=1; fi
    run nat64d soak "soak round $round" --mode nat64 --flows "$SOAK_FLOWS" --size "$size" --dir 6to4 >/dev/null
    row=$("$BUILD/control/nat64ctl" -s "$WORK/nat64d.sock" --json stats 9>&- | "$PY" -c '
import json, sys
s = json.load(sys.stdin)
print(s["flows"]["sessions"], s.get("mbufs", {}).get("in_use", ""), s["ager_passes"],
      sum(p["rx_nombuf"] for p in s["ports"]))') || row="- - - -"
    read -r sessions mbufs passes nombuf <<<"$row"
    echo "$round,$(( $(date +%s) - start )),$size,${LAST_RX:-0},${loss:-},$sessions,$mbufs,$passes,$nombuf" >> "$SOAK_CSV"
    printf '  round %3d  %4d s  %4s B  %7.3f Mpps  sessions %7s  mbufs in use %6s  ager passes %8s  rx_nombuf %s\n' \
      "$round" "$(( $(date +%s) - start ))" "$size" "$(awk "BEGIN{print ${LAST_RX:-0}/1e6}")" "$sessions" "$mbufs" "$passes" "$nombuf"
  done
  stop_pid "$DUT"; gen_stop
  unlock
  "$PY" - "$SOAK_CSV" <<'PYEOF'
import csv, statistics as st, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["size"] != "1518" and float(r["rx_pps"] or 0) > 0]
if len(rows) < 3:
    print("  soak: too few rounds for a trend"); sys.exit(0)
rates = [float(r["rx_pps"]) / 1e6 for r in rows]
third = max(1, len(rates) // 3)
first, last = st.median(rates[:third]), st.median(rates[-third:])
mb = [int(r["mbufs_in_use"]) for r in rows if r["mbufs_in_use"].isdigit()]
print(f"  soak: {len(rates)} rounds at the main size; Mpps min {min(rates):.3f} median {st.median(rates):.3f} "
      f"max {max(rates):.3f}; first third {first:.3f}, last third {last:.3f} (ratio {last / first:.2f})")
print(f"  soak: mbufs in use first {mb[0] if mb else '-'} last {mb[-1] if mb else '-'}, max {max(mb) if mb else '-'}")
spread = (max(rates) - min(rates)) / st.median(rates)
print("  soak: " + ("rate steady with uptime" if abs(last / first - 1) <= max(0.1, spread / 2)
                    else "RATE MOVED with uptime beyond the rounds' own spread"))
PYEOF
  mkdir -p "$OUT"; cp "$SOAK_CSV" "$OUT/soak.csv"
  echo "  rounds in $OUT/soak.csv"
  exit 0
fi

# ---------------------------------------------------------------- 1. in process
if [ -z "$PAIRS" ]; then   # --interleave measures only the memif pairs
STEP="in process"; echo "== in process (no I/O): xlate_bench, dp_bench"
lock
"$BUILD/test/bench/xlate_bench" 9>&- | tee "$WORK/xlate.txt" | grep -v '^#' || true
"$BUILD/test/bench/dp_bench" "${DP_ARGS[@]}" 9>&- 2>/dev/null | tee "$WORK/dp.txt" | grep -v '^CSV' | grep -v '^TELEMETRY' || true
unlock
while IFS=, read -r _ name flows cyc mpps base; do
  case $name in
    memory) csv "nat64d-inproc,memory_bytes_per_flow,,,$flows,,,,,,,,,,$base" ;;  # base column = bytes per flow
    *) csv "nat64d-inproc,${name// /_},,udp,$flows,84,,,$(awk "BEGIN{printf \"%.0f\", $mpps*1e6}"),,,,,,$cyc" ;;
  esac
done < <(grep '^CSV,' "$WORK/dp.txt" | sed 's/^CSV,//; s/^/x,/')
while read -r line; do
  name=$(echo "$line" | cut -d'|' -f2 | sed 's/^ *//; s/ *$//'); ns=$(echo "$line" | cut -d'|' -f3 | tr -d ' ')
  csv "xlate-inproc,xlate_ns:${name//,/;},,,,,,,,,,,,,$ns"
done < <(grep -E '^\| (baseline|6to4|4to6)' "$WORK/xlate.txt")
fi

# ------------------------------------------------------------- 2. over memif
suite() {  # suite DUT MODE: the same scenarios for every device
  local dut=$1 mode=$2 f sz d p
  for f in $FLOW_COUNTS; do
    [ "$dut" = tayga ] && [ "$f" -gt 65536 ] && continue   # conntrack + Tayga: 64K makes the point
    run "$dut" rate_vs_flows "$dut flows=$f" --mode "$mode" --flows "$f" --size "$MAIN_SIZE" --dir 6to4
  done
  for sz in $SIZES; do
    run "$dut" rate_vs_size "$dut size=$sz" --mode "$mode" --flows "$SIZE_FLOWS" --size "$sz" --dir 6to4
  done
  for d in 4to6 mixed; do
    run "$dut" direction "$dut dir=$d" --mode "$mode" --flows "$SIZE_FLOWS" --size "$MAIN_SIZE" --dir "$d"
  done
  MAX_RX=$LAST_RX   # the mixed-direction maximum: the latency run below offers half of it
  if [ "$dut" != tayga ]; then
    for p in udp tcp icmp; do
      run "$dut" protocol "$dut proto=$p" --mode "$mode" --flows "$SIZE_FLOWS" --size "$MAIN_SIZE" --dir 6to4 --proto "$p"
    done
  fi
}
# latency DUT MODE RATE: latency at a fixed offered load (mixed directions).
latency() {
  run "$1" latency "$1 latency @$3pps" --mode "$2" --flows "$SIZE_FLOWS" --size "$MAIN_SIZE" --dir mixed \
    --rate "$3" --cdf "$WORK/cdf-$1.txt"
}

STEP="dpdk-testpmd io forwarding between the memif ports"; echo "== dpdk-testpmd io forwarding between the memif ports (baseline)"
TPMD_N=0
start_testpmd() {
  rm -f "$WORK/in.sock" "$WORK/out.sock"
  TPMD_N=$((TPMD_N + 1))
  # stdbuf: testpmd writes with stdio, block-buffered into a file.
  stdbuf -oL -eL dpdk-testpmd --lcores="$(dut_lcores)" --no-huge -m 1024 --no-pci --file-prefix "n64b-tpmd$TPMD_N-$RUN_ID" \
    --log-level lib.eal:error --no-telemetry --vdev "$MEMIF_IN" --vdev "$MEMIF_OUT" -- \
    --forward-mode=io --nb-cores="$WORKERS" --auto-start --stats-period=3600 --rxd=1024 --txd=1024 \
    >"$WORK/testpmd.log" 2>&1 9>&- </dev/null &
  TPMD=$!; PIDS+=("$TPMD")
  # The memif server sockets exist once its ports are probed; the line once it forwards.
  wait_until 30 "$TPMD" test -S "$WORK/in.sock" -a -S "$WORK/out.sock" || exit 1
  wait_until 30 "$TPMD" line_in "$WORK/testpmd.log" "forwards packets on" || exit 1
}
# ------------------------------------------- interleaved (--interleave PAIRS)
# testpmd and nat64d on the same point, one right after the other, PAIRS
# times per point (the order alternates): the two runs of a pair are seconds
# apart, so a machine that switches levels moves both, and their ratio is the
# figure. A baseline whose own runs spread by more than a quarter is flagged.
if [ -n "$PAIRS" ]; then
  IL_CSV="$WORK/interleave.csv"; echo "point,pair,dut,rx_pps,tx_pps,refused_pps,gen_offcpu_pct" > "$IL_CSV"
  memif_dut_conf "$WORK/nat64d.conf" "$(dut_lcores)" "$DUT_MEM" "n64b-dut-$RUN_ID" "$WORK" "$PREFIX6" "$WORKERS" "$MAX_FLOWS"
  IL_POINTS=("6to4 ${SIZE_FLOWS} flows|--flows $SIZE_FLOWS --size $MAIN_SIZE --dir 6to4")
  [ "$FULL" = 1 ] && IL_POINTS+=("6to4 1000000 flows|--flows 1000000 --size $MAIN_SIZE --dir 6to4")
  IL_POINTS+=("mixed ${SIZE_FLOWS} flows|--flows $SIZE_FLOWS --size $MAIN_SIZE --dir mixed")
  echo "== interleaved: dpdk-testpmd and nat64d ($WORKERS worker(s)) over the same memif ports, $PAIRS pair(s) per point"
  lock
  for pt in "${IL_POINTS[@]}"; do
    name=${pt%%|*}; read -r -a args <<<"${pt#*|}"
    for pair in $(seq 1 "$PAIRS"); do
      order="testpmd nat64d"; [ $((pair % 2)) = 0 ] && order="nat64d testpmd"
      for dut in $order; do
        STEP="interleave: $name, pair $pair, $dut"
        if [ "$dut" = testpmd ]; then start_testpmd; mode=fwd; pid=$TPMD; else start_nat64d; mode=nat64; pid=$DUT; fi
        gen_start "$WORK/gen-il.log" "${GEN_MEMIF_CMD[@]}"
        run "$dut" interleave "$dut $name pair $pair" --mode "$mode" "${args[@]}"
        echo "$name,$pair,$dut,${LAST_RX:-0},${LAST_TX:-0},${LAST_REFUSED:-0},${LAST_OFFCPU:-0}" >> "$IL_CSV"
        stop_pid "$pid"; gen_stop
      done
    done
  done
  unlock
  mkdir -p "$OUT"
  "$PY" "$ROOT/test/bench/interleave.py" "$IL_CSV" --machine "$CPU" --cores "$CORES" --date "$DATE" | tee "$OUT/interleave.md"
  cp "$IL_CSV" "$OUT/interleave.csv"
  exit 0
fi

lock
start_testpmd
gen_start "$WORK/gen-testpmd.log" "${GEN_MEMIF_CMD[@]}"
suite testpmd fwd
TESTPMD_MAX=$MAX_RX
unlock
# (the session stays up, idle, for the latency run at nat64d's half rate below)

STEP="nat64d"; echo "== nat64d ($WORKERS worker(s)) between the same memif ports"
# The table holds every flow of every scenario (mixed, then UDP-, TCP- and
# ICMP-only flow sets): nothing expires during a run.
memif_dut_conf "$WORK/nat64d.conf" "$(dut_lcores)" "$DUT_MEM" "n64b-dut-$RUN_ID" "$WORK" "$PREFIX6" "$WORKERS" "$MAX_FLOWS"
# testpmd's session ends here: testpmd first, then its generator.
stop_pid "$TPMD"; gen_stop
lock
start_nat64d
grep 'flow table' "$WORK/nat64d.log" | sed 's/^/  /'
gen_start "$WORK/gen-nat64d.log" "${GEN_MEMIF_CMD[@]}"
suite nat64d nat64
NAT64D_MAX=$MAX_RX
# Latency at half of nat64d's maximum (mixed-direction) rate; testpmd gets the same offered load.
HALF=$(awk "BEGIN{printf \"%.0f\", ${NAT64D_MAX:-2000000}/2}")
latency nat64d nat64 "$HALF"
stop_pid "$DUT"; gen_stop
grep '^stats:' "$WORK/nat64d.log" | "$PY" -c '
import json, sys
s = json.loads(sys.stdin.read()[len("stats: "):])
d = {k: v for k, v in s["drops"].items() if v}
print("  nat64d drops over the whole run:", d or "none", "| flows", s["flows"])' 2>/dev/null \
  || echo "  nat64d printed no final stats (see $WORK/nat64d.log)"
start_testpmd
gen_start "$WORK/gen-testpmd2.log" "${GEN_MEMIF_CMD[@]}"
latency testpmd fwd "$HALF"
if [ -z "$LAST_RX" ]; then   # a memif session that did not connect: once more, from scratch
  stop_pid "$TPMD"; gen_stop
  start_testpmd
  gen_start "$WORK/gen-testpmd3.log" "${GEN_MEMIF_CMD[@]}"
  latency testpmd fwd "$HALF"
fi
stop_pid "$TPMD"; gen_stop
unlock

# --------------------------------------------------- 3. Tayga + nftables (kernel)
if [ "$TAYGA" = 1 ]; then
  STEP="Tayga $TAYGA_VER + nftables masquerade in namespaces, generator on net_af_packet"; echo "== Tayga $TAYGA_VER + nftables masquerade in namespaces, generator on net_af_packet"
  ip netns add "$NS_GEN"; ip netns add "$NS_TAY"
  ip -n "$NS_GEN" link set lo up; ip -n "$NS_TAY" link set lo up
  ip link add g6 netns "$NS_GEN" type veth peer name t6 netns "$NS_TAY"
  ip link add g4 netns "$NS_GEN" type veth peer name t4 netns "$NS_TAY"
  # The generator's side is raw: no addresses, no IPv6 chatter.
  ip netns exec "$NS_GEN" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$NS_GEN" link set g6 up; ip -n "$NS_GEN" link set g4 up
  ip netns exec "$NS_TAY" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
    net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
  ip -n "$NS_TAY" link set t6 address 02:00:00:00:01:01 up
  ip -n "$NS_TAY" link set t4 address 02:00:00:00:01:02 up
  ip -n "$NS_TAY" addr add 2001:db8:ffff::1/64 dev t6 nodad
  ip -n "$NS_TAY" addr add 198.51.100.1/24 dev t4
  ip -n "$NS_TAY" -6 neigh add 2001:db8:ffff::6 lladdr 02:00:00:00:00:06 dev t6 nud permanent
  ip -n "$NS_TAY" neigh add 198.51.100.254 lladdr 02:00:00:00:00:04 dev t4 nud permanent
  ip -n "$NS_TAY" -6 route add 2001:db8:1000::/36 via 2001:db8:ffff::6 dev t6
  ip -n "$NS_TAY" route add 198.18.0.0/15 via 198.51.100.254 dev t4
  mkdir -p "$WORK/tayga"
  cat > "$WORK/tayga.conf" <<CONF
tun-device nat64
ipv4-addr 192.168.255.1
prefix $PREFIX6/96
dynamic-pool 192.168.0.0/17
data-dir $WORK/tayga
CONF
  ip netns exec "$NS_TAY" tayga -c "$WORK/tayga.conf" --mktun >/dev/null
  ip -n "$NS_TAY" link set nat64 up
  ip -n "$NS_TAY" route add 192.168.0.0/17 dev nat64
  ip -n "$NS_TAY" -6 route add "$PREFIX6/96" dev nat64
  ip netns exec "$NS_TAY" nft -f - <<'NFT'
table ip nat64bench {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "t4" ip saddr 192.168.0.0/17 masquerade
  }
}
NFT
  lock
  ip netns exec "$NS_TAY" taskset -c $(( CORES > 1 ? 1 : 0 )) stdbuf -oL -eL tayga -c "$WORK/tayga.conf" --nodetach \
    >"$WORK/tayga.log" 2>&1 9>&- </dev/null &
  TAY=$!; PIDS+=("$TAY")
  # A tun device has carrier once a process holds it open: Tayga is translating.
  wait_until 30 "$TAY" tun_attached "$NS_TAY" nat64 || exit 1
  AFP_EAL=(--lcores=0@0 --no-huge -m 1024 --no-pci --file-prefix "n64b-afp-$RUN_ID" --log-level lib.eal:error
           --log-level pmd.net.af_packet:error --no-telemetry
           --vdev net_af_packet0,iface=g6,framecnt=4096,qdisc_bypass=1
           --vdev net_af_packet1,iface=g4,framecnt=4096,qdisc_bypass=1)
  gen_start "$WORK/gen-tayga.log" ip netns exec "$NS_GEN" "$GEN" "${AFP_EAL[@]}" -- --prefix "$PREFIX6"
  suite tayga nat64
  TAYGA_MAX=$MAX_RX
  latency tayga nat64 "$(awk "BEGIN{printf \"%.0f\", ${TAYGA_MAX:-100000}/2}")"
  gen_stop
  stop_pid "$TAY"
  unlock
  ip netns del "$NS_GEN"; ip netns del "$NS_TAY"
fi

# ------------------------------------------------------------- results
read -r _ u1 n1 s1 i1 w1 q1 sq1 st1 _ < /proc/stat
TOTAL=$(( (u1+n1+s1+i1+w1+q1+sq1+st1) - (u0+n0+s0+i0+w0+q0+sq0+st0) ))
STEAL=$(awk "BEGIN{printf \"%.1f\", 100*($st1-$st0)/($TOTAL>0?$TOTAL:1)}")
NOTE="load average $LOAD0 at start, $(cut -d' ' -f1 /proc/loadavg) at end; CPU steal ${STEAL}% during the run"
mkdir -p "$OUT"
cp "$CSV" "$OUT/results.csv"
for f in "$WORK"/cdf-*.txt; do [ -f "$f" ] && cp "$f" "$OUT/"; done
cp "$WORK/dp.txt" "$OUT/dp_bench.txt"; cp "$WORK/xlate.txt" "$OUT/xlate_bench.txt"
"$PY" "$ROOT/test/bench/report.py" --csv "$OUT/results.csv" --out "$OUT" --main-size "$MAIN_SIZE" \
  --size-flows "$SIZE_FLOWS" --workers "$WORKERS" --dpdk "$DPDK_VER" --tayga "$TAYGA_VER" --kernel "$KERNEL" --note "$NOTE" \
  --build "$BUILD_TARGET" \
  | tee "$OUT/latest.md"
echo
echo "bench.sh: wrote $OUT/results.csv, $OUT/latest.md and the plots in $OUT/"
