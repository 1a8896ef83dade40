#!/usr/bin/env bash
# SuperPoint inference and the CPU joint step of two builds, run at the same time on a
# shared host: one thread each, each pinned to its own core, cores swapped every round,
# so both builds see the same load (docs/PERFORMANCE.md, "before and after").
#   scripts/bench-before-after.sh BEFORE_BUILD_DIR AFTER_BUILD_DIR [ROUNDS]
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 BEFORE_BUILD_DIR AFTER_BUILD_DIR [ROUNDS]" >&2; exit 2; }
before=$1/bench after=$2/bench rounds=${3:-4} out=$(mktemp -d)
for d in "$before" "$after"; do
  for b in superpoint_inference_bench gpu_superpoint_bench; do
    [ -x "$d/$b" ] || { echo "$0: $d/$b is missing (build the bench targets)" >&2; exit 2; }
  done
done
export OMP_NUM_THREADS=1
run() {  # BENCH_DIR CPU TAG
  taskset -c "$2" "$1/superpoint_inference_bench" --device cpu --warmup 2 --iters 9 \
    --json "$out/$3_inference.json" | grep infer/
  taskset -c "$2" "$1/gpu_superpoint_bench" --cpu --batch 2 --height 240 --width 320 \
    --warmup 1 --iters 5 --filter joint --json "$out/$3_joint.json" | grep "joint step"
}
for round in $(seq "$rounds"); do
  cb=$(( (round + 1) % 2 )) ca=$(( round % 2 ))
  echo "=== round $round, load $(cut -d' ' -f1 /proc/loadavg): before on cpu$cb, after on cpu$ca"
  run "$before" "$cb" "before_$round" > "$out/before.txt" &
  run "$after" "$ca" "after_$round" > "$out/after.txt" &
  wait
  sed 's/^/before /' "$out/before.txt"
  sed 's/^/after  /' "$out/after.txt"
done
echo "JSON per round: $out"
