#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds nat64d with coverage and runs every
# test layer: unit (Catch2), scapy cross-check, packet level (net_pcap), end to
# end (net_tap and namespaces), control plane, DNS64 (unbound and NSD in
# namespaces), and a smoke run of the benchmark harness. Ends with
# "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
. scripts/lib/results.sh

"$ROOT/scripts/setup.sh" || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

BUILD=${BUILD:-$ROOT/build/test}
results_init

echo "== build ($BUILD, coverage on)"
build_started=$SECONDS
mkdir -p "$(dirname "$BUILD")"
if [ ! -f "$BUILD/build.ninja" ]; then
  meson setup "$BUILD" -Db_coverage=true >"$BUILD.setup.log" 2>&1 || { cat "$BUILD.setup.log"; }
fi
if ninja -C "$BUILD" >"$BUILD.build.log" 2>&1; then
  record PASS build
else
  tail -40 "$BUILD.build.log"; record FAIL build
fi
echo "  (build: $(( SECONDS - build_started )) s)"
find "$BUILD" -name '*.gcda' -delete 2>/dev/null || true

echo "== unit"
run_catch unit_xlate "$BUILD/test/unit/xlate/unit_xlate"
run_catch unit_nat "$BUILD/test/unit/nat/unit_nat"
run_catch unit_config "$BUILD/test/unit/config/unit_config"
run_catch unit_control "$BUILD/test/unit/control/unit_control"
run_catch unit_flow "$BUILD/test/unit/flow/unit_flow"
run_catch unit_worker "$BUILD/test/unit/worker/unit_worker"

echo "== coverage of the translation core (target 90% of lines)"
# Only the translation core's objects and its own tests: objects of
# multi-threaded tests (port allocation, the flow table) also inline xlate
# headers, and gcov's counters, bumped from several threads at once, lose
# updates there and come out negative, which gcovr refuses to parse.
if cov=$(gcovr -r "$ROOT" --filter 'dataplane/xlate/' --print-summary \
           "$BUILD/dataplane/xlate" "$BUILD/test/unit/xlate" 2>/dev/null | grep -E '^lines:'); then
  echo "  $cov"
  pct=$(echo "$cov" | sed -E 's/lines: ([0-9.]+)%.*/\1/')
  if awk "BEGIN{exit !($pct >= 90)}"; then record PASS coverage_xlate_90pct; else record FAIL coverage_xlate_90pct "$pct%"; fi
else
  record FAIL coverage_xlate_90pct "gcovr produced nothing"
fi

# Wall time of each layer, so a suite near its budget shows where it goes.
for layer in crosscheck cli migrate packet e2e workers control limits deterministic blocks capture memif dns64 system bench package sanitize fuzz; do
  if [ -x "test/$layer/run.sh" ]; then
    echo "== $layer"
    started=$SECONDS
    BUILD="$BUILD" "test/$layer/run.sh" || true
    echo "  ($layer: $(( SECONDS - started )) s)"
  fi
done
echo "== whole suite: $SECONDS s"

echo "== summary"
results_summary
