#!/usr/bin/env bash
# The Debian package, as an operator meets it on day one: built with
# dpkg-buildpackage from a clean copy of the tree, lintian clean, built for a
# generic CPU, installed with dpkg -i; the unit passes systemd-analyze verify,
# the shipped configuration validates, the installed nat64d runs on net_null
# devices and speaks sd_notify (READY=1, WATCHDOG=1 while healthy, STOPPING=1),
# the man pages render without warnings and match --help; then the package is
# purged and nothing of it is left. Needs root (dpkg) and no prior build.
# KEEP_PACKAGE=DIR copies the built .deb, .changes and build log there.
HERE=$(cd "$(dirname "$0")" && pwd)
LAYER=package
. "$HERE/../../scripts/lib/layer.sh"
TMP=$(mktemp -d /tmp/nat64d-package.XXXXXX)
BUILD_LOCK=/tmp/nat64d-build.lock
# One installed nat64d package on this machine at a time: two runs of this
# layer (other checkouts) would install and purge the same package.
PACKAGE_LOCK=/tmp/nat64d-package.lock
PIDS=()
INSTALLED=0
START=$(date +%s)
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null; done
  if [ "$INSTALLED" = 1 ]; then dpkg_retry dpkg --purge nat64d >/dev/null 2>&1; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

# dpkg refuses at once while another dpkg or apt runs (setup.sh elsewhere):
# retry on its lock message until a deadline.
dpkg_retry() {
  local out rc deadline=$(( $(date +%s) + 300 ))
  while :; do
    out=$("$@" 2>&1); rc=$?
    if [ "$rc" -ne 0 ] && echo "$out" | grep -q 'lock' && [ "$(date +%s)" -lt "$deadline" ]; then
      sleep 2; continue
    fi
    echo "$out"; return "$rc"
  done
}

VERSION=$(sed -n "s/^ *version: *'\([^']*\)'.*/\1/p" "$ROOT/meson.build" | head -1)

# ---------------------------------------------------------------- build
# A clean copy: the tracked and new files of the checkout, no build dirs, so
# nothing of the build lands in the tree (dpkg-buildpackage writes to ..).
SRC="$TMP/src/nat64d-$VERSION"
mkdir -p "$SRC"
if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
     while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
     tar --null -T - -cf -) | tar -xf - -C "$SRC"
else
  tar -C "$ROOT" --exclude='./build*' --exclude=./.git -cf - . | tar -xf - -C "$SRC"
fi

