#!/usr/bin/env bash
# Installs everything nat64d needs to build, test, demo and benchmark on a
# fresh Debian 12 machine. Idempotent: packages already present are not
# touched, and services already running on the host are never stopped or
# reconfigured.
set -euo pipefail

packages=(
  # build
  build-essential meson ninja-build pkg-config
  libdpdk-dev dpdk dpdk-dev libbsd-dev libcli11-dev catch2 nlohmann-json3-dev libfmt-dev libpcap-dev libsystemd-dev
  # tests and coverage
  python3 python3-scapy python3-prometheus-client prometheus gcovr tcpdump iproute2 iputils-ping
  curl iperf3 socat traceroute procps kmod
  # a third-party IPFIX decoder for the export's test (test/control): tshark, and its dumpcap
  tshark
  # companions the tests run in namespaces: BGP (BIRD 2), DNS64 resolver
  # (unbound), an authoritative server (NSD) and dig
  bird2 frr unbound nsd bind9-dnsutils
  # fuzzing, baselines and plots
  clang libfuzzer-14-dev tayga nftables python3-matplotlib valgrind
  # the Debian package, its systemd unit and man pages (test/package)
  debhelper dpkg-dev fakeroot lintian systemd man-db groff-base binutils
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "setup: all packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

# bird2, frr, unbound, nsd and prometheus (installed for promtool) start
# their system daemon from the package's maintainer scripts, which would bind
# ports 179, 53 and 9090 on the host. The tests
# start their own instances in namespaces, so the install must not start any.
# Both paths the maintainer scripts take, invoke-rc.d (no systemd) and
# deb-systemd-invoke (systemd is PID 1), ask /usr/sbin/policy-rc.d first and
# skip the start when it exits 101 ("action forbidden", invoke-rc.d(8)).
# Only when the host has no policy of its own; ours is removed on any exit.
# Services already running are left as they are either way.
POLICY=/usr/sbin/policy-rc.d
POLICY_MARK="# nat64d setup.sh: no daemon starts while packages install"
remove_policy() {
  if [ -f "$POLICY" ] && grep -qxF "$POLICY_MARK" "$POLICY"; then
    $SUDO rm -f "$POLICY"
  fi
}
if [ ! -e "$POLICY" ]; then
  trap remove_policy EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  printf '#!/bin/sh\n%s\nexit 101\n' "$POLICY_MARK" | $SUDO tee "$POLICY" >/dev/null
  $SUDO chmod 755 "$POLICY"
fi

echo "setup: installing ${missing[*]}"
# tshark's wireshark-common asks whether non-root users may capture; the tests
# capture as root, so no setuid dumpcap, and no question stops the install.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "setup: all packages present"
