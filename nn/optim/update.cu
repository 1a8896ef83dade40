#include <cmath>

#include "nn/optim/update_cuda.h"
#include "tensor/cuda/context.h"
#include "tensor/cuda/launch.cuh"

namespace sp::nn::optim::cuda {
namespace {

struct SgdScalars {
  double wd, momentum, keep, lr;
  bool use_wd, use_momentum, nesterov, first;
};

template <typename T>
__global__ void sgd_kernel(T* param, const T* grad, T* buf, int64_t n, SgdScalars s) {
  const T wd = T(s.wd), momentum = T(s.momentum), keep = T(s.keep), lr = T(s.lr);
  for (int64_t k = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; k < n;
       k += int64_t(gridDim.x) * blockDim.x) {
    T d = grad[k];
    if (s.use_wd) d = d + wd * param[k];
    if (s.use_momentum) {
      T b = s.first ? d : buf[k] * momentum + keep * d;
      buf[k] = b;
      d = s.nesterov ? d + momentum * b : b;
    }
    param[k] = param[k] + (-lr) * d;
  }
}

template <typename T>
T* ptr(const Tensor& t) {
  return t.defined() ? static_cast<T*>(t.data_ptr()) : nullptr;
}

}  // namespace

void sgd_update(const Tensor& p, const Tensor& g, const Tensor& buf, bool first,
                const SGDOptions& o) {
  SgdScalars s{o.weight_decay,      o.momentum,      1.0 - o.dampening, o.lr,
               o.weight_decay != 0, o.momentum != 0, o.nesterov,        first};
  int64_t n = p.numel();
  if (n == 0) return;
  sp::cuda::set_device(p.device().index);
  cudaStream_t stream = sp::cuda::stream(p.device().index);
  if (p.dtype() == DType::F32)
    sgd_kernel<float><<<sp::cuda::blocks_for(n), 256, 0, stream>>>(ptr<float>(p), ptr<float>(g),
                                                                   ptr<float>(buf), n, s);
  else
    sgd_kernel<double><<<sp::cuda::blocks_for(n), 256, 0, stream>>>(ptr<double>(p), ptr<double>(g),
                                                                    ptr<double>(buf), n, s);
  SP_CUDA_LAUNCH_CHECK("sgd_kernel");
}

}  // namespace sp::nn::optim::cuda
