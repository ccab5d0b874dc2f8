#!/usr/bin/python3
"""Turns scripts/bench.sh's results.csv into PNG plots and a markdown report.

Prints the markdown (bench.sh saves it as docs/bench/latest.md). Plots:
rate_vs_flows.png, rate_vs_size.png, latency_cdf.png in --out. Figures only;
nothing here passes or fails.
"""
import argparse
import csv
import glob
import os

from gauges import number, refused_share

ap = argparse.ArgumentParser()
ap.add_argument("--csv", required=True)
ap.add_argument("--out", required=True)
ap.add_argument("--main-size", type=int, default=84)
ap.add_argument("--size-flows", type=int, default=65536)
ap.add_argument("--workers", default="1")
ap.add_argument("--dpdk", default="?")
ap.add_argument("--tayga", default="?")
ap.add_argument("--kernel", default="?")
ap.add_argument("--build", default="?", help="build type and -march of the measured binaries")
ap.add_argument("--note", default="")
args = ap.parse_args()

rows = list(csv.DictReader(open(args.csv)))
if not rows:
    raise SystemExit("no rows")
machine, cores, date = rows[0]["machine"], rows[0]["cores"], rows[0]["date"]
DUTS = ["nat64d", "testpmd", "tayga"]
LABEL = {"nat64d": "nat64d (memif)", "testpmd": "dpdk-testpmd io (memif, same generator)",
         "tayga": "Tayga + nftables (af_packet into veth)"}


f = number


def pick(dut, scenario, **kw):
    out = []
    for r in rows:
        if r["dut"] != dut or r["scenario"] != scenario:
            continue
        if all(str(r[k]) == str(v) for k, v in kw.items()):
            out.append(r)
    return out


def rx(dut, scenario, **kw):
    r = pick(dut, scenario, **kw)
    return f(r[-1]["rx_pps"]) if r else None


def mpps(v):
    return "-" if v is None else f"{v / 1e6:.3f}"


def ratio(a, b, fmt="{:.0%}"):
    if a is None or b is None or b == 0:
        return "-"
    return fmt.format(a / b)


# ---------------------------------------------------------------- plots
try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    have_plt = True
except Exception:  # plots are optional; the table is not
    have_plt = False


def plot_rate(scenario, xkey, xlabel, ylabel, title, png, xticks=None):
    """Received Mpps of each device against one varied parameter, log-log."""
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for dut in DUTS:
        pts = sorted((int(r[xkey]), f(r["rx_pps"]) / 1e6) for r in pick(dut, scenario) if f(r["rx_pps"]))
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=LABEL[dut])
    ax.set_xscale("log")
    ax.set_yscale("log")
    if xticks:
        ax.set_xticks(xticks)
        ax.set_xticklabels([str(x) for x in xticks])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(f"{title} — {cores} cores, {args.workers} worker(s), {date}", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(args.out, png), dpi=110)


if have_plt:
    plot_rate("rate_vs_flows", "flows", "flows", "received Mpps (6to4, %d-byte IPv6 frames)" % args.main_size,
              "Rate vs flow count", "rate_vs_flows.png")
    plot_rate("rate_vs_size", "size", "IPv6 frame bytes (IPv4 frame: 20 fewer)",
              f"received Mpps (6to4, {args.size_flows} flows)", "Rate vs packet size", "rate_vs_size.png",
              xticks=[78, 128, 512, 1518])

    fig, ax = plt.subplots(figsize=(7, 4.2))
    for dut in DUTS:
        path = os.path.join(args.out, f"cdf-{dut}.txt")
        if not os.path.exists(path):
            continue
        xs, ys = [], []
        for line in open(path):
            if line.startswith("#"):
                continue
            ns, q = line.split()
            xs.append(float(ns) / 1e3)
            ys.append(float(q))
        lat = pick(dut, "latency")
        rate = f" @ {f(lat[-1]['offered_pps']) / 1e6:.2f} Mpps offered" if lat and f(lat[-1]["offered_pps"]) else ""
        ax.plot(xs, ys, label=LABEL[dut] + rate)
    ax.set_xscale("log")
    ax.set_xlabel("one-way latency through the device, microseconds (generator TSC)")
    ax.set_ylabel("fraction of packets")
    ax.set_title(f"Latency CDF at half the DUT's max rate, mixed directions — {date}", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(args.out, "latency_cdf.png"), dpi=110)

# ---------------------------------------------------------------- markdown
P = print
P(f"Machine: {machine}, {cores} cores; {date}; DPDK {args.dpdk}; kernel {args.kernel}; build {args.build}; Tayga {args.tayga}; "
  f"nat64d workers: {args.workers}." + (f" Machine state: {args.note}." if args.note else ""))
