// CUDA kernels for the Philox streams: the same tensor/math/philox.h as the CPU kernels,
// one thread per element, so results equal the CPU's bit for bit.
#include "tensor/cuda/launch.cuh"
#include "tensor/dispatch.h"
#include "tensor/math/philox.h"
#include "tensor/ops/random.h"

namespace sp::cuda {

namespace {
template <typename T>
__global__ void uniform_kernel(T* out, int64_t n, uint64_t seed, uint64_t offset, double low,
                               double span) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    const uint32_t w = philox::stream_word(seed, offset, uint64_t(i));
    out[i] = convert<T>(fma(span, philox::uniform(w), low));
  }
}

template <typename T>
__global__ void normal_kernel(T* out, int64_t n, uint64_t seed, uint64_t offset, double mean,
                              double std) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    const philox::Block b = philox::stream_block(seed, offset, uint64_t(i) / 4);
    out[i] = convert<T>(fma(std, philox::normal(b, int(i % 4)), mean));
  }
}

template <typename T, typename P>
__global__ void bernoulli_kernel(T* out, const P* p, bool scalar, int64_t n, uint64_t seed,
                                 uint64_t offset) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    const double pi = convert<double>(p[scalar ? 0 : i]);
    out[i] = convert<T>(philox::uniform(philox::stream_word(seed, offset, uint64_t(i))) < pi ? 1.0
                                                                                             : 0.0);
  }
}
}  // namespace

void fill_uniform(const Tensor& out, uint64_t seed, uint64_t offset, double low, double high) {
  const int dev = out.device().index;
  set_device(dev);
  const int64_t n = out.numel();
  dispatch_floating(out.dtype(), "uniform", [&]<typename T>() {
    uniform_kernel<T><<<blocks_for(n), 256, 0, stream(dev)>>>(static_cast<T*>(out.data_ptr()), n,
                                                              seed, offset, low, high - low);
    SP_CUDA_LAUNCH_CHECK("uniform_kernel");
  });
}

void fill_normal(const Tensor& out, uint64_t seed, uint64_t offset, double mean, double std) {
  const int dev = out.device().index;
  set_device(dev);
  const int64_t n = out.numel();
  dispatch_floating(out.dtype(), "normal", [&]<typename T>() {
    normal_kernel<T><<<blocks_for(n), 256, 0, stream(dev)>>>(static_cast<T*>(out.data_ptr()), n,
                                                             seed, offset, mean, std);
    SP_CUDA_LAUNCH_CHECK("normal_kernel");
  });
}

void bernoulli(const Tensor& out, const Tensor& p, uint64_t seed, uint64_t offset) {
  const int dev = out.device().index;
  set_device(dev);
  const int64_t n = out.numel();
  const bool scalar = p.numel() == 1;
  dispatch_floating(p.dtype(), "bernoulli", [&]<typename P>() {
    dispatch_all(out.dtype(), "bernoulli", [&]<typename T>() {
      bernoulli_kernel<T, P><<<blocks_for(n), 256, 0, stream(dev)>>>(
          static_cast<T*>(out.data_ptr()), static_cast<const P*>(p.data_ptr()), scalar, n, seed,
          offset);
      SP_CUDA_LAUNCH_CHECK("bernoulli_kernel");
    });
  });
}

}  // namespace sp::cuda
