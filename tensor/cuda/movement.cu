// Reflect / replicate padding (tensor/cuda/movement.h): one thread per output element
// maps each output coordinate to its source coordinate like the CPU kernel.
#include "tensor/cuda/launch.cuh"
#include "tensor/cuda/movement.h"
#include "tensor/dispatch.h"

namespace sp::cuda {

namespace {

struct PadGeometry {
  int rank;
  bool replicate;
  int64_t out_size[kMaxRank];
  int64_t in_size[kMaxRank];
  int64_t in_stride[kMaxRank];
  int64_t before[kMaxRank];
};

__device__ __forceinline__ int64_t source_index(int64_t o, int64_t before, int64_t n,
                                                bool replicate) {
  int64_t i = o - before;
  if (replicate) return i < 0 ? 0 : (i >= n ? n - 1 : i);
  if (n == 1) return 0;
  if (i < 0) i = -i;  // reflect without repeating the edge
  if (i >= n) i = 2 * (n - 1) - i;
  return i;
}

template <typename T>
__global__ void pad_edges_kernel(T* out, const T* in, PadGeometry g, int64_t total) {
  for (int64_t k = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; k < total;
       k += int64_t(gridDim.x) * blockDim.x) {
    int64_t rem = k, off = 0;
    for (int d = g.rank - 1; d >= 0; --d) {
      const int64_t o = rem % g.out_size[d];
      rem /= g.out_size[d];
      off += source_index(o, g.before[d], g.in_size[d], g.replicate) * g.in_stride[d];
    }
    out[k] = in[off];
  }
}

}  // namespace

void pad_edges(const Tensor& out, const Tensor& t, const std::vector<int64_t>& before,
               PadMode mode) {
  const int dev = t.device().index;
  set_device(dev);
  const int64_t total = out.numel();
  if (total == 0) return;
  PadGeometry g{};
  g.rank = out.dim();
  g.replicate = mode == PadMode::Replicate;
  for (int d = 0; d < g.rank; ++d) {
    g.out_size[d] = out.shape()[d];
    g.in_size[d] = t.shape()[d];
    g.in_stride[d] = t.strides()[d];
    g.before[d] = before[size_t(d)];
  }
  dispatch_all(t.dtype(), "pad", [&]<typename T>() {
    pad_edges_kernel<T><<<blocks_for(total), 256, 0, stream(dev)>>>(
        static_cast<T*>(out.data_ptr()), static_cast<const T*>(t.data_ptr()), g, total);
    SP_CUDA_LAUNCH_CHECK("pad_edges_kernel");
  });
}

}  // namespace sp::cuda
