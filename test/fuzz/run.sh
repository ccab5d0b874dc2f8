#!/usr/bin/env bash
# Fuzz layer: the libFuzzer targets of test/fuzz/meson.build, built with clang,
# ASan and UBSan in their own build directory (FUZZ_BUILD, default build/fuzz;
# the BUILD of the other layers is not used). Each target first replays every
# input in regressions/<target>/, then fuzzes from corpus/<target>/ for a
# bounded time, as many targets at once as there are cores. A crash or a
# violated invariant is a FAIL naming the saved input.
#
#   test/fuzz/run.sh                       # 20 s per target (the test suite)
#   test/fuzz/run.sh --seconds 600         # longer; or NAT64D_FUZZ_SECONDS=600
#   test/fuzz/run.sh fuzz_config           # only the named targets
#   NAT64D_FUZZ_JOBS=1 test/fuzz/run.sh    # one target at a time
HERE=$(cd "$(dirname "$0")" && pwd)
LAYER=fuzz
. "$HERE/../../scripts/lib/layer.sh"
FB=${FUZZ_BUILD:-$ROOT/build/fuzz}
SECONDS_PER_TARGET=${NAT64D_FUZZ_SECONDS:-20}
# A build that hangs must not hold the suite: it fails after this long.
BUILD_TIMEOUT_S=${NAT64D_FUZZ_BUILD_TIMEOUT_S:-1200}

ONLY=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_PER_TARGET=$2; shift 2 ;;
    --seconds=*) SECONDS_PER_TARGET=${1#--seconds=}; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) ONLY+=("$1"); shift ;;
  esac
done

configure() {
  command -v clang++ >/dev/null || { echo "clang++ not found (scripts/setup.sh installs clang)"; return 1; }
  mkdir -p "$(dirname "$FB")"
  [ -f "$FB/build.ninja" ] && return 0
  # No DPDK: the targets need only the pure translator and the control code.
  # b_lundef=false: clang's sanitizer runtimes are linked by the driver.
  CC=clang CXX=clang++ meson setup "$FB" -Dfuzz=true -Ddataplane=disabled \
    -Db_sanitize=address,undefined -Db_lundef=false
}
check configure configure
[ -f "$FB/build.ninja" ] || exit 1

# Targets as test/fuzz/meson.build declares them: "name path" per line.
TARGET_LIST=$(meson introspect "$FB" --targets | "$PY" -c '
import json, sys
for t in json.load(sys.stdin):
    if t["defined_in"].endswith("test/fuzz/meson.build"):
        print(t["name"], t["filename"][0])')
declare -A BIN=()
NAMES=()
while read -r name path; do
  [ -n "$name" ] || continue
  if [ "${#ONLY[@]}" -gt 0 ] && [[ ! " ${ONLY[*]} " =~ " $name " ]]; then continue; fi
  BIN[$name]=$path
  NAMES+=("$name")
done <<< "$TARGET_LIST"
if [ "${#NAMES[@]}" -eq 0 ]; then
  record FAIL fuzz:targets "no fuzz target found (${ONLY[*]:-all})"
  exit 1
fi

build() {
  local rel=()
  for n in "${NAMES[@]}"; do rel+=("${BIN[$n]#"$FB"/}"); done
  timeout "$BUILD_TIMEOUT_S" ninja -C "$FB" "${rel[@]}"
}
echo "  building ${NAMES[*]} in $FB"
check build build

export ASAN_OPTIONS="detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

# fuzz_target NAME: SECONDS_PER_TARGET of fuzzing from the seeds; new inputs
# go to $FB/found/NAME (kept between runs, outside the tree), crashes to
# $FB/artifacts/NAME, libFuzzer's output to $FB/NAME.log, its exit code to
# $FB/NAME.rc.
fuzz_target() {
  local name=$1 dict=()
  mkdir -p "$FB/found/$name" "$FB/artifacts/$name"
  [ -f "$HERE/$name.dict" ] && dict=(-dict="$HERE/$name.dict")
  "${BIN[$name]}" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$FB/artifacts/$name/" "${dict[@]}" "$FB/found/$name" "$HERE/corpus/$name" \
    >"$FB/$name.log" 2>&1 &
  local pid=$!
  # Stopped early (the layer was interrupted): stop the fuzzer we started.
  trap 'kill "$pid" 2>/dev/null' TERM
  wait "$pid"
  echo $? > "$FB/$name.rc"
}
# Whatever fuzz_target jobs still run when the layer exits are ours: stop them.
trap 'kill $(jobs -p) 2>/dev/null' EXIT

# report NAME: PASS with libFuzzer's final statistics, or FAIL with its report.
report() {
  local name=$1 log="$FB/$1.log" rc execs rate
  rc=$(cat "$FB/$name.rc" 2>/dev/null || echo missing)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  if [ "$rc" = 0 ]; then
    record PASS "fuzz:$name"
    echo "      ${execs:-?} executions in ${SECONDS_PER_TARGET} s, ${rate:-?} exec/s, $(ls "$FB/found/$name" | wc -l) inputs in $FB/found/$name"
  else
    record FAIL "fuzz:$name" "exit $rc"
    grep -v '^#[0-9]' "$log" | tail -40 | sed 's/^/      /'
    echo "      input saved in $FB/artifacts/$name/; replay: ${BIN[$name]} <file>; add it"
    echo "      (minimized with -minimize_crash=1) to test/fuzz/regressions/$name/ once fixed"
  fi
}

# Regressions first, one target after the other (they take a moment each).
for name in "${NAMES[@]}"; do
  bin=${BIN[$name]}
  if [ ! -x "$bin" ]; then record FAIL "fuzz:$name" "not built"; continue; fi
  regressions=("$HERE/regressions/$name"/*)
  if [ -e "${regressions[0]}" ]; then
    check "${name}_regressions" "$bin" "${regressions[@]}"
  fi
done

# Then the fuzzing, one target per core: libFuzzer runs on one thread.
JOBS=${NAT64D_FUZZ_JOBS:-$(nproc)}
echo "  fuzzing ${SECONDS_PER_TARGET} s per target, $JOBS at a time"
running=0
for name in "${NAMES[@]}"; do
  [ -x "${BIN[$name]}" ] || continue
  rm -f "$FB/$name.rc"
  fuzz_target "$name" &
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then wait -n; running=$((running - 1)); fi
done
wait
for name in "${NAMES[@]}"; do
  [ -x "${BIN[$name]}" ] && report "$name"
done
