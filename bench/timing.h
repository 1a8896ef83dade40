// Timing loops shared by the GPU benchmarks: `iters` runs of `step`, each after an
// untimed `before` (host-only bookkeeping), in milliseconds; on the GPU with CUDA events
// on device 0's compute stream (where sp enqueues its work), on the CPU with a clock.
#pragma once

#include <cuda_runtime.h>

#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "tensor/cuda/context.h"

namespace sp::bench {

inline void check_cuda(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(e));
}

inline std::vector<double> cuda_times(int iters, const std::function<void()>& before,
                                      const std::function<void()>& step) {
  cudaStream_t s = sp::cuda::stream(0);
  sp::cuda::synchronize(0);
  std::vector<cudaEvent_t> start(static_cast<size_t>(iters)), stop(static_cast<size_t>(iters));
  for (int i = 0; i < iters; ++i) {
    check_cuda(cudaEventCreate(&start[size_t(i)]), "cudaEventCreate");
    check_cuda(cudaEventCreate(&stop[size_t(i)]), "cudaEventCreate");
  }
  for (int i = 0; i < iters; ++i) {
    before();
    check_cuda(cudaEventRecord(start[size_t(i)], s), "cudaEventRecord");
    step();
    check_cuda(cudaEventRecord(stop[size_t(i)], s), "cudaEventRecord");
  }
  sp::cuda::synchronize(0);
  std::vector<double> ms;
  for (int i = 0; i < iters; ++i) {
    float t = 0;
    check_cuda(cudaEventElapsedTime(&t, start[size_t(i)], stop[size_t(i)]), "cudaEventElapsedTime");
    ms.push_back(double(t));
    cudaEventDestroy(start[size_t(i)]);
    cudaEventDestroy(stop[size_t(i)]);
  }
  return ms;
}

inline std::vector<double> host_times(int iters, const std::function<void()>& before,
                                      const std::function<void()>& step) {
  std::vector<double> ms;
  for (int i = 0; i < iters; ++i) {
    before();
    const auto t0 = std::chrono::steady_clock::now();
    step();
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  return ms;
}

}  // namespace sp::bench
