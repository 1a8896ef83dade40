#!/usr/bin/env bash
# Homography-adaptation export throughput, sp vs PyTorch, on the same images, weights and
# settings in one run:
#   sptrain export_detector_homoAdapt configs/magicpoint_coco_export.toml ha_bench
#       data.dataset=folder data.root=<images> homography_adaptation.num=N model.nms=NMS
#       model.pretrained=<weights.pth> --device DEVICE
# against bench/homography_adaptation_torch.py --images <images> --num N (the same
# MagicPoint BN network: the twin writes the weights as .pth and sptrain loads them).
#
#   scripts/ha-bench.sh [IMAGES=4] [NUM=20]
#   DEVICE=cuda PYTHON=python3 scripts/ha-bench.sh 8 100     # the H100 setting of docs/PERFORMANCE.md
# The images are generated 8-bit PGMs (no OpenCV needed on either side).
# Environment: DEVICE=cpu|cuda (cpu), THREADS=2 (OMP_NUM_THREADS and torch threads),
#   NMS=maxpool|grid (maxpool, as the H100 run in docs/PERFORMANCE.md), BATCH=0 (views
#   per forward, 0 = all N), HEIGHT=240 WIDTH=320, WARMUP=1 (torch images untimed),
#   SPTRAIN=build/apps/sptrain, PYTHON=/usr/bin/python3, KEEP=<dir> (keep the files there),
#   TF32=1 (TF32 convolutions in both: --tf32; PyTorch's cuDNN default, off by default here).
# sp's rate is its own "images/s after the first" (the export loop: reading, the
# adaptation, label writing; the first image also pays for cuDNN's algorithm search) and
# its rate over all images; torch's is 1 / median per-image time after WARMUP images
# (sampling, the adaptation, NMS, no file writing) and its loop rate.
set -euo pipefail
cd "$(dirname "$0")/.."
images=${1:-4}
num=${2:-20}
device=${DEVICE:-cpu}
threads=${THREADS:-2}
nms=${NMS:-maxpool}
batch=${BATCH:-0}
height=${HEIGHT:-240}
width=${WIDTH:-320}
warmup=${WARMUP:-1}
sptrain=${SPTRAIN:-build/apps/sptrain}
tf32=()
[[ ${TF32:-0} == 1 ]] && tf32=(--tf32)
python=${PYTHON:-/usr/bin/python3}
[[ -x $sptrain ]] || { echo "ha-bench: expected $sptrain (cmake --build build --target sptrain)" >&2; exit 1; }
if [[ -n ${KEEP:-} ]]; then
  tmp=$KEEP
  mkdir -p "$tmp"
else
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
fi
sp_device=$device
[[ $device == cuda ]] && sp_device=cuda:0
twin=(bench/homography_adaptation_torch.py --threads "$threads" --size "$height" "$width")

OMP_NUM_THREADS=$threads "$python" -P "${twin[@]}" --json "$tmp/setup.json" --num-images "$images" \
  --write-images "$tmp/images" --save-weights "$tmp/magicpoint_bn.pth"

echo "== sp: $images images ${height}x${width}, num $num, batch $batch, nms $nms, $device, $threads threads"
rm -rf "$tmp/exper"
start=$(date +%s.%N)
OMP_NUM_THREADS=$threads SP_EXPER_PATH=$tmp/exper "$sptrain" export_detector_homoAdapt \
  configs/magicpoint_coco_export.toml ha_bench data.dataset=folder "data.root=$tmp/images" \
  "data.size=[$height, $width]" homography_adaptation.num="$num" homography_adaptation.batch_size="$batch" \
  model.nms="$nms" "model.pretrained=$tmp/magicpoint_bn.pth" --device "$sp_device" "${tf32[@]}" 2>&1 | tr '\r' '\n' |
  grep -v '^image ' | tee "$tmp/sp.txt"
end=$(date +%s.%N)
sp_all=$(sed -n 's/.*(\([0-9.e+-]*\) images\/s.*/\1/p' "$tmp/sp.txt" | tail -1)
sp_rate=$(sed -n 's/.*; \([0-9.e+-]*\) after the first).*/\1/p' "$tmp/sp.txt" | tail -1)
[[ -n $sp_all ]] || { echo "ha-bench: sptrain printed no images/s" >&2; exit 1; }
sp_rate=${sp_rate:-$sp_all}
awk -v a="$start" -v b="$end" 'BEGIN { printf "sp command wall %.2f s (start-up included)\n", b - a }'

echo "== torch"
OMP_NUM_THREADS=$threads "$python" -P "${twin[@]}" --json "$tmp/torch.json" --images "$tmp/images" \
  --num "$num" --batch-size "$batch" --nms "$nms" --device "$device" --warmup "$warmup" "${tf32[@]}"

"$python" - "$sp_rate" "$sp_all" "$tmp/torch.json" <<'PY'
import json, sys
sp, sp_all = float(sys.argv[1]), float(sys.argv[2])
t = json.load(open(sys.argv[3]))
print(f"ha-bench: num {t['num']}, {t['images']} images {t['size'][0]}x{t['size'][1]}, {t['device']}, "
      f"{t['threads']} threads, nms {t['nms']}, tf32 {'on' if t.get('tf32') else 'off'}: sp {sp:.3f} images/s "
      f"(all images {sp_all:.3f}), torch {t['images_per_s']:.3f} images/s "
      f"(median; loop {t['loop_images_per_s']:.3f}), sp/torch {sp / t['images_per_s']:.2f}x")
PY
