#!/usr/bin/env bash
# Everything a lent GPU machine should show, in one command: every `*Gpu*` test of every
# test executable, compute-sanitizer memcheck on the CUDA kernel suites, the benchmarks
# against the machine's PyTorch (network layers and training step, single ops, inference
# latency), homography-adaptation export throughput and a short MagicPoint training run.
# Logs and JSON go to $OUT (default .gpu/out); a summary is printed at the end.
#
# Here: scripts/gpu-bundle.sh --pack   (builds for sm_90, packs .gpu/bundle.tar.xz)
# There (device tool, carrying .gpu):    scripts/gpu-check.sh [tests|memcheck|bench|export|train ...]
# With no argument every part runs. Environment: TEST_TIMEOUT (s per test executable, 240).
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-.gpu/out}
mkdir -p "$out"
[[ -f .gpu/bundle.tar.xz && ! -d .gpu/bin ]] && tar -C .gpu -xJf .gpu/bundle.tar.xz
NV=$(python3 -c "import nvidia; print(list(nvidia.__path__)[0])" 2>/dev/null || true)
export LD_LIBRARY_PATH=$PWD/.gpu/lib${NV:+:$(find "$NV" -name 'lib*.so*' -printf '%h\n' | sort -u | tr '\n' ':')}
export SP_FIXTURE_DIR=$PWD/tests/reference/fixtures SP_TEST_TMP=${TMPDIR:-/tmp}/sptest
mkdir -p "$SP_TEST_TMP"
parts=${*:-tests bench export train memcheck}
summary=$out/summary.txt
: >"$summary"
note() { echo "$*" | tee -a "$summary"; }
# "infer/HxW sp A ms torch B ms; ..." from the two benches' JSON files.
compare_inference() {
  python3 - "$1" "$2" <<'PY' 2>&1
import json, sys
sp, torch = (json.load(open(f))["results"] for f in sys.argv[1:3])
print("; ".join(f"{a['name']} sp {a['median_ms']:.3f} ms torch {b['median_ms']:.3f} ms" for a, b in zip(sp, torch)))
PY
}
{ nvidia-smi -L; date -u; } >"$out/machine.txt" 2>&1
note "machine: $(head -1 "$out/machine.txt"); $(date -u '+%Y-%m-%d %H:%M UTC')"

for part in $parts; do
  case $part in
  tests)
    for exe in .gpu/bin/*_tests; do
      name=$(basename "$exe")
      timeout "${TEST_TIMEOUT:-240}" "$exe" --gtest_filter='*Gpu*' >"$out/$name.log" 2>&1
      rc=$?
      note "tests $name rc=$rc: $(grep -E '^\[  (PASSED|FAILED)' "$out/$name.log" | tr '\n' ' ')"
    done
    ;;
  memcheck)
    cs=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
    for spec in "tensor_tests:*Gpu*" "data_tests:*Gpu*" "models_tests:*Gpu*" "autograd_tests:AgConv*Gpu*:*ReduceGpu*"; do
      exe=.gpu/bin/${spec%%:*}
      [[ -x $exe ]] || continue
      log=$out/memcheck_$(basename "$exe").log
      timeout 300 "$cs" --tool memcheck --error-exitcode 9 "$exe" --gtest_filter="${spec#*:}" >"$log" 2>&1
      note "memcheck $(basename "$exe") rc=$?: $(grep -E 'ERROR SUMMARY' "$log" | tail -1)"
    done
    ;;
  bench)
    BENCH=.gpu/bin/gpu_superpoint_bench OUT=$out/network timeout 300 scripts/gpu-bench.sh --batch 64 --iters 20 --warmup 5 \
      >"$out/bench_network.txt" 2>&1
    note "bench network rc=$?"
    if [[ -x .gpu/bin/gpu_ops_bench ]]; then
      timeout 200 .gpu/bin/gpu_ops_bench --json "$out/ops_sp.json" >"$out/bench_ops.txt" 2>&1
      timeout 200 python3 bench/gpu_ops_torch.py --json "$out/ops_torch.json" >>"$out/bench_ops.txt" 2>&1
      note "bench ops rc=$?"
    fi
    # Batch-1 latency with FMA convolutions in both, then with TF32 in both (torch's default).
    for tf32 in "" --tf32; do
      timeout 120 .gpu/bin/superpoint_inference_bench --device cuda $tf32 --json "$out/inference_sp$tf32.json" \
        >>"$out/bench_inference.txt" 2>&1
      timeout 120 python3 bench/superpoint_inference_torch.py --device cuda $tf32 --json "$out/inference_torch$tf32.json" \
        >>"$out/bench_inference.txt" 2>&1
      note "bench inference ${tf32:-fma} rc=$?: $(compare_inference "$out/inference_sp$tf32.json" "$out/inference_torch$tf32.json")"
    done
    ;;
  export)
    # 8 textured 240x320 gray images, then homography adaptation with 100 homographies each.
    python3 - "$out/ha_images" <<'PY'
import os, sys
import numpy as np
d = sys.argv[1]; os.makedirs(d, exist_ok=True)
rng = np.random.default_rng(0)
for i in range(8):
    y, x = np.mgrid[0:240, 0:320]
    img = 0.5 + 0.2 * np.sin(0.05 * (i + 1) * x) * np.cos(0.07 * y) + 0.3 * (((x // 24) + (y // 24)) % 2) - 0.15
    img = np.clip(img + 0.05 * rng.standard_normal(img.shape), 0, 1)
    with open(os.path.join(d, f"img{i}.pgm"), "wb") as f:
        f.write(b"P5\n320 240\n255\n" + (img * 255).astype(np.uint8).tobytes())
PY
    SP_EXPER_PATH=$out/exper timeout 300 .gpu/bin/sptrain export_detector_homoAdapt configs/magicpoint_coco_export.toml ha_bench \
      data.dataset=folder "data.root=$out/ha_images" homography_adaptation.num=100 model.nms=maxpool --device cuda >"$out/export_ha.txt" 2>&1
    note "export HA (8 images, 100 homographies) rc=$?: $(grep -iE 'images/s' "$out/export_ha.txt" | tail -1)"
    # The same export against its PyTorch twin (bench/homography_adaptation_torch.py).
    SPTRAIN=.gpu/bin/sptrain DEVICE=cuda PYTHON=python3 timeout 300 scripts/ha-bench.sh 8 100 >"$out/ha_bench.txt" 2>&1
    note "ha-bench rc=$?: $(grep '^ha-bench:' "$out/ha_bench.txt" | tail -1)"
    ;;
  train)
    SP_EXPER_PATH=$out/exper timeout 300 .gpu/bin/sptrain train gpu_demo --conf configs/demo.toml train.device=cuda \
      >"$out/train_demo.txt" 2>&1
    note "train demo on cuda rc=$?: $(grep -iE 'step' "$out/train_demo.txt" | tail -1)"
    ;;
  *) note "gpu-check: unknown part '$part' (tests memcheck bench export train)" ;;
  esac
done
cat "$summary"
