#!/usr/bin/env bash
# Sanitizer layer: the unit tests and the packet-level tests against nat64d
# built with ASan + UBSan (gcc, -Db_sanitize=address,undefined) in its own
# build directory (SANITIZE_BUILD, default build/asan; the BUILD of the other
# layers is not used). Any sanitizer report fails the test that made it
# (halt_on_error: the process exits non-zero) and is shown.
HERE=$(cd "$(dirname "$0")" && pwd)
LAYER=sanitize
. "$HERE/../../scripts/lib/layer.sh"
SB=${SANITIZE_BUILD:-$ROOT/build/asan}
TMP=$(mktemp -d /tmp/nat64d-sanitize.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

TARGETS=(control/nat64d test/unit/xlate/unit_xlate test/unit/nat/unit_nat test/unit/config/unit_config
         test/unit/control/unit_control test/unit/flow/unit_flow test/unit/worker/unit_worker)
# A build that hangs must not hold the suite: it fails after this long.
BUILD_TIMEOUT_S=${NAT64D_SANITIZE_BUILD_TIMEOUT_S:-1800}

build() {
  mkdir -p "$(dirname "$SB")"
  if [ ! -f "$SB/build.ninja" ]; then
    # b_lundef=false: the sanitizer runtimes resolve some symbols at run time.
    # debug (-O0): instrumented code compiles 3-5 times faster than at -O2
    # (Catch2's main alone: 36 s against 178 s of CPU), and ASan and UBSan find the
    # same faults (every access is checked at -O0 too); these binaries are
    # for finding faults, not for speed.
    meson setup "$SB" --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false || return 1
  fi
  timeout "$BUILD_TIMEOUT_S" ninja -C "$SB" "${TARGETS[@]}"
}
echo "  building ${TARGETS[*]} in $SB"
check build build
[ -x "$SB/control/nat64d" ] || exit 1

# ASan (gcc links its runtime dynamically) must be the first library a
# sanitized program loads; a preload from whoever runs the suite (stdbuf -oL
# preloads libstdbuf) would stop every one of them before it starts.
unset LD_PRELOAD
# halt_on_error: the first report ends the process with a non-zero exit, so
# no report goes unnoticed in a passing test. Leak checking stays on for
# nat64d too: DPDK's EAL (--no-huge) leaves nothing LeakSanitizer reports.
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

# unit NAME: a Catch2 binary of the sanitized build, its stderr (where the
# sanitizers report) kept and shown if the run fails.
unit() {
  local name=$1 bin=$2 wrap="$TMP/$1" before after
  if [ ! -x "$bin" ]; then record FAIL "sanitize:$name" "missing $bin"; return; fi
  printf '#!/bin/sh\nexec "%s" "$@" 2>>"%s"\n' "$bin" "$TMP/$name.stderr" > "$wrap"
  chmod +x "$wrap"
  before=$(grep -c '^FAIL ' "$RESULTS_FILE")
  run_catch "sanitize:$name" "$wrap"
  after=$(grep -c '^FAIL ' "$RESULTS_FILE")
  if [ "$after" != "$before" ] && [ -s "$TMP/$name.stderr" ]; then
    head -60 "$TMP/$name.stderr" | sed 's/^/      /'
  fi
}
echo "  unit tests"
unit unit_xlate "$SB/test/unit/xlate/unit_xlate"
unit unit_nat "$SB/test/unit/nat/unit_nat"
unit unit_config "$SB/test/unit/config/unit_config"
unit unit_control "$SB/test/unit/control/unit_control"
unit unit_flow "$SB/test/unit/flow/unit_flow"
unit unit_worker "$SB/test/unit/worker/unit_worker"

# The packet cases record "packet:<case>"; here they count as
# "sanitize:packet:<case>", so both layers pass or fail on their own. A
# failed case shows nat64d's output, sanitizer report included.
echo "  packet tests against the sanitized nat64d"
PACKET_RESULTS="$TMP/packet-results"
: > "$PACKET_RESULTS"
RESULTS_FILE="$PACKET_RESULTS" BUILD="$SB" "$ROOT/test/packet/run.sh" | sed 's/ packet:/ sanitize:packet:/'
if [ -s "$PACKET_RESULTS" ]; then
  sed 's/ packet:/ sanitize:packet:/' "$PACKET_RESULTS" >> "$RESULTS_FILE"
else
  record FAIL sanitize:packet "no packet case ran"
fi
