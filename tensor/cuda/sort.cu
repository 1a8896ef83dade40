// Stable per-row sort for sort / argsort / topk (tensor/cuda/index.h). Each element is
// mapped to an unsigned key whose integer order is the CPU kernel's order (NaN largest,
// -0 equal to +0); descending flips the key bits, so a stable ascending segmented radix
// sort (CUB) keeps ties in input order in both directions, exactly like std::stable_sort
// on the CPU. Only the first k sorted positions of every row are written out.
#include <cub/device/device_segmented_sort.cuh>

#include "tensor/cuda/index.h"
#include "tensor/cuda/launch.cuh"
#include "tensor/dispatch.h"
#include "tensor/ops/creation.h"

namespace sp::cuda {

namespace {

// 64-bit keys for 64-bit types, 32-bit keys for everything else (f16/bf16 via float).
template <typename T>
using sort_key_t =
    std::conditional_t<std::is_same_v<T, double> || std::is_same_v<T, int64_t>, uint64_t, uint32_t>;

template <typename T>
__device__ __forceinline__ sort_key_t<T> order_key(T v) {
  if constexpr (std::is_same_v<T, double>) {
    if (isnan(v)) return ~0ull;
    const uint64_t b = v == 0.0 ? 0ull : uint64_t(__double_as_longlong(v));  // -0 sorts as +0
    return (b >> 63) ? ~b : (b | (1ull << 63));
  } else if constexpr (std::is_same_v<T, int64_t>) {
    return uint64_t(v) ^ (1ull << 63);
  } else if constexpr (std::is_same_v<T, int32_t>) {
    return uint32_t(v) ^ 0x80000000u;
  } else if constexpr (std::is_same_v<T, uint8_t> || std::is_same_v<T, bool>) {
    return uint32_t(v);
  } else {  // float, Half, BFloat16
    float f = static_cast<float>(v);
    if (isnan(f)) return ~0u;
    const uint32_t b = f == 0.0f ? 0u : __float_as_uint(f);
    return (b >> 31) ? ~b : (b | 0x80000000u);
  }
}

// t contiguous [outer, n, inner]; row r = o * inner + i holds t[o, :, i].
template <typename T>
__global__ void keys_kernel(sort_key_t<T>* keys, int64_t* idx, const T* t, int64_t total, int64_t n,
                            int64_t inner, bool descending) {
  const sort_key_t<T> flip = descending ? ~sort_key_t<T>(0) : sort_key_t<T>(0);
  for (int64_t k = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; k < total;
       k += int64_t(gridDim.x) * blockDim.x) {
    const int64_t r = k / n, e = k % n;
    const int64_t o = r / inner, i = r % inner;
    keys[k] = order_key(t[(o * n + e) * inner + i]) ^ flip;
    idx[k] = e;
  }
}

__global__ void row_offsets_kernel(int64_t* offsets, int64_t rows, int64_t n) {
  for (int64_t r = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; r <= rows;
       r += int64_t(gridDim.x) * blockDim.x)
    offsets[r] = r * n;
}

// values/indices contiguous [outer, k, inner] from the sorted row order.
template <typename T>
__global__ void take_kernel(T* values, int64_t* indices, const T* t, const int64_t* order,
                            int64_t rows, int64_t n, int64_t k, int64_t inner) {
  const int64_t total = rows * k;
  for (int64_t q = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; q < total;
       q += int64_t(gridDim.x) * blockDim.x) {
    const int64_t r = q / k, j = q % k;
    const int64_t o = r / inner, i = r % inner;
    const int64_t e = order ? order[r * n + j] : j;
    const int64_t out = (o * k + j) * inner + i;
    values[out] = t[(o * n + e) * inner + i];
    indices[out] = e;
  }
}

Tensor scratch(int64_t nbytes, Device device) {
  return empty({std::max<int64_t>(nbytes, 1)}, DType::U8, device);
}

}  // namespace

void sort(const Tensor& values, const Tensor& indices, const Tensor& t, int dim, bool descending,
          int64_t k) {
  const int dev = t.device().index;
  set_device(dev);
  cudaStream_t s = stream(dev);
  const int64_t n = t.dim() ? t.shape()[dim] : 1;
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < dim; ++d) outer *= t.shape()[d];
  for (int d = dim + 1; d < t.dim(); ++d) inner *= t.shape()[d];
  const int64_t rows = outer * inner, total = rows * n;
  if (rows * k == 0) return;
  dispatch_all(t.dtype(), "sort", [&]<typename T>() {
    using K = sort_key_t<T>;
    const T* src = static_cast<const T*>(t.data_ptr());
    Tensor sorted_idx;
    if (n > 1) {  // rows of one element are sorted already
      Tensor keys_in = scratch(total * int64_t(sizeof(K)), t.device());
      Tensor keys_out = scratch(total * int64_t(sizeof(K)), t.device());
      Tensor idx_in = empty({total}, DType::I64, t.device());
      sorted_idx = empty({total}, DType::I64, t.device());
      Tensor offsets = empty({rows + 1}, DType::I64, t.device());
      K* kin = static_cast<K*>(keys_in.data_ptr());
      K* kout = static_cast<K*>(keys_out.data_ptr());
      int64_t* iin = idx_in.data<int64_t>();
      int64_t* iout = sorted_idx.data<int64_t>();
      const int64_t* off = offsets.data<int64_t>();
      keys_kernel<T><<<blocks_for(total), 256, 0, s>>>(kin, iin, src, total, n, inner, descending);
      SP_CUDA_LAUNCH_CHECK("sort keys_kernel");
      row_offsets_kernel<<<blocks_for(rows + 1), 256, 0, s>>>(offsets.data<int64_t>(), rows, n);
      SP_CUDA_LAUNCH_CHECK("sort row_offsets_kernel");
      size_t temp_bytes = 0;
      SP_CUDA_CHECK(cub::DeviceSegmentedSort::StableSortPairs(nullptr, temp_bytes, kin, kout, iin,
                                                              iout, total, rows, off, off + 1, s));
      Tensor temp = scratch(int64_t(temp_bytes), t.device());
      SP_CUDA_CHECK(cub::DeviceSegmentedSort::StableSortPairs(
          temp.data_ptr(), temp_bytes, kin, kout, iin, iout, total, rows, off, off + 1, s));
    }
    take_kernel<T><<<blocks_for(rows * k), 256, 0, s>>>(
        static_cast<T*>(values.data_ptr()), indices.data<int64_t>(), src,
        sorted_idx.defined() ? sorted_idx.data<int64_t>() : nullptr, rows, n, k, inner);
    SP_CUDA_LAUNCH_CHECK("sort take_kernel");
  });
}

}  // namespace sp::cuda
