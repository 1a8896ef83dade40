#include "nn/optim/sgd.h"

#include <cmath>

#include "nn/optim/update_cuda.h"
#include "tensor/ops/creation.h"

namespace sp::nn::optim {
namespace {

// Scalars are rounded to T first, as PyTorch's CPU kernels do.
template <typename T>
void sgd_cpu(T* param, const T* grad, T* buf, bool first, int64_t n, const SGDOptions& o) {
  const T wd = T(o.weight_decay), momentum = T(o.momentum), keep = T(1.0 - o.dampening),
          lr = T(o.lr);
  for (int64_t k = 0; k < n; ++k) {
    T d = grad[k];
    if (o.weight_decay != 0) d = d + wd * param[k];
    if (o.momentum != 0) {
      T b = first ? d : buf[k] * momentum + keep * d;
      buf[k] = b;
      d = o.nesterov ? d + momentum * b : b;
    }
    param[k] = param[k] + (-lr) * d;
  }
}

}  // namespace

void sgd_update(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                std::vector<Tensor>& momentum_buffers, const SGDOptions& o) {
  SP_CHECK(params.size() == grads.size() && params.size() == momentum_buffers.size(),
           "sgd: expected as many grads and buffers as params, got ", params.size(), ", ",
           grads.size(), ", ", momentum_buffers.size());
  for (size_t i = 0; i < params.size(); ++i) {
    const Tensor& p = params[i];
    Tensor g = grads[i].contiguous();
    SP_CHECK(p.is_contiguous() && g.shape() == p.shape() && g.dtype() == p.dtype(),
             "sgd: expected a grad matching ", p.meta(), ", got ", g.meta());
    SP_CHECK(g.device() == p.device(), "sgd: expected the grad on ", p.device(), ", got ",
             g.device());
    bool first = !momentum_buffers[i].defined();
    if (o.momentum != 0 && first) momentum_buffers[i] = empty(p.shape(), p.dtype(), p.device());
    if (p.is_cuda()) {
      SP_CHECK(p.dtype() == DType::F32 || p.dtype() == DType::F64,
               "sgd: expected f32 or f64 parameters, got ", p.dtype());
      cuda::sgd_update(p, g, o.momentum != 0 ? momentum_buffers[i] : Tensor(), first, o);
      continue;
    }
    if (p.dtype() == DType::F32)
      sgd_cpu(p.data<float>(), g.data<float>(),
              o.momentum != 0 ? momentum_buffers[i].data<float>() : nullptr, first, p.numel(), o);
    else if (p.dtype() == DType::F64)
      sgd_cpu(p.data<double>(), g.data<double>(),
              o.momentum != 0 ? momentum_buffers[i].data<double>() : nullptr, first, p.numel(), o);
    else
      SP_FAIL("sgd: expected f32 or f64 parameters, got ", p.dtype());
  }
}

SGD::SGD(std::vector<ag::Var> params, const SGDOptions& options)
    : Optimizer(std::move(params), options.lr, "sgd"), options_(options) {
  SP_CHECK(options.momentum >= 0 && options.weight_decay >= 0,
           "sgd: expected momentum and weight_decay >= 0, got ", options.momentum, " and ",
           options.weight_decay);
  SP_CHECK(!options.nesterov || (options.momentum > 0 && options.dampening == 0),
           "sgd: expected momentum > 0 and dampening = 0 for nesterov, got momentum ",
           options.momentum, " and dampening ", options.dampening);
}

void SGD::step() {
  std::vector<Tensor> params, grads, buffers;
  std::vector<size_t> index = params_with_grad();
  for (size_t i : index) {
    params.push_back(params_[i].data());
    grads.push_back(params_[i].grad());
    buffers.push_back(state(i, "momentum_buffer"));
  }
  SGDOptions o = options_;
  o.lr = lr_;
  sgd_update(params, grads, buffers, o);
  for (size_t k = 0; k < index.size(); ++k)
    if (buffers[k].defined()) state(index[k], "momentum_buffer") = buffers[k];
}

}  // namespace sp::nn::optim
