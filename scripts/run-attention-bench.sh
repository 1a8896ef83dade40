#!/usr/bin/env bash
# Times bench/attention_bench (sp) and bench/attention_torch.py (PyTorch 2.x from PyPI, not
# Debian's torch, whose reference BLAS is no anchor for matmul-heavy work) on the CPU,
# alternating the two ROUNDS times, THREADS threads each, and prints a table of the
# medians and the best (minimum) time of each side over all rounds, with sp's time as a
# fraction of torch's. Usage: scripts/run-attention-bench.sh [build-dir]
# Environment: THREADS (2), PYTHON (.venv/bin/python, then /work/main/.venv/bin/python),
# REPEATS (15 per round), ROUNDS (3), FILTER (a substring of the case names), KEEP (a folder
# that keeps each round's raw JSON).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
threads=${THREADS:-2}
repeats=${REPEATS:-15}
rounds=${ROUNDS:-3}
filter=${FILTER:-}
python=${PYTHON:-}
if [[ -z $python ]]; then
  for p in .venv/bin/python /work/main/.venv/bin/python; do [[ -x $p ]] && python=$p && break; done
fi
[[ -n $python ]] || { echo "run-attention-bench: set PYTHON to a python with torch 2.x" >&2; exit 1; }
bench=$build/bench/attention_bench
[[ -x $bench ]] || { echo "run-attention-bench: expected $bench; build it with: cmake --build $build --target attention_bench" >&2; exit 1; }
if [[ -n ${KEEP:-} ]]; then
  tmp=$KEEP
  mkdir -p "$tmp"
else
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
fi

echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; threads: $threads; load: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M UTC')"
for r in $(seq "$rounds"); do
  OMP_NUM_THREADS=$threads "$bench" --repeats "$repeats" --filter "$filter" >"$tmp/sp$r.json" 2>/dev/null
  OMP_NUM_THREADS=$threads "$python" bench/attention_torch.py --threads "$threads" --repeats "$repeats" \
    --filter "$filter" >"$tmp/torch$r.json"
done
"$python" - "$tmp" "$rounds" <<'PY'
import json, statistics, sys
tmp, rounds = sys.argv[1], int(sys.argv[2])
sp = [json.load(open(f"{tmp}/sp{r}.json")) for r in range(1, rounds + 1)]
th = [json.load(open(f"{tmp}/torch{r}.json")) for r in range(1, rounds + 1)]
meta = th[0].pop("_torch")
for t in th[1:]:
    t.pop("_torch")
print(f"torch {meta['version']} ({meta['threads']} threads); {rounds} alternating rounds; median of the round medians,"
      " the minimum over all repetitions, and the ratio of process CPU time per call")
print("| case | sp ms | torch ms | sp / torch | sp min ms | torch min ms | sp / torch (minima) | sp / torch (CPU time) |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for name in th[0]:
    if name not in sp[0]:
        continue
    s = statistics.median(r[name]["ms"] for r in sp)
    t = statistics.median(r[name]["ms"] for r in th)
    smin = min(r[name]["min_ms"] for r in sp)
    tmin = min(r[name]["min_ms"] for r in th)
    scpu = statistics.median(r[name]["cpu_ms"] for r in sp)
    tcpu = statistics.median(r[name]["cpu_ms"] for r in th)
    print(f"| {name} | {s:.2f} | {t:.2f} | {s / t:.2f} | {smin:.2f} | {tmin:.2f} | {smin / tmin:.2f} | {scpu / tcpu:.2f} |")
PY
