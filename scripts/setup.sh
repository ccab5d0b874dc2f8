#!/usr/bin/env bash
# Installs everything nat64d needs to build, test, demo and benchmark on a
# fresh Debian 12 machine. Idempotent: packages already present are not touched.
set -euo pipefail

packages=(
  # build
  build-essential meson ninja-build pkg-config
  libdpdk-dev dpdk dpdk-dev libbsd-dev libcli11-dev catch2 nlohmann-json3-dev libfmt-dev libpcap-dev libsystemd-dev
  # tests and coverage
  python3 python3-scapy python3-prometheus-client gcovr tcpdump iproute2 iputils-ping
  curl iperf3 socat traceroute procps kmod
  # fuzzing, baselines and plots
  clang libfuzzer-14-dev tayga nftables bird2 unbound python3-matplotlib valgrind
  # the Debian package, its systemd unit and man pages (test/package)
  debhelper dpkg-dev fakeroot lintian systemd man-db groff-base binutils
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The Debian unbound and bird2 packages start system services on install; the
# project starts its own instances in namespaces, so the system ones stay off.
for svc in unbound bird; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
    systemctl stop "$svc" || true
  fi
done
echo "setup: all packages present"
