#!/usr/bin/env bash
# Times SuperGlue inference (one pair of KEYPOINTS) and one training step (batch BATCH) in sp
# (bench/superglue_bench) and in PyTorch 2.x (bench/superglue_torch.py: the public model code,
# fetched into .ref/), alternating the two ROUNDS times with THREADS threads each, and prints
# every round's lines, then the median of the round medians and the overall minimum of each
# side with sp / torch. OMP_WAIT_POLICY=passive for both sides: on a shared, loaded machine
# spinning OpenMP workers waste the time slices their peers need.
# Usage: scripts/run-superglue-bench.sh [build-dir]
# Environment: THREADS (2), PYTHON (.venv/bin/python, then /work/main/.venv/bin/python),
# ROUNDS (3), KEYPOINTS (1024), BATCH (4), MODES ("infer train"), CHECKPOINTED (0 for the
# comparison: the public code has no checkpointing).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
threads=${THREADS:-2}
rounds=${ROUNDS:-3}
keypoints=${KEYPOINTS:-1024}
batch=${BATCH:-4}
modes=${MODES:-infer train}
python=${PYTHON:-}
if [[ -z $python ]]; then
  for p in .venv/bin/python /work/main/.venv/bin/python; do [[ -x $p ]] && python=$p && break; done
fi
[[ -n $python ]] || { echo "run-superglue-bench: set PYTHON to a python with torch 2.x" >&2; exit 1; }
[[ -f .ref/superglue.py && -f .ref/gf_superglue.py ]] || {
  echo "run-superglue-bench: expected the public code in .ref/ (see tests/reference/models_superglue.py)" >&2; exit 1; }
bench=$build/bench/superglue_bench
[[ -x $bench ]] || { echo "run-superglue-bench: expected $bench; build it with: cmake --build $build --target superglue_bench" >&2; exit 1; }
export OMP_NUM_THREADS=$threads OMP_WAIT_POLICY=passive
echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; threads: $threads; load: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M UTC')"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for r in $(seq "$rounds"); do
  for mode in $modes; do
    if [[ $mode == infer ]]; then
      args=(infer --keypoints "$keypoints")
    else
      args=(train --keypoints "$keypoints" --batch "$batch")
    fi
    sp_args=("${args[@]}")
    [[ $mode == train ]] && sp_args+=(--checkpointed "${CHECKPOINTED:-0}")
    echo "sp $("$bench" "${sp_args[@]}")" | tee -a "$out"
    echo "torch $("$python" -P bench/superglue_torch.py "${args[@]}" --threads "$threads" | grep -v '^Loaded')" | tee -a "$out"
  done
done
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
for mode in $modes; do
  sp_med=$(awk -v m="$mode" '$1 == "sp" && $2 == m { print $4 }' "$out" | median)
  th_med=$(awk -v m="$mode" '$1 == "torch" && $2 == m { print $4 }' "$out" | median)
  sp_min=$(awk -v m="$mode" '$1 == "sp" && $2 == m { print $5 }' "$out" | sort -n | head -1)
  th_min=$(awk -v m="$mode" '$1 == "torch" && $2 == m { print $5 }' "$out" | sort -n | head -1)
  awk -v m="$mode" -v a="$sp_med" -v b="$th_med" -v c="$sp_min" -v d="$th_min" 'BEGIN {
    printf "%s: sp median %.1f ms (min %.1f), torch median %.1f ms (min %.1f); sp / torch %.2f (medians), %.2f (minima)\n", m, a, c, b, d, a / b, c / d }'
done
