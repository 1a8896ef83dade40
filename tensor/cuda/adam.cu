// Multi-tensor Adam/AdamW (tensor/cuda/adam.h). Tensors travel in batches inside the
// kernel's parameter block; blockIdx.y picks the tensor, blockIdx.x strides over it.
#include <algorithm>
#include <cmath>

#include "tensor/cuda/adam.h"
#include "tensor/cuda/launch.cuh"

namespace sp::cuda {

namespace {

constexpr int kMaxTensors = 24;

template <typename T>
struct AdamBatch {
  int count = 0;
  T* param[kMaxTensors];
  const T* grad[kMaxTensors];
  T* m[kMaxTensors];
  T* v[kMaxTensors];
  T* vmax[kMaxTensors];
  int64_t size[kMaxTensors];
};

template <typename T>
struct AdamScalars {
  T step_size, b2s, eps, beta1, beta2, one_m_b1, one_m_b2, wd, decay;
  bool has_wd, decoupled, amsgrad;
};

template <typename T>
__global__ void adam_kernel(AdamBatch<T> batch, AdamScalars<T> s) {
  const int t = blockIdx.y;
  T* param = batch.param[t];
  const T* grad = batch.grad[t];
  T* m = batch.m[t];
  T* v = batch.v[t];
  T* vmax = batch.vmax[t];
  const int64_t n = batch.size[t];
  for (int64_t k = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; k < n;
       k += int64_t(gridDim.x) * blockDim.x) {
    T p = param[k];
    T g = grad[k];
    if (s.has_wd) {
      if (s.decoupled)
        p = p * s.decay;
      else
        g = g + s.wd * p;
    }
    const T mk = m[k] * s.beta1 + s.one_m_b1 * g;
    const T vk = v[k] * s.beta2 + s.one_m_b2 * (g * g);
    m[k] = mk;
    v[k] = vk;
    T second = vk;
    if (s.amsgrad) {
      second = vmax[k] > vk ? vmax[k] : vk;
      vmax[k] = second;
    }
    const T denom = sqrt(second) / s.b2s + s.eps;
    param[k] = p + (-s.step_size) * (mk / denom);
  }
}

template <typename T>
void run(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
         const std::vector<Tensor>& exp_avgs, const std::vector<Tensor>& exp_avg_sqs,
         const std::vector<Tensor>& max_exp_avg_sqs, int64_t step, const AdamConfig& o, int dev) {
  AdamScalars<T> s;
  const double bias1 = 1.0 - std::pow(o.beta1, double(step));
  const double bias2_sqrt = std::sqrt(1.0 - std::pow(o.beta2, double(step)));
  s.step_size = T(o.lr / bias1);
  s.b2s = T(bias2_sqrt);
  s.eps = T(o.eps);
  s.beta1 = T(o.beta1);
  s.beta2 = T(o.beta2);
  s.one_m_b1 = T(1.0 - o.beta1);
  s.one_m_b2 = T(1.0 - o.beta2);
  s.wd = T(o.weight_decay);
  s.decay = T(1.0 - o.lr * o.weight_decay);
  s.has_wd = o.weight_decay != 0;
  s.decoupled = o.decoupled_weight_decay;
  s.amsgrad = o.amsgrad;

  std::vector<Tensor> keep;  // contiguous grads must outlive the launch's enqueueing
  AdamBatch<T> batch;
  int64_t largest = 0;
  auto flush = [&] {
    if (batch.count == 0) return;
    dim3 grid(unsigned(std::min<int64_t>(blocks_for(largest), 4096)), unsigned(batch.count));
    adam_kernel<T><<<grid, 256, 0, stream(dev)>>>(batch, s);
    SP_CUDA_LAUNCH_CHECK("adam_kernel");
    batch.count = 0;
    largest = 0;
  };
  for (size_t i = 0; i < params.size(); ++i) {
    if (params[i].numel() == 0) continue;
    Tensor g = grads[i].contiguous();
    keep.push_back(g);
    const int c = batch.count++;
    batch.param[c] = params[i].data<T>();
    batch.grad[c] = g.data<T>();
    batch.m[c] = exp_avgs[i].data<T>();
    batch.v[c] = exp_avg_sqs[i].data<T>();
    batch.vmax[c] = o.amsgrad ? max_exp_avg_sqs[i].data<T>() : nullptr;
    batch.size[c] = params[i].numel();
    largest = std::max(largest, params[i].numel());
    if (batch.count == kMaxTensors) flush();
  }
  flush();
}

}  // namespace

void adam_update(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                 const std::vector<Tensor>& exp_avgs, const std::vector<Tensor>& exp_avg_sqs,
                 const std::vector<Tensor>& max_exp_avg_sqs, int64_t step, const AdamConfig& o) {
  const size_t n = params.size();
  SP_CHECK(grads.size() == n && exp_avgs.size() == n && exp_avg_sqs.size() == n &&
               (!o.amsgrad || max_exp_avg_sqs.size() == n),
           "adam: expected as many grads and state tensors as params (", n, ")");
  SP_CHECK(step >= 1, "adam: expected a step count >= 1, got ", step);
  if (n == 0) return;
  const Device device = params[0].device();
  SP_CHECK(device.is_cuda(), "adam: expected parameters on a GPU, got ", params[0].meta());
  const DType dtype = params[0].dtype();
  SP_CHECK(dtype == DType::F32 || dtype == DType::F64, "adam: expected f32 or f64 parameters, got ",
           dtype);
  for (size_t i = 0; i < n; ++i) {
    const Tensor& p = params[i];
    SP_CHECK(p.device() == device && p.dtype() == dtype && p.is_contiguous(),
             "adam: expected contiguous ", dtype, " parameters on ", device, ", got ", p.meta());
    const Tensor& g = grads[i];
    SP_CHECK(g.defined() && g.shape() == p.shape() && g.dtype() == dtype && g.device() == device,
             "adam: expected a grad matching ", p.meta(), ", got ",
             g.defined() ? g.meta() : "undefined");
    for (const Tensor* st :
         {&exp_avgs[i], &exp_avg_sqs[i], o.amsgrad ? &max_exp_avg_sqs[i] : &exp_avgs[i]})
      SP_CHECK(st->defined() && st->is_contiguous() && st->shape() == p.shape() &&
                   st->dtype() == dtype && st->device() == device,
               "adam: expected state tensors matching ", p.meta(), ", got ",
               st->defined() ? st->meta() : "undefined");
  }
  const int dev = device.index;
  set_device(dev);
  if (dtype == DType::F32)
    run<float>(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, step, o, dev);
  else
    run<double>(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, step, o, dev);
}

}  // namespace sp::cuda
