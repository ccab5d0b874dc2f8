"""Runs every packet-level case; one PASS/FAIL line per case into $RESULTS_FILE."""
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cases  # noqa: E402
import conformance  # noqa: E402,F401  (registers its cases)


def main():
    nat64d = sys.argv[1]
    only = sys.argv[2:]
    results = open(os.environ.get("RESULTS_FILE", "/dev/null"), "a")
    failed = 0
    for fn in cases.CASES:
        if only and fn.__name__ not in only:
            continue
        name = f"packet:{fn.__name__}"
        try:
            fn(nat64d)
            results.write(f"PASS {name}\n")
            print(f"  ok   {name}", flush=True)
        except Exception as e:  # a failed case must not stop the others
            failed += 1
            results.write(f"FAIL {name}\n")
            print(f"  FAIL {name}: {e}", flush=True)
            if os.environ.get("VERBOSE"):
                traceback.print_exc()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
