#!/usr/bin/env bash
# The migration path from Tayga + NAT44: scripts/tayga2nat64d converts sample
# setups (samples/: iptables-save masquerade, nftables SNAT + DNAT, iptables
# SNAT range, a broken tayga.conf) into files nat64d --check-config accepts,
# with the expected prefix, pool and static BIB (read back by expect.py, which
# shares no code with the converter), one "# unmapped" line per input line
# with no nat64d key, placeholders --check-config names until they are filled,
# and FILE:LINE errors on broken input.
HERE=$(cd "$(dirname "$0")" && pwd)
LAYER=migrate
. "$HERE/../../scripts/lib/layer.sh"
NAT64D="$BUILD/control/nat64d"
CONVERT="$ROOT/scripts/tayga2nat64d"
EXPECT=("$PY" "$HERE/expect.py")
S="$HERE/samples"
TMP=$(mktemp -d /tmp/nat64d-migrate.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# The new box's side, which no Tayga or NAT44 file says.
BOX1=(--inside-device 0000:03:00.0 --outside-device 0000:03:00.1 --inside-ipv6 2001:db8:100::1/64
      --gateway6 fe80::1 --outside-ipv4 203.0.113.2/24 --gateway4 203.0.113.1)
BOX2=(--inside-device 0000:03:00.0 --outside-device 0000:03:00.1 --inside-ipv6 2001:db8:1::1/64
      --gateway6 fe80::1 --outside-ipv4 198.51.100.2/24 --gateway4 198.51.100.1)

convert() {  # convert OUT ARGS...: runs the converter, shows its summary
  local out=$1; shift
  "$CONVERT" "$@" -o "$out"
}
valid() { config_valid_here "$NAT64D" "$1"; }

# -- 1: well-known prefix, dynamic pool, iptables-save masquerade
C1="$TMP/wkp.conf"
check wkp_masquerade_converts convert "$C1" "$S/wkp-masquerade/tayga.conf" \
  --nat44 "$S/wkp-masquerade/iptables.rules" --public-ipv4 203.0.113.5 "${BOX1[@]}"
check wkp_masquerade_check_config valid "$C1"
check wkp_masquerade_values "${EXPECT[@]}" "$C1" --no-fill \
  nat64.prefix=64:ff9b::/96 nat64.allow_non_global=false nat64.lowest_ipv6_mtu=1280 \
  "pool.addresses=[203.0.113.5]" "static.bib=[]" pool.seed=0 pool.tcp_ports=1024-65535 \
  ports.inside=0000:03:00.0 ports.outside=0000:03:00.1 addresses.gateway4=203.0.113.1 \
  control.log_file=/var/log/nat64d/events.log
check wkp_masquerade_unmapped "${EXPECT[@]}" "$C1" \
  --no-key-directives "$S/wkp-masquerade/tayga.conf" \
  --unmapped tayga.conf:6,tayga.conf:9,tayga.conf:10,tayga.conf:13,tayga.conf:14,tayga.conf:15 \
  --unmapped iptables.rules:6,iptables.rules:7,iptables.rules:8,iptables.rules:17x2

# Masquerade names no address: without --public-ipv4 the uplink address
# (--outside-ipv4) is the pool, as the interface's own address was before.
C1b="$TMP/wkp-outside.conf"
check masquerade_takes_outside_address convert "$C1b" "$S/wkp-masquerade/tayga.conf" \
  --nat44 "$S/wkp-masquerade/iptables.rules" "${BOX1[@]}"
check masquerade_takes_outside_address_values "${EXPECT[@]}" "$C1b" --no-fill "pool.addresses=[203.0.113.2]"
check masquerade_takes_outside_address_check_config valid "$C1b"

# Nothing about the new box given: every placeholder makes --check-config fail
# naming its key, in turn, until a flag (flags win over the file) fills it.
C1c="$TMP/wkp-bare.conf"
check placeholders_convert convert "$C1c" "$S/wkp-masquerade/tayga.conf" --nat44 "$S/wkp-masquerade/iptables.rules"
placeholders_named_in_turn() {
  local flags=() out rc
  local -a steps=(
    "ports.inside --ports.inside=0000:03:00.0"
    "ports.outside --ports.outside=0000:03:00.1"
    "addresses.inside_ipv6 --addresses.inside_ipv6=2001:db8:100::1/64"
    "addresses.gateway6 --addresses.gateway6=fe80::1"
    "addresses.outside_ipv4 --addresses.outside_ipv4=203.0.113.2/24"
    "addresses.gateway4 --addresses.gateway4=203.0.113.1"
    "pool.addresses --pool.addresses=203.0.113.5")
  for step in "${steps[@]}"; do
    local key=${step%% *} flag=${step#* }
    out=$("$NAT64D" --check-config "$C1c" "${flags[@]}" 2>&1); rc=$?
    echo "unfilled $key: exit $rc: $out"
    [ "$rc" -ne 0 ] && echo "$out" | grep -qE "(^|: )config: $key = " || return 1
    # the file marks the same key's line for the operator
    grep -qE "^${key#*.} = .*# FILL IN" "$C1c" || { echo "no FILL IN mark on $key"; return 1; }
    flags+=("$flag")
  done
  # the log directory is the new box's, not necessarily this machine's
  "$NAT64D" --check-config "$C1c" "${flags[@]}" --control.log_file="$TMP/events.log"
}
check placeholders_named_in_turn placeholders_named_in_turn

# -- 2: network-specific prefix, map lines, nftables SNAT + DNAT port forward
C2="$TMP/nsp.conf"
check nsp_nft_converts convert "$C2" "$S/nsp-maps-nft/tayga.conf" \
  --nat44 "$S/nsp-maps-nft/nftables.conf" --map-ports tcp:80,tcp:443 "${BOX2[@]}"
check nsp_nft_check_config valid "$C2"
check nsp_nft_values "${EXPECT[@]}" "$C2" --no-fill \
  nat64.prefix=2001:db8:64::/96 nat64.allow_non_global=true nat64.lowest_ipv6_mtu=1480 pool.tcp_ports=80-65535 \
  "pool.addresses=[198.51.100.4/30|198.51.100.10|198.51.100.11]" pool.paired=true \
  "static.bib=[tcp 2001:db8:1::20#22 198.51.100.5#2222|tcp 2001:db8:1::10#80 198.51.100.10#80|tcp 2001:db8:1::10#443 198.51.100.10#443|tcp 2001:db8:1::11#80 198.51.100.11#80|tcp 2001:db8:1::11#443 198.51.100.11#443]"
check nsp_nft_unmapped "${EXPECT[@]}" "$C2" \
  --no-key-directives "$S/nsp-maps-nft/tayga.conf" \
  --unmapped tayga.conf:5,tayga.conf:6,tayga.conf:9,tayga.conf:14 \
  --unmapped nftables.conf:11,nftables.conf:16x2,nftables.conf:23,nftables.conf:24

# Without --map-ports a public 1:1 map has no per-port equivalent: one comment
# each, and its address stays out of the pool.
C2b="$TMP/nsp-noports.conf"
check nsp_without_map_ports_converts convert "$C2b" "$S/nsp-maps-nft/tayga.conf" \
  --nat44 "$S/nsp-maps-nft/nftables.conf" "${BOX2[@]}"
check nsp_without_map_ports_check_config valid "$C2b"
check nsp_without_map_ports_values "${EXPECT[@]}" "$C2b" "pool.addresses=[198.51.100.4/30]" \
  "static.bib=[tcp 2001:db8:1::20#22 198.51.100.5#2222]" \
  --unmapped tayga.conf:5,tayga.conf:6,tayga.conf:9,tayga.conf:10,tayga.conf:11,tayga.conf:14

# -- 3: iptables-save -c with an SNAT range and port range, and an unrelated masquerade
C3="$TMP/snat.conf"
check snat_range_converts convert "$C3" "$S/snat-range/tayga.conf" --nat44 "$S/snat-range/iptables.rules" "${BOX1[@]}"
check snat_range_check_config valid "$C3"
check snat_range_values "${EXPECT[@]}" "$C3" --no-fill "pool.addresses=[203.0.113.8/30]" \
  pool.tcp_ports=1024-64999 pool.udp_ports=1024-64999 pool.paired=true \
  --no-key-directives "$S/snat-range/tayga.conf" \
  --unmapped iptables.rules:4x2,iptables.rules:5

# -- broken input: exit non-zero, one line naming file and line, nothing written
fails_naming() {  # fails_naming WHERE WHAT CONVERTER_ARGS...
  local where=$1 what=$2 out rc; shift 2
  rm -f "$TMP/broken.out"
  out=$("$CONVERT" "$@" -o "$TMP/broken.out" 2>&1); rc=$?
  echo "exit $rc: $out"
  [ "$rc" -ne 0 ] && [ "$(echo "$out" | wc -l)" -eq 1 ] && [ ! -e "$TMP/broken.out" ] &&
    echo "$out" | grep -qF -- "$where: " && echo "$out" | grep -qF -- "$what"
}
check broken_sample_names_file_and_line fails_naming "$S/broken/tayga.conf:5" "map" "$S/broken/tayga.conf"
printf 'tun-device nat64\nipv4-addr 192.168.255.1\nprefix 64:ff9b::/33\n' > "$TMP/len.conf"
check prefix_length_nat64d_refuses fails_naming "$TMP/len.conf:3" "32, 40, 48, 56, 64 or 96" "$TMP/len.conf"
printf 'tun-device nat64\nipv4-addr 192.168.255.1\n\nprefix 64:ff9b::/96\ndynamic-pol 192.168.255.0/24\n' > "$TMP/typo.conf"
check unknown_directive fails_naming "$TMP/typo.conf:5" "dynamic-pol" "$TMP/typo.conf"
printf '*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -s 192.168.255.0/24 -j SNAT\nCOMMIT\n' > "$TMP/snat.rules"
check iptables_snat_without_address fails_naming "$TMP/snat.rules:3" "--to-source" \
  "$S/wkp-masquerade/tayga.conf" --nat44 "$TMP/snat.rules"
printf 'table ip nat {\n\tchain postrouting {\n\t\tip saddr 192.168.255.0/24 snat to 203.0.113.999\n\t}\n}\n' > "$TMP/bad.nft"
check nft_bad_address fails_naming "$TMP/bad.nft:3" "203.0.113.999" \
  "$S/wkp-masquerade/tayga.conf" --nat44 "$TMP/bad.nft"
