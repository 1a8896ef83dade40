#!/usr/bin/env bash
# The reconstruction check (tests/colmap/reconstruction_check.py): spdetect + spmatch +
# spcolmap --verify, then pycolmap's incremental mapping, on a rendered synthetic scene by
# default (or --images DIR, e.g. ../shared/data/images/sacre_coeur --min-registered 9).
# pycolmap comes from $SP_PYCOLMAP_PYTHON, else from a virtual environment this script
# creates in BUILD/reconstruction-venv (pip install pycolmap numpy). Exits 77 (ctest: skipped)
# with the reason when the DISK weights, the apps or pycolmap are not to be had.
# Usage: tests/colmap/reconstruction_check.sh [BUILD] [reconstruction_check.py options]
# Environment: SP_DISK_WEIGHTS (../shared/weights/disk-depth-save.pth), SP_PYCOLMAP_PYTHON.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=build
if [[ $# -gt 0 && $1 != --* ]]; then build=$1; shift; fi
skip() { echo "reconstruction_check: SKIPPED: $*"; exit 77; }
weights=${SP_DISK_WEIGHTS:-../shared/weights/disk-depth-save.pth}
[[ -f $weights ]] || skip "no DISK weights at $weights (set SP_DISK_WEIGHTS to disk-depth-save.pth)"
for b in spdetect spmatch spcolmap; do
  [[ -x $build/apps/$b ]] || skip "$build/apps/$b is not built (cmake --build $build --target $b)"
done
python=${SP_PYCOLMAP_PYTHON:-}
if [[ -z $python ]]; then
  venv=$build/reconstruction-venv
  if ! "$venv/bin/python" -c "import pycolmap, numpy" >/dev/null 2>&1; then
    python3 -m venv "$venv" >/dev/null 2>&1 || skip "python3 -m venv $venv failed (Debian: apt-get install python3-venv)"
    "$venv/bin/pip" install --quiet pycolmap numpy >/dev/null 2>&1 ||
      skip "pip install pycolmap numpy failed (no network or no wheel for this platform)"
  fi
  python=$venv/bin/python
fi
"$python" -c "import pycolmap, numpy" >/dev/null 2>&1 || skip "$python cannot import pycolmap and numpy"
exec "$python" -P tests/colmap/reconstruction_check.py --bin "$build/apps" --weights "$weights" \
  --work "$build/reconstruction_check" "$@"
