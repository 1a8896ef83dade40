#!/usr/bin/env bash
# Runs the CUDA SuperPoint benchmark of sp (bench/gpu_superpoint_bench.cpp) and its PyTorch
# twin (bench/gpu_superpoint_torch.py) with the same arguments, then prints a table of
# medians and sp's time relative to torch (ratio < 1: sp is faster).
# Usage: scripts/gpu-bench.sh [--batch 64] [--iters 20] [--warmup 5] [--tf32] [--filter s] ...
# On a lent GPU machine with the bundle of scripts/gpu-bundle.sh: the binary is taken from
# .gpu/bin (else build-gpu/bench, else build/bench), .gpu/lib and the NVIDIA wheels'
# libraries (cuBLAS/cuDNN) go on LD_LIBRARY_PATH. Environment: PYTHON (default python3),
# BENCH (path of gpu_superpoint_bench), OUT (folder for the two JSON files, default
# .gpu/bench).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
out=${OUT:-.gpu/bench}
bench=${BENCH:-}
if [[ -z $bench ]]; then
  for b in .gpu/bin/gpu_superpoint_bench build-gpu/bench/gpu_superpoint_bench build/bench/gpu_superpoint_bench; do
    [[ -x $b ]] && { bench=$b; break; }
  done
fi
[[ -n $bench && -x $bench ]] || {
  echo "gpu-bench: expected gpu_superpoint_bench in .gpu/bin, build-gpu/bench or build/bench;" \
    "build it with: cmake --build build --target gpu_superpoint_bench" >&2
  exit 1
}
libs=()
[[ -d .gpu/lib ]] && libs+=("$PWD/.gpu/lib")
if site=$("$python" -c 'import nvidia, os; print(os.path.dirname(nvidia.__path__[0]))' 2>/dev/null); then
  for d in "$site"/nvidia/*/lib; do [[ -d $d ]] && libs+=("$d"); done
fi
if ((${#libs[@]})); then
  joined=$(IFS=:; echo "${libs[*]}")
  export LD_LIBRARY_PATH="$joined${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
mkdir -p "$out"
echo "== sp ($bench)"
"$bench" --json "$out/sp.json" "$@"
echo "== torch"
"$python" bench/gpu_superpoint_torch.py --json "$out/torch.json" "$@"

"$python" - "$out/sp.json" "$out/torch.json" <<'PY'
import json, sys
sp, torch = (json.load(open(p)) for p in sys.argv[1:3])
print(f"\n{sp['device']}; batch {sp['batch']}, {sp['height']}x{sp['width']}, f32, tf32 {'on' if sp['tf32'] else 'off'}; "
      f"torch {torch['version']} (cuDNN {torch.get('cudnn')}); medians of {sp['iters']} iterations after {sp['warmup']} warm-up")
print("| case | sp ms | torch ms | sp / torch |")
print("|---|---:|---:|---:|")
theirs = {r["name"]: r for r in torch["results"]}
for r in sp["results"]:
    t = theirs.get(r["name"])
    if t is None:
        print(f"| {r['name']} | {r['median_ms']:.3f} | - | - |")
        continue
    print(f"| {r['name']} | {r['median_ms']:.3f} | {t['median_ms']:.3f} | {r['median_ms'] / t['median_ms']:.2f} |")
PY
