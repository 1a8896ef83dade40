// nonzero, masked_select and one_hot (tensor/cuda/index.h). nonzero and masked_select
// are a stream compaction: flag every element (row-major over the logical shape, any
// strides), inclusive-scan the flags (CUB), read the count back (the output size must be
// known on the host: one synchronizing copy), then each flagged element writes itself at
// its scan position, so the output keeps row-major order like the CPU kernels.
#include <climits>
#include <cub/device/device_scan.cuh>

#include "tensor/cuda/index.h"
#include "tensor/cuda/launch.cuh"
#include "tensor/dispatch.h"
#include "tensor/ops/creation.h"

namespace sp::cuda {

namespace {

template <typename T>
__global__ void flag_kernel(int32_t* flags, const T* src, OffsetCalc<1> calc, int64_t n) {
  for (int64_t k = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; k < n;
       k += int64_t(gridDim.x) * blockDim.x) {
    int64_t off;
    calc.get(k, &off);
    flags[k] = convert<bool>(src[off]) ? 1 : 0;
  }
}

// Flags the elements of `flag_source`, scans them into `positions` (1-based end
// positions) and returns the number of flagged elements.
int64_t flag_and_scan(const Tensor& flag_source, const Shape& shape, const Tensor& flags,
                      const Tensor& positions, const char* what) {
  const int dev = flag_source.device().index;
  cudaStream_t s = stream(dev);
  const int64_t n = numel(shape);
  int32_t* f = flags.data<int32_t>();
  int32_t* p = positions.data<int32_t>();
  OffsetCalc<1> calc(shape, {flag_source.strides()});
  dispatch_all(flag_source.dtype(), what, [&]<typename T>() {
    flag_kernel<T>
        <<<blocks_for(n), 256, 0, s>>>(f, static_cast<const T*>(flag_source.data_ptr()), calc, n);
    SP_CUDA_LAUNCH_CHECK("flag_kernel");
  });
  size_t temp_bytes = 0;
  SP_CUDA_CHECK(cub::DeviceScan::InclusiveSum(nullptr, temp_bytes, f, p, n, s));
  Tensor temp = empty({std::max<int64_t>(int64_t(temp_bytes), 1)}, DType::U8, flag_source.device());
  SP_CUDA_CHECK(cub::DeviceScan::InclusiveSum(temp.data_ptr(), temp_bytes, f, p, n, s));
  int32_t count = 0;
  copy_device_to_host(&count, p + (n - 1), sizeof(int32_t), dev);
  return count;
}

void check_size(int64_t n, const char* what) {
  SP_CHECK(n < int64_t(INT_MAX), what, ": expected fewer than 2^31 - 1 elements on CUDA, got ", n);
}

struct Sizes {
  int64_t d[kMaxRank];
};

__global__ void nonzero_write_kernel(int64_t* out, const int32_t* flags, const int32_t* positions,
                                     Sizes sizes, int rank, int64_t n) {
  for (int64_t k = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; k < n;
       k += int64_t(gridDim.x) * blockDim.x) {
    if (!flags[k]) continue;
    int64_t* row = out + int64_t(positions[k] - 1) * rank;
    int64_t rem = k;
    for (int d = rank - 1; d >= 0; --d) {
      row[d] = rem % sizes.d[d];
      rem /= sizes.d[d];
    }
  }
}

template <typename T>
__global__ void masked_write_kernel(T* out, const T* src, const int32_t* flags,
                                    const int32_t* positions, OffsetCalc<1> calc, int64_t n) {
  for (int64_t k = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; k < n;
       k += int64_t(gridDim.x) * blockDim.x) {
    if (!flags[k]) continue;
    int64_t off;
    calc.get(k, &off);
    out[positions[k] - 1] = src[off];
  }
}

template <typename I>
__global__ void one_hot_kernel(int64_t* out, const I* idx, OffsetCalc<1> calc, int64_t n,
                               int64_t num_classes, long long* err) {
  for (int64_t k = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; k < n;
       k += int64_t(gridDim.x) * blockDim.x) {
    int64_t off;
    calc.get(k, &off);
    const int64_t v = int64_t(idx[off]);
    if (v < 0 || v >= num_classes) {
      if (atomicCAS(reinterpret_cast<unsigned long long*>(err), 0ull, 1ull) == 0ull) err[1] = v;
      continue;
    }
    out[k * num_classes + v] = 1;
  }
}

}  // namespace

Tensor nonzero(const Tensor& t) {
  const int dev = t.device().index;
  set_device(dev);
  const int rank = t.dim();
  const int64_t n = t.numel();
  check_size(n, "nonzero");
  if (n == 0) return empty({0, int64_t(rank)}, DType::I64, t.device());
  Tensor flags = empty({n}, DType::I32, t.device());
  Tensor positions = empty({n}, DType::I32, t.device());
  const int64_t count = flag_and_scan(t, t.shape(), flags, positions, "nonzero");
  Tensor out = empty({count, int64_t(rank)}, DType::I64, t.device());
  if (count == 0 || rank == 0) return out;
  Sizes sizes{};
  for (int d = 0; d < rank; ++d) sizes.d[d] = t.shape()[d];
  nonzero_write_kernel<<<blocks_for(n), 256, 0, stream(dev)>>>(
      out.data<int64_t>(), flags.data<int32_t>(), positions.data<int32_t>(), sizes, rank, n);
  SP_CUDA_LAUNCH_CHECK("nonzero_write_kernel");
  return out;
}

Tensor masked_select(const Tensor& t, const Tensor& mask) {
  const int dev = t.device().index;
  set_device(dev);
  const int64_t n = t.numel();
  check_size(n, "masked_select");
  if (n == 0) return empty({0}, t.dtype(), t.device());
  Tensor flags = empty({n}, DType::I32, t.device());
  Tensor positions = empty({n}, DType::I32, t.device());
  const int64_t count = flag_and_scan(mask, t.shape(), flags, positions, "masked_select");
  Tensor out = empty({count}, t.dtype(), t.device());
  if (count == 0) return out;
  OffsetCalc<1> calc(t.shape(), {t.strides()});
  dispatch_all(t.dtype(), "masked_select", [&]<typename T>() {
    masked_write_kernel<T><<<blocks_for(n), 256, 0, stream(dev)>>>(
        static_cast<T*>(out.data_ptr()), static_cast<const T*>(t.data_ptr()), flags.data<int32_t>(),
        positions.data<int32_t>(), calc, n);
    SP_CUDA_LAUNCH_CHECK("masked_write_kernel");
  });
  return out;
}

void one_hot(const Tensor& out, const Tensor& indices, int64_t num_classes) {
  const int dev = indices.device().index;
  set_device(dev);
  const int64_t n = indices.numel();
  if (n == 0) return;
  Tensor err = zeros({2}, DType::I64, indices.device());
  OffsetCalc<1> calc(indices.shape(), {indices.strides()});
  dispatch_index(indices.dtype(), "one_hot", [&]<typename I>() {
    one_hot_kernel<I><<<blocks_for(n), 256, 0, stream(dev)>>>(
        out.data<int64_t>(), static_cast<const I*>(indices.data_ptr()), calc, n, num_classes,
        static_cast<long long*>(err.data_ptr()));
    SP_CUDA_LAUNCH_CHECK("one_hot_kernel");
  });
  std::vector<int64_t> e = err.to_vector<int64_t>();
  SP_CHECK(e[0] == 0, "one_hot: expected indices in [0, ", num_classes, "), got ", e[1]);
}

}  // namespace sp::cuda
