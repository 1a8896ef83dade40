#!/usr/bin/env bash
# Usage: scripts/gpu-bundle.sh [--pack] [--target T ...]
# Builds the test and bench executables for a lent H100/H200 (sm_90) into build-gpu/,
# with CUDA's runtime linked statically and the non-CUDA shared libraries they need
# copied next to them: .gpu/bin and .gpu/lib, stripped, travel to a GPU machine that
# lacks our Debian libraries (docs/GPU_TESTS.md). Tests there find their fixtures
# through SP_FIXTURE_DIR and write temporary files under SP_TEST_TMP.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build-gpu
out=.gpu
libs=$out/lib
cmake -S . -B $build -G Ninja -DSP_NATIVE=OFF -DCMAKE_CUDA_ARCHITECTURES=90 >/dev/null
pack=0
args=()
for a in "$@"; do [[ $a == --pack ]] && pack=1 || args+=("$a"); done
cmake --build $build -j "${JOBS:-2}" "${args[@]}"
rm -rf $out && mkdir -p $libs $out/bin
exes=$(find $build -maxdepth 3 -type f -executable \( -name '*_tests' -o -name 'bench_*' -o -name '*_bench' -o -name 'sptrain' -o -name 'sptool' -o -name 'speval' \))
for exe in $exes; do
  cp "$exe" $out/bin/ && strip --strip-unneeded "$out/bin/$(basename "$exe")"
  ldd "$exe" | awk '/=> \//{print $3}'
done | sort -u | while read -r lib; do
  case "$(basename "$lib")" in
    libc.so*|libm.so*|libresolv.so*|libnss*|libpthread.so*|libdl.so*|librt.so*|ld-linux*|libstdc++.so*|libgcc_s.so*) ;;
    libcuda.so*|libcublas*|libcudnn*|libnccl*|libcudart*) ;;  # from the GPU machine's NVIDIA wheels
    *) cp -L "$lib" $libs/ ;;
  esac
done
strip --strip-unneeded $libs/* 2>/dev/null || true
du -sh $out/bin $libs
ls $out/bin
# --pack: one xz archive instead of the folders, to stay under the device tool's 64 MiB
# carry limit with every executable (scripts/gpu-check.sh unpacks it).
if ((pack)); then
  tar -C $out -cJf $out/bundle.tar.xz bin lib && rm -rf $out/bin $libs
  du -sh $out/bundle.tar.xz
fi