P()
P("Over net_memif from the generator process (nat64d and testpmd), af_packet into veth (Tayga); "
  "received packets per second, all measured in this run:")
P()
P("| scenario | nat64d Mpps | testpmd io Mpps (same generator) | nat64d / testpmd | Tayga + nftables Mpps | nat64d / Tayga "
  "| refused by nat64d / testpmd |")
P("|---|---|---|---|---|---|---|")


def refused(dut, scenario, **kw):
    r = pick(dut, scenario, **kw)
    v = refused_share(r[-1]["tx_pps"], r[-1].get("gen_refused_pps")) if r else None
    return "-" if v is None else f"{v:.0%}"


def line(name, scenario, tayga=True, **kw):
    n, t = rx("nat64d", scenario, **kw), rx("testpmd", scenario, **kw)
    g = rx("tayga", scenario, **kw) if tayga else None
    if n is None and t is None:
        return
    P(f"| {name} | {mpps(n)} | {mpps(t)} | {ratio(n, t)} | {mpps(g)} | {ratio(n, g, '{:.0f}x')} "
      f"| {refused('nat64d', scenario, **kw)} / {refused('testpmd', scenario, **kw)} |")


flows_seen = sorted({int(r["flows"]) for r in rows if r["scenario"] == "rate_vs_flows"})
for fl in flows_seen:
    line(f"6to4, {args.main_size} B, {fl} flows", "rate_vs_flows", flows=fl)
for s in sorted({int(r["size"]) for r in rows if r["scenario"] == "rate_vs_size"}):
    line(f"6to4, {s} B, {args.size_flows} flows", "rate_vs_size", size=s)
for d in ("4to6", "mixed"):
    line(f"{d}, {args.main_size} B, {args.size_flows} flows", "direction", dir=d)
for p in ("udp", "tcp", "icmp"):
    line(f"6to4 {p} only, {args.main_size} B", "protocol", tayga=False, proto=p)
P()
P("Refused: of the frames the generator tried to send, the share the device's ring refused. Near 0%, the device "
  "took everything the generator made and its figure is the generator's rate, not the device's ceiling; a ratio of "
  "two such figures compares each device with the generator.")
P()
P("Latency at a fixed offered load: half of each device's own mixed-direction maximum; testpmd at nat64d's load (mixed directions, %d B, %d flows; one-way, TSC stamps in the packets):"
  % (args.main_size, args.size_flows))
P()
P("| device | offered Mpps | received Mpps | loss | p50 us | p99 us | p99.9 us | generator off-CPU | longest generator gap |")
P("|---|---|---|---|---|---|---|---|---|")
for dut in DUTS:
    for r in pick(dut, "latency"):
        off, gap = f(r.get("gen_offcpu_pct")), f(r.get("gen_max_gap_us"))
        P(f"| {dut} | {mpps(f(r['offered_pps']))} | {mpps(f(r['rx_pps']))} | {float(r['loss_pct']):.2f}% | "
          f"{f(r['p50_ns']) / 1e3:.1f} | {f(r['p99_ns']) / 1e3:.1f} | {f(r['p999_ns']) / 1e3:.1f} | "
          f"{'-' if off is None else f'{off:.2f}%'} | {'-' if gap is None else f'{gap / 1e3:.1f} ms'} |")
P()
P("The generator times its own loop: a gap over 20 us between two iterations in the measured interval means it "
  "was off its CPU (preempted by the kernel or the hypervisor), and every packet in flight waited at least that "
  "long. When the off-CPU share exceeds 0.1%, no device can show a p99.9 below the gap length in this run.")
P()
P("In process (test/bench/dp_bench: real Worker + FlowTable on net_null ports, one core, no I/O; "
  "84-byte IPv6 / 64-byte IPv4 UDP frames):")
P()
P("| scenario | flows | cycles/pkt | Mpps (or M flows/s) per core |")
P("|---|---|---|---|")
for r in rows:
    if r["dut"] == "nat64d-inproc" and r["scenario"] != "memory_bytes_per_flow":
        P(f"| {r['scenario'].replace('_', ' ')} | {r['flows']} | {f(r['cycles_pkt']):.0f} | {f(r['rx_pps']) / 1e6:.2f} |")
mem = [r for r in rows if r["scenario"] == "memory_bytes_per_flow"]
for r in mem:
    P(f"| table memory per flow (rte_hash + arrays, table of {r['flows']} flows, one mapping per flow) | | | "
      f"{f(r['cycles_pkt']):.0f} bytes ({f(r['cycles_pkt']) * int(r['flows']) / 2**30:.2f} GiB) |")
