#!/usr/bin/env bash
# Times DISK extraction (1024 x 1024, top 2048) and spmatch's matching (2048 keypoints a
# side) in sp (bench/disk_bench) and in PyTorch 2.x (bench/disk_torch.py: kornia's DISK,
# DISK's match.py logic), alternating the two ROUNDS times with THREADS threads each, and
# prints every round's "mode device median_ms min_ms" line of both sides, then the median of
# the round medians and the overall minimum of each side with sp / torch.
# Usage: scripts/run-disk-bench.sh [build-dir]
# Environment: THREADS (2), PYTHON (.venv/bin/python, then /work/main/.venv/bin/python),
# WEIGHTS (../shared/weights/disk-depth-save.pth; random weights without it), DEVICE (cpu),
# ROUNDS (3), ITERS (3 extract / 5 match), SIZE (1024), KEYPOINTS (2048), PAIRS (16),
# MODES ("extract match").
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
threads=${THREADS:-2}
rounds=${ROUNDS:-3}
device=${DEVICE:-cpu}
size=${SIZE:-1024}
keypoints=${KEYPOINTS:-2048}
pairs=${PAIRS:-16}
modes=${MODES:-extract match}
weights=${WEIGHTS:-../shared/weights/disk-depth-save.pth}
python=${PYTHON:-}
if [[ -z $python ]]; then
  for p in .venv/bin/python /work/main/.venv/bin/python; do [[ -x $p ]] && python=$p && break; done
fi
[[ -n $python ]] || { echo "run-disk-bench: set PYTHON to a python with torch 2.x and kornia" >&2; exit 1; }
bench=$build/bench/disk_bench
[[ -x $bench ]] || { echo "run-disk-bench: expected $bench; build it with: cmake --build $build --target disk_bench" >&2; exit 1; }
wflag=()
[[ -f $weights ]] && wflag=(--weights "$weights")
echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; threads: $threads; device: $device; load: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M UTC')"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for r in $(seq "$rounds"); do
  for mode in $modes; do
    if [[ $mode == extract ]]; then
      args=(extract "${wflag[@]}" --size "$size" --iters "${ITERS:-3}" --device "$device")
    else
      args=(match --keypoints "$keypoints" --pairs "$pairs" --iters "${ITERS:-5}" --device "$device")
    fi
    echo "sp $(OMP_NUM_THREADS=$threads "$bench" "${args[@]}")" | tee -a "$out"
    echo "torch $(OMP_NUM_THREADS=$threads "$python" -P bench/disk_torch.py "${args[@]}")" | tee -a "$out"
  done
done
"$python" - "$out" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
print("| mode | device | sp median ms | torch median ms | sp / torch | sp min ms | torch min ms | sp / torch (minima) |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
for mode in dict.fromkeys(r[1] for r in rows):
    side = {s: [r for r in rows if r[0] == s and r[1] == mode] for s in ("sp", "torch")}
    med = {s: statistics.median(float(r[3]) for r in v) for s, v in side.items()}
    low = {s: min(float(r[4]) for r in v) for s, v in side.items()}
    print(f"| {mode} | {side['sp'][0][2]} | {med['sp']:.1f} | {med['torch']:.1f} | {med['sp'] / med['torch']:.2f} "
          f"| {low['sp']:.1f} | {low['torch']:.1f} | {low['sp'] / low['torch']:.2f} |")
PY
