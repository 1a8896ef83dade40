#!/usr/bin/env python3
"""Per-kernel GPU time from an Nsight Compute CSV, largest total first.

  ncu --metrics gpu__time_duration.sum --csv ./prog ... > run.csv
  scripts/ncu-summary.py run.csv [--top 30] [--per N]

--per N divides the totals by N (e.g. the number of images or iterations profiled).
ncu serialises kernels and flushes caches between them, so memory-bound kernels read
slower than in a normal run: use the ranking and the launch counts, not the sum, as
the profile of a run.
"""
import argparse
import collections
import csv


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("csv")
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--per", type=float, default=1.0)
    a = ap.parse_args()
    scale = {"ns": 1e-6, "us": 1e-3, "usecond": 1e-3, "ms": 1.0, "msecond": 1.0, "nsecond": 1e-6}
    totals = collections.defaultdict(lambda: [0, 0.0])
    header = None
    with open(a.csv, newline="") as f:
        for row in csv.reader(f):
            if header is None:
                if "Kernel Name" in row and "Metric Value" in row:
                    header = {name: i for i, name in enumerate(row)}
                continue
            if len(row) < len(header) or row[header["Metric Name"]] != "gpu__time_duration.sum":
                continue
            ms = float(row[header["Metric Value"]].replace(",", "")) * scale[row[header["Metric Unit"]]]
            entry = totals[row[header["Kernel Name"]][:120]]
            entry[0] += 1
            entry[1] += ms
    if header is None:
        raise SystemExit(f"ncu-summary: no 'Kernel Name' / 'Metric Value' header in {a.csv}")
    grand = sum(t for _, t in totals.values())
    print(f"{sum(c for c, _ in totals.values())} kernels, {grand / a.per:.3f} ms (per {a.per:g})")
    for name, (count, ms) in sorted(totals.items(), key=lambda kv: -kv[1][1])[: a.top]:
        print(f"{ms / a.per:9.3f} ms {count / a.per:7.1f}x {100 * ms / grand:5.1f}%  {name}")


if __name__ == "__main__":
    main()
