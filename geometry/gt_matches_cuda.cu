// CUDA launches of the ground-truth labelling steps (geometry/gt_matches_kernels.h): one
// thread per keypoint of both sides, one launch per step, so each step sees the previous
// one complete. The O(N M) steps (nearest, epipolar_exclude) loop over the other side in
// each thread; at 2048 x 2048 keypoints and a batch of 32 that is 128 Mi distance
// evaluations per step, well below a millisecond of f64 work on an H100.
#include <cmath>

#include "geometry/gt_matches_kernels.h"
#include "tensor/cuda/launch.cuh"

namespace sp::geometry::detail {

namespace {

template <int kStep>
__global__ void gt_step_kernel(GtArgs a) {
  const int64_t n0 = a.batch * a.side[0].n, total = n0 + a.batch * a.side[1].n;
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < total;
       e += int64_t(gridDim.x) * blockDim.x) {
    const int s = e < n0 ? 0 : 1;
    const int64_t local = s == 0 ? e : e - n0, n = a.side[s].n;
    const int64_t b = local / n, k = local % n;
    if constexpr (kStep == 0) gt_project(a, s, b, k);
    if constexpr (kStep == 1) gt_nearest(a, s, b, k);
    if constexpr (kStep == 2) gt_label(a, s, b, k);
    if constexpr (kStep == 3) gt_epipolar_exclude(a, s, b, k);
    if constexpr (kStep == 4) gt_epipolar_apply(a, s, b, k);
  }
}

constexpr int kThreads = 128;

}  // namespace

void run_gt_cuda(const GtArgs& args, int device) {
  const int64_t total = args.batch * (args.side[0].n + args.side[1].n);
  if (total == 0) return;
  cuda::set_device(device);
  cudaStream_t stream = cuda::stream(device);
  const int blocks = cuda::blocks_for(total, kThreads);
  gt_step_kernel<0><<<blocks, kThreads, 0, stream>>>(args);
  SP_CUDA_LAUNCH_CHECK("gt_step_kernel<project>");
  gt_step_kernel<1><<<blocks, kThreads, 0, stream>>>(args);
  SP_CUDA_LAUNCH_CHECK("gt_step_kernel<nearest>");
  gt_step_kernel<2><<<blocks, kThreads, 0, stream>>>(args);
  SP_CUDA_LAUNCH_CHECK("gt_step_kernel<label>");
  if (args.epipolar) {
    gt_step_kernel<3><<<blocks, kThreads, 0, stream>>>(args);
    SP_CUDA_LAUNCH_CHECK("gt_step_kernel<epipolar_exclude>");
    gt_step_kernel<4><<<blocks, kThreads, 0, stream>>>(args);
    SP_CUDA_LAUNCH_CHECK("gt_step_kernel<epipolar_apply>");
  }
}

}  // namespace sp::geometry::detail
