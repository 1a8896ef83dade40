#!/usr/bin/env bash
# Installs, idempotently and only what is missing, the Debian packages sp needs to build
# and test. The CUDA toolkit is a build requirement and is not installed here: it must be
# in /usr/local/cuda (or CUDA_HOME).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang-format git
  libeigen3-dev libhdf5-dev libpng-dev libturbojpeg0-dev libjpeg62-turbo-dev zlib1g-dev
  libtomlplusplus-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev libomp-dev
  libopenmpi-dev openmpi-bin libsqlite3-dev
  python3-torch python3-numpy python3-h5py python3-opencv python3-skimage
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=""
  if [ "$(id -u)" != 0 ]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all Debian packages present"
fi

cuda_home="${CUDA_HOME:-/usr/local/cuda}"
for f in bin/nvcc include/cublas_v2.h include/cudnn.h include/nccl.h; do
  if [ ! -e "$cuda_home/$f" ]; then
    echo "install-deps: the CUDA toolkit is a build requirement, and $cuda_home/$f is missing." >&2
    echo "install-deps: install the CUDA toolkit (with cuBLAS, cuDNN, NCCL) in /usr/local/cuda or set CUDA_HOME." >&2
    exit 1
  fi
done
echo "install-deps: CUDA toolkit found in $cuda_home ($("$cuda_home/bin/nvcc" --version | tail -n 2 | head -n 1))"
