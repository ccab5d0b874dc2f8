# Sourced first by a test layer (test/<layer>/run.sh, after setting HERE to its
# folder): strict mode, where the tree and the build are, and the results file
# shared with scripts/test.sh (a layer run alone starts its own).
set -uo pipefail
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-$ROOT/build/test}
. "$ROOT/scripts/lib/results.sh"
[ -n "${RESULTS_FILE:-}" ] || results_init
