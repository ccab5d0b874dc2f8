#!/usr/bin/python3
"""Turns the interleaved pairs of scripts/bench.sh --interleave (interleave.csv)
into a markdown table: per point, the ratio nat64d / testpmd of each pair (two
runs seconds apart, so a machine that switches levels moves both), whether the
baseline moved, and who set the rate. Figures only; nothing passes or fails."""
import argparse
import collections
import csv
import statistics as st

from gauges import number, refused_share

ap = argparse.ArgumentParser()
ap.add_argument("csv")
ap.add_argument("--machine", default="?")
ap.add_argument("--cores", default="?")
ap.add_argument("--date", default="?")
args = ap.parse_args()

points = collections.OrderedDict()
for r in csv.DictReader(open(args.csv)):
    points.setdefault(r["point"], {}).setdefault(int(r["pair"]), {})[r["dut"]] = r


def num(r, k):
    return number(r.get(k)) or 0.0


def share(r):
    return refused_share(r.get("tx_pps"), r.get("refused_pps")) or 0.0


print(f"Interleaved pairs, {args.date}, {args.machine}, {args.cores} cores (target: nat64d >= 70% of testpmd)\n")
print("| point | pairs | nat64d / testpmd, median | pairs min - max | testpmd Mpps min - max | baseline "
      "| refused by nat64d / testpmd | generator off-CPU nat64d / testpmd |")
print("|---|---|---|---|---|---|---|---|")
notes = []
for p, pairs in points.items():
    full = [v for v in pairs.values() if "testpmd" in v and "nat64d" in v and num(v["testpmd"], "rx_pps") > 0]
    ratios = [num(v["nat64d"], "rx_pps") / num(v["testpmd"], "rx_pps") for v in full]
    tp = [num(v["testpmd"], "rx_pps") / 1e6 for v in full]
    if not ratios:
        print(f"| {p} | 0 | - | - | - | no complete pair | - | - |")
        continue
    # A baseline whose own runs spread by more than a quarter is flagged.
    spread = (max(tp) - min(tp)) / st.median(tp)
    ref_n = st.median(share(v["nat64d"]) for v in full)
    ref_t = st.median(share(v["testpmd"]) for v in full)
    off_n = st.median(num(v["nat64d"], "gen_offcpu_pct") for v in full)
    off_t = st.median(num(v["testpmd"], "gen_offcpu_pct") for v in full)
    print(f"| {p} | {len(ratios)} | {st.median(ratios):.0%} | {min(ratios):.0%} - {max(ratios):.0%} | "
          f"{min(tp):.2f} - {max(tp):.2f} | {'MOVED by ' + format(spread, '.0%') if spread > 0.25 else 'steady'} | "
          f"{ref_n:.0%} / {ref_t:.0%} | {off_n:.1f}% / {off_t:.1f}% |")
    # A ring that refuses (almost) nothing was drained as fast as the
    # generator filled it: that device's rate is the generator's, not its own.
    if ref_t < 0.05:
        notes.append(f"{p}: testpmd refused {ref_t:.1%} of the generator's frames, so the generator, not testpmd, "
                     "set its rate: the ratio compares nat64d with what the generator can offer, not with testpmd's ceiling.")
if notes:
    print()
    for n in notes:
        print("Note: " + n)
