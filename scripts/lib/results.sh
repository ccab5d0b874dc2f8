# Shared by the test runner and the test layers: one results file, one line a
# test ("PASS name" / "FAIL name"), summed at the end.
PY=/usr/bin/python3   # Debian's python, which has scapy; not whatever python3 is first on PATH

results_init() {
  RESULTS_FILE=${RESULTS_FILE:-$(mktemp /tmp/nat64d-results.XXXXXX)}
  export RESULTS_FILE
  : > "$RESULTS_FILE"
}

record() {  # record PASS|FAIL name [detail]
  local verdict=$1 name=$2; shift 2
  echo "$verdict $name" >> "$RESULTS_FILE"
  if [ "$verdict" = PASS ]; then echo "  ok   $name"; else echo "  FAIL $name ${*:-}"; fi
}

# run_catch NAME BINARY: runs a Catch2 executable and records each test case.
run_catch() {
  local name=$1 bin=$2 xml
  if [ ! -x "$bin" ]; then record FAIL "$name" "missing $bin"; return; fi
  xml=$(mktemp /tmp/nat64d-catch.XXXXXX.xml)
  "$bin" -r junit -o "$xml" >/dev/null 2>&1
  local rc=$?
  "$PY" - "$name" "$xml" "$RESULTS_FILE" "$rc" <<'PYEOF'
import sys, xml.etree.ElementTree as ET
name, path, results, rc = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
out = open(results, "a")
try:
    root = ET.parse(path).getroot()
except Exception as e:
    out.write(f"FAIL {name}:junit-unreadable\n"); print(f"  FAIL {name}: cannot read results ({e}), exit {rc}"); sys.exit()
cases = root.iter("testcase")
n_pass = n_fail = 0
for c in cases:
    label = f"{name}:{c.get('classname','')}/{c.get('name','')}"
    if c.find("failure") is not None or c.find("error") is not None:
        n_fail += 1; out.write(f"FAIL {label}\n"); print(f"  FAIL {label}")
    else:
        n_pass += 1; out.write(f"PASS {label}\n")
if n_pass + n_fail == 0:
    out.write(f"FAIL {name}:no-tests\n"); print(f"  FAIL {name}: ran no test (exit {rc})")
elif rc != 0 and n_fail == 0:
    out.write(f"FAIL {name}:exit-{rc}\n"); print(f"  FAIL {name}: exit {rc}")
print(f"  {name}: {n_pass} passed, {n_fail} failed")
PYEOF
  rm -f "$xml"
}

results_summary() {
  local p f
  p=$(grep -c '^PASS ' "$RESULTS_FILE" || true)
  f=$(grep -c '^FAIL ' "$RESULTS_FILE" || true)
  if [ "$f" -gt 0 ]; then echo "failed:"; grep '^FAIL ' "$RESULTS_FILE" | sed 's/^FAIL /  /'; fi
  echo "$p passed, $f failed"
  [ "$f" -eq 0 ]
}
