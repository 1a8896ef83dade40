#!/usr/bin/env bash
# Runs sp's CPU op benchmarks and the same cases in PyTorch, 2 threads each, and prints
# a table of medians with sp's speedup over torch. Usage: scripts/run-bench.sh [build-dir]
# Environment: THREADS (default 2), PYTHON (default /usr/bin/python3, Debian's torch),
# REPEATS (default 9).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
threads=${THREADS:-2}
python=${PYTHON:-/usr/bin/python3}
repeats=${REPEATS:-9}
bench=$build/bench/bench_ops
[[ -x $bench ]] || { echo "run-bench: expected $bench; build it with: cmake --build $build --target bench_ops" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; threads: $threads; $(date -u '+%Y-%m-%d %H:%M UTC')"
OMP_NUM_THREADS=$threads "$bench" --benchmark_min_warmup_time=0.5 --benchmark_repetitions="$repeats" \
  --benchmark_format=json --benchmark_out="$tmp/sp.json" --benchmark_out_format=json >/dev/null
OMP_NUM_THREADS=$threads "$python" bench/torch_cpu.py --threads "$threads" --repeats "$repeats" >"$tmp/torch.json"

"$python" - "$tmp/sp.json" "$tmp/torch.json" <<'PY'
import json, sys
runs = json.load(open(sys.argv[1]))["benchmarks"]
sp = {b["run_name"].replace("/real_time", ""): b for b in runs if b.get("aggregate_name") == "median"}
sp_min = {}
for b in runs:
    if b.get("run_type") == "iteration":
        name = b["run_name"].replace("/real_time", "")
        sp_min[name] = min(sp_min.get(name, float("inf")), b["real_time"])
torch = json.load(open(sys.argv[2]))
meta = torch.pop("_torch")
# The host is shared: minima show what each side can do, medians what a run met.
print(f"torch {meta['version']} ({meta['threads']} threads); medians, and minima over the repetitions")
print(f"| case | sp ms | sp GFLOP/s | torch ms | torch GFLOP/s | sp speedup | sp min ms | torch min ms | speedup of minima |")
print(f"|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for name, t in torch.items():
    b = sp.get(name)
    if b is None:
        continue
    ms = b["real_time"]  # benchmarks report in milliseconds
    gf = b.get("GFLOP/s", 0.0) / 1.0
    print(f"| {name} | {ms:.2f} | {gf:.1f} | {t['ms']:.2f} | {t['gflops']:.1f} | {t['ms'] / ms:.2f}x "
          f"| {sp_min[name]:.2f} | {t['min_ms']:.2f} | {t['min_ms'] / sp_min[name]:.2f}x |")
PY
