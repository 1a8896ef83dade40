// The CUDA kernel of disk_maxima_mask (models/disk_detect.h): one thread per pixel, the
// same comparisons as the CPU loop, which is the reference it is tested against
// (DiskDetectGpu).
#include "models/disk_detect.h"
#include "tensor/cuda/launch.cuh"

namespace sp::models::detail {

namespace {

__global__ void maxima_kernel(bool* mask, const float* heat, MaximaGeometry g) {
  const int64_t total = g.batch * g.padded_height * g.padded_width;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t x = i % g.padded_width, y = (i / g.padded_width) % g.padded_height;
    const int64_t b = i / (g.padded_width * g.padded_height);
    bool keep = y >= g.before && y + g.after < g.height && x >= g.before && x + g.after < g.width;
    if (keep) {
      const float* plane = heat + b * g.padded_height * g.padded_width;
      const float v = plane[y * g.padded_width + x];
      keep = v > g.threshold;
      for (int64_t dy = -g.before; dy <= g.after && keep; ++dy)
        for (int64_t dx = -g.before; dx <= g.after; ++dx)
          if ((dy != 0 || dx != 0) && !(plane[(y + dy) * g.padded_width + x + dx] < v)) {
            keep = false;
            break;
          }
    }
    mask[i] = keep;
  }
}

}  // namespace

void disk_maxima_mask_cuda(const Tensor& mask, const Tensor& heatmap, const MaximaGeometry& g) {
  SP_CHECK(heatmap.is_cuda() && mask.is_cuda() && heatmap.is_contiguous() && mask.is_contiguous(),
           "disk_maxima_mask_cuda: expected contiguous CUDA tensors, got ", heatmap.meta(), " and ",
           mask.meta());
  const int dev = heatmap.device().index;
  cuda::set_device(dev);
  const int64_t total = g.batch * g.padded_height * g.padded_width;
  constexpr int kThreads = 256;
  maxima_kernel<<<cuda::blocks_for(total, kThreads), kThreads, 0, cuda::stream(dev)>>>(
      mask.data<bool>(), heatmap.data<float>(), g);
  SP_CUDA_LAUNCH_CHECK("maxima_kernel");
}

}  // namespace sp::models::detail
