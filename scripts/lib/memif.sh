# nat64d between two net_memif ports in the server role, for the benchmark
# (scripts/bench.sh) and test/memif: the project's generator holds the client
# ends. Static neighbours: no ARP/NDP toward a generator.
#
# memif_dut_conf FILE LCORES MEM_MB FILE_PREFIX SOCK_DIR PREFIX6 WORKERS MAX_FLOWS
#   writes the configuration; the memif sockets are SOCK_DIR/in.sock and
#   out.sock, the control socket and pidfile SOCK_DIR/nat64d.{sock,pid}.
memif_dut_conf() {
  local file=$1 lcores=$2 mem=$3 prefix=$4 dir=$5 prefix6=$6 workers=$7 max_flows=$8
  cat > "$file" <<CONF
# nat64d between two memif ports (server role); the generator holds the client
# ends. Static neighbours: no ARP/NDP toward a generator.
[eal]
args = ["--lcores=$lcores", "--no-huge", "-m", "$mem", "--no-pci", "--file-prefix", "$prefix",
        "--vdev", "net_memif0,role=server,id=0,socket=$dir/in.sock,socket-abstract=no,mac=02:00:00:00:01:01",
        "--vdev", "net_memif1,role=server,id=0,socket=$dir/out.sock,socket-abstract=no,mac=02:00:00:00:01:02",
        "--log-level", "lib.eal:error", "--no-telemetry"]
[ports]
inside = "net_memif0"
outside = "net_memif1"
mbufs = 32767
workers = $workers
# A benchmark measures the polling worker; an idle one would sleep between runs.
idle_sleep = "off"
[addresses]
inside_ipv6 = "2001:db8:ffff::1/64"
gateway6 = "fe80::6"
outside_ipv4 = "198.51.100.1/24"
gateway4 = "198.51.100.254"
neighbours = ["fe80::6 02:00:00:00:00:06", "198.51.100.254 02:00:00:00:00:04"]
[nat64]
prefix = "$prefix6/96"
[pool]
addresses = ["203.0.113.0/26"]
seed = 1
[limits]
max_flows = $max_flows
[control]
socket = "$dir/nat64d.sock"
pidfile = "$dir/nat64d.pid"
CONF
}
