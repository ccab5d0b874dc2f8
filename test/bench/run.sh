#!/usr/bin/env bash
# The benchmark harness works end to end (figures are never asserted): one
# `scripts/bench.sh --smoke` run, with tiny intervals, into a scratch folder.
# Checked: every device of every scenario delivered packets the generator
# recognised (it counts a packet only when its translation checks out and its
# stamp is intact), the in-process rows and memory per flow are there, the
# report has its tables and targets, the plots are PNG images, and the run
# left no namespace or process behind.
HERE=$(cd "$(dirname "$0")" && pwd)
LAYER=bench
. "$HERE/../../scripts/lib/layer.sh"
TMP=$(mktemp -d /tmp/nat64d-benchsmoke.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

netns_before=$(ip netns list | sort)
BUILD="$BUILD" timeout 900 "$ROOT/scripts/bench.sh" --smoke --out "$TMP/out" >"$TMP/bench.log" 2>&1
rc=$?
# On failure: which step failed and the end of its logs (bench.sh prints them).
check smoke_run_exits_0 sh -c "echo exit $rc; grep -A60 '^bench.sh: FAILED' '$TMP/bench.log' || tail -20 '$TMP/bench.log'; [ $rc -eq 0 ]"

check every_point_delivered "$PY" - "$TMP/out/results.csv" <<'PYEOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
bad = []
for dut in ("testpmd", "nat64d", "tayga"):
    runs = [r for r in rows if r["dut"] == dut]
    print(dut, len(runs), "points")
    if len(runs) < 5:
        bad.append(f"{dut}: {len(runs)} points")
    for r in runs:
        if float(r["rx_pps"] or 0) <= 0 or float(r["p50_ns"] or 0) <= 0:
            bad.append(f"{dut} {r['scenario']} {r['dir']} {r['size']}: rx {r['rx_pps']} p50 {r['p50_ns']}")
        if r["gen_offcpu_pct"] in ("", None):
            bad.append(f"{dut} {r['scenario']}: no off-CPU gauge")
        if r["gen_refused_pps"] in ("", None) or float(r["gen_refused_pps"]) < 0:
            bad.append(f"{dut} {r['scenario']}: no refused-frames gauge")
for dut in ("testpmd", "nat64d", "tayga"):
    if not any(r["dut"] == dut and r["scenario"] == "latency" for r in rows):
        bad.append(f"{dut}: no latency run")
inproc = [r for r in rows if r["dut"] == "nat64d-inproc"]
mem = [r for r in inproc if r["scenario"] == "memory_bytes_per_flow"]
if not mem or not 32 < float(mem[0]["cycles_pkt"]) < 1024:
    bad.append(f"memory per flow: {mem}")
for sc in ("setup", "established_6to4", "established_4to6", "teardown"):
    if not any(r["scenario"] == sc and float(r["rx_pps"] or 0) > 0 for r in inproc):
        bad.append(f"in process: no {sc}")
if not any(r["dut"] == "xlate-inproc" for r in rows):
    bad.append("no xlate_bench rows")
print("\n".join(bad) or "all points delivered")
sys.exit(1 if bad else 0)
PYEOF

check report_has_tables_and_targets sh -c "grep -q '^| scenario | nat64d Mpps' '$TMP/out/latest.md' &&
  grep -q '^| device | offered Mpps' '$TMP/out/latest.md' && grep -q '^| target | this run | met |' '$TMP/out/latest.md' &&
  grep -q 'memif: nat64d >= 70% of testpmd' '$TMP/out/latest.md' && grep -q 'Machine: ' '$TMP/out/latest.md'"
check plots_are_png sh -c "for p in rate_vs_flows rate_vs_size latency_cdf; do
  head -c 8 '$TMP/out/'\$p.png | od -An -tx1 | tr -d ' \n' | grep -qx '89504e470d0a1a0a' || { echo \$p; exit 1; }; done"
# The soak mode: one nat64d, rounds of one scenario; every round delivered,
# the flows all live, the buffers come back, the ager ran, the summary printed.
BUILD="$BUILD" timeout 300 "$ROOT/scripts/bench.sh" --smoke --soak 0.2 --out "$TMP/soak" >"$TMP/soak.log" 2>&1
src=$?
check soak_rounds "$PY" - "$TMP/soak/soak.csv" "$TMP/soak.log" "$src" <<'PYEOF'
import csv, sys
print(open(sys.argv[2]).read()[-1500:])
if sys.argv[3] != "0":
    sys.exit(f"bench.sh --soak exited {sys.argv[3]}")
rows = list(csv.DictReader(open(sys.argv[1])))
bad = [r for r in rows if float(r["rx_pps"] or 0) <= 0 or r["sessions"] != "1024" or r["mbufs_in_use"] == ""]
passes = [int(r["ager_passes"]) for r in rows]
ok = len(rows) >= 3 and not bad and passes == sorted(passes) and passes[-1] > passes[0] and \
     any(r["size"] == "1518" for r in rows) and "soak: " in open(sys.argv[2]).read()
sys.exit(0 if ok else f"{len(rows)} rounds, bad {bad[:2]}, ager passes {passes[:3]}...")
PYEOF
# Interleaved pairs: every point has a complete pair, its ratio in the table.
BUILD="$BUILD" timeout 300 "$ROOT/scripts/bench.sh" --smoke --interleave 1 --out "$TMP/il" >"$TMP/il.log" 2>&1
irc=$?
check interleaved_pairs "$PY" - "$TMP/il/interleave.csv" "$TMP/il/interleave.md" "$irc" <<'PYEOF'
import csv, sys
print(open(sys.argv[2]).read() if sys.argv[3] == "0" else f"bench.sh --interleave exited {sys.argv[3]}")
rows = list(csv.DictReader(open(sys.argv[1])))
duts = sorted((r["point"], r["dut"]) for r in rows if float(r["rx_pps"] or 0) > 0)
points = {r["point"] for r in rows}
md = open(sys.argv[2]).read()
# Who set each rate: the generator's sent and refused frames for every run, in the table.
gauged = all(float(r["tx_pps"] or 0) > 0 and float(r["refused_pps"] or -1) >= 0 for r in rows)
ok = sys.argv[3] == "0" and len(points) >= 2 and len(duts) == 2 * len(points) and gauged and \
     all(f"| {p} | 1 | " in md for p in points) and "| refused by nat64d / testpmd |" in md
sys.exit(0 if ok else f"rows {rows}")
PYEOF
check nothing_left_behind sh -c "[ \"\$(ip netns list | sort)\" = '$netns_before' ] &&
  ! ls /tmp/nat64d-bench.* >/dev/null 2>&1 && ! pgrep -f 'n64b-(dut|gen|tpmd|afp)' >/dev/null"
