# Sourced first by a test layer (test/<layer>/run.sh, after setting HERE to its
# folder): strict mode, where the tree and the build are, and the results file
# shared with scripts/test.sh (a layer run alone starts its own).
set -uo pipefail
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-$ROOT/build/test}
. "$ROOT/scripts/lib/results.sh"
[ -n "${RESULTS_FILE:-}" ] || results_init

# check NAME COMMAND...: one check of this layer (LAYER, set before sourcing),
# recorded as PASS/FAIL LAYER:NAME; a failure shows the end of its output.
check() {
  local name=$1 log
  shift
  log=$(mktemp /tmp/nat64d-check.XXXXXX)
  if "$@" >"$log" 2>&1; then record PASS "$LAYER:$name"; else
    record FAIL "$LAYER:$name"; sed 's/^/      /' "$log" | tail -40; fi
  rm -f "$log"
}

# config_valid_here NAT64D FILE: FILE passes --check-config, or fails only on
# what the box it was written for has and this machine lacks (its CPUs, its log
# directory): an example for a bigger box is still a valid example.
config_valid_here() {
  local out rc
  out=$("$1" --check-config "$2" 2>&1); rc=$?
  echo "exit $rc:"; echo "$out"
  [ "$rc" -eq 0 ] && return 0
  ! echo "$out" | grep -vE "config: eal.args = CPU [0-9]+: this machine has CPUs|config: control.log_file = .*: directory .* does not exist"
}
