#!/usr/bin/env bash
# Full-map parity of sp's DISK with kornia's (official weights, float64 reference) on the
# HPatches-4 images of ../shared/data: tests/reference/models_disk_official.py --maps DIR
# writes each image's heatmap, dense descriptors and every keypoint, then
# DiskOfficial.FullMapsMatchReference compares sp with each file and prints one
# "DISK_PARITY <file> heatmap <max abs diff> descriptors <max abs diff> keypoints a/b" line.
# Usage: scripts/disk-parity.sh [build-dir] [maps-dir]
# Environment: PYTHON (.venv/bin/python, then /work/main/.venv/bin/python).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
maps=${2:-$build/disk-parity-maps}
python=${PYTHON:-}
if [[ -z $python ]]; then
  for p in .venv/bin/python /work/main/.venv/bin/python; do [[ -x $p ]] && python=$p && break; done
fi
[[ -n $python ]] || { echo "disk-parity: set PYTHON to a python with torch 2.x, kornia, h5py, cv2" >&2; exit 1; }
tests=$build/tests/models_tests
[[ -x $tests ]] || { echo "disk-parity: expected $tests (cmake --build $build --target models_tests)" >&2; exit 1; }
# The maps only; the committed fixture is rewritten too (the same content as committed).
"$python" -P tests/reference/models_disk_official.py --maps "$maps"
status=0
for f in "$maps"/*.h5; do
  out=$(SP_DISK_REFERENCE=$f "$tests" --gtest_filter=DiskOfficial.FullMapsMatchReference 2>&1) || status=1
  grep DISK_PARITY <<<"$out" || { echo "$out" | tail -20; status=1; }
done
exit $status
