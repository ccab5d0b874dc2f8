#!/usr/bin/env bash
# Cross-check layer: randomized packets from scapy through the translator.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-$HERE/../../build/test}
/usr/bin/python3 "$HERE/crosscheck.py" "$BUILD/test/crosscheck/xlate_driver"
