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
  for (int64_t k = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; k < n; k += int64_t(gridDim.x) * blockDim.x) {
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

struct AdamScalars {
  double step_size, bias2_sqrt, eps, beta1, beta2, one_m_b1, one_m_b2, wd, decay;
  bool use_wd, decoupled, amsgrad;
};

template <typename T>
__global__ void adam_kernel(T* param, const T* grad, T* m, T* v, T* vmax, int64_t n, AdamScalars s) {
  const T step_size = T(s.step_size), b2s = T(s.bias2_sqrt), eps = T(s.eps), beta1 = T(s.beta1),
          beta2 = T(s.beta2), one_m_b1 = T(s.one_m_b1), one_m_b2 = T(s.one_m_b2), wd = T(s.wd), decay = T(s.decay);
  for (int64_t k = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; k < n; k += int64_t(gridDim.x) * blockDim.x) {
    T g = grad[k];
    T p = param[k];
    if (s.use_wd) {
      if (s.decoupled) p = p * decay;
      else g = g + wd * p;
    }
    T mk = m[k] * beta1 + one_m_b1 * g;
    T vk = v[k] * beta2 + one_m_b2 * (g * g);
    m[k] = mk;
    v[k] = vk;
    T second = vk;
    if (s.amsgrad) second = vmax[k] = vmax[k] > vk ? vmax[k] : vk;
    T denom = sqrt(second) / b2s + eps;
    param[k] = p + (-step_size) * (mk / denom);
  }
}

template <typename T>
T* ptr(const Tensor& t) {
  return t.defined() ? static_cast<T*>(t.data_ptr()) : nullptr;
}

}  // namespace

void sgd_update(const Tensor& p, const Tensor& g, const Tensor& buf, bool first, const SGDOptions& o) {
  SgdScalars s{o.weight_decay, o.momentum, 1.0 - o.dampening, o.lr, o.weight_decay != 0, o.momentum != 0,
               o.nesterov, first};
  int64_t n = p.numel();
  if (n == 0) return;
  sp::cuda::set_device(p.device().index);
  cudaStream_t stream = sp::cuda::stream(p.device().index);
  if (p.dtype() == DType::F32)
    sgd_kernel<float><<<sp::cuda::blocks_for(n), 256, 0, stream>>>(ptr<float>(p), ptr<float>(g), ptr<float>(buf), n, s);
  else
    sgd_kernel<double><<<sp::cuda::blocks_for(n), 256, 0, stream>>>(ptr<double>(p), ptr<double>(g), ptr<double>(buf),
                                                                    n, s);
  SP_CUDA_LAUNCH_CHECK("sgd_kernel");
}

void adam_update(const Tensor& p, const Tensor& g, const Tensor& m, const Tensor& v, const Tensor& vmax, int64_t step,
                 const AdamOptions& o) {
  const double bias1 = 1.0 - std::pow(o.beta1, double(step));
  AdamScalars s{o.lr / bias1, std::sqrt(1.0 - std::pow(o.beta2, double(step))), o.eps, o.beta1, o.beta2,
                1.0 - o.beta1, 1.0 - o.beta2, o.weight_decay, 1.0 - o.lr * o.weight_decay, o.weight_decay != 0,
                o.decoupled_weight_decay, o.amsgrad};
  int64_t n = p.numel();
  if (n == 0) return;
  sp::cuda::set_device(p.device().index);
  cudaStream_t stream = sp::cuda::stream(p.device().index);
  if (p.dtype() == DType::F32)
    adam_kernel<float><<<sp::cuda::blocks_for(n), 256, 0, stream>>>(ptr<float>(p), ptr<float>(g), ptr<float>(m),
                                                                    ptr<float>(v), ptr<float>(vmax), n, s);
  else
    adam_kernel<double><<<sp::cuda::blocks_for(n), 256, 0, stream>>>(ptr<double>(p), ptr<double>(g), ptr<double>(m),
                                                                     ptr<double>(v), ptr<double>(vmax), n, s);
  SP_CUDA_LAUNCH_CHECK("adam_kernel");
}

}  // namespace sp::nn::optim::cuda
