#!/usr/bin/env bash
# Packet-level layer: nat64d on net_pcap ports, scapy in and out.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-$HERE/../../build/test}
/usr/bin/python3 "$HERE/run_cases.py" "$BUILD/control/nat64d" "$@"