# The build's time, and how much of it went waiting for the shared build lock
# (held for the build only: it goes with this subshell).
build_package() (
  cd "$SRC" || exit 1
  local queued started rc
  queued=$(date +%s)
  exec 9>"$BUILD_LOCK"; flock 9
  started=$(date +%s)
  env DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" dpkg-buildpackage -b -us -uc >"$TMP/build.log" 2>&1; rc=$?
  echo "build: $(( $(date +%s) - started )) s, after $(( started - queued )) s waiting for $BUILD_LOCK" > "$TMP/build.time"
  tail -30 "$TMP/build.log"; exit "$rc"
)
check dpkg_buildpackage build_package
[ -f "$TMP/build.time" ] && echo "    $(cat "$TMP/build.time")"
if [ -n "${KEEP_PACKAGE:-}" ]; then
  mkdir -p "$KEEP_PACKAGE" && cp "$TMP"/src/*.deb "$TMP"/src/*.changes "$TMP"/src/*.buildinfo "$TMP/build.log" "$KEEP_PACKAGE"/ 2>/dev/null
fi
DEB=$(ls "$TMP"/src/nat64d_"$VERSION"_*.deb 2>/dev/null | head -1)
CHANGES=$(ls "$TMP"/src/nat64d_"$VERSION"_*.changes 2>/dev/null | head -1)
if [ -z "$DEB" ] || [ -z "$CHANGES" ]; then
  record FAIL "$LAYER:no_deb_built" "(nothing else can be checked)"
  exit 1
fi

# Errors and warnings are what lintian shows by default; overrides, if any,
# carry their reason in debian/.
lintian_clean() {
  local out rc
  out=$(lintian "$CHANGES" 2>&1); rc=$?; echo "exit $rc"; echo "$out"
  [ "$rc" -eq 0 ] && ! echo "$out" | grep -qE '^[EW]: '
}
check lintian_clean lintian_clean

contents_ok() {
  local list; list=$(dpkg-deb -c "$DEB" | awk '{print $6}' | sed 's|^\./|/|'); echo "$list"
  for f in /usr/sbin/nat64d /usr/sbin/nat64ctl /etc/nat64d/nat64d.conf /lib/systemd/system/nat64d.service \
           /usr/share/man/man8/nat64d.8.gz /usr/share/man/man8/nat64ctl.8.gz /usr/share/man/man5/nat64d.conf.5.gz \
           /etc/logrotate.d/nat64d; do
    echo "$list" | grep -qx "$f" || { echo "missing: $f"; return 1; }
  done
  # Only what the package needs: no test programs, no build helpers.
  ! echo "$list" | grep -E 'unit_|_bench|nat64gen|man_page'
}
check contents contents_ok

# The default build targets x86-64-v2: no AVX-512 (zmm) and, at that level,
# no AVX (ymm) either; -march=native on the build machine would put them in.
mkdir -p "$TMP/x"
dpkg-deb -x "$DEB" "$TMP/x"
generic_cpu() {
  local b n
  for b in "$TMP/x/usr/sbin/nat64d" "$TMP/x/usr/sbin/nat64ctl"; do
    n=$(objdump -d --no-show-raw-insn "$b" | grep -cE '%[yz]mm[0-9]')
    echo "$(basename "$b"): $n AVX/AVX-512 instructions"
    [ "$n" -eq 0 ] || return 1
  done
}
check no_avx_in_default_build generic_cpu

# The package is what operators run: it must get the link-time optimisation
# the benchmarked build has (debian/rules), read off the daemon's link line in
# the verbose build log.
lto_link() {
  local line
  line=$(grep -E -- ' -o control/nat64d ' "$TMP/build.log") || { echo "no link line for control/nat64d"; return 1; }
  echo "$line" | grep -q -- ' -flto' || { echo "linked without -flto: ${line:0:200}"; return 1; }
}
check daemon_linked_with_lto lto_link

# ---------------------------------------------------------------- install
exec 8>"$PACKAGE_LOCK"
flock -w 900 8 || { record FAIL "$LAYER:package_lock" "$PACKAGE_LOCK busy for 15 min"; exit 1; }
status=$(dpkg-query -W -f='${Status}' nat64d 2>/dev/null)
if [ -n "$status" ] && ! echo "$status" | grep -q 'not-installed'; then
  # Someone's real installation (or its configuration files): never purge it.
  record FAIL "$LAYER:not_installed_before" "nat64d is installed on this machine; not touching it"
  exit 1
fi
install_package() {
  INSTALLED=1   # from here on the trap purges, also after a half-done install
  dpkg_retry dpkg -i "$DEB" || return 1
  dpkg-query -W -f='${Status} ${Version}\n' nat64d | grep "install ok installed $VERSION"
}
check dpkg_install install_package
dpkg-query -W -f='${Status}' nat64d 2>/dev/null | grep -q 'ok installed' || exit 1

conffile_registered() {
  dpkg-query -W -f='${Conffiles}\n' nat64d | tee /dev/stderr | grep -q '^ /etc/nat64d/nat64d.conf '
}
check config_is_a_conffile conffile_registered

# Offline: the unit's syntax, its commands and its man: documentation exist.
unit_verifies() {
  local out
  out=$(systemd-analyze verify /lib/systemd/system/nat64d.service 2>&1); local rc=$?
  echo "exit $rc: $out"
  [ "$rc" -eq 0 ] && ! echo "$out" | grep -q 'nat64d'
}
check systemd_analyze_verify unit_verifies

check shipped_config_validates config_valid_here /usr/sbin/nat64d /etc/nat64d/nat64d.conf

versions() {
  local d c h
  d=$(/usr/sbin/nat64d --version); c=$(/usr/sbin/nat64ctl --version); echo "$d / $c"
  h=$(/usr/sbin/nat64d --help)   # not piped into grep -q: pipefail would see SIGPIPE
  [ "$d" = "nat64d $VERSION" ] && [ "$c" = "nat64ctl $VERSION" ] &&
    echo "$h" | grep -q 'with no arguments at all nat64d reads /etc/nat64d/nat64d.conf'
}
check version_and_default_config versions

# ---------------------------------------------------------------- run, sd_notify
# The installed daemon on two net_null ports, as systemd would run it: a
# notify socket (here a listener of ours) and a watchdog interval.
cat > "$TMP/run.conf" <<CONF
[eal]
args = ["--no-huge", "-m", "128", "--no-pci", "-l", "0-1", "--file-prefix", "nat64d-pkg-$$", "--vdev", "net_null0", "--vdev", "net_null1", "--log-level", "lib.eal:error"]
[ports]
inside = "net_null0"
outside = "net_null1"
[addresses]
inside_ipv6 = "2001:db8:1::1/64"
outside_ipv4 = "192.0.2.1/24"
[pool]
addresses = ["192.0.2.1"]
[limits]
max_flows = 4096
[control]
pidfile = "$TMP/nat64d.pid"
socket = "$TMP/nat64d.sock"
CONF
cat > "$TMP/notify_listener.py" <<'PYEOF'
# sd_notify's peer: one line per datagram received on a Unix datagram socket.
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
out = open(sys.argv[2], "a", buffering=1)
print("listening", file=out)
while True:
    print(s.recv(4096).decode(errors="replace").replace("\n", " "), file=out)
PYEOF
"$PY" "$TMP/notify_listener.py" "$TMP/notify.sock" "$TMP/notify.log" &
PIDS+=("$!")
wait_for() {  # wait_for SECONDS COMMAND...: poll until the command succeeds
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@"; do [ "$(date +%s)" -ge "$deadline" ] && return 1; sleep 0.1; done
}
wait_for 30 grep -q listening "$TMP/notify.log" 2>/dev/null
# 400 ms: pings every 200 ms, so a few arrive within a second of running.
NOTIFY_SOCKET="$TMP/notify.sock" WATCHDOG_USEC=400000 /usr/sbin/nat64d --config "$TMP/run.conf" >"$TMP/nat64d.log" 2>&1 &
DAEMON=$!; PIDS+=("$DAEMON")

notify_ready() {
  wait_for 60 grep -qx 'READY=1' "$TMP/notify.log" && grep -q 'nat64d: running' "$TMP/nat64d.log" ||
    { cat "$TMP/nat64d.log" "$TMP/notify.log"; return 1; }
}
check notify_ready notify_ready
watchdog_pings() { [ "$(grep -cx 'WATCHDOG=1' "$TMP/notify.log")" -ge 3 ]; }
notify_watchdog() { wait_for 60 watchdog_pings || { cat "$TMP/notify.log"; return 1; }; }
check notify_watchdog_repeats notify_watchdog
check installed_nat64ctl_health /usr/sbin/nat64ctl -s "$TMP/nat64d.sock" health
stop_clean() {
  kill -TERM "$DAEMON"; wait "$DAEMON"; local rc=$?
  echo "exit $rc"; tail -2 "$TMP/nat64d.log"; cat "$TMP/notify.log"
  [ "$rc" -eq 0 ] && wait_for 10 grep -qx 'STOPPING=1' "$TMP/notify.log" &&
    # READY first, STOPPING last
    [ "$(grep -vx listening "$TMP/notify.log" | head -1)" = READY=1 ] &&
    [ "$(grep -vx listening "$TMP/notify.log" | tail -1)" = STOPPING=1 ]
}
check notify_stopping_on_sigterm stop_clean

# ---------------------------------------------------------------- man pages
MAN5=/usr/share/man/man5/nat64d.conf.5.gz
MAN8D=/usr/share/man/man8/nat64d.8.gz
MAN8C=/usr/share/man/man8/nat64ctl.8.gz
render() { MANWIDTH=1000 LC_ALL=C man --no-hyphenation --no-justification -l "$1" 2>/dev/null; }
renders_cleanly() {  # no groff/man warning at 80 columns, and some text
  local w; w=$(MANWIDTH=80 man --warnings -l "$1" 2>&1 >/dev/null); echo "$w"
  [ -z "$w" ] && [ -n "$(render "$1")" ]
}
for page in "$MAN8D" "$MAN8C" "$MAN5"; do
  check "man_renders_without_warnings_$(basename "$page" .gz)" renders_cleanly "$page"
done
check man_found_by_name sh -c 'man -w nat64d && man -w 5 nat64d.conf && man -w nat64ctl'

# The keys of nat64d --help and of nat64d.conf(5), both ways; nat64d(8) names
# every other option of --help; nat64ctl(8) names every command and option of
# nat64ctl --help, recursively.
render "$MAN5" > "$TMP/conf5.txt"; render "$MAN8D" > "$TMP/nat64d8.txt"; render "$MAN8C" > "$TMP/nat64ctl8.txt"
/usr/sbin/nat64d --help > "$TMP/nat64d-help.txt"
check conf5_keys_match_help "$PY" - "$TMP/nat64d-help.txt" "$TMP/conf5.txt" <<'PYEOF'
import re, sys
key = re.compile(r"--([a-z0-9_]+\.[a-z0-9_]+)")
help_keys = set(key.findall(open(sys.argv[1]).read()))
page_keys = set(key.findall(open(sys.argv[2]).read()))
print(len(help_keys), "keys in --help,", len(page_keys), "in nat64d.conf(5)")
print("only in --help:", sorted(help_keys - page_keys))
print("only in the page:", sorted(page_keys - help_keys))
sys.exit(0 if help_keys and help_keys == page_keys else 1)
PYEOF
check nat64d8_has_every_option "$PY" - "$TMP/nat64d-help.txt" "$TMP/nat64d8.txt" <<'PYEOF'
import re, sys
opts = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)(?![\w.-])", open(sys.argv[1]).read()))
page = open(sys.argv[2]).read()
missing = sorted(o for o in opts if o not in page)
print("options:", sorted(opts), "missing:", missing)
sys.exit(0 if opts and not missing else 1)
PYEOF
check nat64ctl8_has_every_command_and_option "$PY" - /usr/sbin/nat64ctl "$TMP/nat64ctl8.txt" <<'PYEOF'
import re, subprocess, sys
ctl, page = sys.argv[1], open(sys.argv[2]).read()
missing, seen = [], []
def walk(path):
    text = subprocess.run([ctl, *path, "--help"], capture_output=True, text=True).stdout
    for o in set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", text)):
        if o not in page:
            missing.append(" ".join(path + [o]))
    subs = text.split("Subcommands:", 1)
    for line in (subs[1].splitlines() if len(subs) == 2 else []):
        m = re.match(r"  ([a-z]+)\s", line)
        if m:
            cmd = path + [m.group(1)]
            seen.append(" ".join(cmd))
            if " ".join(cmd) not in page:
                missing.append(" ".join(cmd))
            walk(cmd)
walk([])
print("commands:", seen, "missing:", missing)
sys.exit(0 if seen and not missing else 1)
PYEOF

# ---------------------------------------------------------------- purge
purge_clean() {
  dpkg_retry dpkg --purge nat64d || return 1
  INSTALLED=0
  local left=0 f
  for f in /etc/nat64d /usr/sbin/nat64d /usr/sbin/nat64ctl /lib/systemd/system/nat64d.service \
           /etc/logrotate.d/nat64d "$MAN5" "$MAN8D" "$MAN8C" /usr/share/doc/nat64d; do
    [ -e "$f" ] && { echo "left behind: $f"; left=1; }
  done
  ! dpkg-query -W -f='${Status}\n' nat64d 2>/dev/null | grep -q 'ok installed' && [ "$left" = 0 ]
}
check purge_leaves_nothing purge_clean
echo "    package layer: $(( $(date +%s) - START )) s wall"