for r in rows:
    if r["dut"] == "xlate-inproc":
        P(f"| xlate_bench {r['scenario'][len('xlate_ns:'):]} | | | {f(r['cycles_pkt']):.1f} ns/pkt |")

# The same configuration (6to4 at the main size; flow count and protocol
# mix vary) is measured several times per device: on a shared machine a
# single pair of points can swing either way, the medians much less.
def comparable(dut):
    return [f(r["rx_pps"]) for r in rows if r["dut"] == dut and r["dir"] == "6to4" and
            r["scenario"] in ("rate_vs_flows", "rate_vs_size", "protocol") and
            str(r["size"]) == str(args.main_size) and f(r["rx_pps"])]


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2] if len(xs) % 2 else (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2


cn, ct = comparable("nat64d"), comparable("testpmd")
if cn and ct:
    P()
    P(f"6to4 at {args.main_size} B, every comparable point of this run (flow counts, the size series' point, "
      f"protocol mixes): nat64d {', '.join(mpps(v) for v in cn)} Mpps (median {mpps(median(cn))}); testpmd "
      f"{', '.join(mpps(v) for v in ct)} Mpps (median {mpps(median(ct))}); ratio of medians "
      f"**{median(cn) / median(ct):.0%}**.")

# Targets (issue 5 / issue 3), read from this run.
P()
P("Targets (benchmarks, not tests):")
P()
P("| target | this run | met |")
P("|---|---|---|")


def target(name, value, ok):
    P(f"| {name} | {value} | {'yes' if ok else 'no'} |")


inproc = [r for r in rows if r["dut"] == "nat64d-inproc"]
est = [r for r in inproc if r["scenario"] == "established_6to4"]
if est:
    big = max(est, key=lambda r: int(r["flows"]))
    v = f(big["rx_pps"])
    target(f"code cost >= 10 Mpps/core, established, {big['flows']} flows", f"{v / 1e6:.2f} Mpps ({f(big['cycles_pkt']):.0f} cycles/pkt)", v >= 10e6)
setup = [r for r in inproc if r["scenario"] == "setup"]
if setup:
    big = max(setup, key=lambda r: int(r["flows"]))
    v = f(big["rx_pps"])
    target(f"new flows >= 1M/s per worker (to {big['flows']})", f"{v / 1e6:.2f} M/s", v >= 1e6)
td = [r for r in inproc if r["scenario"] == "teardown"]
if td and setup:
    target("tear-down (ageing) as fast as setup", f"{f(td[-1]['rx_pps']) / 1e6:.2f} M/s", f(td[-1]["rx_pps"]) >= f(setup[-1]["rx_pps"]))
if mem:
    v = f(mem[-1]["cycles_pkt"])
    target(f"<= 128 bytes of table memory per flow (table of {mem[-1]['flows']}, one mapping per flow)",
           f"{v:.0f} bytes", v <= 128)
    big = [r for r in mem if int(r["flows"]) >= 10_000_000]
    if big:
        gib = f(big[-1]["cycles_pkt"]) * int(big[-1]["flows"]) / 2**30
        target("10M flows fit in 2 GiB", f"{gib:.2f} GiB for {big[-1]['flows']} flows", gib <= 2.0)
xl = [r for r in rows if r["dut"] == "xlate-inproc" and ("6to4" in r["scenario"] or "UDP" in r["scenario"])]
for r in xl:
    target(f"xlate < 25 ns: {r['scenario'][len('xlate_ns:'):]}", f"{f(r['cycles_pkt']):.1f} ns", f(r["cycles_pkt"]) < 25)
n = rx("nat64d", "rate_vs_size", size=args.main_size)
t = rx("testpmd", "rate_vs_size", size=args.main_size)
comp = comparable("nat64d"), comparable("testpmd")
if comp[0] and comp[1]:
    mn, mt = median(comp[0]), median(comp[1])
    target(f"memif: nat64d >= 70% of testpmd (6to4, {args.main_size} B: median of the {len(comp[0])} and "
           f"{len(comp[1])} comparable points)", f"{mn / mt:.0%} ({mpps(mn)} / {mpps(mt)} Mpps)", mn / mt >= 0.7)
g = rx("tayga", "rate_vs_size", size=args.main_size)
if n and g:
    target(f">= 30x Tayga + nftables ({args.main_size} B, {args.size_flows} flows)", f"{n / g:.0f}x", n / g >= 30)
lat = pick("nat64d", "latency")
if lat:
    v = f(lat[-1]["p999_ns"]) / 1e3
    target("p99.9 latency < 20 us at half the max rate", f"{v:.1f} us", v < 20)
